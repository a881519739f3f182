#include "metering/focus_export.h"

#include <fmt/format.h>

#include <cctype>
#include <set>

#include "budget/calendar.h"
#include "budget/money.h"
#include "metering/rfc4180.h"
#include "metering/usage_fields.h"

namespace allot {
namespace {

const PeriodSpec kMonthly{PeriodKind::kMonthly};

// The latest billing period end: 9999-12-31T23:59:59Z, so that every
// date-time in the export, ChargePeriodEnd included, has a 4-digit year.
constexpr Time kMaxBillingEnd = kMaxExportTime + 1 - kMicrosPerSecond;

// What one row's cells are computed from. An empty string is a null cell.
struct RowContext {
  const UsageRecord& record;
  const FocusExportOptions& options;
  const std::string& billing_start;  // formatted once
  const std::string& billing_end;
};

using CellFunction = std::string (*)(const RowContext&);
struct Column {
  std::string_view name;
  CellFunction cell;
};

bool IsModelCall(const UsageRecord& r) { return !r.model.empty(); }
std::string Cost(const RowContext& c) { return FormatMoney(c.record.cost); }
// Model calls are priced and consumed in tokens, capacity in lease-seconds.
std::string Quantity(const RowContext& c) {
  const UsageRecord& r = c.record;
  return IsModelCall(r) ? std::to_string(r.tokens.total()) : DecimalMicros(r.end - r.start);
}
std::string Unit(const RowContext& c) { return IsModelCall(c.record) ? "Tokens" : "Seconds"; }
std::string FocusBool(bool value) { return value ? "true" : "false"; }

// The charge period widened to whole seconds (FOCUS date-times have no
// fraction), at least one second long so that start < end.
Time ChargeStart(const UsageRecord& r) { return r.start - r.start % kMicrosPerSecond; }
Time ChargeEnd(const UsageRecord& r) {
  Time end = (r.end + kMicrosPerSecond - 1) / kMicrosPerSecond * kMicrosPerSecond;
  return std::max(end, ChargeStart(r) + kMicrosPerSecond);
}

// FOCUS columns in alphabetical order (the column handling rules allow any
// order as long as FOCUS columns come before custom ones).
constexpr Column kFocusColumns[] = {
    {"BilledCost", Cost},
    {"BillingAccountId", [](const RowContext& c) { return c.options.billing_account_id; }},
    {"BillingAccountName", [](const RowContext& c) { return c.options.billing_account_name; }},
    {"BillingCurrency", [](const RowContext& c) { return c.options.currency; }},
    {"BillingPeriodEnd", [](const RowContext& c) { return c.billing_end; }},
    {"BillingPeriodStart", [](const RowContext& c) { return c.billing_start; }},
    {"ChargeCategory", [](const RowContext&) { return std::string("Usage"); }},
    {"ChargeClass", [](const RowContext&) { return std::string(); }},  // not a correction
    {"ChargeDescription",
     [](const RowContext& c) {
       const UsageRecord& r = c.record;
       if (IsModelCall(r)) return fmt::format("Calls to model {}", r.model);
       return r.pool.empty() ? std::string("Capacity lease")
                             : fmt::format("Capacity lease in pool {}", r.pool);
     }},
    {"ChargeFrequency", [](const RowContext&) { return std::string("Usage-Based"); }},
    {"ChargePeriodEnd", [](const RowContext& c) { return UtcSecondsText(ChargeEnd(c.record)); }},
    {"ChargePeriodStart",
     [](const RowContext& c) { return UtcSecondsText(ChargeStart(c.record)); }},
    {"ConsumedQuantity", Quantity},
    {"ConsumedUnit", Unit},
    {"ContractedCost", Cost},
    {"EffectiveCost", Cost},
    {"InvoiceIssuerName", [](const RowContext& c) { return c.options.invoice_issuer_name; }},
    {"ListCost", Cost},
    {"PricingQuantity", Quantity},
    {"PricingUnit", Unit},
    {"ProviderName", [](const RowContext& c) { return c.options.provider_name; }},
    {"PublisherName", [](const RowContext& c) { return c.options.publisher_name; }},
    {"ResourceId",
     [](const RowContext& c) { return fmt::format("lease/{}", c.record.lease.value); }},
    {"ResourceName", [](const RowContext&) { return std::string(); }},  // leases have no name
    {"ServiceCategory", [](const RowContext&) { return std::string("AI and Machine Learning"); }},
    {"ServiceName", [](const RowContext& c) { return c.options.service_name; }},
    {"ServiceSubcategory",
     [](const RowContext& c) {
       return std::string(IsModelCall(c.record) ? "Generative AI" : "Machine Learning");
     }},
    {"SubAccountId", [](const RowContext& c) { return c.record.tenant_path; }},
    {"SubAccountName", [](const RowContext& c) { return c.record.tenant_path; }},
    {"Tags",
     [](const RowContext& c) {
       return c.record.labels.empty() ? std::string() : LabelsToJson(c.record.labels);
     }},
};

// Custom columns, after all FOCUS columns; then x_<Resource>Ms per resource.
constexpr Column kCustomColumns[] = {
    {"x_LeaseId", [](const RowContext& c) { return std::to_string(c.record.lease.value); }},
    {"x_TenantPath", [](const RowContext& c) { return c.record.tenant_path; }},
    {"x_PriorityClass", [](const RowContext& c) { return c.record.priority_class; }},
    {"x_Pool", [](const RowContext& c) { return c.record.pool; }},
    {"x_Location", [](const RowContext& c) { return c.record.location; }},
    {"x_Model", [](const RowContext& c) { return c.record.model; }},
    {"x_StartMicroseconds", [](const RowContext& c) { return std::to_string(c.record.start); }},
    {"x_EndMicroseconds", [](const RowContext& c) { return std::to_string(c.record.end); }},
    {"x_EndReason", [](const RowContext& c) { return c.record.end_reason; }},
    {"x_TokensInput", [](const RowContext& c) { return std::to_string(c.record.tokens.input); }},
    {"x_TokensCachedInput",
     [](const RowContext& c) { return std::to_string(c.record.tokens.cached_input); }},
    {"x_TokensOutput", [](const RowContext& c) { return std::to_string(c.record.tokens.output); }},
    {"x_TokensEstimated", [](const RowContext& c) { return FocusBool(c.record.tokens_estimated); }},
    {"x_Overrun", [](const RowContext& c) { return FocusBool(c.record.overrun); }},
};

// "gpu_memory" -> "GpuMemory", "nvidia.com/mig-1g" -> "NvidiaComMig1g":
// custom columns should follow the FOCUS naming rules (Pascal case,
// alphanumeric).
std::string PascalCase(std::string_view name) {
  std::string out;
  bool start_word = true;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) {
      start_word = true;
      continue;
    }
    out.push_back(start_word ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c);
    start_word = false;
  }
  return out;
}

