#include "model/inventory.h"

#include <algorithm>
#include <unordered_set>

namespace allot {
namespace {

template <typename Enum, size_t N>
bool ParseName(std::string_view text, const std::string_view (&names)[N], Enum* out) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) {
      *out = static_cast<Enum>(i);
      return true;
    }
  }
  return false;
}

constexpr std::string_view kTierNames[] = {"reserved", "on_demand", "spot"};
constexpr std::string_view kNodeStateNames[] = {"up", "draining", "down"};
constexpr std::string_view kDeviceModeNames[] = {"whole", "shared", "mig"};

}  // namespace

std::string_view TierName(Tier tier) { return kTierNames[static_cast<size_t>(tier)]; }
std::string_view NodeStateName(NodeState state) {
  return kNodeStateNames[static_cast<size_t>(state)];
}
std::string_view DeviceModeName(DeviceMode mode) {
  return kDeviceModeNames[static_cast<size_t>(mode)];
}
bool ParseTier(std::string_view text, Tier* out) { return ParseName(text, kTierNames, out); }
bool ParseNodeState(std::string_view text, NodeState* out) {
  return ParseName(text, kNodeStateNames, out);
}
bool ParseDeviceMode(std::string_view text, DeviceMode* out) {
  return ParseName(text, kDeviceModeNames, out);
}

Status NormaliseLabels(Labels& labels, std::string_view field) {
  std::sort(labels.begin(), labels.end());
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].first.empty()) {
      return InvalidArgument(std::string(field) + ": label keys must not be empty");
    }
    if (i > 0 && labels[i].first == labels[i - 1].first) {
      return InvalidArgument(std::string(field) + "." + labels[i].first + ": duplicate label key");
    }
  }
  return Status::Ok();
}

bool LabelsMatch(const Labels& have, const Labels& want) {
  // Both sorted by key: one merge pass.
  auto it = have.begin();
  for (const auto& [key, value] : want) {
    while (it != have.end() && it->first < key) ++it;
    if (it == have.end() || it->first != key || it->second != value) return false;
  }
  return true;
}

Status Inventory::Validate() {
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < gpu_models.size(); ++i) {
    std::string field = "gpu_models[" + std::to_string(i) + "]";
    const GpuModel& model = gpu_models[i];
    if (model.name.empty()) return InvalidArgument(field + ".name: must not be empty");
    if (!seen.insert(model.name).second) {
      return InvalidArgument(field + ".name: duplicate GPU model '" + model.name + "'");
    }
    if (model.memory_mib <= 0 || model.memory_mib > kMaxQuantity) {
      return InvalidArgument(field + ".memory_mib: must be > 0 and <= 2^52, got " +
                             std::to_string(model.memory_mib));
    }
  }
  seen.clear();
  for (size_t i = 0; i < pools.size(); ++i) {
    std::string field = "pools[" + std::to_string(i) + "]";
    const Pool& pool = pools[i];
    if (pool.name.empty()) return InvalidArgument(field + ".name: must not be empty");
    if (!seen.insert(pool.name).second) {
      return InvalidArgument(field + ".name: duplicate pool '" + pool.name + "'");
    }
    if (pool.gpu_model < -1 || pool.gpu_model >= static_cast<int>(gpu_models.size())) {
      return InvalidArgument(field + ".gpu_model: unknown GPU model index");
    }
  }
  seen.clear();
  if (nodes.size() > (size_t{1} << 24)) return InvalidArgument("nodes: more than 2^24 nodes");
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::string field = "nodes[" + std::to_string(i) + "]";
    Node& node = nodes[i];
    if (node.name.empty()) return InvalidArgument(field + ".name: must not be empty");
    if (!seen.insert(node.name).second) {
      return InvalidArgument(field + ".name: duplicate node '" + node.name + "'");
    }
    if (node.pool >= pools.size()) {
      return InvalidArgument(field + ".pool: unknown pool index " + std::to_string(node.pool));
    }
    ALLOT_RETURN_IF_ERROR(NormaliseLabels(node.labels, field + ".labels"));
    for (int r = 0; r < kMaxResources; ++r) {
      if (r == kGpu || r == kGpuMemory) continue;
      int64_t amount = node.capacity[r];
      if (amount < 0 || amount > kMaxQuantity) {
        std::string name = r < resources.size() ? std::string(resources.Name(r)) : "resource";
        return InvalidArgument(field + ".capacity." + name + ": must be >= 0 and <= 2^52, got " +
                               std::to_string(amount));
      }
      if (r >= resources.size() && amount != 0) {
        return InvalidArgument(field + ".capacity: resource index " + std::to_string(r) +
                               " is not defined");
      }
    }
    const Pool& pool = pools[node.pool];
    if (!node.devices.empty() && pool.gpu_model < 0) {
      return InvalidArgument(field + ".devices: pool '" + pool.name +
                             "' has no GPU model, so its nodes cannot have GPUs");
    }
    if (node.devices.size() > static_cast<size_t>(kMaxDevicesPerNode)) {
      return InvalidArgument(field + ".devices: at most 64 GPUs per node, got " +
                             std::to_string(node.devices.size()));
    }
    for (size_t d = 0; d < node.devices.size(); ++d) {
      if (node.devices[d].mode == DeviceMode::kMig &&
          FindMigTable(gpu_models[static_cast<size_t>(pool.gpu_model)].name) == nullptr) {
        return InvalidArgument(field + ".devices[" + std::to_string(d) + "].mode: GPU model '" +
                               gpu_models[static_cast<size_t>(pool.gpu_model)].name +
                               "' does not support MIG (A100-40GB, A100-80GB, H100-80GB do)");
      }
    }
    int64_t device_count = static_cast<int64_t>(node.devices.size());
    node.capacity[kGpu] = 1000 * device_count;
    node.capacity[kGpuMemory] =
        pool.gpu_model < 0
            ? 0
            : gpu_models[static_cast<size_t>(pool.gpu_model)].memory_mib * device_count;
  }
  return Status::Ok();
}

int Inventory::FindPool(std::string_view name) const {
  for (size_t i = 0; i < pools.size(); ++i) {
    if (pools[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int Inventory::FindGpuModel(std::string_view name) const {
  for (size_t i = 0; i < gpu_models.size(); ++i) {
    if (gpu_models[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

int Inventory::FindNode(std::string_view name) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

const GpuModel* Inventory::NodeGpuModel(NodeIndex node) const {
  int model = pools[nodes[node].pool].gpu_model;
  return model < 0 ? nullptr : &gpu_models[static_cast<size_t>(model)];
}

const MigGpuTable* Inventory::NodeMigTable(NodeIndex node) const {
  const GpuModel* model = NodeGpuModel(node);
  return model == nullptr ? nullptr : FindMigTable(model->name);
}

}  // namespace allot
