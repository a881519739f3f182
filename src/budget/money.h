#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace allot {

// Money is an int64 count of micro-units (1e-6) of the one currency the
// configuration names: 1.25 USD is 1'250'000. Integer so sums are exact and
// the same on every machine; int64 holds up to 9.2e12 units of currency.
using Money = int64_t;
inline constexpr Money kMicrosPerUnit = 1'000'000;

// True for an active ISO 4217 alphabetic code ("USD", "EUR", "JPY", ...).
bool IsKnownCurrency(std::string_view code);

// Parses a non-negative decimal amount: "12", "0.000125". Exponents, signs
// and more than 6 decimals are InvalidArgument (no price is silently
// rounded); `field` names the input in the error ("prices.pools[0].gpu").
Result<Money> ParseMoney(std::string_view text, std::string_view field);

// "12.500000" style, always 6 decimals; negative amounts keep their sign.
std::string FormatMoney(Money amount);

}  // namespace allot
