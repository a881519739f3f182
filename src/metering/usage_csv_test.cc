#include "metering/usage_csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "metering/rfc4180.h"
#include "metering/usage_fields.h"

namespace allot {
namespace {

constexpr Time kNov21 = 1'795'253'400'000'000;  // 2026-11-21T09:30:00Z

ResourceCatalog Catalog() { return *ResourceCatalog::Create({"nvidia.com/mig-1g"}); }

// A record whose strings hold everything CSV and JSON must escape.
UsageRecord Tricky() {
  UsageRecord r;
  r.lease = LeaseId{42};
  r.tenant_path = "acme/r&d, \"labs\"\nsecond line";
  r.priority_class = "batch;low";
  r.labels = {{"=;,\"", "v=1;x,\"y\"\r\n"}, {"team", "数据 ü 🚀"}, {"zeta", ""}};
  r.pool = "a100";
  r.location = "n1[0,1];n2[-]";
  r.model = "";
  r.start = kNov21 + 250;
  r.end = kNov21 + 3'600'000'000;
  r.resource_ms[kGpu] = 7'200'000'000;
  r.resource_ms[kCpu] = 3'600'000;
  r.resource_ms[kBuiltinResources] = 5;
  r.tokens = {.input = 10, .cached_input = 4, .output = 7};
  r.cost = 4'000'250;
  r.end_reason = "preempted";
  r.tokens_estimated = true;
  r.overrun = true;
  return r;
}

UsageRecord Plain(uint64_t lease) {
  UsageRecord r;
  r.lease = LeaseId{lease};
  r.tenant_path = "acme";
  r.start = kNov21;
  r.end = kNov21 + 1'000'000;
  r.cost = 1;
  r.end_reason = "released";
  return r;
}

// The CSV for `records` with the cell of `column` in data row `row` (0 is
// the first record) replaced by `value`.
std::string WithCell(const std::vector<UsageRecord>& records, size_t row, std::string_view column,
                     std::string value) {
  std::vector<CsvRow> rows = *ParseCsv(*WriteUsageCsv(records, Catalog()));
  for (size_t c = 0; c < rows[0].fields.size(); ++c) {
    if (rows[0].fields[c] == column) rows[row + 1].fields[c] = std::move(value);
  }
  std::string text;
  for (const CsvRow& r : rows) text += CsvRecord(r.fields);
  return text;
}

std::string ReadError(const std::string& text) {
  Result<std::vector<UsageRecord>> read = ReadUsageCsv(text, Catalog());
  return read.ok() ? "(read fine)" : read.status().message();
}

TEST(UsageCsvTest, RoundTripsEscapesUnicodeAndEveryField) {
  std::vector<UsageRecord> records = {Tricky(), Plain(7), Tricky()};
  records[2].lease = LeaseId{43};
  records[2].labels.clear();
  records[2].model = "llama-3-70b";
  Result<std::string> text = WriteUsageCsv(records, Catalog());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  Result<std::vector<UsageRecord>> back = ReadUsageCsv(*text, Catalog());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, records);
}

TEST(UsageCsvTest, RoundTripsExtremes) {
  UsageRecord r = Plain(std::numeric_limits<uint64_t>::max());
  r.start = 0;
  r.end = kMaxExportTime;
  r.cost = kMaxExportMoney;
  r.tokens = {.input = std::numeric_limits<int64_t>::max(),
              .cached_input = std::numeric_limits<int64_t>::max(),
              .output = std::numeric_limits<int64_t>::max()};
  r.resource_ms[kMemory] = std::numeric_limits<int64_t>::max();
  std::vector<UsageRecord> records = {r};
  EXPECT_EQ(*ReadUsageCsv(*WriteUsageCsv(records, Catalog()), Catalog()), records);
  r.cost = kMaxExportMoney + 1;
  EXPECT_EQ(WriteUsageCsv({r}, Catalog()).status().message(),
            "records[0]: cost: 1000000000000.000000 is more than 12 digits");
}

TEST(UsageCsvTest, HeaderAndLayout) {
  std::string text = *WriteUsageCsv({Plain(7)}, Catalog());
  std::string header = text.substr(0, text.find("\r\n"));
  EXPECT_EQ(header,
            "lease,start,end,start_us,end_us,tenant_path,priority_class,pool,location,model,"
            "labels,gpu_ms,gpu_memory_ms,cpu_ms,memory_ms,slots_ms,nvidia.com/mig-1g_ms,"
            "tokens_input,tokens_cached_input,tokens_output,tokens_estimated,latency_us,ttft_us,"
            "cost,end_reason,overrun");
  EXPECT_NE(text.find("\r\n7,2026-11-21T09:30:00Z,2026-11-21T09:30:01Z,1795253400000000,"
                      "1795253401000000,acme,,,,,{},0,0,0,0,0,0,0,0,0,false,0,0,0.000001,released,"
                      "false\r\n"),
            std::string::npos)
      << text;
  // Quoted only where RFC 4180 needs it; quotes doubled.
  std::string tricky = *WriteUsageCsv({Tricky()}, Catalog());
  EXPECT_NE(tricky.find(",\"acme/r&d, \"\"labs\"\"\nsecond line\",batch;low,"), std::string::npos);
  EXPECT_NE(tricky.find("2026-11-21T09:30:00.000250Z"), std::string::npos);
}

TEST(UsageCsvTest, ReadsColumnsInAnyOrderAndLfLineEnds) {
  std::vector<UsageRecord> records = {Tricky(), Plain(9)};
  std::vector<CsvRow> rows = *ParseCsv(*WriteUsageCsv(records, Catalog()));
  std::string text;
  for (CsvRow& row : rows) {
    std::reverse(row.fields.begin(), row.fields.end());
    std::string line = CsvRecord(row.fields);
    line.erase(line.size() - 2, 1);  // CRLF -> LF
    text += line;
  }
  Result<std::vector<UsageRecord>> back = ReadUsageCsv(text, Catalog());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, records);
}

