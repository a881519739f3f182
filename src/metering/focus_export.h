#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "common/result.h"
#include "common/time.h"
#include "metering/usage_record.h"

namespace allot {

// FinOps FOCUS 1.2 cost and usage export (CSV, RFC 4180).
//
// The columns a FOCUS 1.2 dataset MUST always contain: those whose
// requirements say "<Column> MUST be present in a FOCUS dataset" with no
// condition. Source: the normative statements of FOCUS_Spec tag v1.2,
// specification/columns/*.md (github.com/FinOps-Open-Cost-and-Usage-Spec/
// FOCUS_Spec/tree/v1.2), as listed requirement by requirement in
// microsoft/finops-toolkit docs-mslearn/focus/conformance-full-report.md
// (commit a74d1025116a149aaefcf4c274a25c8492ec84c3, "all FOCUS 1.2
// requirements"). The other 36 columns of 1.2 are Conditional or
// Recommended.
inline constexpr std::array<std::string_view, 21> kFocus12MandatoryColumns = {
    "BilledCost",        "BillingAccountId",   "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd",  "BillingPeriodStart", "ChargeCategory",     "ChargeClass",
    "ChargeDescription", "ChargePeriodEnd",    "ChargePeriodStart",  "ContractedCost",
    "EffectiveCost",     "InvoiceIssuerName",  "ListCost",           "PricingQuantity",
    "PricingUnit",       "ProviderName",       "PublisherName",      "ServiceCategory",
    "ServiceName"};

// Conditional and Recommended columns of 1.2 whose condition holds for
// allot, so the export carries them too:
//   ChargeFrequency (Recommended)        "Usage-Based"
//   ServiceSubcategory (Recommended)     "Generative AI" for model calls,
//                                        "Machine Learning" for capacity
//   ConsumedQuantity, ConsumedUnit       allot measures usage
//   ResourceId, ResourceName             billing per provisioned resource:
//                                        the lease (a lease has no display
//                                        name, so ResourceName is null)
//   SubAccountId, SubAccountName         tenants are the sub account
//   Tags                                 labels are user-defined tags
// Not carried, their condition does not hold: AvailabilityZone, Region*,
// BillingAccountType and SubAccountType (one type each), CapacityReservation*,
// CommitmentDiscount*, PricingCategory and PricingCurrency* (one pricing
// model, one currency), ListUnitPrice and ContractedUnitPrice (a lease's
// price is a sum over resource rates, not one unit price), Sku* (no SKU
// price list), InvoiceId (allot issues no invoices).
inline constexpr std::array<std::string_view, 9> kFocus12ConditionalColumnsUsed = {
    "ChargeFrequency",    "ConsumedQuantity", "ConsumedUnit",   "ResourceId", "ResourceName",
    "ServiceSubcategory", "SubAccountId",     "SubAccountName", "Tags"};

// Allowed values, from FOCUS_Spec specification/columns/servicecategory.md,
// chargecategory.md and chargefrequency.md (read at commits 07eb2f3e and
// 1c4b3611, before 1.2; the 1.2 requirements above only say "MUST be one of
// the allowed values").
inline constexpr std::array<std::string_view, 19> kFocusServiceCategories = {
    "AI and Machine Learning",
    "Analytics",
    "Business Applications",
    "Compute",
    "Databases",
    "Developer Tools",
    "Multicloud",
    "Identity",
    "Integration",
    "Internet of Things",
    "Management and Governance",
    "Media",
    "Migration",
    "Mobile",
    "Networking",
    "Security",
    "Storage",
    "Web",
    "Other"};
inline constexpr std::array<std::string_view, 5> kFocusChargeCategories = {
    "Usage", "Purchase", "Tax", "Credit", "Adjustment"};
inline constexpr std::array<std::string_view, 3> kFocusChargeFrequencies = {"One-Time", "Recurring",
                                                                            "Usage-Based"};

struct FocusExportOptions {
  std::string currency;  // BillingCurrency: an ISO 4217 code, "USD"
  std::string provider_name = "allot";
  std::string publisher_name = "allot";
  std::string invoice_issuer_name = "allot";
  std::string billing_account_id;    // not empty
  std::string billing_account_name;  // empty: null
  // [start, end), whole seconds, UTC (say, a calendar month). Every record
  // must end in it (records are bucketed by end, as in Rollup).
  Time billing_period_start = 0;
  Time billing_period_end = 0;
  // Instead: each record is billed in the UTC calendar month holding its end
  // (billing_period_* unused), so that a window of any length exports, one
  // billing period per month it touches, as csv and jsonl do.
  bool monthly_billing_periods = false;
  std::string service_name = "allot";  // ServiceName, not empty
};

// One row per record, ChargeCategory "Usage", ChargeClass null (no
// corrections). Columns: the FOCUS ones in alphabetical order, then the
// custom ones (x_ prefix, after all FOCUS columns as the column handling
// rules ask):
//   x_LeaseId, x_TenantPath, x_PriorityClass, x_Pool, x_Location, x_Model,
//   x_StartMicroseconds, x_EndMicroseconds (exact times), x_EndReason,
//   x_TokensInput, x_TokensCachedInput, x_TokensOutput, x_TokensEstimated,
//   x_Overrun, and x_<Resource>Ms per catalog resource (x_GpuMs,
//   x_GpuMemoryMs, ...: resource_ms, the resource's unit x milliseconds).
// Choices, with the rules they follow:
//   - Costs: BilledCost = EffectiveCost = ListCost = ContractedCost = cost;
//     allot has no discounts or amortisation, and without unit prices a
//     charge's list and contracted cost must match its billed cost.
//   - SubAccountId = SubAccountName = the leaf tenant path ("acme/ml/bot"),
//     the level a lease is charged to; ancestors are prefixes of it. Null
//     for a record with no tenant.
//   - Labels go in Tags, a JSON object of strings (the key-value format);
//     x_TenantPath repeats the sub account for tools that only read x_.
//   - ChargePeriodStart/End: the lease's [start, end) widened to whole
//     seconds (start floored, end ceiled, end >= start + 1 s) since FOCUS
//     date-times are "YYYY-MM-DDTHH:mm:ssZ"; the exact microseconds are in
//     x_StartMicroseconds / x_EndMicroseconds.
//   - Pricing and consumed quantity: model calls in "Tokens" (input +
//     output); capacity leases in "Seconds" of lease time, 6 decimals, exact.
//   - Decimals are plain, never exponents: "12.500000".
//   - Null is an empty unquoted field; no non-null value is empty.
// InvalidArgument for an unknown currency, empty required options, a billing
// period that is empty or not whole seconds, a record failing
// ValidateUsageRecord, a record ending outside the billing period, or two
// resources whose column names collide.
Result<std::string> WriteFocusCsv(const std::vector<UsageRecord>& records,
                                  const ResourceCatalog& catalog,
                                  const FocusExportOptions& options);

// The header WriteFocusCsv writes for `catalog`.
std::vector<std::string> FocusColumns(const ResourceCatalog& catalog);

}  // namespace allot
