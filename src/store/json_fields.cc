#include "store/json_fields.h"

#include <fmt/format.h>

#include <cmath>

#include "common/json_input.h"
#include "config/quantity.h"

namespace allot::store {
namespace {

using nlohmann::json;

constexpr Duration kMaxDuration = Seconds(int64_t{10} * 366 * 86400);  // as ParseDuration

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() > suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// Moves the exponent of "1.25e-05" into the digits ("0.0000125") and trims
// redundant zeros ("100.0" -> "100"), so that ParseScaled, which reads only
// plain decimals, sees the number's exact decimal value.
std::string ExpandExponent(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  int exponent = 0;
  if (size_t e = text.find_first_of("eE"); e != std::string_view::npos) {
    std::string_view power = text.substr(e + 1);
    bool negative_power = !power.empty() && power[0] == '-';
    if (!power.empty() && (power[0] == '-' || power[0] == '+')) power.remove_prefix(1);
    for (char c : power) exponent = exponent * 10 + (c - '0');  // |e| <= 324 for a double
    if (negative_power) exponent = -exponent;
    text = text.substr(0, e);
  }
  std::string digits;
  int point = 0;  // digits before the decimal point
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  digits.append(whole);
  point = static_cast<int>(whole.size()) + exponent;
  if (dot != std::string_view::npos) digits.append(text.substr(dot + 1));

  std::string plain;
  if (point <= 0) {
    plain = "0." + std::string(static_cast<size_t>(-point), '0') + digits;
  } else if (static_cast<size_t>(point) >= digits.size()) {
    plain = digits + std::string(static_cast<size_t>(point) - digits.size(), '0');
  } else {
    plain = digits.substr(0, static_cast<size_t>(point)) + "." +
            digits.substr(static_cast<size_t>(point));
  }
  if (plain.find('.') != std::string::npos) {
    while (plain.back() == '0') plain.pop_back();
    if (plain.back() == '.') plain.pop_back();
  }
  size_t first = plain.find_first_not_of('0');
  if (first == std::string::npos) return "0";
  if (plain[first] == '.') --first;  // keep the zero of "0.5"
  plain.erase(0, first);
  return negative ? "-" + plain : plain;
}

// The exact decimal text of a JSON number. A float goes through nlohmann's
// dump, the shortest text that reads back to the same double: the decimal
// the sender wrote whenever it had at most 15 significant digits.
Result<std::string> NumberText(const json& value, std::string_view field) {
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (!std::isfinite(value.get<double>())) {
    return InvalidArgument(std::string(field) + ": must be a finite number");
  }
  return ExpandExponent(value.dump());
}

}  // namespace

std::string JoinField(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  std::string field(path);
  field += '.';
  field += key;
  return field;
}

Result<ObjectReader> ObjectReader::Open(const json& value, std::string path,
                                        std::span<const std::string_view> known,
                                        std::span<const std::string_view> extra) {
  if (!value.is_object()) {
    return InvalidArgument((path.empty() ? std::string("body") : path) + ": must be a JSON object");
  }
  for (const auto& [key, unused] : value.items()) {
    bool listed = false;
    for (std::string_view name : known) listed = listed || name == key;
    for (std::string_view name : extra) listed = listed || name == key;
    if (!listed) return InvalidArgument(JoinField(path, key) + ": unknown field");
  }
  return ObjectReader(&value, std::move(path));
}

const json* ObjectReader::Find(std::string_view key) const {
  auto it = object_->find(key);
  return it == object_->end() ? nullptr : &*it;
}

Status ObjectReader::Require(std::string_view key) const {
  if (Find(key) == nullptr) return InvalidArgument(Field(key) + ": required");
  return Status::Ok();
}

Status ObjectReader::Int(std::string_view key, int64_t min, int64_t max, int64_t* out) const {
  const json* value = Find(key);
  if (value == nullptr) return Status::Ok();
  Result<int64_t> read = ReadInt(*value, min, max, Field(key));
  if (!read.ok()) return read.status();
  *out = *read;
  return Status::Ok();
}

Status ObjectReader::Uint(std::string_view key, uint64_t* out) const {
  const json* value = Find(key);
  if (value == nullptr) return Status::Ok();
  if (value->is_number_unsigned()) {
    *out = value->get<uint64_t>();
    return Status::Ok();
  }
  if (value->is_number_integer() && value->get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(value->get<int64_t>());
    return Status::Ok();
  }
  return InvalidArgument(Field(key) + ": must be a non-negative integer");
}

Status ObjectReader::String(std::string_view key, size_t max_bytes, std::string* out) const {
  const json* value = Find(key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_string()) return InvalidArgument(Field(key) + ": must be a string");
  const std::string& text = value->get_ref<const std::string&>();
  if (text.size() > max_bytes) {
    return InvalidArgument(fmt::format("{}: must be at most {} bytes", Field(key), max_bytes));
  }
  *out = text;
  return Status::Ok();
}

Status ObjectReader::Bool(std::string_view key, bool* out) const {
  const json* value = Find(key);
  if (value == nullptr) return Status::Ok();
  if (!value->is_boolean()) return InvalidArgument(Field(key) + ": must be true or false");
  *out = value->get<bool>();
  return Status::Ok();
}

Result<int64_t> ReadInt(const json& value, int64_t min, int64_t max, std::string_view field) {
  if (!value.is_number_integer())
    return InvalidArgument(std::string(field) + ": must be an integer");
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return InvalidArgument(fmt::format("{}: must be <= {}", field, max));
  }
  int64_t number = value.get<int64_t>();
  if (number < min) return InvalidArgument(fmt::format("{}: must be >= {}", field, min));
  if (number > max) return InvalidArgument(fmt::format("{}: must be <= {}", field, max));
  return number;
}