TEST(UsageCsvTest, EmptyListIsHeaderOnly) {
  std::string text = *WriteUsageCsv({}, Catalog());
  EXPECT_EQ(text.find("\r\n"), text.size() - 2);
  EXPECT_TRUE(ReadUsageCsv(text, Catalog())->empty());
  EXPECT_EQ(ReadError(""), "line 1: no header row");
}

TEST(UsageCsvTest, RejectsBadFieldsNamingLineAndColumn) {
  std::vector<UsageRecord> two = {Plain(1), Plain(2)};
  two[1].tokens = {.input = 4, .cached_input = 0, .output = 0};
  struct Case {
    std::string column, value, message;
  };
  std::vector<Case> cases = {
      {"cost", "abc", "line 3: cost: 'abc' is not a plain decimal amount such as 2.50"},
      {"cost", "-1.5", "line 3: cost: '-1.5' is negative; amounts must be >= 0"},
      {"cost", "0.0000001", "line 3: cost: '0.0000001' has more than 6 decimals"},
      {"tokens_input", "-5", "line 3: tokens_input: '-5' is negative"},
      {"tokens_output", "1e3", "line 3: tokens_output: '1e3' is not a whole number"},
      {"gpu_ms", "-1", "line 3: gpu_ms: '-1' is negative"},
      {"nvidia.com/mig-1g_ms", "", "line 3: nvidia.com/mig-1g_ms: '' is not a whole number"},
      {"tokens_cached_input", "9",
       "line 3: tokens_cached_input: 9 is not within 0..tokens_input (4)"},
      {"end_us", "1795253399000000", "line 3: end_us: 1795253399000000 is before start_us"},
      {"start", "2026-11-21T09:30:00.5Z",
       "line 3: start: '2026-11-21T09:30:00.5Z' does not match start_us 1795253400000000 "
       "('2026-11-21T09:30:00Z')"},
      {"overrun", "yes", "line 3: overrun: 'yes' is not true or false"},
      {"labels", "k=v", "line 3: labels: 'k=v' is not JSON"},
      {"labels", "{\"a\":1}", "line 3: labels.a: value must be a string"},
      {"labels", "{\"a\":\"1\",\"a\":\"2\"}", "line 3: labels.a: duplicate label key"},
      {"labels", "", "line 3: labels: '' is not JSON"},
      {"lease", "0", "line 3: lease: must be > 0"},
      {"lease", "99999999999999999999", "line 3: lease: '99999999999999999999' is not a whole"},
      {"end_reason", "", "line 3: end_reason: must not be empty"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.column + " = " + c.value);
    EXPECT_EQ(ReadError(WithCell(two, 1, c.column, c.value)).rfind(c.message, 0), 0u)
        << ReadError(WithCell(two, 1, c.column, c.value));
  }
}

