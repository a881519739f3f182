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

// `cell` ("<td ...>") with `span` (" rowspan=\"N\"") added to its attributes.
std::string SpanRows(std::string cell, const std::string& span) { return cell.insert(3, span); }

std::string Wrap(const std::string& table) {
  return "<div class=\"table-wrap\"><table>" + table + "</table></div>";
}

const Json& EmptyObject() {
  static const Json kEmpty = Json::object();
  return kEmpty;
}

struct SummaryMetric {
  const char* label;
  const char* key;
  const char* subkey;  // nullptr: the value is summary.key itself
  Format format;
  int better;  // +1 higher is better, -1 lower is better, 0 neither
};

// The summary's metrics in three tables of at most six columns, so that a
// table with one row per policy fits a 1280-pixel window whatever the number
// of policies.
struct SummaryGroup {
  const char* title;
  std::vector<SummaryMetric> metrics;
};

// One metric's column: the value of each run and which are the best.
struct SummaryColumn {
  const SummaryMetric* metric;
  std::vector<double> values;
  double best = NAN;
  bool mark = false;  // runs differ on a metric with a direction
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

std::string PolicyRowHeader(const Json& result, size_t index, const std::string& attributes) {
  std::string name = PolicyName(result, index);
  return fmt::format("<th class=\"policy\" data-policy=\"{}\"{}>{} {}</th>", EscapeXml(name),
                     attributes, LegendKey(static_cast<int>(index), false), EscapeXml(name));
}

std::string SummaryTable(const Json& result) {
  static const SummaryGroup kGroups[] = {
      {"Jobs",
       {{"Jobs", "jobs", nullptr, Format::kCount, 0},
        {"Started", "started", nullptr, Format::kCount, 0},
        {"Finished", "finished", nullptr, Format::kCount, +1},
        {"Rejected", "rejected", nullptr, Format::kCount, -1},
        {"Unfinished", "unfinished", nullptr, Format::kCount, -1},
        {"Preemptions", "preemptions", nullptr, Format::kCount, -1}}},
      {"Waits and completion times",
       {{"Makespan", "makespan_s", nullptr, Format::kDuration, -1},
        {"Wait p50", "wait_s", "p50", Format::kDuration, -1},
        {"Wait p95", "wait_s", "p95", Format::kDuration, -1},
        {"Wait p99", "wait_s", "p99", Format::kDuration, -1},
        {"JCT p50", "jct_s", "p50", Format::kDuration, -1},
        {"JCT p99", "jct_s", "p99", Format::kDuration, -1}}},
      {"Cluster, fairness and cost",
       {{"Mean GPU utilisation", "gpu_utilization_mean", nullptr, Format::kPercent, +1},
        {"Mean fragmentation", "fragmentation_mean", nullptr, Format::kPercent, -1},
        {"Jain's fairness index", "jain_index", nullptr, Format::kRatio, +1},
        {"Cost", "cost", nullptr, Format::kMoney, 0},
        {"SLO attainment", "slo_attainment", nullptr, Format::kPercent, +1},
        {"Budget events", "budget_events", nullptr, Format::kCount, 0}}},
  };
  const Json& runs = ArrayAt(result, {"runs"});
  if (runs.empty()) return "";
  std::string currency = Currency(result);
  std::string out;
  bool marked = false;
  for (const SummaryGroup& group : kGroups) {
    std::vector<SummaryColumn> columns;
    for (const SummaryMetric& metric : group.metrics) {
      SummaryColumn column{&metric, {}};
      for (const Json& run : runs) {
        column.values.push_back(metric.subkey == nullptr
                                    ? NumberAt(run, {"summary", metric.key})
                                    : NumberAt(run, {"summary", metric.key, metric.subkey}));
      }
      // The best value is marked when runs differ on a metric with a direction.
      double worst = NAN;
      for (double value : column.values) {
        if (!std::isfinite(value)) continue;
        if (std::isnan(column.best) || value * metric.better > column.best * metric.better) {
          column.best = value;
        }
        if (std::isnan(worst) || value * metric.better < worst * metric.better) worst = value;
      }
      if (std::isnan(column.best)) continue;  // no run has this metric
      column.mark = metric.better != 0 && runs.size() > 1 && column.best != worst;
      marked = marked || column.mark;
      columns.push_back(std::move(column));
    }
    if (columns.empty()) continue;
    std::string table =
        fmt::format("<caption>{}</caption><thead><tr><th>Policy</th>", EscapeXml(group.title));
    for (const SummaryColumn& column : columns) {
      table += fmt::format("<th class=\"num\">{}</th>", EscapeXml(column.metric->label));
    }
    table += "</tr></thead><tbody>";
    for (size_t i = 0; i < runs.size(); ++i) {
      table += "<tr>" + PolicyRowHeader(result, i, "");
      for (const SummaryColumn& column : columns) {
        bool best = column.mark && column.values[i] == column.best;
        table += NumberCell(column.values[i], column.metric->format, currency, best ? "best" : "");
      }
      table += "</tr>";
    }
    out += Wrap(table + "</tbody>");
  }
  return "<div class=\"summary\">" + out + "</div>" +
         (marked ? "<p class=\"muted\">Bold green: the best policy in that column.</p>" : "");
}

std::string ClassTable(const Json& result) {
  const Json& runs = ArrayAt(result, {"runs"});
  std::vector<std::string> names = UnionOfNames(runs, "classes", "name");
  if (names.empty()) return "";
  // One row per class and policy, the class's cells spanning its policies,
  // so that the table is as wide for ten policies as for one.
  std::string out =
      "<thead><tr><th>Class</th><th class=\"num\">Wait objective</th><th>Policy</th><th "
      "class=\"num\">Jobs</th><th class=\"num\">Wait p50</th><th class=\"num\">Wait p95</th><th "
      "class=\"num\">Wait p99</th><th class=\"num\">SLO attained</th></tr></thead><tbody>";
  std::string span = fmt::format(" rowspan=\"{}\"", runs.size());
  for (const std::string& name : names) {
    double objective = NAN;
    for (const Json& run : runs) {
      const Json* entry = FindNamed(run, "classes", "name", name);
      if (entry != nullptr && std::isnan(objective)) {
        objective = NumberAt(*entry, {"wait_objective_s"});
      }
    }
    for (size_t i = 0; i < runs.size(); ++i) {
      const Json* entry = FindNamed(runs[i], "classes", "name", name);
      const Json& row = entry != nullptr ? *entry : EmptyObject();
      if (i == 0) {
        out += fmt::format("<tr class=\"group-start\"><th{}>{}</th>{}{}", span, EscapeXml(name),
                           SpanRows(NumberCell(objective, Format::kDuration, ""), span),
                           PolicyRowHeader(result, i, ""));
      } else {
        out += "<tr>" + PolicyRowHeader(result, i, "");
      }
      out += NumberCell(NumberAt(row, {"jobs"}), Format::kCount, "");
      for (const char* quantile : {"p50", "p95", "p99"}) {
        out += NumberCell(NumberAt(row, {"wait_s", quantile}), Format::kDuration, "");
      }
      out += NumberCell(NumberAt(row, {"slo_attainment"}), Format::kPercent, "");
      out += "</tr>";
    }
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
  // One row per tenant and policy, as in the class table.
  std::string out =
      "<thead><tr><th>Tenant</th><th class=\"num\">Entitlement</th><th>Policy</th><th "
      "class=\"num\">Jobs</th><th class=\"num\">Wait p50</th><th class=\"num\">Wait p99</th><th "
      "class=\"num\">Cost</th><th class=\"num\">Mean share</th><th "
      "class=\"num\">Deviation</th></tr></thead><tbody>";
  std::string span = fmt::format(" rowspan=\"{}\"", runs.size());
  size_t shown = std::min(names.size(), kMaxTenantRows);
  for (size_t n = 0; n < shown; ++n) {
    double entitlement = NAN;
    for (const Json& run : runs) {
      const Json* entry = FindNamed(run, "tenants", "name", names[n]);
      if (entry != nullptr && std::isnan(entitlement)) {
        entitlement = NumberAt(*entry, {"entitlement"});
      }
    }
    for (size_t i = 0; i < runs.size(); ++i) {
      const Json* entry = FindNamed(runs[i], "tenants", "name", names[n]);
      const Json& row = entry != nullptr ? *entry : EmptyObject();
      if (i == 0) {
        out += fmt::format("<tr class=\"group-start\"><th{}>{}</th>{}{}", span, EscapeXml(names[n]),
                           SpanRows(NumberCell(entitlement, Format::kPercent, ""), span),
                           PolicyRowHeader(result, i, ""));
      } else {
        out += "<tr>" + PolicyRowHeader(result, i, "");
      }
      out += NumberCell(NumberAt(row, {"jobs"}), Format::kCount, "");
      out += NumberCell(NumberAt(row, {"wait_s", "p50"}), Format::kDuration, "");
      out += NumberCell(NumberAt(row, {"wait_s", "p99"}), Format::kDuration, "");
      out += NumberCell(NumberAt(row, {"cost"}), Format::kMoney, currency);
      out += NumberCell(NumberAt(row, {"share_mean"}), Format::kPercent, "");
      out += NumberCell(NumberAt(row, {"share_deviation"}), Format::kPoints, "");
      out += "</tr>";
    }
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
