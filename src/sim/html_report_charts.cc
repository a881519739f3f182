#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/html_report_parts.h"

// The time-series charts: utilisation, queue length, GPU allocated vs
// arrived, fragmentation and spend against budget.
namespace allot::report {

bool HasData(const std::vector<double>& values) {
  return std::any_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); });
}

void SizePanels(std::vector<LineChart>& charts) {
  bool wide = charts.size() == 1;
  for (LineChart& chart : charts) {
    chart.width = wide ? 960 : 560;
    chart.height = wide ? 340 : 300;
  }
}

std::string PolicyMultiples(const Json& result, Figure figure, const LineChart& base,
                            const std::function<std::vector<KeyedLine>(const Json& run)>& lines) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::vector<std::vector<KeyedLine>> per_run;
  std::vector<std::string> keys;
  for (const Json& run : runs) {
    per_run.push_back(lines(run));
    for (const KeyedLine& line : per_run.back()) {
      if (HasData(line.y) && std::find(keys.begin(), keys.end(), line.key) == keys.end()) {
        keys.push_back(line.key);
      }
    }
  }
  if (keys.empty()) return NothingToShow(result, figure);
  if (keys.size() > kMaxPanels) {
    figure.caption += fmt::format(" The first {} of {} are shown.", kMaxPanels, keys.size());
    keys.resize(kMaxPanels);
  }
  std::vector<LineChart> charts;
  std::vector<bool> drawn(runs.size(), false);
  for (const std::string& key : keys) {
    LineChart chart = base;
    chart.title = key;
    chart.legend = false;
    for (size_t i = 0; i < per_run.size(); ++i) {
      for (const KeyedLine& line : per_run[i]) {
        if (line.key != key) continue;
        drawn[i] = drawn[i] || HasData(line.y);
        chart.series.push_back(
            {PolicyName(result, i), line.x, line.y, static_cast<int>(i), false, runs.size() == 1});
        break;
      }
    }
    charts.push_back(std::move(chart));
  }
  SizePanels(charts);
  for (const LineChart& chart : charts) figure.panels.push_back(RenderLineChart(chart));
  // The legend names the policies drawn in some panel, no others.
  std::vector<LegendEntry> entries;
  for (const LegendEntry& entry : PolicyEntries(result)) {
    if (drawn[static_cast<size_t>(entry.colour)]) entries.push_back(entry);
  }
  figure.legend = HtmlLegend(entries);
  return RenderFigure(figure);
}