Result<int64_t> ReadScaled(const json& value, int64_t scale, std::string_view field) {
  if (value.is_string()) return ParseScaled(value.get_ref<const std::string&>(), scale, field);
  if (!value.is_number()) {
    return InvalidArgument(std::string(field) + ": must be a number or a decimal string");
  }
  Result<std::string> text = NumberText(value, field);
  if (!text.ok()) return text.status();
  return ParseScaled(*text, scale, field);
}

Result<int64_t> ReadMemoryMib(const json& value, std::string_view field) {
  if (value.is_string()) return ParseMemoryMib(value.get_ref<const std::string&>(), field);
  if (!value.is_number()) {
    return InvalidArgument(std::string(field) +
                           ": must be MiB as an integer or a string such as \"16Gi\"");
  }
  Result<std::string> text = NumberText(value, field);
  if (!text.ok()) return text.status();
  return ParseMemoryMib(*text, field);
}

Result<int64_t> ReadCount(const json& value, std::string_view field) {
  return ReadInt(value, 0, kMaxQuantity, field);
}

Result<Duration> ReadDuration(const json& value, std::string_view field) {
  Result<Duration> duration = Duration{0};
  if (value.is_number()) {
    Result<std::string> text = NumberText(value, field);
    if (!text.ok()) return text.status();
    duration = ParseScaled(*text, kMicrosPerSecond, field);
  } else if (value.is_string()) {
    std::string_view text = value.get_ref<const std::string&>();
    if (EndsWith(text, "us")) {
      duration = ParseScaled(text.substr(0, text.size() - 2), 1, field);
    } else if (EndsWith(text, "ms")) {
      duration = ParseScaled(text.substr(0, text.size() - 2), 1000, field);
    } else {
      duration = ParseDuration(text, field);
    }
  } else {
    return InvalidArgument(std::string(field) +
                           ": must be seconds as a number or a string such as \"90s\"");
  }
  if (!duration.ok()) return duration.status();
  if (*duration > kMaxDuration) {
    return InvalidArgument(std::string(field) + ": must be at most ten years");
  }
  return duration;
}

json ScaledToJson(int64_t value, int64_t scale) {
  if (value % scale == 0) return value / scale;
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  uint64_t unit = static_cast<uint64_t>(scale);
  std::string fraction = std::to_string(magnitude % unit);
  // Left-pad to the unit's decimals (scale 1000: 5 -> "005"), then trim.
  size_t decimals = std::to_string(unit).size() - 1;
  fraction.insert(0, decimals - fraction.size(), '0');
  while (fraction.back() == '0') fraction.pop_back();
  return (value < 0 ? "-" : "") + std::to_string(magnitude / unit) + "." + fraction;
}

json DurationToJson(Duration duration) {
  if (duration % kMicrosPerSecond == 0) return duration / kMicrosPerSecond;
  return std::to_string(duration) + "us";
}

Result<Labels> ReadLabels(const json& value, std::string_view field) {
  if (!value.is_object()) {
    return InvalidArgument(std::string(field) + ": must be an object of strings");
  }
  if (value.size() > kMaxLabels) {
    return InvalidArgument(fmt::format("{}: at most {} labels", field, kMaxLabels));
  }
  Labels labels;
  // A JSON object iterates in key order, so the labels come out sorted.
  for (const auto& [key, text] : value.items()) {
    std::string entry = JoinField(field, key);
    if (key.empty()) return InvalidArgument(std::string(field) + ": label keys must not be empty");
    if (key.size() > kMaxStringBytes) {
      return InvalidArgument(
          fmt::format("{}: keys must be at most {} bytes", field, kMaxStringBytes));
    }
    if (!text.is_string()) return InvalidArgument(entry + ": must be a string");
    if (text.get_ref<const std::string&>().size() > kMaxStringBytes) {
      return InvalidArgument(fmt::format("{}: must be at most {} bytes", entry, kMaxStringBytes));
    }
    labels.emplace_back(key, text.get<std::string>());
  }
  return labels;
}

json LabelsToJson(const Labels& labels) {
  json object = json::object();
  for (const auto& [key, text] : labels) object[key] = text;
  return object;
}

std::string Dump(const json& value) { return DumpJson(value); }

}  // namespace allot::store
