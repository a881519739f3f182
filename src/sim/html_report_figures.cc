#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "sim/html_report_parts.h"

// The charts that are not over time: wait-time CDFs, share against
// entitlement and the fill experiment's curve.
namespace allot::report {
namespace {

constexpr size_t kMaxTenantBars = 24;

std::string ShareChart(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::vector<std::string> tenants = UnionOfNames(runs, "tenants", "name");
  BarChart chart;
  chart.width = 960;
  chart.x_label = "tenant";
  chart.y_axis = LinearAxis("share of the cluster", true);
  chart.reference.name = "entitlement";
  std::vector<double> entitlement(tenants.size(), NAN);
  std::vector<double> largest(tenants.size(), 0);  // for picking tenants to show
  for (size_t i = 0; i < runs.size(); ++i) {
    BarSeries series{PolicyName(result, i), {}, static_cast<int>(i)};
    for (size_t t = 0; t < tenants.size(); ++t) {
      const Json* entry = FindNamed(runs[i], "tenants", "name", tenants[t]);
      double share = entry != nullptr ? NumberAt(*entry, {"share_mean"}) : NAN;
      if (entry != nullptr && std::isnan(entitlement[t])) {
        entitlement[t] = NumberAt(*entry, {"entitlement"});
      }
      series.values.push_back(share);
      if (std::isfinite(share)) largest[t] = std::max(largest[t], share);
    }
    if (HasData(series.values)) chart.series.push_back(std::move(series));
  }
  if (chart.series.empty()) {
    return NothingToShow(result, {"share",
                                  "Share vs entitlement, per tenant",
                                  "",
                                  "",
                                  {},
                                  "Nothing to show: no run recorded a tenant's share."});
  }
  for (size_t t = 0; t < tenants.size(); ++t) {
    if (std::isfinite(entitlement[t])) largest[t] = std::max(largest[t], entitlement[t]);
  }
  // With many tenants, the largest (by share or entitlement) are kept, in
  // their original order.
  std::vector<size_t> keep(tenants.size());
  std::iota(keep.begin(), keep.end(), 0);
  std::string caption =
      "Each tenant's mean share of the cluster under each policy; the black tick is its "
      "entitlement. Bars far from their tick are tenants served more or less than their due.";
  if (keep.size() > kMaxTenantBars) {
    std::stable_sort(keep.begin(), keep.end(),
                     [&](size_t a, size_t b) { return largest[a] > largest[b]; });
    keep.resize(kMaxTenantBars);
    std::sort(keep.begin(), keep.end());
    caption += fmt::format(" The {} largest of {} tenants are shown.", keep.size(), tenants.size());
  }
  for (size_t t : keep) {
    chart.categories.push_back(tenants[t]);
    chart.reference.values.push_back(entitlement[t]);
  }
  for (BarSeries& series : chart.series) {
    std::vector<double> kept;
    for (size_t t : keep) kept.push_back(series.values[t]);
    series.values = std::move(kept);
  }
  if (!HasData(chart.reference.values)) chart.reference.values.clear();
  Figure figure{"share", "Share vs entitlement, per tenant", caption, "", {RenderBarChart(chart)}};
  return RenderFigure(figure);
}

std::string FillChart(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  LineChart chart;
  chart.width = 960;
  chart.height = 400;
  chart.legend = false;
  chart.x_axis = LinearAxis("GPU requested by arrived pods (% of capacity)", false);
  chart.y_axis = LinearAxis("GPU allocated (% of capacity)", false);
  chart.x_axis.unit = "% arrived";
  chart.y_axis.unit = "% allocated";
  double right = 100;
  size_t drawn = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Json* fill = Find(runs[i], {"fill"});
    if (fill == nullptr) continue;
    std::vector<double> arrived = NumbersAt(*fill, {"curve", "arrived_pct"});
    std::vector<double> allocated = NumbersAt(*fill, {"curve", "allocated_pct"});
    if (!HasData(allocated)) continue;
    for (double x : arrived) {
      if (std::isfinite(x)) right = std::max(right, x);
    }
    std::string policy = PolicyName(result, i);
    chart.series.push_back({policy, arrived, allocated, static_cast<int>(i), false, false});
    double at_100 = NumberAt(*fill, {"allocated_at_100"});
    std::string label = runs.size() > 1 ? policy + ": " + FormatFixed(at_100, 1) + "%"
                                        : FormatFixed(at_100, 1) + "% at 100% arrived";
    chart.markers.push_back({100, at_100, label, static_cast<int>(i)});
    ++drawn;
  }
  if (drawn == 0) {
    // The mirror of NothingToShow: in fill mode this is the chart to show.
    if (runs.empty() || TextAt(result, {"inputs", "mode"}) != "fill") return "";
    return RenderFigure({"fill",
                         "Fill experiment: GPU allocated vs arrived",
                         "",
                         "",
                         {},
                         "Nothing to show: no run has a fill curve."});
  }
  chart.series.insert(chart.series.begin(),
                      {"y = x", {0, right}, {0, right}, kColourGrey, true, false});
  for (int percent = 0; percent <= right + 1e-9; percent += 10) {
    chart.x_axis.ticks.push_back({static_cast<double>(percent), fmt::format("{}%", percent)});
    chart.y_axis.ticks.push_back({static_cast<double>(percent), fmt::format("{}%", percent)});
  }
  chart.x_axis.max = right;
  chart.y_axis.max = right;
  std::vector<LegendEntry> entries = PolicyEntries(result);
  entries.push_back({"y = x (nothing lost to fragmentation)", kColourGrey, true});
  Figure figure{"fill",
                "Fill experiment: GPU allocated vs arrived",
                "As pods arrive, the GPU allocated follows y = x until fragmentation bites; the "
                "gap below the dashed line is capacity lost. The dot marks the allocation when "
                "requests reach 100% of capacity.",
                HtmlLegend(entries),
                {RenderLineChart(chart)}};
  return RenderFigure(figure);
}

}  // namespace

