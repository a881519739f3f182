// The fragmentation experiment of Weng et al. (USENIX ATC 2023) on the real
// Alibaba GPU trace, for every allot placement policy, averaged over a fixed
// seed list (seeds in parallel on --threads), printed beside the published
// figures at 90/95/100% arrived. See docs/placement.md.
//
//   fragmentation_experiment --trace-dir ../shared/traces/alibaba-gpu-2023
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

#include "sim/alibaba_trace.h"
#include "sim/fill_experiment.h"
#include "sim/published_fill.h"

int main(int argc, char** argv) {
  CLI::App app{"Fragmentation experiment on the Alibaba GPU trace"};
  std::string trace_dir = "../shared/traces/alibaba-gpu-2023";
  std::string pods_file = "openb_pod_list_default.csv";
  std::string policies_text =
      "first_fit,best_fit,frag_aware/fgd,frag_aware/host_aware,frag_aware/hybrid";
  uint64_t first_seed = 42;
  int seeds = 10;
  app.add_option("--trace-dir", trace_dir, "folder of the Alibaba trace");
  app.add_option("--pods", pods_file, "pod list file inside the trace folder");
  app.add_option("--policies", policies_text,
                 "comma-separated policies: first_fit, best_fit, frag_aware[/fgd|/host_aware]");
  app.add_option("--first-seed", first_seed, "first seed (the paper: 42)");
  app.add_option("--seeds", seeds, "number of seeds (the paper: 10)")->check(CLI::Range(1, 1000));
  int threads = 2;
  app.add_option("--threads", threads, "seeds run in parallel (results do not depend on it)")
      ->check(CLI::Range(1, 64));
  CLI11_PARSE(app, argc, argv);

  allot::Result<allot::Inventory> inventory =
      allot::LoadAlibabaNodes(trace_dir + "/openb_node_list_gpu_node.csv");
  if (!inventory.ok()) {
    std::cerr << inventory.status().ToString() << "\n";
    return 1;
  }
  allot::Result<std::vector<allot::AlibabaPod>> pods =
      allot::LoadAlibabaPods(trace_dir + "/" + pods_file);
  if (!pods.ok()) {
    std::cerr << pods.status().ToString() << "\n";
    return 1;
  }
  std::vector<std::pair<std::string, allot::PlacementOptions>> policies;
  for (size_t start = 0; start <= policies_text.size();) {
    size_t comma = policies_text.find(',', start);
    std::string name = policies_text.substr(start, comma - start);
    size_t slash = name.find('/');
    allot::PlacementOptions placement;
    bool ok = allot::ParsePlacementKind(name.substr(0, slash), &placement.kind);
    if (ok && slash != std::string::npos) {
      ok = placement.kind == allot::PlacementKind::kFragAware &&
           allot::ParseFragMeasure(name.substr(slash + 1), &placement.frag_measure);
    }
    if (!ok) {
      std::cerr << "--policies: unknown policy '" << name << "'\n";
      return 2;
    }
    policies.emplace_back(name, placement);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }

  int64_t gpus = 0;
  for (const allot::Node& node : inventory->nodes)
    gpus += static_cast<int64_t>(node.devices.size());
  fmt::print("Alibaba GPU trace: {} nodes, {} GPUs, {} pods; seeds {}..{}\n\n",
             inventory->nodes.size(), gpus, pods->size(), first_seed, first_seed + seeds - 1);
  fmt::print("{:<22} {:>8} {:>8} {:>8} {:>8} {:>8}   {:>8} {:>9}\n", "policy", "90%", "95%", "100%",
             "110%", "130%", "failed", "seconds");
  const int kPoints[] = {90, 95, 100, 110, 130};
  std::vector<allot::Request> requests;
  for (const allot::AlibabaPod& pod : *pods) requests.push_back(allot::AlibabaPodRequest(pod));
  std::vector<uint64_t> seed_list;
  for (int s = 0; s < seeds; ++s) seed_list.push_back(first_seed + static_cast<uint64_t>(s));
  for (const auto& [name, placement] : policies) {
    double sums[5] = {};
    int64_t failed = 0;
    auto start = std::chrono::steady_clock::now();
    allot::FillOptions options;
    options.placement = placement;
    allot::Result<std::vector<allot::FillResult>> results = allot::RunFillSeeds(
        *inventory, allot::EngineOptions{}, requests, options, seed_list, threads);
    if (!results.ok()) {
      std::cerr << results.status().ToString() << "\n";
      return 1;
    }
    for (const allot::FillResult& result : *results) {
      for (int p = 0; p < 5; ++p) sums[p] += result.AllocatedAtArrivedPercent(kPoints[p]);
      failed += result.pods_failed;
    }
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{:<22} {:>7.2f}% {:>7.2f}% {:>7.2f}% {:>7.2f}% {:>7.2f}%   {:>8} {:>9.2f}\n", name,
               sums[0] / seeds, sums[1] / seeds, sums[2] / seeds, sums[3] / seeds, sums[4] / seeds,
               failed / seeds, seconds);
  }
  // The published figures (the artifact's expected results; the paper's
  // table rounds the 100% column) for the same trace.
  std::string workload = pods_file;
  for (std::string_view affix : {std::string_view("openb_pod_list_"), std::string_view(".csv")}) {
    size_t at = workload.find(affix);
    if (at != std::string::npos) workload.erase(at, affix.size());
  }
  fmt::print("\nPublished (Weng et al. 2023, artifact's expected results), {}:\n", workload);
  for (const allot::PublishedFill& row : allot::PublishedFills()) {
    if (row.workload != workload) continue;
    fmt::print("{:<22} {:>7.2f}% {:>7.2f}% {:>7.2f}%\n", row.policy, row.at_90, row.at_95,
               row.at_100);
  }
  return 0;
}
