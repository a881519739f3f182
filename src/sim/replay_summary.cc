#include "sim/replay_summary.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace allot {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kMaxShareSeries = 24;
constexpr size_t kMaxBudgetEvents = 500;

double ToSeconds(Duration duration) { return static_cast<double>(duration) / kMicrosPerSecond; }

Json Distribution(std::vector<double> values) {
  Json out;
  out["count"] = values.size();
  if (values.empty()) {
    for (const char* key : {"mean", "p50", "p95", "p99", "max"}) out[key] = nullptr;
    return out;
  }
  std::sort(values.begin(), values.end());
  double sum = 0;
  for (double value : values) sum += value;
  out["mean"] = JsonNumber(sum / static_cast<double>(values.size()));
  out["p50"] = JsonNumber(Percentile(values, 0.50));
  out["p95"] = JsonNumber(Percentile(values, 0.95));
  out["p99"] = JsonNumber(Percentile(values, 0.99));
  out["max"] = JsonNumber(values.back());
  return out;
}

Json Values(const std::vector<double>& values) {
  Json out = Json::array();
  for (double value : values) out.push_back(JsonNumber(value));
  return out;
}

// Counts and distributions of one group of jobs (a class, a tenant, all).
struct Group {
  int64_t jobs = 0;
  int64_t started = 0;
  int64_t finished = 0;
  int64_t rejected = 0;
  int64_t restarts = 0;
  int64_t with_objective = 0;
  int64_t met_objective = 0;
  std::vector<double> waits;
  std::vector<double> completions;

  void Add(const JobOutcome& job, Duration objective) {
    ++jobs;
    restarts += job.restarts;
    if (job.first_start >= 0) {
      ++started;
      waits.push_back(ToSeconds(job.first_start - job.submit));
    }
    if (job.state == JobOutcome::State::kFinished) {
      ++finished;
      completions.push_back(ToSeconds(job.end - job.submit));
    }
    if (job.state == JobOutcome::State::kRejected) ++rejected;
    if (objective > 0) {
      // A job never started, or rejected, misses its objective.
      ++with_objective;
      if (job.first_start >= 0 && job.first_start - job.submit <= objective) ++met_objective;
    }
  }
  Json Attainment() const {
    if (with_objective == 0) return nullptr;
    return JsonNumber(static_cast<double>(met_objective) / static_cast<double>(with_objective));
  }
};

}  // namespace

Json JsonNumber(double value) {
  if (!std::isfinite(value)) return nullptr;
  double rounded = std::round(value * 1e6) / 1e6;
  return rounded == 0 ? 0.0 : rounded;  // no "-0.0"
}

double Percentile(const std::vector<double>& sorted, double p) {
  double h = static_cast<double>(sorted.size() - 1) * p;
  size_t low = static_cast<size_t>(std::floor(h));
  if (low + 1 >= sorted.size()) return sorted.back();
  return sorted[low] + (h - static_cast<double>(low)) * (sorted[low + 1] - sorted[low]);
}

double JainIndex(const std::vector<double>& x) {
  double sum = 0;
  double squares = 0;
  for (double value : x) {
    sum += value;
    squares += value * value;
  }
  if (x.empty() || squares == 0) return 1.0;
  return sum * sum / (static_cast<double>(x.size()) * squares);
}

