#include "metering/focus_export.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cctype>
#include <map>

#include "budget/money.h"
#include "metering/rfc4180.h"

namespace allot {
namespace {

constexpr Time kNov1 = 1'793'491'200'000'000;   // 2026-11-01T00:00:00Z
constexpr Time kDec1 = 1'796'083'200'000'000;   // 2026-12-01T00:00:00Z
constexpr Time kNov21 = 1'795'253'400'000'000;  // 2026-11-21T09:30:00Z

ResourceCatalog Catalog() { return *ResourceCatalog::Create({"nvidia.com/mig-1g"}); }

FocusExportOptions Options() {
  FocusExportOptions options;
  options.currency = "EUR";
  options.billing_account_id = "acct-1";
  options.billing_account_name = "Research cluster";
  options.billing_period_start = kNov1;
  options.billing_period_end = kDec1;
  options.service_name = "allot GPU capacity";
  return options;
}

std::vector<UsageRecord> Records() {
  UsageRecord lease;
  lease.lease = LeaseId{11};
  lease.tenant_path = "acme/research/agent-7";
  lease.priority_class = "batch";
  lease.labels = {{"project", "llm, \"big\""}, {"team", "ml"}};
  lease.pool = "a100";
  lease.location = "n1[0,1]";
  lease.start = kNov21 + 500'000;      // 09:30:00.5
  lease.end = kNov21 + 3'600'200'000;  // 10:30:00.2
  lease.resource_ms[kGpu] = 7'200'000'000;
  lease.resource_ms[kBuiltinResources] = 12;
  lease.cost = 8'000'000;
  lease.end_reason = "released";

  UsageRecord call;
  call.lease = LeaseId{12};
  call.tenant_path = "acme";
  call.pool = "h100";
  call.model = "llama-3-70b";
  call.start = kNov21;
  call.end = kNov21;  // zero length
  call.tokens = {.input = 1000, .cached_input = 200, .output = 50};
  call.cost = 1'234;
  call.end_reason = "released";

  UsageRecord cpu;
  cpu.lease = LeaseId{13};
  cpu.start = kNov1 - 3'600'000'000;  // began in October, ends in November
  cpu.end = kNov1 + 1;
  cpu.resource_ms[kCpu] = 42;
  cpu.end_reason = "preempted";
  return {lease, call, cpu};
}

// The export parsed back: header and rows as column -> cell.
struct Parsed {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};

Parsed Export(const std::vector<UsageRecord>& records) {
  Result<std::string> text = WriteFocusCsv(records, Catalog(), Options());
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  Parsed parsed;
  if (!text.ok()) return parsed;
  std::vector<CsvRow> rows = *ParseCsv(*text);
  parsed.header = rows[0].fields;
  for (size_t r = 1; r < rows.size(); ++r) {
    EXPECT_EQ(rows[r].fields.size(), parsed.header.size());
    std::map<std::string, std::string> row;
    for (size_t c = 0; c < parsed.header.size(); ++c) row[parsed.header[c]] = rows[r].fields[c];
    parsed.rows.push_back(std::move(row));
  }
  return parsed;
}

// 'YYYY-MM-DDTHH:mm:ssZ' (FOCUS date/time format).
bool IsDateTime(std::string_view s) {
  if (s.size() != 20) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char want = std::string_view("0000-00-00T00:00:00Z")[i];
    if (want == '0' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != want) return false;
  }
  return true;
}

// A plain decimal: optional '-', digits, optionally '.' and digits.
bool IsDecimal(std::string_view s) {
  if (s.starts_with('-')) s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "1" : s.substr(dot + 1);
  auto digits = [](std::string_view part) {
    return !part.empty() && std::all_of(part.begin(), part.end(), [](char c) {
      return std::isdigit(static_cast<unsigned char>(c));
    });
  };
  return digits(whole) && digits(fraction);
}

// Pascal case, alphanumeric, after `prefix`.
bool IsColumnName(std::string_view s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return !s.empty() && std::isupper(static_cast<unsigned char>(s[0])) &&
         std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

template <size_t N>
bool OneOf(const std::string& value, const std::array<std::string_view, N>& allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

TEST(FocusExportTest, HeaderHasEveryMandatoryColumn) {
  Parsed parsed = Export(Records());
  for (std::string_view column : kFocus12MandatoryColumns) {
    SCOPED_TRACE(column);
    EXPECT_EQ(std::count(parsed.header.begin(), parsed.header.end(), column), 1);
  }
  for (std::string_view column : kFocus12ConditionalColumnsUsed) {
    SCOPED_TRACE(column);
    EXPECT_EQ(std::count(parsed.header.begin(), parsed.header.end(), column), 1);
  }
}

TEST(FocusExportTest, CustomColumnsAreXPrefixedAndLast) {
  std::vector<std::string> header = FocusColumns(Catalog());
  auto first_custom = std::find_if(header.begin(), header.end(),
                                   [](const std::string& c) { return c.starts_with("x_"); });
  ASSERT_NE(first_custom, header.end());
  for (auto it = header.begin(); it != header.end(); ++it) {
    SCOPED_TRACE(*it);
    EXPECT_TRUE(IsColumnName(*it, it < first_custom ? "" : "x_"));
  }
  EXPECT_TRUE(std::is_sorted(header.begin(), first_custom));
  EXPECT_EQ(header.back(), "x_NvidiaComMig1gMs");
  EXPECT_NE(std::find(header.begin(), header.end(), "x_GpuMemoryMs"), header.end());
}

TEST(FocusExportTest, RowsObeyTheSpecRules) {
  std::vector<UsageRecord> records = Records();
  Parsed parsed = Export(records);
  ASSERT_EQ(parsed.rows.size(), records.size());
  Money billed_sum = 0;
  for (size_t i = 0; i < parsed.rows.size(); ++i) {
    SCOPED_TRACE(i);
    std::map<std::string, std::string>& row = parsed.rows[i];
    // Mandatory columns that allow no null (ChargeClass is null for
    // regular charges; ChargeDescription should not be null: we never are).
    for (std::string_view column : kFocus12MandatoryColumns) {
      if (column != "ChargeClass") {
        EXPECT_FALSE(row[std::string(column)].empty()) << column;
      }
    }
    EXPECT_EQ(row["ChargeClass"], "");
    for (const char* column :
         {"BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"}) {
      EXPECT_TRUE(IsDateTime(row[column])) << column << " " << row[column];
    }
    // Same fixed-width format, so text order is time order.
    EXPECT_LT(row["ChargePeriodStart"], row["ChargePeriodEnd"]);
    EXPECT_LT(row["BillingPeriodStart"], row["BillingPeriodEnd"]);
    for (const char* column : {"BilledCost", "EffectiveCost", "ListCost", "ContractedCost",
                               "PricingQuantity", "ConsumedQuantity"}) {
      EXPECT_TRUE(IsDecimal(row[column])) << column << " " << row[column];
    }
    EXPECT_TRUE(IsKnownCurrency(row["BillingCurrency"]));
    EXPECT_TRUE(OneOf(row["ServiceCategory"], kFocusServiceCategories));
    EXPECT_TRUE(OneOf(row["ChargeCategory"], kFocusChargeCategories));
    EXPECT_EQ(row["ChargeCategory"], "Usage");
    EXPECT_TRUE(OneOf(row["ChargeFrequency"], kFocusChargeFrequencies));
    // Without unit prices, list and contracted cost match the billed cost.
    EXPECT_EQ(row["ListCost"], row["BilledCost"]);
    EXPECT_EQ(row["ContractedCost"], row["BilledCost"]);
    EXPECT_EQ(row["EffectiveCost"], row["BilledCost"]);
    // Pairs that are null together.
    EXPECT_EQ(row["SubAccountId"].empty(), row["SubAccountName"].empty());
    EXPECT_EQ(row["ConsumedQuantity"].empty(), row["ConsumedUnit"].empty());
    EXPECT_FALSE(row["PricingUnit"].empty());
    EXPECT_FALSE(row["ResourceId"].empty());
    if (!row["Tags"].empty()) {
      rapidjson::Document tags;
      tags.Parse(row["Tags"].c_str());
      ASSERT_FALSE(tags.HasParseError());
      ASSERT_TRUE(tags.IsObject());
      for (const auto& member : tags.GetObject()) EXPECT_TRUE(member.value.IsString());
    }
    billed_sum += *ParseMoney(row["BilledCost"], "BilledCost");
  }
  EXPECT_EQ(billed_sum, 8'000'000 + 1'234);
}

TEST(FocusExportTest, MapsRecordFields) {
  Parsed parsed = Export(Records());
  ASSERT_EQ(parsed.rows.size(), 3u);
  auto& lease = parsed.rows[0];
  EXPECT_EQ(lease["BilledCost"], "8.000000");
  EXPECT_EQ(lease["BillingCurrency"], "EUR");
  EXPECT_EQ(lease["BillingPeriodStart"], "2026-11-01T00:00:00Z");
  EXPECT_EQ(lease["BillingPeriodEnd"], "2026-12-01T00:00:00Z");
  // Widened to whole seconds; exact times in the x_ columns.
  EXPECT_EQ(lease["ChargePeriodStart"], "2026-11-21T09:30:00Z");
  EXPECT_EQ(lease["ChargePeriodEnd"], "2026-11-21T10:30:01Z");
  EXPECT_EQ(lease["x_StartMicroseconds"], "1795253400500000");
  EXPECT_EQ(lease["PricingQuantity"], "3599.700000");
  EXPECT_EQ(lease["PricingUnit"], "Seconds");
  EXPECT_EQ(lease["ChargeDescription"], "Capacity lease in pool a100");
  EXPECT_EQ(lease["ServiceSubcategory"], "Machine Learning");
  EXPECT_EQ(lease["SubAccountId"], "acme/research/agent-7");
  EXPECT_EQ(lease["x_TenantPath"], "acme/research/agent-7");
  EXPECT_EQ(lease["Tags"], R"({"project":"llm, \"big\"","team":"ml"})");
  EXPECT_EQ(lease["ResourceId"], "lease/11");
  EXPECT_EQ(lease["ResourceName"], "");
  EXPECT_EQ(lease["x_LeaseId"], "11");
  EXPECT_EQ(lease["x_GpuMs"], "7200000000");
  EXPECT_EQ(lease["x_NvidiaComMig1gMs"], "12");
  EXPECT_EQ(lease["ProviderName"], "allot");

  auto& call = parsed.rows[1];
  EXPECT_EQ(call["PricingUnit"], "Tokens");
  EXPECT_EQ(call["PricingQuantity"], "1050");
  EXPECT_EQ(call["ServiceSubcategory"], "Generative AI");
  EXPECT_EQ(call["ChargePeriodStart"], "2026-11-21T09:30:00Z");
  EXPECT_EQ(call["ChargePeriodEnd"], "2026-11-21T09:30:01Z");  // at least one second
  EXPECT_EQ(call["x_TokensCachedInput"], "200");
  EXPECT_EQ(call["Tags"], "");  // no labels: null

  auto& cpu = parsed.rows[2];
  EXPECT_EQ(cpu["SubAccountId"], "");  // no tenant: no sub account
  EXPECT_EQ(cpu["SubAccountName"], "");
  EXPECT_EQ(cpu["ChargePeriodStart"], "2026-10-31T23:00:00Z");
  EXPECT_EQ(cpu["ChargeDescription"], "Capacity lease");
  EXPECT_EQ(cpu["BilledCost"], "0.000000");
}

TEST(FocusExportTest, RejectsBadOptionsAndRecords) {
  auto error = [](const std::vector<UsageRecord>& records, const FocusExportOptions& options) {
    Result<std::string> text = WriteFocusCsv(records, Catalog(), options);
    return text.ok() ? "(wrote)" : text.status().message();
  };
  FocusExportOptions options = Options();
  options.currency = "usd";
  EXPECT_EQ(error({}, options), "focus: currency 'usd' is not an ISO 4217 code");
  options = Options();
  options.billing_account_id.clear();
  EXPECT_EQ(error({}, options), "focus: billing_account_id must not be empty");
  options = Options();
  options.billing_period_end = kNov1 + 1;
  EXPECT_EQ(error({}, options).rfind("focus: billing period", 0), 0u);
  options = Options();
  options.billing_period_end = options.billing_period_start;
  EXPECT_EQ(error({}, options).rfind("focus: billing period", 0), 0u);

  std::vector<UsageRecord> records = Records();
  records[1].end = kDec1;  // belongs to December's export
  EXPECT_EQ(error(records, Options()),
            "records[1]: lease 12 ends at 2026-12-01T00:00:00Z, outside the billing period "
            "[2026-11-01T00:00:00Z, 2026-12-01T00:00:00Z)");
  records = Records();
  records[0].tokens.cached_input = 1;
  EXPECT_EQ(error(records, Options()),
            "records[0]: tokens_cached_input: 1 is not within 0..tokens_input (0)");
}

TEST(FocusExportTest, RefusesCollidingResourceColumns) {
  ResourceCatalog catalog = *ResourceCatalog::Create({"ib-links", "ib_links"});
  Result<std::string> text = WriteFocusCsv({}, catalog, Options());
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(), "focus: two resource names give the same x_ column name");
}

// A window longer than a month exports too: each record is billed in the
// calendar month holding its end (GET /v1/usage?format=focus refused such
// windows while csv and jsonl answered them).
TEST(FocusExportTest, MonthlyBillingPeriodsCoverAnyWindow) {
  std::vector<UsageRecord> records = Records();
  records[2].start = kNov1 - 7'200'000'000;
  records[2].end = kNov1 - 3'600'000'000;  // ends in October
  FocusExportOptions options = Options();
  options.billing_period_start = 0;
  options.billing_period_end = 0;
  options.monthly_billing_periods = true;
  Result<std::string> text = WriteFocusCsv(records, Catalog(), options);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  std::vector<CsvRow> rows = *ParseCsv(*text);
  ASSERT_EQ(rows.size(), 4u);
  std::map<std::string, size_t> column;
  for (size_t c = 0; c < rows[0].fields.size(); ++c) column[rows[0].fields[c]] = c;
  auto cell = [&](size_t row, const std::string& name) { return rows[row].fields[column[name]]; };
  EXPECT_EQ(cell(1, "BillingPeriodStart"), "2026-11-01T00:00:00Z");
  EXPECT_EQ(cell(1, "BillingPeriodEnd"), "2026-12-01T00:00:00Z");
  EXPECT_EQ(cell(3, "BillingPeriodStart"), "2026-10-01T00:00:00Z");
  EXPECT_EQ(cell(3, "BillingPeriodEnd"), "2026-11-01T00:00:00Z");
  EXPECT_EQ(cell(2, "BillingPeriodStart"), "2026-11-01T00:00:00Z");
}

}  // namespace
}  // namespace allot