TEST(UsageCsvTest, LineNumbersCountPhysicalLines) {
  // The first record's tenant spans two lines, so the second starts on 4.
  std::string text = WithCell({Tricky(), Plain(2)}, 1, "cost", "x");
  EXPECT_EQ(ReadError(text).rfind("line 4: cost: 'x'", 0), 0u) << ReadError(text);
}

TEST(UsageCsvTest, RejectsBadStructure) {
  std::string good = *WriteUsageCsv({Plain(1)}, Catalog());
  auto header_with = [&](std::string_view from, std::string_view to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    return text;
  };
  EXPECT_EQ(ReadError(header_with("model,", "colour,")), "line 1: unknown column 'colour'");
  EXPECT_EQ(ReadError(header_with("model,", "pool,")), "line 1: duplicate column 'pool'");
  EXPECT_EQ(ReadError(*WriteUsageCsv({}, *ResourceCatalog::Create({}))),
            "line 1: missing column 'nvidia.com/mig-1g_ms'");
  EXPECT_EQ(ReadError(good + "1,2\r\n"), "line 3: 2 fields, the header has 26");
  EXPECT_EQ(ReadError(good + "\"open"), "line 3: quoted field never closed (opened on line 3)");
  EXPECT_EQ(ReadError(good + "a\"b\r\n"),
            "line 3: quote inside unquoted field 1 (quote the whole field)");
  EXPECT_EQ(ReadError(good + "\"a\"b\r\n"), "line 3: text after the closing quote of field 1");
}

TEST(UsageCsvTest, WriterRefusesRecordsItCouldNotReadBack) {
  std::vector<UsageRecord> records = {Plain(1), Plain(2)};
  records[1].tokens = {.input = 1, .cached_input = 2, .output = 0};
  Result<std::string> text = WriteUsageCsv(records, Catalog());
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.status().message(),
            "records[1]: tokens_cached_input: 2 is not within 0..tokens_input (1)");
  records[1] = Plain(2);
  records[1].resource_ms[kMaxResources - 1] = 3;  // no column for it
  EXPECT_EQ(WriteUsageCsv(records, Catalog()).status().message(),
            "records[1]: resource_ms[7]: 3 for a resource the catalog does not name");
  records[1] = Plain(2);
  records[1].labels = {{"b", "1"}, {"a", "2"}};
  EXPECT_EQ(WriteUsageCsv(records, Catalog()).status().message(),
            "records[1]: labels: key 'a' is duplicate or out of order");
}

TEST(UsageTextTest, UtcTextIsRfc3339) {
  EXPECT_EQ(UtcText(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(UtcText(kNov21), "2026-11-21T09:30:00Z");
  EXPECT_EQ(UtcText(kNov21 + 250), "2026-11-21T09:30:00.000250Z");
  EXPECT_EQ(UtcText(1'709'251'199'000'000), "2024-02-29T23:59:59Z");
  EXPECT_EQ(UtcText(kMaxExportTime), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(UtcSecondsText(kNov21), "2026-11-21T09:30:00Z");
  EXPECT_EQ(DecimalMicros(3'000'250), "3.000250");
}

}  // namespace
}  // namespace allot