Json SummarizeReplay(const ReplayTrace& trace, const std::string& policy,
                     const std::string& description) {
  size_t classes = trace.class_names.size();
  size_t tenants = trace.tenant_paths.size();
  Group all;
  std::vector<Group> by_class(classes);
  std::vector<Group> by_tenant(tenants);
  for (const JobOutcome& job : trace.jobs) {
    Duration objective = trace.wait_objectives[static_cast<size_t>(job.priority_class)];
    all.Add(job, objective);
    by_class[static_cast<size_t>(job.priority_class)].Add(job, objective);
    by_tenant[static_cast<size_t>(job.tenant)].Add(job, objective);
  }

  // Step lengths: all full but the last.
  size_t steps = trace.gpu_allocated.values.size();
  std::vector<double> lengths(steps, ToSeconds(trace.step));
  if (steps > 0) {
    lengths.back() = ToSeconds(trace.end - trace.start) - ToSeconds(trace.step) * (steps - 1);
  }
  double total_length = std::accumulate(lengths.begin(), lengths.end(), 0.0);
  auto time_mean = [&](const std::vector<double>& values) {
    if (total_length <= 0) return values.empty() ? 0.0 : values.back();
    double area = 0;
    for (size_t i = 0; i < values.size(); ++i) area += values[i] * lengths[i];
    return area / total_length;
  };

  // Shares: time-weighted mean of each leaf tenant's dominant share.
  std::vector<double> share_mean(tenants, 0.0);
  std::vector<double> fair_mean(tenants, 0.0);
  size_t leaf = 0;
  for (size_t t = 0; t < tenants; ++t) {
    if (!trace.tenant_is_leaf[t]) continue;
    fair_mean[t] = time_mean(trace.fair_share[leaf].values);
    share_mean[t] = time_mean(trace.share[leaf++].values);
  }
  // Jain's index averaged over the time two or more tenants had work.
  double active = time_mean(trace.active.values);
  Json jain = active > 0 ? JsonNumber(time_mean(trace.jain.values) / active) : Json(nullptr);
  int64_t cost = std::accumulate(trace.tenant_cost.begin(), trace.tenant_cost.end(), int64_t{0});

  Json run;
  run["policy"] = policy;
  run["description"] = description;
  Json summary;
  summary["jobs"] = all.jobs;
  summary["started"] = all.started;
  summary["finished"] = all.finished;
  summary["rejected"] = all.rejected;
  summary["unfinished"] = all.jobs - all.finished - all.rejected;
  summary["preemptions"] = all.restarts;
  summary["makespan_s"] = JsonNumber(ToSeconds(trace.end - trace.start));
  summary["wait_s"] = Distribution(all.waits);
  summary["jct_s"] = Distribution(all.completions);
  summary["gpu_utilization_mean"] =
      trace.gpu_capacity > 0
          ? JsonNumber(time_mean(trace.gpu_allocated.values) / trace.gpu_capacity)
          : Json(nullptr);
  double fragmentation = 0;
  for (double value : trace.fragmentation.values) fragmentation += value;
  summary["fragmentation_mean"] =
      trace.fragmentation.values.empty()
          ? Json(nullptr)
          : JsonNumber(fragmentation / static_cast<double>(trace.fragmentation.values.size()));
  summary["jain_index"] = std::move(jain);
  summary["cost"] = JsonNumber(static_cast<double>(cost) / 1e6);
  summary["slo_attainment"] = all.Attainment();
  summary["budget_events"] = trace.budget_events.size();
  summary["lost_work_s"] = JsonNumber(ToSeconds(trace.lost_work_us));
  run["summary"] = std::move(summary);

  Json class_list = Json::array();
  for (size_t c = 0; c < classes; ++c) {
    const Group& group = by_class[c];
    if (group.jobs == 0) continue;
    Json entry;
    entry["name"] = trace.class_names[c];
    entry["jobs"] = group.jobs;
    entry["started"] = group.started;
    entry["rejected"] = group.rejected;
    entry["preempted"] = group.restarts;
    entry["wait_s"] = Distribution(group.waits);
    entry["jct_s"] = Distribution(group.completions);
    entry["wait_objective_s"] = trace.wait_objectives[c] > 0
                                    ? JsonNumber(ToSeconds(trace.wait_objectives[c]))
                                    : Json(nullptr);
    entry["slo_attainment"] = group.Attainment();
    class_list.push_back(std::move(entry));
  }
  run["classes"] = std::move(class_list);

  Json tenant_list = Json::array();
  for (size_t t = 0; t < tenants; ++t) {
    const Group& group = by_tenant[t];
    if (group.jobs == 0) continue;
    Json entry;
    entry["name"] = trace.tenant_paths[t];
    entry["jobs"] = group.jobs;
    entry["started"] = group.started;
    entry["rejected"] = group.rejected;
    entry["wait_s"] = Distribution(group.waits);
    entry["jct_s"] = Distribution(group.completions);
    entry["cost"] = JsonNumber(static_cast<double>(trace.tenant_cost[t]) / 1e6);
    entry["share_mean"] = JsonNumber(share_mean[t]);
    entry["entitlement"] = JsonNumber(trace.entitlement[t]);
    entry["fair_share_mean"] = JsonNumber(fair_mean[t]);
    entry["share_deviation"] = JsonNumber(share_mean[t] - fair_mean[t]);
    tenant_list.push_back(std::move(entry));
  }
  run["tenants"] = std::move(tenant_list);

  Json series;
  Json times = Json::array();
  for (size_t i = 0; i < steps; ++i) times.push_back(JsonNumber(ToSeconds(trace.step) * i));
  series["t_s"] = std::move(times);
  Json utilization = Json::array();
  for (const SampledSeries& sampled : trace.utilization) {
    // Resources the workload never asked for (cpu in a GPU-only trace) stay out.
    if (std::all_of(sampled.values.begin(), sampled.values.end(),
                    [](double value) { return value == 0; })) {
      continue;
    }
    size_t slash = sampled.name.rfind('/');
    utilization.push_back({{"pool", sampled.name.substr(0, slash)},
                           {"resource", sampled.name.substr(slash + 1)},
                           {"values", Values(sampled.values)}});
  }
  series["utilization"] = std::move(utilization);
  Json queue = Json::array();
  for (size_t c = 0; c < trace.queue_length.size(); ++c) {
    if (by_class[c].jobs == 0) continue;
    queue.push_back(
        {{"class", trace.queue_length[c].name}, {"values", Values(trace.queue_length[c].values)}});
  }
  series["queue_length"] = std::move(queue);
  series["gpu_arrived"] = Values(trace.gpu_arrived.values);
  series["gpu_allocated"] = Values(trace.gpu_allocated.values);
  series["fragmentation"] = Values(trace.fragmentation.values);
  Json spend = Json::array();
  for (const ReplayTrace::BudgetSeries& budget : trace.spend) {
    spend.push_back({{"budget", budget.budget},
                     {"unit", budget.unit},
                     {"limit", Values(budget.limit)},
                     {"spent", Values(budget.spent)}});
  }
  series["spend"] = std::move(spend);
  // The busiest leaf tenants' shares (by jobs, then name), at most kMaxShareSeries.
  std::vector<size_t> leaves;
  std::vector<size_t> share_index(tenants, 0);
  leaf = 0;
  for (size_t t = 0; t < tenants; ++t) {
    if (!trace.tenant_is_leaf[t]) continue;
    share_index[t] = leaf++;
    if (by_tenant[t].jobs > 0) leaves.push_back(t);
  }
  std::stable_sort(leaves.begin(), leaves.end(),
                   [&](size_t a, size_t b) { return by_tenant[a].jobs > by_tenant[b].jobs; });
  if (leaves.size() > kMaxShareSeries) leaves.resize(kMaxShareSeries);
  std::sort(leaves.begin(), leaves.end());
  Json shares = Json::array();
  for (size_t t : leaves) {
    shares.push_back({{"tenant", trace.tenant_paths[t]},
                      {"values", Values(trace.share[share_index[t]].values)}});
  }
  series["share"] = std::move(shares);
  run["series"] = std::move(series);

  Json cdf = Json::array();
  for (size_t c = 0; c < classes; ++c) {
    std::vector<double> waits = by_class[c].waits;
    if (waits.empty()) continue;
    std::sort(waits.begin(), waits.end());
    Json quantiles = Json::array();
    for (int q = 0; q <= 100; ++q) quantiles.push_back(JsonNumber(Percentile(waits, q / 100.0)));
    cdf.push_back({{"class", trace.class_names[c]}, {"wait_s", std::move(quantiles)}});
  }
  run["wait_cdf"] = std::move(cdf);

  Json events = Json::array();
  for (size_t i = 0; i < trace.budget_events.size() && i < kMaxBudgetEvents; ++i) {
    const ReplayTrace::BudgetEvent& event = trace.budget_events[i];
    events.push_back({{"t_s", JsonNumber(ToSeconds(event.at - trace.start))},
                      {"budget", event.budget},
                      {"kind", event.kind},
                      {"message", event.message}});
  }
  run["budget_events"] = std::move(events);
  run["fill"] = nullptr;
  return run;
}

}  // namespace allot
