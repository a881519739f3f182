#include "metering/usage_jsonl.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "metering/usage_fields.h"

namespace allot {
namespace {

constexpr Time kNov21 = 1'795'253'400'000'000;  // 2026-11-21T09:30:00Z

ResourceCatalog Catalog() { return *ResourceCatalog::Create({"nvidia.com/mig-1g"}); }

UsageRecord Record(uint64_t lease) {
  UsageRecord r;
  r.lease = LeaseId{lease};
  r.tenant_path = "acme/ml";
  r.priority_class = "batch";
  r.labels = {{"team", "ml"}};
  r.pool = "a100";
  r.location = "n1[0]";
  r.start = kNov21;
  r.end = kNov21 + 2'000'000;
  r.resource_ms[kGpu] = 2'000'000;
  r.tokens = {.input = 4, .cached_input = 1, .output = 2};
  r.cost = 1'250'000;
  r.end_reason = "released";
  return r;
}

std::string Line(uint64_t lease = 1) { return *WriteUsageJsonl({Record(lease)}, Catalog()); }

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

std::string ReadError(const std::string& text) {
  Result<std::vector<UsageRecord>> read = ReadUsageJsonl(text, Catalog());
  return read.ok() ? "(read fine)" : read.status().message();
}

TEST(UsageJsonlTest, RoundTripsEscapesUnicodeAndEveryField) {
  std::vector<UsageRecord> records = {Record(1), Record(2), Record(3)};
  records[0].tenant_path = "acme/r&d, \"labs\"\nsecond\tline\\";
  records[0].labels = {
      {"=;,\"", "v=1;x,\"y\"\r\n"}, {"team", "数据 ü 🚀"}, {"nul", std::string(1, '\0')}};
  std::sort(records[0].labels.begin(), records[0].labels.end());
  records[0].start += 250;
  records[0].resource_ms[kBuiltinResources] = 9;
  records[0].overrun = true;
  records[0].tokens_estimated = true;
  records[1].labels.clear();
  records[1].model = "llama-3-70b";
  records[2].end_reason = "running";
  Result<std::string> text = WriteUsageJsonl(records, Catalog());
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  // One object per line: raw newlines inside strings are escaped.
  EXPECT_EQ(std::count(text->begin(), text->end(), '\n'), 3);
  Result<std::vector<UsageRecord>> back = ReadUsageJsonl(*text, Catalog());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, records);
}

TEST(UsageJsonlTest, RoundTripsExtremes) {
  UsageRecord r = Record(std::numeric_limits<uint64_t>::max());
  r.start = 0;
  r.end = kMaxExportTime;
  r.cost = kMaxExportMoney;
  r.tokens = {.input = std::numeric_limits<int64_t>::max(),
              .cached_input = 0,
              .output = std::numeric_limits<int64_t>::max()};
  r.resource_ms[kSlots] = std::numeric_limits<int64_t>::max();
  std::vector<UsageRecord> records = {r};
  EXPECT_EQ(*ReadUsageJsonl(*WriteUsageJsonl(records, Catalog()), Catalog()), records);
}

TEST(UsageJsonlTest, Layout) {
  EXPECT_EQ(Line(7),
            "{\"lease\":7,\"start\":\"2026-11-21T09:30:00Z\",\"end\":\"2026-11-21T09:30:02Z\","
            "\"start_us\":1795253400000000,\"end_us\":1795253402000000,\"tenant_path\":"
            "\"acme/ml\",\"priority_class\":\"batch\",\"pool\":\"a100\",\"location\":\"n1[0]\","
            "\"model\":\"\",\"labels\":{\"team\":\"ml\"},\"gpu_ms\":2000000,\"gpu_memory_ms\":0,"
            "\"cpu_ms\":0,\"memory_ms\":0,\"slots_ms\":0,\"nvidia.com/mig-1g_ms\":0,"
            "\"tokens_input\":4,\"tokens_cached_input\":1,\"tokens_output\":2,"
            "\"tokens_estimated\":false,\"latency_us\":0,\"ttft_us\":0,\"cost\":\"1.250000\",\"end_"
            "reason\":\"released\","
            "\"overrun\":false}\n");
}

TEST(UsageJsonlTest, AcceptsReorderedKeysBlankLinesAndCrlf) {
  std::string line = Line(1);
  // Move "lease" to the end of the object.
  std::string reordered = Replace(line, "\"lease\":1,", "");
  reordered = Replace(reordered, "\"overrun\":false}", "\"overrun\":false,\"lease\":1}");
  reordered = Replace(reordered, "\n", "\r\n");
  Result<std::vector<UsageRecord>> back = ReadUsageJsonl("\n" + reordered + "\n\n", Catalog());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, std::vector<UsageRecord>{Record(1)});
}