namespace {

// The largest finite y of a chart's series (0 when none).
double Peak(const LineChart& chart) {
  double high = 0;
  for (const LineSeries& series : chart.series) {
    for (double y : series.y) {
      if (std::isfinite(y)) high = std::max(high, y);
    }
  }
  return high;
}

// Gives panels that compare policies on one quantity the same y range,
// unless one panel peaks more than kDwarfRatio times higher than another
// (the others would be flat lines): then each keeps its own range and the
// function returns false.
bool ShareYAxis(std::vector<LineChart>& charts) {
  double high = 0;
  double low = std::numeric_limits<double>::infinity();
  for (const LineChart& chart : charts) {
    double peak = Peak(chart);
    high = std::max(high, peak);
    if (peak > 0) low = std::min(low, peak);
  }
  if (std::isfinite(low) && high > low * kDwarfRatio) return false;
  double top = NiceTicks(0, high).high;
  for (LineChart& chart : charts) chart.y_axis.max = top;
  return true;
}

// The x axis of every time chart: one unit for the whole report.
struct TimeAxis {
  TimeUnit unit{"s", 1};
  ChartAxis axis;
  std::vector<double> Times(const Json& run) const {
    std::vector<double> times = NumbersAt(run, {"series", "t_s"});
    for (double& t : times) t /= unit.seconds;
    return times;
  }
};

TimeAxis MakeTimeAxis(const Json& runs) {
  double span = 0;
  for (const Json& run : runs) {
    for (double t : NumbersAt(run, {"series", "t_s"})) {
      if (std::isfinite(t)) span = std::max(span, t);
    }
  }
  TimeAxis time;
  time.unit = ChooseTimeUnit(span);
  time.axis.label = fmt::format("time since first arrival ({})", time.unit.name);
  time.axis.min = 0;
  time.axis.unit = time.unit.name;
  // Every time chart ends when the longest run ends.
  if (span > 0) time.axis.max = span / time.unit.seconds;
  return time;
}

// Lines from an array of {<key_field>: name, "values": [...]} under series.
std::vector<KeyedLine> NamedSeries(const Json& run, const TimeAxis& time, const char* array,
                                   const char* key_field) {
  std::vector<KeyedLine> lines;
  std::vector<double> times = time.Times(run);
  for (const Json& entry : ArrayAt(run, {"series", array})) {
    lines.push_back({TextAt(entry, {key_field}), times, NumbersAt(entry, {"values"})});
  }
  return lines;
}

std::string UtilizationChart(const Json& result, const TimeAxis& time) {
  LineChart base;
  base.x_axis = time.axis;
  base.y_axis = LinearAxis("utilisation", true, 0, 1);
  Figure figure{"utilization",
                "Utilisation over time",
                "Share of each pool's capacity in use (mean per step). Dips while jobs wait in "
                "the queue chart are capacity the policy left idle.",
                "",
                {},
                "Nothing to show: no run recorded the utilisation of a pool."};
  return PolicyMultiples(result, figure, base, [&time](const Json& run) {
    std::vector<KeyedLine> lines;
    std::vector<double> times = time.Times(run);
    for (const Json& entry : ArrayAt(run, {"series", "utilization"})) {
      std::string key = TextAt(entry, {"pool"}) + " \u00b7 " + TextAt(entry, {"resource"});
      lines.push_back({key, times, NumbersAt(entry, {"values"})});
    }
    return lines;
  });
}

std::string QueueChart(const Json& result, const TimeAxis& time) {
  LineChart base;
  base.x_axis = time.axis;
  base.y_axis.label = "jobs waiting";
  base.y_axis.unit = "jobs";
  base.y_axis.log_above_ratio = kDwarfRatio;
  base.step = true;
  Figure figure{"queue_length",
                "Queue length over time, per class",
                "Jobs waiting (mean per step). A queue that keeps growing is a class starved by "
                "the policy or a cluster short of capacity.",
                "",
                {},
                "Nothing to show: no run recorded queue lengths."};
  return PolicyMultiples(result, figure, base, [&time](const Json& run) {
    return NamedSeries(run, time, "queue_length", "class");
  });
}

// True when some run had a job asking for GPUs. Without one, the GPU charts
// would draw flat zero lines (a cluster of model slots, say): they say so
// instead.
bool AnyGpuDemand(const Json& result) {
  for (const Json& run : ArrayAt(result, {"runs"})) {
    for (double gpus : NumbersAt(run, {"series", "gpu_arrived"})) {
      if (gpus > 0) return true;
    }
  }
  return false;
}

constexpr const char* kNoGpuDemand = "Nothing to show: no job asked for GPUs.";

std::string FragmentationChart(const Json& result, const TimeAxis& time) {
  LineChart base;
  base.x_axis = time.axis;
  base.y_axis = LinearAxis("fragmentation", true);
  Figure figure{"fragmentation",
                "Fragmentation over time",
                "GPU capacity that is free but stranded on devices partly in use, as a share of "
                "all GPU capacity, at the end of each step; lower is better. Peaks that match "
                "queue build-ups mean jobs wait for capacity that is free but scattered.",
                "",
                {},
                "Nothing to show: no run recorded fragmentation (it is measured on GPUs)."};
  if (!AnyGpuDemand(result)) {
    figure.empty = kNoGpuDemand;
    return NothingToShow(result, figure);
  }
  return PolicyMultiples(result, figure, base, [&time](const Json& run) {
    return std::vector<KeyedLine>{
        {"", time.Times(run), NumbersAt(run, {"series", "fragmentation"})}};
  });
}

std::string DemandChart(const Json& result, const TimeAxis& time) {
  const Json& runs = ArrayAt(result, {"runs"});
  if (!AnyGpuDemand(result)) {
    return NothingToShow(
        result, {"gpu_allocated_arrived", "GPU allocated vs arrived", "", "", {}, kNoGpuDemand});
  }
  std::vector<LineChart> charts;
  for (size_t i = 0; i < runs.size(); ++i) {
    std::vector<double> arrived = NumbersAt(runs[i], {"series", "gpu_arrived"});
    std::vector<double> allocated = NumbersAt(runs[i], {"series", "gpu_allocated"});
    if (!HasData(arrived) && !HasData(allocated)) continue;
    LineChart chart;
    chart.title = PolicyName(result, i);
    chart.legend = false;
    chart.x_axis = time.axis;
    chart.y_axis.label = "GPUs";
    chart.y_axis.unit = "GPUs";
    int colour = static_cast<int>(i);
    chart.series.push_back({"allocated", time.Times(runs[i]), allocated, colour, false, true});
    chart.series.push_back({"arrived", time.Times(runs[i]), arrived, colour, true, false});
    charts.push_back(std::move(chart));
  }
  if (charts.empty()) {
    return NothingToShow(result, {"gpu_allocated_arrived",
                                  "GPU allocated vs arrived",
                                  "",
                                  "",
                                  {},
                                  "Nothing to show: no run recorded GPUs arrived or allocated."});
  }
  std::string caption =
      "GPUs asked for by the jobs present, waiting or running (dashed), against the GPUs held "
      "by running jobs (solid, shaded). The gap between them is demand left waiting.";
  if (charts.size() > kMaxPanels) {
    caption += fmt::format(" The first {} of {} are shown.", kMaxPanels, charts.size());
    charts.resize(kMaxPanels);
  }
  SizePanels(charts);
  if (!ShareYAxis(charts)) {
    caption += fmt::format(
        " Each panel has its own y scale: one policy's GPUs peak over {:g} times higher than "
        "another's.",
        kDwarfRatio);
  }
  Figure figure{"gpu_allocated_arrived", "GPU allocated vs arrived", caption, "", {}};
  for (const LineChart& chart : charts) figure.panels.push_back(RenderLineChart(chart));
  figure.legend = HtmlLegend({{"allocated", kColourBlack, false}, {"arrived", kColourBlack, true}});
  return RenderFigure(figure);
}

// True when two limit lines disagree at a time both have a value. Runs of
// one result share the sampling step, so sample i is the same time in both
// (a run that ends earlier simply has fewer samples).
bool LimitsDiffer(const LineSeries& a, const LineSeries& b) {
  size_t count = std::min({a.x.size(), a.y.size(), b.x.size(), b.y.size()});
  for (size_t i = 0; i < count; ++i) {
    if (a.x[i] != b.x[i] || !std::isfinite(a.y[i]) || !std::isfinite(b.y[i])) continue;
    if (std::abs(a.y[i] - b.y[i]) > 1e-9 * std::max(1.0, std::abs(a.y[i]))) return true;
  }
  return false;
}

// The last time at which `series` has a value (-inf when none).
double LastTime(const LineSeries& series) {
  double last = -std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < series.x.size() && i < series.y.size(); ++i) {
    if (std::isfinite(series.y[i])) last = std::max(last, series.x[i]);
  }
  return last;
}

