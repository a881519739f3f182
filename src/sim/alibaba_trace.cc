#include "sim/alibaba_trace.h"

#include <fmt/format.h>

#include <map>

#include "sim/csv.h"

namespace allot {
namespace {

int64_t DeviceMemoryMib(const std::string& model) {
  if (model == "V100M32") return 32 * 1024;
  if (model == "A10") return 24 * 1024;
  return 16 * 1024;
}

}  // namespace

Result<Inventory> LoadAlibabaNodes(const std::string& path) {
  Result<CsvTable> table = CsvTable::Load(path);
  if (!table.ok()) return table.status();
  size_t columns[5];
  const char* names[5] = {"sn", "cpu_milli", "memory_mib", "gpu", "model"};
  for (int i = 0; i < 5; ++i) {
    Result<size_t> column = table->Column(names[i]);
    if (!column.ok()) return column.status();
    columns[i] = *column;
  }
  Inventory inventory;
  std::map<std::string, PoolIndex> pools;
  for (size_t row = 0; row < table->rows(); ++row) {
    Node node;
    node.name = std::string(table->Field(row, columns[0]));
    Result<int64_t> cpu = table->Integer(row, columns[1]);
    Result<int64_t> memory = table->Integer(row, columns[2]);
    Result<int64_t> gpus = table->Integer(row, columns[3]);
    if (!cpu.ok()) return cpu.status();
    if (!memory.ok()) return memory.status();
    if (!gpus.ok()) return gpus.status();
    if (*cpu < 0 || *memory < 0 || *gpus < 0 || *gpus > 64) {
      return InvalidArgument(fmt::format("{}: quantities must be >= 0 (and gpu <= 64)",
                                         table->Where(row, columns[1])));
    }
    std::string model(table->Field(row, columns[4]));
    if (*gpus > 0 && model.empty()) {
      return InvalidArgument(table->Where(row, columns[4]) + ": a node with GPUs needs a model");
    }
    std::string pool_name = *gpus > 0 ? model : "cpu";
    auto [it, inserted] = pools.emplace(pool_name, static_cast<PoolIndex>(inventory.pools.size()));
    if (inserted) {
      Pool pool;
      pool.name = pool_name;
      if (*gpus > 0) {
        inventory.gpu_models.push_back({model, DeviceMemoryMib(model)});
        pool.gpu_model = static_cast<int>(inventory.gpu_models.size() - 1);
      }
      inventory.pools.push_back(pool);
    }
    node.pool = it->second;
    node.capacity[kCpu] = *cpu;
    node.capacity[kMemory] = *memory;
    node.devices.assign(static_cast<size_t>(*gpus), Device{DeviceMode::kShared});
    inventory.nodes.push_back(std::move(node));
  }
  Status valid = inventory.Validate();
  if (!valid.ok()) return InvalidArgument(path + ": " + valid.message());
  return inventory;
}

Result<std::vector<AlibabaPod>> LoadAlibabaPods(const std::string& path) {
  Result<CsvTable> table = CsvTable::Load(path);
  if (!table.ok()) return table.status();
  return AlibabaPodsFromTable(*table);
}

Result<std::vector<AlibabaPod>> AlibabaPodsFromTable(const CsvTable& table) {
  // The published variants of the pod list (FGD's artifact: gpushare*,
  // multigpu*, gpuspec*, cpu*) do not all carry the same columns: the
  // multi-GPU ones have only the five resource columns. Those five are
  // required; the others default (no constraint, no QoS, time 0, never
  // scheduled) when absent.
  const char* required[] = {"name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"};
  size_t columns[5];
  for (int i = 0; i < 5; ++i) {
    Result<size_t> column = table.Column(required[i]);
    if (!column.ok()) {
      return InvalidArgument(column.status().message() +
                             " (a pod list needs name, cpu_milli, memory_mib, num_gpu and "
                             "gpu_milli; gpu_spec, qos and the times are optional)");
    }
    columns[i] = *column;
  }
  Result<size_t> spec_column = table.Column("gpu_spec");
  Result<size_t> qos_column = table.Column("qos");
  Result<size_t> time_columns[] = {table.Column("creation_time"), table.Column("deletion_time")};
  Result<size_t> scheduled = table.Column("scheduled_time");
  std::vector<AlibabaPod> pods;
  pods.reserve(table.rows());
  for (size_t row = 0; row < table.rows(); ++row) {
    AlibabaPod pod;
    pod.name = std::string(table.Field(row, columns[0]));
    int64_t* numbers[] = {&pod.cpu_milli, &pod.memory_mib, &pod.num_gpu, &pod.gpu_milli};
    for (int i = 0; i < 4; ++i) {
      Result<int64_t> value = table.Integer(row, columns[1 + i]);
      if (!value.ok()) return value.status();
      if (*value < 0) {
        return InvalidArgument(table.Where(row, columns[1 + i]) + ": must be >= 0");
      }
      *numbers[i] = *value;
    }
    if (pod.num_gpu > 64 || pod.gpu_milli > 1000 || (pod.num_gpu == 0) != (pod.gpu_milli == 0) ||
        (pod.num_gpu > 1 && pod.gpu_milli != 1000)) {
      return InvalidArgument(table.Where(row, columns[4]) +
                             ": gpu_milli must be 1..1000 with num_gpu 1, 1000 with num_gpu > 1, "
                             "and 0 exactly when num_gpu is 0");
    }
    std::string_view spec = spec_column.ok() ? table.Field(row, *spec_column) : "";
    while (!spec.empty()) {
      size_t bar = spec.find('|');
      std::string_view part = spec.substr(0, bar);
      if (!part.empty()) pod.gpu_spec.emplace_back(part);
      if (bar == std::string_view::npos) break;
      spec.remove_prefix(bar + 1);
    }
    if (qos_column.ok()) pod.qos = std::string(table.Field(row, *qos_column));
    for (int i = 0; i < 2; ++i) {
      if (!time_columns[i].ok()) continue;
      std::string_view text = table.Field(row, *time_columns[i]);
      if (text.empty()) continue;  // pods still running have no deletion time
      Result<int64_t> value = table.Integer(row, *time_columns[i]);
      if (!value.ok()) return value.status();
      (i == 0 ? pod.creation_time : pod.deletion_time) = *value;
    }
    if (scheduled.ok() && !table.Field(row, *scheduled).empty()) {
      Result<int64_t> value = table.Integer(row, *scheduled);
      if (!value.ok()) return value.status();
      pod.scheduled_time = *value;
    }
    pods.push_back(std::move(pod));
  }
  return pods;
}

Request AlibabaPodRequest(const AlibabaPod& pod) {
  Request request;
  request.member.resources[kCpu] = pod.cpu_milli;
  request.member.resources[kMemory] = pod.memory_mib;
  request.member.resources[kGpu] = pod.num_gpu == 1 ? pod.gpu_milli : 1000 * pod.num_gpu;
  request.gpu_models = pod.gpu_spec;
  return request;
}

}  // namespace allot
