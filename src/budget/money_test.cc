#include "budget/money.h"

#include <gtest/gtest.h>

#include <limits>

namespace allot {
namespace {

TEST(MoneyTest, KnownCurrencies) {
  EXPECT_TRUE(IsKnownCurrency("USD"));
  EXPECT_TRUE(IsKnownCurrency("EUR"));
  EXPECT_TRUE(IsKnownCurrency("JPY"));
  EXPECT_FALSE(IsKnownCurrency("usd"));
  EXPECT_FALSE(IsKnownCurrency("XXX"));
  EXPECT_FALSE(IsKnownCurrency("BTC"));
  EXPECT_FALSE(IsKnownCurrency(""));
}

TEST(MoneyTest, ParsesExactDecimals) {
  EXPECT_EQ(*ParseMoney("12", "f"), 12'000'000);
  EXPECT_EQ(*ParseMoney("2.5", "f"), 2'500'000);
  EXPECT_EQ(*ParseMoney("0.000125", "f"), 125);
  EXPECT_EQ(*ParseMoney(".75", "f"), 750'000);
  EXPECT_EQ(*ParseMoney("3.", "f"), 3'000'000);
  EXPECT_EQ(*ParseMoney("0", "f"), 0);
}

TEST(MoneyTest, RefusesWhatItCannotHoldExactly) {
  for (const char* bad :
       {"", "-1", "1e3", "0.0000001", "abc", "1,5", ".", "1.2.3", "1234567890123"}) {
    Result<Money> parsed = ParseMoney(bad, "prices.gpu");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.status().message().find("prices.gpu"), std::string::npos);
  }
}

TEST(MoneyTest, FormatsSixDecimals) {
  EXPECT_EQ(FormatMoney(2'500'000), "2.500000");
  EXPECT_EQ(FormatMoney(125), "0.000125");
  EXPECT_EQ(FormatMoney(-1'500'000), "-1.500000");
  EXPECT_EQ(FormatMoney(0), "0.000000");
  EXPECT_EQ(FormatMoney(std::numeric_limits<Money>::min()), "-9223372036854.775808");
  EXPECT_EQ(*ParseMoney(FormatMoney(987'654'321), "f"), 987'654'321);
}

}  // namespace
}  // namespace allot
