#include <fmt/format.h>

#include <cmath>

#include "sim/html_report_parts.h"
#include "sim/svg_chart.h"

namespace allot::report {
namespace {

constexpr size_t kMaxTenantRows = 200;

enum class Format { kCount, kDuration, kPercent, kRatio, kMoney, kPoints };

std::string FormatValue(double value, Format format, const std::string& currency) {
  if (!std::isfinite(value)) return "";
  switch (format) {
    case Format::kCount:
      return FormatCount(value);
    case Format::kDuration:
      return FormatDuration(value);
    case Format::kPercent:
      return FormatFixed(value * 100, 1) + "%";
    case Format::kRatio:
      return FormatFixed(value, 3);
    case Format::kPoints:
      return FormatFixed(value * 100, 1) + " pp";
    case Format::kMoney: {
      std::string amount = FormatFixed(value, 2);
      std::string whole = FormatCount(std::trunc(value));
      if (whole == "0" && value < 0) whole = "-0";
      return whole + amount.substr(amount.find('.')) + (currency.empty() ? "" : " " + currency);
    }
  }
  return "";
}

// A numeric cell; "—" when the value is not defined.
std::string NumberCell(double value, Format format, const std::string& currency,
                       const char* extra_class = "") {
  std::string text = FormatValue(value, format, currency);
  return fmt::format("<td class=\"num{}{}\">{}</td>", *extra_class ? " " : "", extra_class,
                     text.empty() ? "\u2014" : EscapeXml(text));
}

std::string Currency(const Json& result) { return TextAt(result, {"inputs", "currency"}); }

// The header cell of run `index`: its colour key and policy name.
std::string PolicyHeader(const Json& result, size_t index, const std::string& attributes) {
  return fmt::format("<th{}>{} {}</th>", attributes, LegendKey(static_cast<int>(index), false),
                     EscapeXml(PolicyName(result, index)));
}

std::string Wrap(const std::string& table) {
  return "<div class=\"table-wrap\"><table>" + table + "</table></div>";
}

const Json& EmptyObject() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

struct SummaryRow {
  const char* label;
  const char* key;
  const char* subkey;  // nullptr: the value is summary.key itself
  Format format;
  int better;  // +1 higher is better, -1 lower is better, 0 neither
};

}  // namespace

std::string InputsTable(const Json& result) {
  static const std::pair<const char*, const char*> kFields[] = {
      {"Config", "config"},   {"Trace", "trace"},         {"Format", "format"},
      {"Mode", "mode"},       {"Seed", "seed"},           {"Jobs", "jobs"},
      {"Skipped", "skipped"}, {"Reordered", "reordered"}, {"Currency", "currency"}};
  std::string items;
  for (const auto& [label, key] : kFields) {
    double number = NumberAt(result, {"inputs", key});
    bool count = std::isfinite(number) && std::string_view(key) != "seed";
    std::string text = count ? FormatCount(number) : TextAt(result, {"inputs", key});
    items += fmt::format("<div><dt>{}</dt><dd>{}</dd></div>", label,
                         text.empty() ? "\u2014" : EscapeXml(text));
  }
  return "<dl class=\"inputs\">" + items + "</dl>";
}

std::string PoliciesList(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  if (runs.empty()) return "<p class=\"muted\">No runs in this result.</p>";
  std::string out = "<ul class=\"policies\">";
  for (size_t i = 0; i < runs.size(); ++i) {
    std::string description = TextAt(runs[i], {"description"});
    out += fmt::format("<li>{} <strong>{}</strong>{}{}</li>", LegendKey(static_cast<int>(i), false),
                       EscapeXml(PolicyName(result, i)), description.empty() ? "" : " \u2014 ",
                       EscapeXml(description));
  }
  return out + "</ul>";
}

std::string SummaryTable(const Json& result) {
  static const SummaryRow kRows[] = {
      {"Jobs", "jobs", nullptr, Format::kCount, 0},
      {"Started", "started", nullptr, Format::kCount, 0},
      {"Finished", "finished", nullptr, Format::kCount, +1},
      {"Rejected", "rejected", nullptr, Format::kCount, -1},
      {"Unfinished", "unfinished", nullptr, Format::kCount, -1},
      {"Preemptions", "preemptions", nullptr, Format::kCount, -1},
      {"Makespan", "makespan_s", nullptr, Format::kDuration, -1},
      {"Wait p50", "wait_s", "p50", Format::kDuration, -1},
      {"Wait p95", "wait_s", "p95", Format::kDuration, -1},
      {"Wait p99", "wait_s", "p99", Format::kDuration, -1},
      {"JCT p50", "jct_s", "p50", Format::kDuration, -1},
      {"JCT p99", "jct_s", "p99", Format::kDuration, -1},
      {"Mean GPU utilisation", "gpu_utilization_mean", nullptr, Format::kPercent, +1},
      {"Mean fragmentation", "fragmentation_mean", nullptr, Format::kPercent, -1},
      {"Jain's fairness index", "jain_index", nullptr, Format::kRatio, +1},
      {"Cost", "cost", nullptr, Format::kMoney, 0},
      {"SLO attainment", "slo_attainment", nullptr, Format::kPercent, +1},
      {"Budget events", "budget_events", nullptr, Format::kCount, 0},
  };
  const Json& runs = ArrayAt(result, {"runs"});
  if (runs.empty()) return "";
  std::string out = "<thead><tr><th>Metric</th>";
  for (size_t i = 0; i < runs.size(); ++i) out += PolicyHeader(result, i, " class=\"num\"");
  out += "</tr></thead><tbody>";
  bool marked = false;
  for (const SummaryRow& row : kRows) {
    std::vector<double> values;
    for (const Json& run : runs) {
      values.push_back(row.subkey == nullptr ? NumberAt(run, {"summary", row.key})
                                             : NumberAt(run, {"summary", row.key, row.subkey}));
    }
    // The best value is marked when runs differ on a metric with a direction.
    double best = NAN;
    double worst = NAN;
    for (double value : values) {
      if (!std::isfinite(value)) continue;
      if (std::isnan(best) || value * row.better > best * row.better) best = value;
      if (std::isnan(worst) || value * row.better < worst * row.better) worst = value;
    }
    if (std::isnan(best)) continue;  // no run has this metric
    bool mark = row.better != 0 && runs.size() > 1 && best != worst;
    marked = marked || mark;
    out += fmt::format("<tr><th>{}</th>", EscapeXml(row.label));
    for (double value : values) {
      out += NumberCell(value, row.format, Currency(result), mark && value == best ? "best" : "");
    }
    out += "</tr>";
  }
  return Wrap(out + "</tbody>") +
         (marked ? "<p class=\"muted\">Bold green: the best policy on that row.</p>" : "");
}

std::string ClassTable(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::vector<std::string> names = UnionOfNames(runs, "classes", "name");
  if (names.empty()) return "";
  std::string out =
      "<thead><tr><th rowspan=\"2\">Class</th><th rowspan=\"2\" class=\"num\">Wait "
      "objective</th>";
  for (size_t i = 0; i < runs.size(); ++i) {
    out += PolicyHeader(result, i, " colspan=\"5\" class=\"group\"");
  }
  out += "</tr><tr>";
  for (size_t i = 0; i < runs.size(); ++i) {
    out +=
        "<th class=\"num first\">Jobs</th><th class=\"num\">Wait p50</th><th "
        "class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">SLO attained</th>";
  }
  out += "</tr></thead><tbody>";
  for (const std::string& name : names) {
    double objective = NAN;
    for (const Json& run : runs) {
      const Json* entry = FindNamed(run, "classes", "name", name);
      if (entry != nullptr && std::isnan(objective)) {
        objective = NumberAt(*entry, {"wait_objective_s"});
      }
    }
    out += fmt::format("<tr><th>{}</th>{}", EscapeXml(name),
                       NumberCell(objective, Format::kDuration, ""));
    for (const Json& run : runs) {
      const Json* entry = FindNamed(run, "classes", "name", name);
      const Json& row = entry != nullptr ? *entry : EmptyObject();
      out += NumberCell(NumberAt(row, {"jobs"}), Format::kCount, "", "first");
      for (const char* quantile : {"p50", "p95", "p99"}) {
        out += NumberCell(NumberAt(row, {"wait_s", quantile}), Format::kDuration, "");
      }
      out += NumberCell(NumberAt(row, {"slo_attainment"}), Format::kPercent, "");
    }
    out += "</tr>";
  }
  return Wrap(out + "</tbody>") +
         "<p class=\"muted\">SLO attained: the share of the class's jobs that started within its "
         "wait objective (\u2014: the class has no objective).</p>";
}

std::string TenantTable(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::vector<std::string> names = UnionOfNames(runs, "tenants", "name");
  if (names.empty()) return "";
  std::string currency = Currency(result);
  std::string out =
      "<thead><tr><th rowspan=\"2\">Tenant</th><th rowspan=\"2\" "
      "class=\"num\">Entitlement</th>";
  for (size_t i = 0; i < runs.size(); ++i) {
    out += PolicyHeader(result, i, " colspan=\"6\" class=\"group\"");
  }
  out += "</tr><tr>";
  for (size_t i = 0; i < runs.size(); ++i) {
    out +=
        "<th class=\"num first\">Jobs</th><th class=\"num\">Wait p50</th><th class=\"num\">Wait "
        "p99</th><th class=\"num\">Cost</th><th class=\"num\">Mean share</th><th "
        "class=\"num\">Deviation</th>";
  }
  out += "</tr></thead><tbody>";
  size_t shown = std::min(names.size(), kMaxTenantRows);
  for (size_t n = 0; n < shown; ++n) {
    double entitlement = NAN;
    for (const Json& run : runs) {
      const Json* entry = FindNamed(run, "tenants", "name", names[n]);
      if (entry != nullptr && std::isnan(entitlement)) {
        entitlement = NumberAt(*entry, {"entitlement"});
      }
    }
    out += fmt::format("<tr><th>{}</th>{}", EscapeXml(names[n]),
                       NumberCell(entitlement, Format::kPercent, ""));
    for (const Json& run : runs) {
      const Json* entry = FindNamed(run, "tenants", "name", names[n]);
      const Json& row = entry != nullptr ? *entry : EmptyObject();
      out += NumberCell(NumberAt(row, {"jobs"}), Format::kCount, "", "first");
      out += NumberCell(NumberAt(row, {"wait_s", "p50"}), Format::kDuration, "");
      out += NumberCell(NumberAt(row, {"wait_s", "p99"}), Format::kDuration, "");
      out += NumberCell(NumberAt(row, {"cost"}), Format::kMoney, currency);
      out += NumberCell(NumberAt(row, {"share_mean"}), Format::kPercent, "");
      out += NumberCell(NumberAt(row, {"share_deviation"}), Format::kPoints, "");
    }
    out += "</tr>";
  }
  std::string note =
      "Mean share: the tenant's time-weighted dominant share of the cluster; entitlement: its "
      "weight's share; deviation: mean share minus its mean weighted max-min fair share given "
      "the demand of the moment, in percentage points (pp): negative is under-served.";
  if (shown < names.size()) {
    note += fmt::format(" The first {} of {} tenants are shown.", shown, names.size());
  }
  return Wrap(out + "</tbody>") + "<p class=\"muted\">" + EscapeXml(note) + "</p>";
}

}  // namespace allot::report
