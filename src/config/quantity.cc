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

Result<int64_t> ParseMoneyMicros(std::string_view text, std::string_view field) {
  return ParseScaled(text, 1'000'000, field);
}

}  // namespace allot
