#include <fmt/format.h>

#include <cmath>

#include "sim/html_report_parts.h"
#include "sim/svg_chart.h"

// The fill-experiment table and the budget events list.
namespace allot::report {
namespace {

constexpr size_t kMaxEventsPerRun = 50;
constexpr size_t kOpenEvents = 12;  // shorter lists are shown unfolded

std::string Cell(const std::string& text, bool number) {
  return fmt::format("<td{}>{}</td>", number ? " class=\"num\"" : "",
                     text.empty() ? "\u2014" : EscapeXml(text));
}

std::string PercentOrDash(double percent) {
  return std::isfinite(percent) ? FormatFixed(percent, 1) + "%" : "";
}

}  // namespace

std::string FillTable(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::string rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Json* fill = Find(runs[i], {"fill"});
    if (fill == nullptr || !fill->is_object()) continue;
    std::string seeds;
    for (double seed : NumbersAt(*fill, {"seeds"})) {
      seeds += (seeds.empty() ? "" : ", ") + FormatFixed(seed, 0);
    }
    std::string per_seed;
    for (double percent : NumbersAt(*fill, {"per_seed_at_100"})) {
      per_seed += (per_seed.empty() ? "" : ", ") + PercentOrDash(percent);
    }
    rows += "<tr>" + PolicyRowHeader(result, i, "");
    rows += Cell(seeds, false);
    rows += Cell(FormatSignificant(NumberAt(*fill, {"target_ratio"})), true);
    rows += Cell(PercentOrDash(NumberAt(*fill, {"allocated_at_100"})), true);
    rows += Cell(per_seed, false);
    rows += Cell(FormatCount(NumberAt(*fill, {"pods_submitted"})), true);
    rows += Cell(FormatCount(NumberAt(*fill, {"pods_failed"})), true);
    rows += "</tr>";
  }
  if (rows.empty()) return "";
  return "<div class=\"table-wrap\"><table><thead><tr><th>Policy</th><th>Seeds</th><th "
         "class=\"num\">Target ratio</th><th class=\"num\">Allocated at 100% arrived</th>"
         "<th>Per seed</th><th class=\"num\">Pods submitted</th><th class=\"num\">Pods "
         "failed</th></tr></thead><tbody>" +
         rows +
         "</tbody></table></div><p class=\"muted\">GPU allocated, in percent of capacity, when "
         "the GPU requested by arrived pods reaches 100% of capacity (mean over seeds); higher "
         "means less capacity lost to fragmentation.</p>";
}

std::string BudgetEvents(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::string rows;
  size_t total = 0;
  size_t shown = 0;
  for (size_t i = 0; i < runs.size(); ++i) {
    const Json& events = ArrayAt(runs[i], {"budget_events"});
    total += events.size();
    size_t limit = std::min(events.size(), kMaxEventsPerRun);
    for (size_t e = 0; e < limit; ++e) {
      const Json& event = events[e];
      rows += fmt::format("<tr><td>{} {}</td>", LegendKey(static_cast<int>(i), false),
                          EscapeXml(PolicyName(result, i)));
      rows += Cell(FormatDuration(NumberAt(event, {"t_s"})), true);
      rows += Cell(TextAt(event, {"budget"}), false);
      rows += Cell(TextAt(event, {"kind"}), false);
      rows +=
          fmt::format("<td class=\"message\">{}</td></tr>", EscapeXml(TextAt(event, {"message"})));
    }
    shown += limit;
    if (limit < events.size()) {
      rows += fmt::format(
          "<tr><td colspan=\"5\" class=\"muted\">\u2026 {} more events of {} not shown</td></tr>",
          events.size() - limit, EscapeXml(PolicyName(result, i)));
    }
  }
  if (total == 0) return "";
  std::string note = shown < total ? fmt::format(
                                         "{} of {} events shown (the first {} of each "
                                         "policy).",
                                         shown, total, kMaxEventsPerRun)
                                   : fmt::format("{} events.", total);
  // Long lists start folded; <details> needs no script.
  return fmt::format(
      "<details{}><summary>{} Time counts from the first arrival.</summary><div "
      "class=\"table-wrap\"><table><thead><tr><th>Policy</th><th class=\"num\">Time</th>"
      "<th>Budget</th><th>Kind</th><th>Message</th></tr></thead><tbody>{}</tbody></table></div>"
      "</details>",
      shown <= kOpenEvents ? " open=\"open\"" : "", EscapeXml(note), rows);
}

}  // namespace allot::report
