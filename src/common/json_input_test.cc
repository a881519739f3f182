#include "common/json_input.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace allot {
namespace {

std::string Nested(int levels, std::string_view inner = "1") {
  return std::string(levels, '[') + std::string(inner) + std::string(levels, ']');
}

TEST(JsonInputTest, DepthCountsBracketsOutsideStringsOnly) {
  EXPECT_EQ(JsonNestingDepth("1", 64), 0);
  EXPECT_EQ(JsonNestingDepth(R"({"a": [1, {"b": []}]})", 64), 4);
  EXPECT_EQ(JsonNestingDepth(R"({"a": "[[[[{{{{"})", 64), 1);
  EXPECT_EQ(JsonNestingDepth(R"({"a": "\"[[[["})", 64), 1);  // an escaped quote stays inside
  EXPECT_EQ(JsonNestingDepth(R"(["\\", [[]]])", 64), 3);     // an escaped backslash ends
  EXPECT_EQ(JsonNestingDepth("]]]][", 64), 1);               // unbalanced: the parser's job
}

TEST(JsonInputTest, DepthScanStopsPastTheLimit) {
  EXPECT_EQ(JsonNestingDepth(Nested(100000), 64), 65);
}

TEST(JsonInputTest, ParsesUpToTheLimitAndRefusesDeeper) {
  nlohmann::json value;
  EXPECT_TRUE(ParseJsonInput(Nested(kMaxJsonDepth), "body", &value).ok());
  EXPECT_TRUE(value.is_array());
  Status deep = ParseJsonInput(Nested(kMaxJsonDepth + 1), "body", &value);
  EXPECT_EQ(deep.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(deep.message(), "body: nested deeper than 64 levels of arrays and objects");
  EXPECT_TRUE(value.is_discarded());
}

TEST(JsonInputTest, RefusesTheDocumentThatOverflowedTheStack) {
  // {"temperature": [[[...1...]]]} 100,000 levels: dump() of it recursed
  // once per level and overflowed the gateway's stack.
  std::string body = R"({"model":"m","temperature":)" + Nested(100000) + "}";
  nlohmann::json value;
  Status status = ParseJsonInput(body, "body", &value);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(value.is_discarded());
}

TEST(JsonInputTest, RefusesInvalidUtf8AndMalformedText) {
  nlohmann::json value;
  Status utf8 = ParseJsonInput("{\"tenant\": \"\xff\"}", "body", &value);
  EXPECT_EQ(utf8.message(), "body: not valid UTF-8 (byte 0xff at offset 12)");
  EXPECT_EQ(ParseJsonInput("{\"a\":", "body", &value).message(), "body: malformed JSON");
  // A lone surrogate escape is refused by the parser.
  EXPECT_FALSE(ParseJsonInput(R"({"a": "\udc00"})", "body", &value).ok());
}

TEST(JsonInputTest, DumpNeverThrowsOnInvalidUtf8) {
  nlohmann::json value = {{"tenant", std::string("a\xff")}};
  EXPECT_THROW(value.dump(), nlohmann::json::type_error);  // what the server did
  EXPECT_EQ(DumpJson(value), "{\"tenant\":\"a\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace allot