TEST(UsageJsonlTest, GatewayMeasuresRoundTripAndMayBeAbsent) {
  UsageRecord call = Record(3);
  call.latency = 41'250;
  call.time_to_first_token = 9'000;
  std::string line = *WriteUsageJsonl({call}, Catalog());
  EXPECT_NE(line.find("\"latency_us\":41250,\"ttft_us\":9000,"), std::string::npos) << line;
  Result<std::vector<UsageRecord>> back = ReadUsageJsonl(line, Catalog());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, std::vector<UsageRecord>{call});
  // Lines written before the gateway existed have neither field: both read as 0.
  std::string old = Replace(Line(1), "\"latency_us\":0,\"ttft_us\":0,", "");
  back = ReadUsageJsonl(old, Catalog());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, std::vector<UsageRecord>{Record(1)});
  EXPECT_EQ(ReadError(Replace(line, "41250", "-1")), "line 1: latency_us: '-1' is negative");
}

TEST(UsageJsonlTest, RejectsBadInputsNamingLineAndField) {
  std::string first = Line(1);  // line 1 is good; the bad edit is on line 2
  struct Case {
    std::string from, to, message;
  };
  std::vector<Case> cases = {
      {"\"cost\":\"1.250000\"", "\"cost\":\"abc\"",
       "line 2: cost: 'abc' is not a plain decimal amount such as 2.50"},
      {"\"cost\":\"1.250000\"", "\"cost\":1.25", "line 2: cost: expected a string, got a number"},
      {"\"tokens_input\":4", "\"tokens_input\":\"4\"",
       "line 2: tokens_input: expected an integer, got a string"},
      {"\"tokens_input\":4", "\"tokens_input\":4.5", "line 2: tokens_input: 4.5 is not a whole"},
      {"\"tokens_input\":4", "\"tokens_input\":-4", "line 2: tokens_input: '-4' is negative"},
      {"\"tokens_cached_input\":1", "\"tokens_cached_input\":5",
       "line 2: tokens_cached_input: 5 is not within 0..tokens_input (4)"},
      {"\"gpu_ms\":2000000", "\"gpu_ms\":-1", "line 2: gpu_ms: '-1' is negative"},
      {"\"end_us\":1795253402000000", "\"end_us\":1795253300000000",
       "line 2: end_us: 1795253300000000 is before start_us"},
      {"\"end\":\"2026-11-21T09:30:02Z\"", "\"end\":\"2026-11-21T10:30:02Z\"",
       "line 2: end: '2026-11-21T10:30:02Z' does not match end_us 1795253402000000"},
      {"\"overrun\":false", "\"overrun\":0", "line 2: overrun: expected true or false, got a"},
      {"\"labels\":{\"team\":\"ml\"}", "\"labels\":\"team=ml\"",
       "line 2: labels: not a JSON object"},
      {"\"labels\":{\"team\":\"ml\"}", "\"labels\":{\"team\":[\"ml\"]}",
       "line 2: labels.team: value must be a string"},
      {"\"model\":\"\",", "", "line 2: missing field 'model'"},
      {"\"model\":\"\",", "\"model\":\"\",\"colour\":\"red\",", "line 2: unknown field 'colour'"},
      {"\"model\":\"\",", "\"model\":\"\",\"model\":\"x\",", "line 2: duplicate field 'model'"},
      {"\"pool\":\"a100\"", "\"pool\":null", "line 2: pool: expected a string, got null"},
      {"\"lease\":2,", "\"lease\":0,", "line 2: lease: must be > 0"},
      {"\"overrun\":false}", "\"overrun\":false", "line 2: not valid JSON at column"},
      {"{\"lease\"", "[{\"lease\"", "line 2: not valid JSON"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.to);
    std::string text = first + Replace(Line(2), c.from, c.to);
    EXPECT_EQ(ReadError(text).rfind(c.message, 0), 0u) << ReadError(text);
  }
  EXPECT_EQ(ReadError(first + "[1]\n"), "line 2: expected an object, got an array");
}

TEST(UsageJsonlTest, RejectsTooDeepAndInvalidUtf8LinesBeforeParsing) {
  // rapidjson's parser recurses once per level: 100,000 levels overflowed it.
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(ReadError(Line(1) + deep + "\n"),
            "line 2: nested deeper than 64 levels of arrays and objects");
  EXPECT_EQ(ReadError(Replace(Line(1), "\"cost\":\"1.250000\"", "\"cost\":\"\xff\"")).substr(0, 30),
            "line 1: not valid UTF-8 (byte ");
}

TEST(UsageJsonlTest, WriterRefusesInvalidRecords) {
  std::vector<UsageRecord> records = {Record(1)};
  records[0].cost = -1;
  EXPECT_EQ(WriteUsageJsonl(records, Catalog()).status().message(),
            "records[0]: cost: -0.000001 is negative");
  records[0] = Record(1);
  records[0].end_reason.clear();
  EXPECT_EQ(WriteUsageJsonl(records, Catalog()).status().message(),
            "records[0]: end_reason: must not be empty");
}

}  // namespace
}  // namespace allot
