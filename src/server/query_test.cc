#include "server/query.h"

#include <gtest/gtest.h>

namespace allot {
namespace {

TEST(QueryTest, ParsesPathAndParameters) {
  Result<Target> target = ParseTarget("/v1/leases/42?tenant=team%2Da&wait=5");
  ASSERT_TRUE(target.ok()) << target.status().message();
  EXPECT_EQ(target->segments, (std::vector<std::string>{"v1", "leases", "42"}));
  EXPECT_EQ(QueryString(*target, "tenant"), "team-a");
}

TEST(QueryTest, RefusesInvalidUtf8AfterDecodingNamingThePart) {
  Result<Target> query = ParseTarget("/v1/leases?tenant=%ff%fe");
  ASSERT_FALSE(query.ok());
  EXPECT_EQ(query.status().message(),
            "query.tenant: not valid UTF-8 (byte 0xff at offset 0) after percent-decoding");
  Result<Target> path = ParseTarget("/v1/leases/%ff");
  ASSERT_FALSE(path.ok());
  EXPECT_TRUE(path.status().message().starts_with("path: not valid UTF-8"))
      << path.status().message();
  Result<Target> name = ParseTarget("/v1/leases?%c0%af=1");  // an overlong '/'
  ASSERT_FALSE(name.ok());
  EXPECT_TRUE(name.status().message().starts_with("query: not valid UTF-8"));
  // Raw bytes (not percent-encoded) are checked the same way.
  EXPECT_FALSE(ParseTarget("/v1/leases?tenant=\xff").ok());
  // Well-formed multi-byte text passes.
  EXPECT_TRUE(ParseTarget("/v1/leases?tenant=%C3%A9quipe").ok());
}

TEST(QueryTest, CheckTargetUtf8LeavesOtherErrorsToParseTarget) {
  EXPECT_TRUE(CheckTargetUtf8("/v1/leases?tenant=%zz").ok());
  EXPECT_TRUE(CheckTargetUtf8("/v1/chat/completions").ok());
  EXPECT_EQ(CheckTargetUtf8("/v1/leases?a=1&tenant=%ff").message(),
            "query.tenant: not valid UTF-8 (byte 0xff at offset 0) after percent-decoding");
  EXPECT_FALSE(CheckTargetUtf8("/v1/%ED%A0%80").ok());  // a surrogate
}

}  // namespace
}  // namespace allot