Status ValidateOptions(const FocusExportOptions& o) {
  if (!IsKnownCurrency(o.currency)) {
    return InvalidArgument(fmt::format("focus: currency '{}' is not an ISO 4217 code", o.currency));
  }
  for (auto [name, value] : {std::pair("provider_name", &o.provider_name),
                             std::pair("publisher_name", &o.publisher_name),
                             std::pair("invoice_issuer_name", &o.invoice_issuer_name),
                             std::pair("billing_account_id", &o.billing_account_id),
                             std::pair("service_name", &o.service_name)}) {
    if (value->empty()) return InvalidArgument(fmt::format("focus: {} must not be empty", name));
  }
  if (o.monthly_billing_periods) return Status::Ok();
  Time start = o.billing_period_start, end = o.billing_period_end;
  if (start < 0 || start >= end || end > kMaxBillingEnd || start % kMicrosPerSecond != 0 ||
      end % kMicrosPerSecond != 0) {
    return InvalidArgument(fmt::format(
        "focus: billing period [{}, {}) must be whole seconds with start < end, within 1970..9999",
        start, end));
  }
  return Status::Ok();
}

}  // namespace

std::vector<std::string> FocusColumns(const ResourceCatalog& catalog) {
  std::vector<std::string> names;
  for (const Column& column : kFocusColumns) names.emplace_back(column.name);
  for (const Column& column : kCustomColumns) names.emplace_back(column.name);
  for (int r = 0; r < catalog.size(); ++r) {
    names.push_back("x_" + PascalCase(catalog.Name(r)) + "Ms");
  }
  return names;
}

Result<std::string> WriteFocusCsv(const std::vector<UsageRecord>& records,
                                  const ResourceCatalog& catalog,
                                  const FocusExportOptions& options) {
  ALLOT_RETURN_IF_ERROR(ValidateOptions(options));
  std::vector<std::string> header = FocusColumns(catalog);
  std::set<std::string> unique(header.begin(), header.end());
  if (unique.size() != header.size()) {
    return InvalidArgument("focus: two resource names give the same x_ column name");
  }
  std::string text = CsvRecord(header);
  std::string billing_start = UtcSecondsText(options.billing_period_start);
  std::string billing_end = UtcSecondsText(options.billing_period_end);
  Time month_start = -1;  // the billing period the strings above show (monthly)
  std::vector<std::string> cells;
  for (size_t i = 0; i < records.size(); ++i) {
    const UsageRecord& record = records[i];
    Status valid = ValidateUsageRecord(record, catalog);
    if (!valid.ok()) return InvalidArgument(fmt::format("records[{}]: {}", i, valid.message()));
    if (options.monthly_billing_periods) {
      PeriodBounds month = PeriodAt(kMonthly, TimeZone::Utc(), record.end);
      if (month.start < 0 || month.end > kMaxBillingEnd) {
        return InvalidArgument(fmt::format("records[{}]: lease {} ends at {}, outside 1970..9999",
                                           i, record.lease.value, UtcText(record.end)));
      }
      if (month.start != month_start) {
        month_start = month.start;
        billing_start = UtcSecondsText(month.start);
        billing_end = UtcSecondsText(month.end);
      }
    } else if (record.end < options.billing_period_start ||
               record.end >= options.billing_period_end) {
      return InvalidArgument(
          fmt::format("records[{}]: lease {} ends at {}, outside the billing "
                      "period [{}, {})",
                      i, record.lease.value, UtcText(record.end), billing_start, billing_end));
    }
    RowContext context{record, options, billing_start, billing_end};
    cells.clear();
    for (const Column& column : kFocusColumns) cells.push_back(column.cell(context));
    for (const Column& column : kCustomColumns) cells.push_back(column.cell(context));
    for (int r = 0; r < catalog.size(); ++r) {
      cells.push_back(std::to_string(record.resource_ms[static_cast<size_t>(r)]));
    }
    text += CsvRecord(cells);
  }
  return text;
}

}  // namespace allot
