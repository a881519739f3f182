#include "sim/testing/sample_result.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <string>
#include <vector>

namespace allot::testing {
namespace {

// A repeatable value in [0, 1) from `key` (SplitMix64's finaliser).
double Noise(uint64_t key) {
  key += 0x9e3779b97f4a7c15ULL;
  key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ULL;
  key = (key ^ (key >> 27)) * 0x94d049bb133111ebULL;
  key ^= key >> 31;
  return static_cast<double>(key >> 11) / 9007199254740992.0;
}

constexpr double kCapacityGpu = 600;
const char* const kPolicies[] = {"fair_share", "fifo", "drf", "priority", "backfill"};

const char* const kLongPolicies[] = {"fair_share+frag_aware/host_aware",
                                     "priority+frag_aware/fgd",
                                     "fifo+best_fit",
                                     "fair_share+best_fit",
                                     "priority+first_fit",
                                     "fifo+frag_aware/host_aware",
                                     "fair_share+frag_aware/fgd",
                                     "priority+best_fit"};

std::string PolicyName(const SampleOptions& options, size_t p) {
  if (options.long_policy_names && p < std::size(kLongPolicies)) return kLongPolicies[p];
  return p < std::size(kPolicies) ? kPolicies[p] : fmt::format("policy_{}", p);
}

Json Stats(double scale) {
  return {{"count", 1000},      {"mean", scale * 0.8}, {"p50", scale * 0.3},
          {"p95", scale * 2.5}, {"p99", scale * 6},    {"max", scale * 20}};
}

struct Names {
  std::vector<std::string> classes = {"interactive", "batch", "best-effort"};
  std::vector<std::string> budgets = {"team-a-monthly", "team-b-monthly", "research-quarterly"};
  std::vector<std::pair<std::string, std::string>> pools = {
      {"v100", "gpu"}, {"p100", "gpu"}, {"k80", "gpu"}};
  std::vector<std::string> tenants;
};

Names MakeNames(const SampleOptions& options) {
  Names names;
  for (size_t t = 0; t < options.tenants; ++t) {
    names.tenants.push_back(
        fmt::format("vc/{:06x}", static_cast<uint32_t>(Noise(t + 77) * 0xffffff)));
  }
  if (options.hostile_names) {
    names.classes[1] = "batch<script>";
    names.budgets[1] = "a&b <limit>";
    names.pools[1].first = "p100 \"<&>\"";
    if (!names.tenants.empty()) names.tenants[0] = "<team & \"co\">'s";
  }
  return names;
}

// The wait quantiles (0% to 100%) of class `c` under policy `p`.
std::vector<double> WaitQuantiles(size_t c, size_t p) {
  static const double kZeroPercent[] = {40, 20, 5};
  static const double kScale[] = {5, 60, 300};
  double zero = kZeroPercent[c % 3];
  double scale = kScale[c % 3] * (1 + 0.6 * static_cast<double>(p));
  std::vector<double> quantiles;
  for (int q = 0; q <= 100; ++q) {
    quantiles.push_back(q < zero ? 0.0 : scale * std::pow(10.0, 3.0 * (q - zero) / (100 - zero)));
  }
  return quantiles;
}

Json Run(const SampleOptions& options, const Names& names, size_t p) {
  double policy = static_cast<double>(p);
  double efficiency = 0.95 - 0.04 * policy;
  Json t_s = Json::array(), arrived = Json::array(), allocated = Json::array(),
       fragmentation = Json::array();
  std::vector<Json> utilization(names.pools.size(), Json::array());
  std::vector<Json> queues(names.classes.size(), Json::array());
  std::vector<Json> spent(names.budgets.size(), Json::array());
  std::vector<Json> limits(names.budgets.size(), Json::array());
  std::vector<Json> shares(names.tenants.size(), Json::array());
  std::vector<double> spend_so_far(names.budgets.size(), 0);
  for (size_t i = 0; i < options.steps; ++i) {
    double t = static_cast<double>(i) * options.step_s;
    double week = std::sin(2 * std::numbers::pi * t / (7 * 86400));
    double day = std::sin(2 * std::numbers::pi * t / 86400);
    bool burst = (i / 50) % 7 == 3;
    double demand = 420 + 160 * week + 90 * day + 50 * Noise(i) + (burst ? 260 : 0);
    demand *= 1 + 0.04 * policy;
    double held = std::min(demand, kCapacityGpu * efficiency - 20 * Noise(i + 9000));
    t_s.push_back(t);
    arrived.push_back(demand);
    allocated.push_back(held);
    if (p == 0 && i >= options.steps / 5 && i < options.steps / 5 + 12) {
      fragmentation.push_back(nullptr);  // a gap: no sample
    } else {
      fragmentation.push_back(0.02 + 0.025 * policy + 0.03 * Noise(i * 7 + p) +
                              (held > 0.9 * kCapacityGpu * efficiency ? 0.04 : 0));
    }
    for (size_t u = 0; u < names.pools.size(); ++u) {
      double level = held / kCapacityGpu * (1.05 - 0.12 * static_cast<double>(u));
      utilization[u].push_back(std::clamp(level + 0.04 * Noise(i * 31 + u), 0.0, 1.0));
    }
    for (size_t c = 0; c < names.classes.size(); ++c) {
      double backlog = std::max(0.0, demand - held) / (2.0 + static_cast<double>(c));
      queues[c].push_back(std::round(backlog * (0.5 + 0.5 * Noise(i * 13 + c))));
    }
    for (size_t b = 0; b < names.budgets.size(); ++b) {
      double period = b == 2 ? 90 * 86400 : 30 * 86400;
      double limit = 500.0 * static_cast<double>(b + 1) * (b == 2 ? 3 : 1);
      if (i > 0 && std::fmod(t, period) < options.step_s) spend_so_far[b] = 0;
      double rate = held * 0.0012 * (1 + 0.3 * policy) * (1 + 0.5 * static_cast<double>(b));
      spend_so_far[b] = std::min(limit, spend_so_far[b] + rate * options.step_s / 3600);
      limits[b].push_back(limit);
      spent[b].push_back(spend_so_far[b]);
    }
    for (size_t n = 0; n < names.tenants.size(); ++n) {
      shares[n].push_back(0.5 / static_cast<double>(names.tenants.size()) +
                          0.2 * Noise(i * 101 + n) / static_cast<double>(names.tenants.size()));
    }
  }
  Json series = {{"t_s", t_s}};
  series["utilization"] = Json::array();
  for (size_t u = 0; u < names.pools.size(); ++u) {
    series["utilization"].push_back({{"pool", names.pools[u].first},
                                     {"resource", names.pools[u].second},
                                     {"values", utilization[u]}});
  }
  series["queue_length"] = Json::array();
  for (size_t c = 0; c < names.classes.size(); ++c) {
    series["queue_length"].push_back({{"class", names.classes[c]}, {"values", queues[c]}});
  }
  series["gpu_arrived"] = arrived;
  series["gpu_allocated"] = allocated;
  series["fragmentation"] = fragmentation;
  series["spend"] = Json::array();
  for (size_t b = 0; b < names.budgets.size(); ++b) {
    series["spend"].push_back(
        {{"budget", names.budgets[b]}, {"limit", limits[b]}, {"spent", spent[b]}});
  }
  series["share"] = Json::array();
  for (size_t n = 0; n < names.tenants.size(); ++n) {
    series["share"].push_back({{"tenant", names.tenants[n]}, {"values", shares[n]}});
  }

  Json classes = Json::array(), wait_cdf = Json::array();
  for (size_t c = 0; c < names.classes.size(); ++c) {
    std::vector<double> quantiles = WaitQuantiles(c, p);
    double objective = c == 0 ? 600 : c == 1 ? 4 * 3600 : NAN;
    Json wait = {{"count", 1000},        {"mean", quantiles[60]}, {"p50", quantiles[50]},
                 {"p95", quantiles[95]}, {"p99", quantiles[99]},  {"max", quantiles[100]}};
    double attained = static_cast<double>(std::count_if(quantiles.begin(), quantiles.end(),
                                                        [&](double w) { return w <= objective; })) /
                      101.0;
    classes.push_back({{"name", names.classes[c]},
                       {"jobs", 1000 * (c + 1)},
                       {"started", 1000 * (c + 1)},
                       {"rejected", c == 2 ? 12 : 0},
                       {"preempted", c == 2 ? 40 : 0},
                       {"wait_s", wait},
                       {"jct_s", Stats(7200)},
                       {"wait_objective_s", std::isnan(objective) ? Json() : Json(objective)},
                       {"slo_attainment", std::isnan(objective) ? Json() : Json(attained)}});
    Json cdf = {{"class", names.classes[c]}, {"wait_s", quantiles}};
    if (p == 1 && c == 2) cdf["wait_s"] = nullptr;  // a class without samples
    wait_cdf.push_back(cdf);
  }
  Json tenants = Json::array();
  double weights = 0;
  for (size_t n = 0; n < names.tenants.size(); ++n) weights += 1 + static_cast<double>(n % 4);
  for (size_t n = 0; n < names.tenants.size(); ++n) {
    double entitlement = (1 + static_cast<double>(n % 4)) / weights;
    double share = entitlement * (0.7 + 0.6 * Noise(n * 17 + p * 1000));
    tenants.push_back({{"name", names.tenants[n]},
                       {"jobs", 500 + 37 * n},
                       {"started", 500 + 37 * n},
                       {"rejected", 0},
                       {"wait_s", Stats(300 * (1 + policy))},
                       {"jct_s", Stats(7200)},
                       {"cost", 120.5 * static_cast<double>(n + 1)},
                       {"share_mean", share},
                       {"entitlement", entitlement},
                       {"share_deviation", std::abs(share - entitlement)}});
  }
  Json events = Json::array();
  size_t event_count = p == 0 ? options.budget_events : 3;
  for (size_t e = 0; e < event_count; ++e) {
    const std::string& budget = names.budgets[e % names.budgets.size()];
    const char* kind = e % 3 == 0 ? "threshold" : e % 3 == 1 ? "exhausted" : "reset";
    events.push_back({{"t_s", 3600.0 * static_cast<double>(e * 17 + 5)},
                      {"budget", budget},
                      {"kind", kind},
                      {"message", fmt::format("{} {} (event {})", budget, kind, e)}});
  }
  double cost = 12345.67 * (1 + 0.2 * policy);
  Json summary = {{"jobs", 82247},
                  {"started", 82247 - 10 * p},
                  {"finished", 82000 - 300 * p},
                  {"rejected", 10 * p},
                  {"unfinished", 247 + 290 * p},
                  {"preemptions", 12 + 40 * p},
                  {"makespan_s", 9123456.0 + 86400.0 * policy},
                  {"wait_s", Stats(60 * (1 + policy))},
                  {"jct_s", Stats(7200 * (1 + 0.1 * policy))},
                  {"gpu_utilization_mean", 0.73 - 0.05 * policy},
                  {"fragmentation_mean", 0.04 + 0.02 * policy},
                  {"jain_index", 0.91 - 0.08 * policy},
                  {"cost", cost},
                  {"slo_attainment", p == 2 ? Json() : Json(0.97 - 0.06 * policy)},
                  {"budget_events", event_count}};
  std::string description =
      options.hostile_names && p == 0
          ? "classes by \"priority\" & tenants <weighted> 'fair' share"
          : fmt::format("sample policy {}: made-up numbers for the report's tests", p + 1);
  return {{"policy", PolicyName(options, p)},
          {"description", description},
          {"summary", summary},
          {"classes", classes},
          {"tenants", tenants},
          {"series", series},
          {"wait_cdf", wait_cdf},
          {"budget_events", events},
          {"fill", nullptr}};
}

}  // namespace

Json SampleReplayResult(const SampleOptions& options) {
  Names names = MakeNames(options);
  Json inputs = {{"config", "examples/sim/philly.yaml"},
                 {"trace", options.hostile_names ? "philly <&\"'>.csv" : "philly.csv"},
                 {"format", "philly"},
                 {"mode", "replay"},
                 {"seed", 42},
                 {"jobs", 82247},
                 {"skipped", 0},
                 {"reordered", 44878},
                 {"currency", "USD"}};
  Json runs = Json::array();
  for (size_t p = 0; p < options.policies; ++p) runs.push_back(Run(options, names, p));
  return {{"allot_sim", 1}, {"inputs", inputs}, {"runs", runs}};
}

Json SampleFillResult(size_t policies) {
  Json inputs = {{"config", "examples/sim/alibaba.yaml"},
                 {"trace", "openb_pod_list_default.csv"},
                 {"format", "alibaba"},
                 {"mode", "fill"},
                 {"seed", 42},
                 {"jobs", 8152},
                 {"skipped", 0},
                 {"reordered", 0},
                 {"currency", "USD"}};
  Json runs = Json::array();
  for (size_t p = 0; p < policies; ++p) {
    // Allocation follows arrival until ~70%, then bends under fragmentation.
    double knee = 68 + 6 * static_cast<double>(p);
    Json arrived = Json::array(), allocated = Json::array();
    double at_100 = NAN;
    for (int x = 0; x <= 130; ++x) {
      double over = std::max(0.0, x - knee);
      double y = std::min(x - 0.012 * over * over, 97.0 - 3 * static_cast<double>(p));
      arrived.push_back(x);
      allocated.push_back(x == 3 || x == 57 ? Json() : Json(y));
      if (x == 100) at_100 = y;
    }
    Json fill = {{"seeds", {42, 43, 44}},
                 {"target_ratio", 1.3},
                 {"allocated_at_100", at_100},
                 {"per_seed_at_100", {at_100 - 0.3, at_100 + 0.2, at_100 + 0.1}},
                 {"curve", {{"arrived_pct", arrived}, {"allocated_pct", allocated}}},
                 {"pods_submitted", 10700},
                 {"pods_failed", 800 - 150 * p}};
    runs.push_back({{"policy", p == 0 ? "best_fit" : "frag_aware"},
                    {"description", "placement for the fill experiment"},
                    {"summary", {{"jobs", 10700}, {"started", 9900}, {"rejected", 800}}},
                    {"classes", Json::array()},
                    {"tenants", Json::array()},
                    {"series", Json::object()},
                    {"wait_cdf", Json::array()},
                    {"budget_events", Json::array()},
                    {"fill", fill}});
  }
  return {{"allot_sim", 1}, {"inputs", inputs}, {"runs", runs}};
}

}  // namespace allot::testing
