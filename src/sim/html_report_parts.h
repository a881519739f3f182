#pragma once

#include <cmath>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/report_json.h"
#include "sim/svg_chart.h"

// The sections of the HTML report (html_report.cc assembles them). Each takes
// the whole result.json and returns an HTML fragment, "" when it has nothing
// to show. Not for use outside src/sim/html_report*.cc.
namespace allot::report {

// Tables: html_report_tables.cc.
std::string InputsTable(const Json& result);
std::string PoliciesList(const Json& result);
std::string SummaryTable(const Json& result);
std::string ClassTable(const Json& result);
std::string TenantTable(const Json& result);
std::string FillTable(const Json& result);
std::string BudgetEvents(const Json& result);

// The row header cell of run `index`: its colour key and policy name, with
// data-policy="NAME" (the browser test checks these cells are in view).
// `attributes` go into the <th> (e.g. " rowspan=\"3\"").
std::string PolicyRowHeader(const Json& result, size_t index, const std::string& attributes);

// Charts, in page order: html_report_charts.cc (time series, with the wait
// CDF after the queues) and html_report_figures.cc (the rest).
std::string TimeSeriesCharts(const Json& result);
std::string WaitCdfChart(const Json& result);
std::string DistributionCharts(const Json& result);

// One chart figure: <figure class="chart" data-chart="id"> with a caption
// (title and one line on what to look at), an optional HTML legend and the
// SVG panels (several panels are laid out as small multiples).
struct Figure {
  std::string id;
  std::string title;
  std::string caption;
  std::string legend;  // HTML, may be empty
  std::vector<std::string> panels;
  // Why there is nothing to draw, said in place of the panels when there are
  // none ("Nothing to show: the config has no budgets.").
  std::string empty = "";
};
std::string RenderFigure(const Figure& figure);

// A chart with no data: the figure with its title and figure.empty in place
// of a blank plot, in a replay with runs; "" in fill mode (whose page has
// only the fill chart) or when there are no runs at all.
std::string NothingToShow(const Json& result, const Figure& figure);

// An HTML legend: one key per entry.
struct LegendEntry {
  std::string name;
  int colour = 0;
  bool dashed = false;
};
std::string HtmlLegend(const std::vector<LegendEntry>& entries);

// One entry per run: its policy in its colour (run i draws in colour i).
std::vector<LegendEntry> PolicyEntries(const Json& result);

// The policy name of run `index` ("policy N" when it has none).
std::string PolicyName(const Json& result, size_t index);

// When one policy's line peaks this many times higher than another's, a
// shared linear axis would flatten the smaller one: such charts turn to a log
// scale (ChartAxis::log_above_ratio) or give each panel its own scale.
inline constexpr double kDwarfRatio = 50;

// Small multiples beyond this many panels are left out (the caption says so).
inline constexpr size_t kMaxPanels = 12;

// One line of a per-key chart: the key picks the panel (a pool, a class).
struct KeyedLine {
  std::string key;
  std::vector<double> x;
  std::vector<double> y;
};

// Small multiples that overlay the runs: one panel per key (in order of first
// appearance, keys without data left out, at most kMaxPanels), one line per
// run in its policy's colour; `base` gives the axes. "" when no panel has data.
std::string PolicyMultiples(const Json& result, Figure figure, const LineChart& base,
                            const std::function<std::vector<KeyedLine>(const Json& run)>& lines);

// Sizes `charts` for their figure: one wide chart, or smaller panels.
void SizePanels(std::vector<LineChart>& charts);

// A linear axis labelled `label`; NaN bounds come from the data.
inline ChartAxis LinearAxis(std::string label, bool percent, double min = NAN, double max = NAN) {
  ChartAxis axis;
  axis.label = std::move(label);
  axis.percent = percent;
  axis.min = min;
  axis.max = max;
  return axis;
}

// True when `values` holds at least one finite number.
bool HasData(const std::vector<double>& values);

}  // namespace allot::report