std::string WaitCdfChart(const Json& result) {
  constexpr double kWaitFloorSeconds = 1;
  LineChart base;
  base.x_axis.label = "wait (log scale; waits under 1 s drawn at 1 s)";
  base.x_axis.scale = AxisScale::kLog;
  base.x_axis.log_floor = kWaitFloorSeconds;
  base.x_axis.unit = "s";
  base.x_axis.min = kWaitFloorSeconds;
  base.x_axis.ticks = {{1, "1 s"},          {10, "10 s"},        {60, "1 min"},
                       {600, "10 min"},     {3600, "1 h"},       {6 * 3600, "6 h"},
                       {86400, "1 d"},      {7 * 86400, "1 wk"}, {30 * 86400, "30 d"},
                       {365 * 86400, "1 y"}};
  base.y_axis = LinearAxis("jobs that waited at most x", true, 0, 1);
  Figure figure{"wait_cdf",
                "Wait-time distribution (CDF), per class",
                "Share of each class's jobs that waited at most x. Up and to the left is "
                "better; the height at 1 s is the share that started (almost) at once.",
                "",
                {},
                "Nothing to show: no job started in any run, so there are no waits."};
  return PolicyMultiples(result, figure, base, [](const Json& run) {
    std::vector<KeyedLine> lines;
    for (const Json& entry : ArrayAt(run, {"wait_cdf"})) {
      std::vector<double> waits = NumbersAt(entry, {"wait_s"});
      // Entry i of n quantiles is the (i / (n - 1))-th quantile.
      std::vector<double> fractions(waits.size());
      for (size_t i = 0; i < waits.size(); ++i) {
        fractions[i] = waits.size() > 1 ? static_cast<double>(i) / (waits.size() - 1) : 1.0;
        if (!std::isfinite(waits[i])) fractions[i] = NAN;
      }
      lines.push_back({TextAt(entry, {"class"}), std::move(waits), std::move(fractions)});
    }
    return lines;
  });
}

std::string DistributionCharts(const Json& result) {
  return ShareChart(result) + FillChart(result);
}

}  // namespace allot::report
