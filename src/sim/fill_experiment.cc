#include "sim/fill_experiment.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <thread>

namespace allot {

double FillResult::AllocatedAtArrivedPercent(int percent) const {
  if (percent < 0) return -1.0;
  return AllocatedByArrivedPercent(percent)[static_cast<size_t>(percent)];
}

std::vector<double> FillResult::AllocatedByArrivedPercent(int top) const {
  // arrive% = round(100 * arrived / capacity); the value at p is the mean of
  // 100 * allocated / capacity over the pods whose arrive% == p.
  std::vector<double> sum(static_cast<size_t>(top) + 1, 0.0);
  std::vector<int64_t> count(sum.size(), 0);
  for (size_t i = 0; i < arrived_milli.size(); ++i) {
    double arrived =
        100.0 * static_cast<double>(arrived_milli[i]) / static_cast<double>(capacity_milli);
    long percent = std::lround(arrived);
    if (percent < 0 || percent > top) continue;
    sum[static_cast<size_t>(percent)] +=
        100.0 * static_cast<double>(allocated_milli[i]) / static_cast<double>(capacity_milli);
    ++count[static_cast<size_t>(percent)];
  }
  for (size_t p = 0; p < sum.size(); ++p) {
    sum[p] = count[p] == 0 ? -1.0 : sum[p] / static_cast<double>(count[p]);
  }
  return sum;
}

Result<FillResult> RunFillExperiment(const Inventory& inventory,
                                     const std::vector<AlibabaPod>& pods,
                                     const FillOptions& options) {
  if (pods.empty()) return InvalidArgument("pods: the trace has no pods");
  std::vector<Request> requests;
  requests.reserve(pods.size());
  for (const AlibabaPod& pod : pods) requests.push_back(AlibabaPodRequest(pod));
  return RunFillExperiment(inventory, EngineOptions{}, requests, options);
}

Result<FillResult> RunFillExperiment(const Inventory& inventory, const EngineOptions& base,
                                     const std::vector<Request>& requests,
                                     const FillOptions& options) {
  if (requests.empty()) return InvalidArgument("trace: no jobs to place");
  if (!(options.target_ratio > 0 && options.target_ratio <= 10)) {
    return InvalidArgument("target_ratio: must be in (0, 10]");
  }
  EngineOptions engine_options = base;
  engine_options.placement = options.placement;
  Result<std::unique_ptr<Engine>> created = Engine::Create(inventory, engine_options);
  if (!created.ok()) return created.status();
  Engine& engine = **created;

  FillResult result;
  for (const Node& node : inventory.nodes) result.capacity_milli += node.capacity[kGpu];
  if (result.capacity_milli == 0) return InvalidArgument("nodes: the inventory has no GPUs");

  // Order: the trace shuffled (Fisher-Yates), then i.i.d. resamples until
  // the requested GPU would pass target_ratio x capacity.
  std::mt19937_64 generator(options.seed);
  auto gpu_of = [&](size_t index) {
    return requests[index].member.resources[kGpu] * requests[index].members;
  };
  std::vector<size_t> order(requests.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (size_t i = order.size(); i > 1; --i) {
    std::swap(order[i - 1], order[UniformIndex(generator, i)]);
  }
  int64_t target =
      static_cast<int64_t>(options.target_ratio * static_cast<double>(result.capacity_milli));
  int64_t requested = 0;
  for (size_t index : order) requested += gpu_of(index);
  while (true) {
    size_t index = UniformIndex(generator, requests.size());
    if (requested + gpu_of(index) > target) break;
    requested += gpu_of(index);
    order.push_back(index);
  }

  int64_t arrived = 0;
  Time now = 0;
  result.arrived_milli.reserve(order.size());
  result.allocated_milli.reserve(order.size());
  int64_t allocated = 0;
  for (size_t index : order) {
    arrived += gpu_of(index);
    Decision decision = engine.Submit(requests[index], ++now);
    ++result.pods_submitted;
    if (decision.kind == DecisionKind::kGranted) {
      for (const Assignment& a : decision.placement) allocated += a.gpu_milli;
    } else {
      ++result.pods_failed;
      if (decision.kind == DecisionKind::kQueued) {
        Status cancelled = engine.Cancel(decision.request, now);
        if (!cancelled.ok()) return cancelled;
      } else if (decision.reject_code == RejectCode::kInvalidArgument) {
        return InvalidArgument(fmt::format("job {}: {}", index, decision.message));
      }
    }
    result.arrived_milli.push_back(arrived);
    result.allocated_milli.push_back(allocated);
  }
  return result;
}

Result<std::vector<FillResult>> RunFillSeeds(const Inventory& inventory,
                                             const EngineOptions& engine_options,
                                             const std::vector<Request>& requests,
                                             const FillOptions& options,
                                             const std::vector<uint64_t>& seeds, int threads) {
  std::vector<Result<FillResult>> results(seeds.size(), Internal("not run"));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < seeds.size(); i = next++) {
      FillOptions seeded = options;
      seeded.seed = seeds[i];
      results[i] = RunFillExperiment(inventory, engine_options, requests, seeded);
    }
  };
  size_t extra = static_cast<size_t>(std::clamp(threads, 1, 64)) - 1;
  std::vector<std::thread> workers;
  for (size_t t = 0; t < extra && t + 1 < seeds.size(); ++t) workers.emplace_back(work);
  work();
  for (std::thread& worker : workers) worker.join();
  std::vector<FillResult> out;
  for (Result<FillResult>& result : results) {
    if (!result.ok()) return result.status();
    out.push_back(std::move(result).value());
  }
  return out;
}

}  // namespace allot
