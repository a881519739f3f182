#include "common/utf8.h"

#include <gtest/gtest.h>

namespace allot {
namespace {

TEST(Utf8Test, AcceptsWellFormedText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("team-a"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9t\xC3\xA9"));          // été
  EXPECT_TRUE(IsValidUtf8("\xE2\x82\xAC"));               // U+20AC
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));               // U+D7FF, below the surrogates
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));               // U+E000, above them
  EXPECT_TRUE(IsValidUtf8("\xF0\x9F\x98\x80"));           // U+1F600
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));           // U+10FFFF, the last
  EXPECT_TRUE(IsValidUtf8(std::string_view("a\0b", 3)));  // NUL is UTF-8
}

TEST(Utf8Test, RefusesIllFormedTextAtItsFirstBadByte) {
  EXPECT_EQ(InvalidUtf8Offset("\xff\xfe"), 0u);
  EXPECT_EQ(InvalidUtf8Offset("ab\x80"), 2u);            // a lone continuation byte
  EXPECT_EQ(InvalidUtf8Offset("\xC0\xAF"), 0u);          // overlong '/'
  EXPECT_EQ(InvalidUtf8Offset("\xC1\xBF"), 0u);          // overlong
  EXPECT_EQ(InvalidUtf8Offset("\xE0\x80\xAF"), 0u);      // overlong 3-byte
  EXPECT_EQ(InvalidUtf8Offset("\xF0\x80\x80\xAF"), 0u);  // overlong 4-byte
  EXPECT_EQ(InvalidUtf8Offset("x\xED\xA0\x80"), 1u);     // U+D800, a surrogate
  EXPECT_EQ(InvalidUtf8Offset("\xED\xBF\xBF"), 0u);      // U+DFFF
  EXPECT_EQ(InvalidUtf8Offset("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(InvalidUtf8Offset("\xF5\x80\x80\x80"), 0u);  // F5 never starts one
  EXPECT_EQ(InvalidUtf8Offset("ok\xE2\x82"), 2u);        // truncated at the end
  EXPECT_EQ(InvalidUtf8Offset("\xC3\xA9\xC3"), 2u);      // truncated after a good one
}

TEST(Utf8Test, ProblemNamesTheByteAndOffset) {
  std::string_view text = "ab\xff";
  EXPECT_EQ(Utf8Problem(text, InvalidUtf8Offset(text)), "not valid UTF-8 (byte 0xff at offset 2)");
}

TEST(Utf8Test, ScrubReplacesEachBadByteAndKeepsTheRest) {
  EXPECT_EQ(ScrubUtf8("a\xff\xC3\xA9"), "a\xEF\xBF\xBD\xC3\xA9");
  EXPECT_EQ(ScrubUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_TRUE(IsValidUtf8(ScrubUtf8("\xED\xA0\x80\xF4\x90")));
  EXPECT_EQ(ScrubUtf8("plain"), "plain");
}

}  // namespace
}  // namespace allot
