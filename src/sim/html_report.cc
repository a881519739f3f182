#include "sim/html_report.h"

#include <fmt/format.h>

#include "sim/html_report_parts.h"
#include "sim/svg_chart.h"

namespace allot {
namespace report {
namespace {

// A light page in the system's own fonts; no '<', '>' or '&' so that the
// style sheet is also well-formed XML text.
constexpr const char* kStyle = R"css(
:root { color-scheme: light; }
body { margin: 0; background: #f6f7f9; color: #1f2937;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26px; margin: 0 0 2px; }
h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #e5e7eb; }
p { margin: 6px 0; }
.subtitle, .muted { color: #6b7280; }
.table-wrap { display: inline-block; max-width: 100%; vertical-align: top; overflow-x: auto; background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; }
table { border-collapse: collapse; font-size: 14px; font-variant-numeric: tabular-nums; }
dl.inputs { display: flex; flex-wrap: wrap; gap: 8px; margin: 0; }
dl.inputs div { background: #fff; border: 1px solid #e5e7eb; border-radius: 8px; padding: 6px 12px; }
dl.inputs dt { font-size: 12px; color: #6b7280; }
dl.inputs dd { margin: 0; font-weight: 600; }
details summary { cursor: pointer; color: #374151; margin: 6px 0; }
th, td { padding: 5px 14px; border-bottom: 1px solid #eef0f3; text-align: left; white-space: nowrap; }
thead th { background: #f1f3f6; font-weight: 600; }
th.num, td.num { text-align: right; }
th.group { text-align: center; border-left: 1px solid #e5e7eb; }
td.first, th.first { border-left: 1px solid #e5e7eb; }
tbody tr:hover { background: #f9fafb; }
tbody th:first-child { position: sticky; left: 0; background: #fff; }
thead th:first-child { position: sticky; left: 0; }
td.best { font-weight: 700; color: #065f46; }
caption { text-align: left; font-weight: 600; padding: 7px 14px 3px; }
th.policy { font-weight: 600; }
thead th { white-space: normal; vertical-align: bottom; }
th[rowspan], td[rowspan] { vertical-align: top; }
tr.group-start th, tr.group-start td { border-top: 2px solid #e5e7eb; }
.summary { display: flex; flex-direction: column; align-items: flex-start; gap: 12px; }
td.message { white-space: normal; min-width: 240px; }
ul.policies { list-style: none; padding: 0; margin: 8px 0 12px; }
ul.policies li { margin: 2px 0; }
figure.chart { margin: 18px 0; padding: 14px 16px 10px; background: #fff;
  border: 1px solid #e5e7eb; border-radius: 8px; }
figure.chart figcaption { margin-bottom: 6px; }
figure.chart figcaption strong { display: block; font-size: 16px; }
figure.chart figcaption span { color: #4b5563; font-size: 14px; }
.panels { display: grid; gap: 10px 24px; grid-template-columns: repeat(auto-fit, minmax(440px, 1fr)); }
.panels svg { display: block; width: 100%; height: auto; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; color: #374151; margin: 2px 0 8px; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
svg.key { flex: none; }
p.empty-chart { color: #6b7280; font-style: italic; margin: 10px 0 6px; }
footer { margin-top: 40px; color: #9ca3af; font-size: 13px; }
)css";

}  // namespace

std::string RenderFigure(const Figure& figure) {
  std::string out = fmt::format(
      "<figure class=\"chart\" data-chart=\"{}\"><figcaption><strong>{}</strong><span>{}</span>"
      "</figcaption>",
      EscapeXml(figure.id), EscapeXml(figure.title), EscapeXml(figure.caption));
  if (figure.panels.empty()) {
    return out + fmt::format("<p class=\"empty-chart\">{}</p></figure>\n", EscapeXml(figure.empty));
  }
  out += figure.legend;
  out += "<div class=\"panels\">";
  for (const std::string& panel : figure.panels) out += panel;
  out += "</div></figure>\n";
  return out;
}

std::string NothingToShow(const Json& result, const Figure& figure) {
  if (ArrayAt(result, {"runs"}).empty() || TextAt(result, {"inputs", "mode"}) == "fill") return "";
  Figure empty = figure;
  empty.panels.clear();
  return RenderFigure(empty);
}

std::string HtmlLegend(const std::vector<LegendEntry>& entries) {
  std::string out = "<div class=\"legend\">";
  for (const LegendEntry& entry : entries) {
    out += fmt::format("<span>{}{}</span>", LegendKey(entry.colour, entry.dashed),
                       EscapeXml(entry.name));
  }
  out += "</div>";
  return out;
}

std::string PolicyName(const Json& result, size_t index) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::string name = index < runs.size() ? TextAt(runs[index], {"policy"}) : "";
  return name.empty() ? fmt::format("policy {}", index + 1) : name;
}

std::vector<LegendEntry> PolicyEntries(const Json& result) {
  std::vector<LegendEntry> entries;
  for (size_t i = 0; i < ArrayAt(result, {"runs"}).size(); ++i) {
    entries.push_back({PolicyName(result, i), static_cast<int>(i), false});
  }
  return entries;
}

}  // namespace report

std::string RenderHtmlReport(const Json& result) {
  using namespace report;  // NOLINT(google-build-using-namespace): the sections
  std::string trace = TextAt(result, {"inputs", "trace"});
  size_t runs = ArrayAt(result, {"runs"}).size();
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  out += fmt::format("<title>allot sim report{}{}</title>\n", trace.empty() ? "" : " \u2014 ",
                     EscapeXml(trace));
  out += fmt::format("<style>{}</style>\n</head>\n<body>\n<main>\n", kStyle);
  out += "<header><h1>allot sim report</h1>";
  out += fmt::format("<p class=\"subtitle\">{}{} mode, {} polic{}</p></header>\n",
                     trace.empty() ? "" : EscapeXml(trace) + " \u00b7 ",
                     EscapeXml(TextAt(result, {"inputs", "mode"})), runs, runs == 1 ? "y" : "ies");
  out += "<section id=\"inputs\"><h2>Inputs</h2>" + InputsTable(result) + "</section>\n";
  out += "<section id=\"summary\"><h2>Summary</h2>" + PoliciesList(result) + SummaryTable(result) +
         "</section>\n";
  std::string classes = ClassTable(result);
  if (!classes.empty()) {
    out += "<section id=\"classes\"><h2>Classes</h2>" + classes + "</section>\n";
  }
  std::string tenants = TenantTable(result);
  if (!tenants.empty()) {
    out += "<section id=\"tenants\"><h2>Tenants</h2>" + tenants + "</section>\n";
  }
  std::string fill = FillTable(result);
  if (!fill.empty()) {
    out += "<section id=\"fill\"><h2>Fill experiment</h2>" + fill + "</section>\n";
  }
  std::string charts = TimeSeriesCharts(result) + DistributionCharts(result);
  if (!charts.empty()) out += "<section id=\"charts\"><h2>Charts</h2>\n" + charts + "</section>\n";
  std::string events = BudgetEvents(result);
  if (!events.empty()) {
    out += "<section id=\"budget-events\"><h2>Budget events</h2>" + events + "</section>\n";
  }
  out +=
      "<footer>Written by allot sim. This page is self-contained: it needs no network. Hover "
      "over a chart to see each line's value at that time, or over a bar or dot to see its "
      "own.</footer>\n";
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace allot
