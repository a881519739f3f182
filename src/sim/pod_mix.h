#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "model/inventory.h"
#include "sim/alibaba_trace.h"

namespace allot {

// Workloads of the Alibaba pod-list family with another mix, made by
// resampling the pods of a source list (docs/placement.md, "Workload
// variants"). Each knob has the definition of the published variants of the
// FGD artifact (openb_pod_list_{gpushare,multigpu,gpuspec,cpu}*.csv), checked
// against those files:
//   gpushare X: fractional pods (one GPU, gpu_milli < 1000) ask for X% of all
//               requested milli-GPU; the pod count stays, CPU-only pods stay.
//   multigpu X: pods with 2+ GPUs ask for X% of requested milli-GPU.
//   gpuspec X:  X% of the GPU pods are constrained to one GPU model.
//   cpu_only X: X% of all pods are CPU-only (the artifact's cpuNNN is
//               cpu_only NNN / 10: cpu050 has 5% CPU-only pods).
// A negative value leaves that share as in the source. Deterministic for a
// seed (std::mt19937_64, fully specified by the standard).
struct PodMixOptions {
  double gpushare = -1;
  double multigpu = -1;
  double gpuspec = -1;
  double cpu_only = -1;
  // Models a gpuspec constraint may name; empty = every model of the nodes.
  std::vector<std::string> gpuspec_models;
  uint64_t seed = 42;
};

// The shares of a pod list, in percent, as defined above (for reports and
// tests).
struct PodMixShares {
  double gpushare = 0;
  double multigpu = 0;
  double gpuspec = 0;
  double cpu_only = 0;
};
PodMixShares MeasurePodMix(const std::vector<AlibabaPod>& pods);

// The variant of `source` with the shares of `options`, applied in the order
// gpushare, multigpu, cpu_only, gpuspec:
// - gpushare: each GPU pod slot is redrawn from the source's fractional pods
//   or from its whole-GPU pods, the kind chosen greedily so that the running
//   fractional share of milli-GPU stays at X.
// - multigpu: multi-GPU pods drawn from the source's are appended until they
//   ask for X% (or random ones removed while above it).
// - cpu_only: CPU-only pods drawn from the source's are appended (or random
//   ones removed) until they are X% of the pods.
// - gpuspec: a random X% of the GPU pods get one model, drawn among the
//   models (of `gpuspec_models`) whose nodes could hold the pod when empty,
//   in proportion to the model's GPU count in `nodes`; other pods lose any
//   constraint they had.
// Pods keep their cpu, memory, GPU and times; the list is sorted by
// creation_time (stable) and renamed pod-00000, pod-00001, ...
// InvalidArgument names the option when a share is above 100 or cannot be
// reached (say, gpushare 40 from a source without fractional pods).
Result<std::vector<AlibabaPod>> GeneratePodMix(const std::vector<AlibabaPod>& source,
                                               const Inventory& nodes,
                                               const PodMixOptions& options);

// The pods as an openb_pod_list CSV (name, cpu_milli, memory_mib, num_gpu,
// gpu_milli, gpu_spec, qos, creation_time, deletion_time, scheduled_time),
// which LoadAlibabaPods reads back unchanged.
std::string PodsToCsv(const std::vector<AlibabaPod>& pods);

}  // namespace allot
