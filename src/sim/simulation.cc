#include "sim/simulation.h"

#include <algorithm>
#include <cmath>

#include "sim/fill_experiment.h"
#include "sim/replay.h"
#include "sim/replay_summary.h"

namespace allot {
namespace {

using Json = nlohmann::ordered_json;

// The fill experiment of one policy over the seeds: "fill" of result.json.
Result<Json> RunFill(const Inventory& inventory, const EngineOptions& engine_options,
                     const std::vector<Request>& requests, const SimPolicy& policy,
                     const SimulationOptions& options) {
  EngineOptions applied = policy.Apply(engine_options);
  FillOptions fill;
  fill.target_ratio = options.target_ratio;
  fill.placement = applied.placement;
  std::vector<uint64_t> seeds;
  for (int i = 0; i < options.seeds; ++i) seeds.push_back(options.seed + static_cast<uint64_t>(i));
  Result<std::vector<FillResult>> results =
      RunFillSeeds(inventory, applied, requests, fill, seeds, options.threads);
  if (!results.ok()) return results.status();
  Json out;
  out["seeds"] = seeds;
  out["target_ratio"] = options.target_ratio;
  // Per seed, GPU allocated (percent of capacity) at each arrived percent.
  int top = static_cast<int>(std::lround(100 * options.target_ratio));
  std::vector<std::vector<double>> by_seed;
  int64_t submitted = 0;
  int64_t failed = 0;
  for (const FillResult& result : *results) {
    by_seed.push_back(result.AllocatedByArrivedPercent(std::max(top, 100)));
    submitted += result.pods_submitted;
    failed += result.pods_failed;
  }
  // The mean over the seeds that reached `percent`, or -1 when none did
  // (`all`: only when every seed did).
  auto mean_at = [&](int percent, bool all) {
    double sum = 0;
    size_t count = 0;
    for (const std::vector<double>& table : by_seed) {
      double value = table[static_cast<size_t>(percent)];
      if (value < 0) continue;
      sum += value;
      ++count;
    }
    if (count == 0 || (all && count < by_seed.size())) return -1.0;
    return sum / static_cast<double>(count);
  };
  auto figure = [](double value) { return value < 0 ? Json(nullptr) : JsonNumber(value); };
  Json per_seed = Json::array();
  for (const std::vector<double>& table : by_seed) per_seed.push_back(figure(table[100]));
  out["allocated_at_100"] = figure(mean_at(100, /*all=*/true));
  out["per_seed_at_100"] = std::move(per_seed);
  Json arrived = Json::array();
  Json allocated = Json::array();
  for (int percent = 0; percent <= top; ++percent) {
    arrived.push_back(percent);
    allocated.push_back(figure(mean_at(percent, /*all=*/false)));
  }
  out["curve"] = {{"arrived_pct", std::move(arrived)}, {"allocated_pct", std::move(allocated)}};
  out["pods_submitted"] = submitted;
  out["pods_failed"] = failed;
  return out;
}

}  // namespace

Result<Json> RunSimulation(const Inventory& inventory, const EngineOptions& engine_options,
                           const Workload& workload, const SimulationOptions& options) {
  if (workload.jobs.empty()) return InvalidArgument("trace: no jobs");
  if (options.seeds < 1 || options.seeds > 1000) {
    return InvalidArgument("--seeds: must be 1 to 1000");
  }
  std::vector<SimPolicy> policies = options.policies;
  if (policies.empty()) policies.push_back(ParseSimPolicy("config").value());

  Json document;
  document["allot_sim"] = 1;
  Json inputs = options.inputs;
  inputs["mode"] = options.mode == SimulationOptions::Mode::kFill ? "fill" : "replay";
  inputs["seed"] = options.seed;
  if (options.mode == SimulationOptions::Mode::kFill) inputs["seeds"] = options.seeds;
  inputs["jobs"] = workload.jobs.size();
  inputs["skipped"] = workload.skipped;
  inputs["skip_summary"] = workload.skip_summary;
  inputs["reordered"] = workload.reordered;
  document["inputs"] = std::move(inputs);
  Json runs = Json::array();

  if (options.mode == SimulationOptions::Mode::kFill) {
    // A placement experiment: tenants, classes and budgets play no part, so
    // the requests are stripped of them and the engine runs without them.
    EngineOptions bare;
    bare.placement = engine_options.placement;
    std::vector<Request> requests;
    requests.reserve(workload.jobs.size());
    for (const SimJob& job : workload.jobs) {
      Request request = job.request;
      request.tenant.clear();
      request.priority_class.clear();
      request.model.clear();
      request.input_tokens = request.max_output_tokens = 0;
      requests.push_back(std::move(request));
    }
    for (const SimPolicy& policy : policies) {
      if (options.progress) options.progress(policy.name, 0.0);
      Result<Json> fill = RunFill(inventory, bare, requests, policy, options);
      if (!fill.ok()) return fill.status();
      Json run;
      run["policy"] = policy.name;
      run["description"] = policy.Describe(bare);
      run["summary"] = Json::object();
      run["classes"] = Json::array();
      run["tenants"] = Json::array();
      run["series"] = Json::object();
      run["wait_cdf"] = Json::array();
      run["budget_events"] = Json::array();
      run["fill"] = std::move(fill).value();
      runs.push_back(std::move(run));
      if (options.progress) options.progress(policy.name, 1.0);
    }
  } else {
    for (const SimPolicy& policy : policies) {
      ReplayOptions replay;
      replay.step = options.step;
      if (options.progress) {
        replay.progress = [&](double fraction) { options.progress(policy.name, fraction); };
      }
      Result<ReplayTrace> trace = RunReplay(inventory, engine_options, policy, workload, replay);
      if (!trace.ok()) return trace.status();
      runs.push_back(SummarizeReplay(*trace, policy.name, policy.Describe(engine_options)));
    }
  }
  document["runs"] = std::move(runs);
  return document;
}

}  // namespace allot
