#include "budget/money.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace allot {
namespace {

// Active ISO 4217 alphabetic codes (list of 2024), sorted for binary search.
constexpr std::array<std::string_view, 156> kCurrencies = {
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT",
    "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD",
    "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD",
    "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ",
    "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD",
    "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB",
    "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS",
    "VED", "VES", "VND", "VUV", "WST", "XAF", "XCD", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG"};

}  // namespace

bool IsKnownCurrency(std::string_view code) {
  return std::binary_search(kCurrencies.begin(), kCurrencies.end(), code);
}

Result<Money> ParseMoney(std::string_view text, std::string_view field) {
  auto invalid = [&](std::string_view why) {
    return InvalidArgument(fmt::format("{}: '{}' {}", field, text, why));
  };
  if (text.empty()) return invalid("is empty; expected an amount such as 2.50");
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return invalid("is not a number");
  if (text.front() == '-') return invalid("is negative; amounts must be >= 0");
  for (std::string_view part : {whole, fraction}) {
    for (char c : part) {
      if (c < '0' || c > '9') return invalid("is not a plain decimal amount such as 2.50");
    }
  }
  if (fraction.size() > 6) return invalid("has more than 6 decimals (a micro-unit)");
  if (whole.size() > 12) return invalid("is too large (at most 999999999999)");
  Money micros = 0;
  for (char c : whole) micros = micros * 10 + (c - '0');
  micros *= kMicrosPerUnit;
  Money scale = kMicrosPerUnit / 10;
  for (char c : fraction) {
    micros += (c - '0') * scale;
    scale /= 10;
  }
  return micros;
}

std::string FormatMoney(Money amount) {
  // Magnitude as unsigned so the most negative value formats too.
  uint64_t magnitude =
      amount < 0 ? 0 - static_cast<uint64_t>(amount) : static_cast<uint64_t>(amount);
  return fmt::format("{}{}.{:06}", amount < 0 ? "-" : "", magnitude / kMicrosPerUnit,
                     magnitude % kMicrosPerUnit);
}

}  // namespace allot
