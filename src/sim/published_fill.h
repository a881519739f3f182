#pragma once

#include <span>
#include <string_view>

namespace allot {

// Published results of the fragmentation experiment (Weng et al., USENIX ATC
// 2023): GPU allocated (% of capacity) at 90%, 95% and 100% of capacity
// arrived, mean of seeds 42-51, from the expected results of the authors'
// artifact (hkust-adsl/kubernetes-scheduler-simulator,
// experiments/analysis/expected_results/analysis_allo_discrete.csv). The
// paper's table gives the 100% column rounded (FGD 95.2%).
struct PublishedFill {
  std::string_view workload;  // "default", "gpuspec25", ...: openb_pod_list_<workload>.csv
  std::string_view policy;    // the artifact's name: Random, DotProd, ..., FGD
  double at_90;
  double at_95;
  double at_100;
};

// Every published row: all six policies on the default trace, FGD on each
// variant.
std::span<const PublishedFill> PublishedFills();
// The published FGD row for a pod list file name (openb_pod_list_default.csv,
// ...), or nullptr when the artifact has none.
const PublishedFill* PublishedFgdFor(std::string_view trace_file_name);

}  // namespace allot
