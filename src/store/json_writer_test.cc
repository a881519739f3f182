// JsonWriter writes the bytes nlohmann::json::dump() writes for the same value.
#include "store/json_writer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "store/codec.h"
#include "store/json_fields.h"

namespace allot::store {
namespace {

using nlohmann::json;

std::string Written(const std::function<void(JsonWriter&)>& write) {
  std::string text;
  JsonWriter writer(&text);
  write(writer);
  return text;
}

TEST(JsonWriterTest, SameBytesAsNlohmann) {
  std::string text = Written([](JsonWriter& w) {
    w.BeginObject();
    w.Field("a", int64_t{-7});
    w.Key("b");
    w.BeginArray();
    w.Uint(18446744073709551615u);
    w.Double(2.0);
    w.Double(0.1);
    w.Double(1e-7);
    w.Double(1.5e300);
    w.Null();
    w.Bool(false);
    w.BeginObject();
    w.EndObject();
    w.BeginArray();
    w.EndArray();
    w.EndArray();
    w.Field("c", "x");
    w.Key("d");
    w.Raw(R"({"k":[1,2]})");
    w.EndObject();
  });
  json expected = {{"a", -7},
                   {"b",
                    {18446744073709551615u, 2.0, 0.1, 1e-7, 1.5e300, nullptr, false, json::object(),
                     json::array()}},
                   {"c", "x"},
                   {"d", {{"k", {1, 2}}}}};
  EXPECT_EQ(text, expected.dump());
}

TEST(JsonWriterTest, EscapesAsNlohmann) {
  std::string all;
  for (int c = 1; c < 0x80; ++c) all.push_back(static_cast<char>(c));
  all += "é€😀";  // multi-byte UTF-8 passes through
  EXPECT_EQ(Written([&](JsonWriter& w) { w.String(all); }), json(all).dump());
  EXPECT_EQ(Written([&](JsonWriter& w) {
              w.BeginObject();
              w.Field("\n\"", all);
              w.EndObject();
            }),
            json({{"\n\"", all}}).dump());
}

TEST(JsonWriterTest, InvalidUtf8BecomesReplacementCharacter) {
  const std::string bad[] = {"a\xff",   "\xc3", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                             "\xc0\xaf"};
  for (const std::string& text : bad) {
    std::string written = Written([&](JsonWriter& w) { w.String(text); });
    json parsed = json::parse(written, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(parsed.is_discarded()) << written;
    EXPECT_NE(parsed.get<std::string>().find("\xef\xbf\xbd"), std::string::npos) << written;
  }
}

TEST(JsonWriterTest, KeysOutOfOrderAreABug) {
  EXPECT_DEATH(Written([](JsonWriter& w) {
                 w.BeginObject();
                 w.Field("b", 1);
                 w.Field("a", 2);
               }),
               "");
}

TEST(JsonWriterTest, LabelsSortedWithTheLastDuplicateWinning) {
  Labels labels = {{"b", "2"}, {"a", "1"}, {"b", "3"}};
  json expected = json::object();
  for (const auto& [key, value] : labels) expected[key] = value;
  EXPECT_EQ(Written([&](JsonWriter& w) { WriteLabels(w, labels); }), expected.dump());
  EXPECT_EQ(Written([&](JsonWriter& w) { WriteLabels(w, {}); }), "{}");
}

TEST(JsonWriterTest, RequestTextIsTheCanonicalForm) {
  ResourceCatalog catalog = ResourceCatalog::Create({"rdma"}).value();
  Request request;
  request.tenant = "acme/ml";
  request.priority_class = "batch";
  request.members = 3;
  request.member.resources[kGpu] = 1500;
  request.member.resources[kCpu] = 2000;
  request.member.resources[kMemory] = 4096;
  request.member.resources[catalog.Find("rdma")] = 2;
  request.member.mig_profile = "1g.10gb";
  request.gpu_models = {"H100", "A100"};
  request.pool = "p";
  request.node_selector = {{"zone", "a"}};
  request.estimate = 90 * kMicrosPerSecond;
  request.ttl = 1500;
  request.labels = {{"team", "ml"}, {"run", "7"}};
  request.idempotency_key = "k";
  request.model = "m";
  request.input_tokens = 10;
  request.max_output_tokens = 20;
  json value = RequestToJson(request, catalog);
  // The DOM's own print is sorted: the writer's text must be that print.
  EXPECT_EQ(Written([&](JsonWriter& w) { WriteRequestJson(w, request, catalog); }), value.dump());
  Result<Request> back = RequestFromJson(value, catalog);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->member.resources, request.member.resources);
  EXPECT_EQ(back->ttl, request.ttl);
}

}  // namespace
}  // namespace allot::store
