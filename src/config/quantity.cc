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
  if (!value.ok()) return value;
  int64_t mib = 0;
  if (!CheckedMultiply(*value, multiplier, &mib) || mib > kMaxQuantity) {
    return InvalidArgument(std::string(field) + ": is too large, got '" + std::string(text) + "'");
  }
  return mib;
}

Result<Duration> ParseDuration(std::string_view text, std::string_view field) {
  // A whole number of seconds, or one with a unit: 90s, 30m, 6h, 3d, 2w.
  int64_t unit = 1;
  std::string_view number = text;
  if (!number.empty()) {
    switch (number.back()) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86400;
        break;
      case 'w':
        unit = 7 * 86400;
        break;
      default:
        unit = 0;
    }
    if (unit != 0) number.remove_suffix(1);
    if (unit == 0) unit = 1;
  }
  Result<int64_t> value = ParseScaled(number, 1, field);
  constexpr int64_t kMaxSeconds = int64_t{10} * 366 * 86400;
  if (!value.ok() || *value > kMaxSeconds / unit) {
    return InvalidArgument(
        std::string(field) + ": '" + std::string(text) +
        "' is not a duration such as 90s, 30m, 6h, 3d or 2w (at most ten years)");
  }
  return Seconds(*value * unit);
}

}  // namespace allot