std::string SpendChart(const Json& result, const TimeAxis& time) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::vector<std::string> budgets;
  for (const Json& run : runs) {
    for (const Json& entry : ArrayAt(run, {"series", "spend"})) {
      std::string name = TextAt(entry, {"budget"});
      if (std::find(budgets.begin(), budgets.end(), name) == budgets.end()) budgets.push_back(name);
    }
  }
  std::string currency = TextAt(result, {"inputs", "currency"});
  std::vector<LineChart> charts;
  for (const std::string& budget : budgets) {
    LineChart chart;
    chart.title = budget;
    chart.legend = false;
    chart.x_axis = time.axis;
    chart.y_axis.label = currency.empty() ? "spend" : "spend (" + currency + ")";
    chart.y_axis.log_above_ratio = kDwarfRatio;
    chart.y_axis.unit = currency;
    std::vector<LineSeries> limits;
    for (size_t i = 0; i < runs.size(); ++i) {
      const Json* entry = nullptr;
      for (const Json& candidate : ArrayAt(runs[i], {"series", "spend"})) {
        if (TextAt(candidate, {"budget"}) == budget) {
          entry = &candidate;
          break;
        }
      }
      if (entry == nullptr) continue;
      std::vector<double> times = time.Times(runs[i]);
      std::string policy = PolicyName(result, i);
      int colour = static_cast<int>(i);
      LineSeries limit{
          "limit (" + policy + ")", times, NumbersAt(*entry, {"limit"}), colour, true, false};
      if (HasData(limit.y)) limits.push_back(std::move(limit));
      LineSeries spent{policy, times, NumbersAt(*entry, {"spent"}), colour, false, false};
      if (HasData(spent.y)) chart.series.push_back(std::move(spent));
    }
    // A budget's limit comes from the config, so it is the same under every
    // policy: one black line, taken from the run that lasted longest (runs
    // that end earlier have fewer samples). Only limits that really differ at
    // the same time get a line per policy, each named in the legend.
    bool differ = false;
    for (size_t k = 1; k < limits.size(); ++k)
      differ = differ || LimitsDiffer(limits[0], limits[k]);
    if (!limits.empty() && !differ) {
      size_t longest = 0;
      for (size_t k = 1; k < limits.size(); ++k) {
        if (LastTime(limits[k]) > LastTime(limits[longest])) longest = k;
      }
      LineSeries limit = std::move(limits[longest]);
      limit.name = "limit";
      limit.colour = kColourBlack;
      chart.series.push_back(std::move(limit));
    } else {
      for (LineSeries& limit : limits) chart.series.push_back(std::move(limit));
    }
    if (!chart.series.empty()) charts.push_back(std::move(chart));
  }
  if (charts.empty()) {
    return NothingToShow(
        result, {"spend",
                 "Spend vs budget over time",
                 "",
                 "",
                 {},
                 budgets.empty() ? "Nothing to show: the config has no budgets."
                                 : "Nothing to show: no run recorded spend or a limit for its "
                                   "budgets."});
  }
  std::string caption =
      "Money spent (solid) against each budget's limit (dashed). Where a solid line meets its "
      "limit, the budget is spent and its jobs are held or rejected.";
  if (charts.size() > kMaxPanels) {
    caption += fmt::format(" The first {} of {} budgets are shown.", kMaxPanels, charts.size());
    charts.resize(kMaxPanels);
  }
  SizePanels(charts);
  Figure figure{"spend", "Spend vs budget over time", caption, "", {}};
  for (const LineChart& chart : charts) figure.panels.push_back(RenderLineChart(chart));
  // The legend names exactly the lines drawn: spend lines first, then limits,
  // each once, in run order (a line's colour is its run's index).
  std::vector<LegendEntry> entries;
  for (bool dashed : {false, true}) {
    for (int colour = kColourBlack; colour < static_cast<int>(runs.size()); ++colour) {
      for (const LineChart& chart : charts) {
        auto drawn = std::find_if(
            chart.series.begin(), chart.series.end(),
            [&](const LineSeries& line) { return line.dashed == dashed && line.colour == colour; });
        if (drawn == chart.series.end()) continue;
        entries.push_back({drawn->name, colour, dashed});
        break;
      }
    }
  }
  figure.legend = HtmlLegend(entries);
  return RenderFigure(figure);
}

}  // namespace

std::string TimeSeriesCharts(const Json& result) {
  TimeAxis time = MakeTimeAxis(ArrayAt(result, {"runs"}));
  return UtilizationChart(result, time) + QueueChart(result, time) + WaitCdfChart(result) +
         DemandChart(result, time) + FragmentationChart(result, time) + SpendChart(result, time);
}

}  // namespace allot::report
