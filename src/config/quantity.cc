#include "config/quantity.h"

#include <string>

#include "common/resources.h"

namespace allot {

Result<int64_t> ParseScaled(std::string_view text, int64_t scale, std::string_view field) {
  auto error = [&](const std::string& why) {
    return InvalidArgument(std::string(field) + ": " + why + ", got '" + std::string(text) + "'");
  };
  if (text.empty()) return error("must be a number");
  if (text[0] == '-') return error("must be >= 0");
  int64_t whole = 0;
  int64_t fraction = 0;
  int64_t fraction_scale = scale;
  bool seen_dot = false;
  bool seen_digit = false;
  for (char c : text) {
    if (c == '.') {
      if (seen_dot) return error("must be a number");
      seen_dot = true;
      continue;
    }
    if (c < '0' || c > '9') return error("must be a number");
    seen_digit = true;
    int digit = c - '0';
    if (!seen_dot) {
      if (!CheckedMultiply(whole, 10, &whole) || !CheckedAdd(whole, digit, &whole)) {
        return error("is too large");
      }
    } else {
      fraction_scale /= 10;
      if (fraction_scale == 0) return error("has more decimals than the unit allows");
      fraction += digit * fraction_scale;
    }
  }
  if (!seen_digit) return error("must be a number");
  int64_t value = 0;
  if (!CheckedMultiply(whole, scale, &value) || !CheckedAdd(value, fraction, &value) ||
      value > kMaxQuantity) {
    return error("is too large");
  }
  return value;
}

Result<int64_t> ParseMemoryMib(std::string_view text, std::string_view field) {
  int64_t multiplier = 1;
  std::string_view number = text;
  auto ends_with = [&](std::string_view suffix) {
    return number.size() > suffix.size() && number.substr(number.size() - suffix.size()) == suffix;
  };
  if (ends_with("Ti")) {
    multiplier = 1024 * 1024;
    number.remove_suffix(2);
  } else if (ends_with("Gi")) {
    multiplier = 1024;
    number.remove_suffix(2);
  } else if (ends_with("Mi")) {
    number.remove_suffix(2);
  }
  Result<int64_t> value = ParseScaled(number, 1, field);
  if (!value.ok()) {
    // Negative, too large and fractional say so; anything else is not a
    // quantity at all ("12 GB", "512gi"): name every form that is.
    const std::string& message = value.status().message();
    if (text.starts_with('-') || message.find("too large") != std::string::npos ||
        message.find("decimals") != std::string::npos) {
      return value;
    }
    return InvalidArgument(std::string(field) +
                           ": must be a number of MiB or a whole number with one of the suffixes "
                           "Mi, Gi, Ti (binary: 1Gi = 1024Mi; such as 512Gi), got '" +
                           std::string(text) + "'");
  }
  int64_t mib = 0;
  if (!CheckedMultiply(*value, multiplier, &mib) || mib > kMaxQuantity) {
    return InvalidArgument(std::string(field) + ": is too large, got '" + std::string(text) + "'");
  }
  return mib;
}

Result<Duration> ParseDuration(std::string_view text, std::string_view field) {
  // NUMBER[UNIT]: a decimal number (up to 6 decimals) and one of us, ms, s,
  // m, h, d, w; no unit is seconds, as every duration field has always been.
  // The value is exact in microseconds:
  //   micros = number_in_millionths * unit_micros / 1,000,000
  // and refused when that division leaves a remainder (finer than 1 us).
  struct Unit {
    std::string_view suffix;
    int64_t micros;
  };
  // Two-letter suffixes first: "ms" must not read as minutes.
  static constexpr Unit kUnits[] = {{"us", 1},
                                    {"ms", 1'000},
                                    {"s", kMicrosPerSecond},
                                    {"m", 60 * kMicrosPerSecond},
                                    {"h", 3'600 * kMicrosPerSecond},
                                    {"d", 86'400 * kMicrosPerSecond},
                                    {"w", 7 * 86'400 * kMicrosPerSecond}};
  constexpr Duration kMaxDuration = Seconds(int64_t{10} * 366 * 86400);
  auto error = [&] {
    return InvalidArgument(std::string(field) + ": '" + std::string(text) +
                           "' is not a duration such as 250ms, 30s, 10m, 6h, 1d or 2w (a number "
                           "with one of the units us, ms, s, m, h, d, w; a plain number is "
                           "seconds; at most ten years)");
  };
  std::string_view number = text;
  int64_t unit_micros = kMicrosPerSecond;
  for (const Unit& unit : kUnits) {
    if (number.size() > unit.suffix.size() && number.ends_with(unit.suffix)) {
      number.remove_suffix(unit.suffix.size());
      unit_micros = unit.micros;
      break;
    }
  }
  Result<int64_t> millionths = ParseScaled(number, 1'000'000, field);
  if (!millionths.ok()) return error();
  // Whole units and the fraction apart, so that no product overflows: the
  // fraction's is below 10^6 * 6.048 * 10^11 (a week in microseconds).
  const int64_t whole = *millionths / 1'000'000;
  const int64_t fraction = *millionths % 1'000'000 * unit_micros;
  Duration micros = 0;
  if (!CheckedMultiply(whole, unit_micros, &micros) || fraction % 1'000'000 != 0) return error();
  micros += fraction / 1'000'000;
  if (micros > kMaxDuration) return error();
  return micros;
}

}  // namespace allot
