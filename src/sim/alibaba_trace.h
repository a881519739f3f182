#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "model/inventory.h"
#include "model/request.h"
#include "sim/csv.h"

namespace allot {

// One pod of the Alibaba GPU-sharing trace (cluster-trace-gpu-v2023,
// openb_pod_list_*.csv). Times are seconds.
struct AlibabaPod {
  std::string name;
  int64_t cpu_milli = 0;
  int64_t memory_mib = 0;
  int64_t num_gpu = 0;
  int64_t gpu_milli = 0;              // per GPU; 1000 whenever num_gpu >= 2
  std::vector<std::string> gpu_spec;  // allowed models ('|'-separated), empty = any
  std::string qos;                    // LS, BE, Burstable, Guaranteed
  int64_t creation_time = 0;
  int64_t deletion_time = 0;
  int64_t scheduled_time = -1;  // -1: never scheduled (empty), or the file has no such column

  // Total milli-GPU the pod asks for: num_gpu * gpu_milli.
  int64_t total_gpu_milli() const { return num_gpu * gpu_milli; }
};

// Reads a node list (openb_node_list_*.csv: sn, cpu_milli, memory_mib, gpu,
// model) into an inventory: one pool per GPU model (and "cpu" for nodes
// without GPUs), every GPU in `shared` mode as in the trace's cluster.
// Device memory per model is the public figure (P100/T4/V100M16 16 GiB,
// V100M32 32 GiB, A10 24 GiB; the anonymised G1-G3 take 16 GiB): the
// fragmentation experiment never binds on it.
Result<Inventory> LoadAlibabaNodes(const std::string& path);
// Reads a pod list. Required columns: name, cpu_milli, memory_mib, num_gpu,
// gpu_milli; optional (defaulted when absent, as in the published variants
// openb_pod_list_multigpu*.csv): gpu_spec, qos, creation_time, deletion_time,
// scheduled_time; other columns (pod_phase) are ignored. Errors name file,
// line and column, or the missing required column.
Result<std::vector<AlibabaPod>> LoadAlibabaPods(const std::string& path);
// The same from a parsed table: pod i is row i.
Result<std::vector<AlibabaPod>> AlibabaPodsFromTable(const CsvTable& table);

// The request a pod makes: one member with its cpu and memory, and
// gpu_milli (a fraction) or 1000 * num_gpu (whole GPUs); gpu_spec becomes
// the allowed GPU models.
Request AlibabaPodRequest(const AlibabaPod& pod);

}  // namespace allot
