#pragma once

// Internal to the store's codecs: strict reading of JSON objects and the
// exact conversions of quantities and durations between JSON and allot's
// fixed-point integers. Every error is InvalidArgument "<field>: <why>";
// callers that read stored data (snapshots) turn it into DataLoss.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "common/resources.h"
#include "common/result.h"
#include "common/time.h"
#include "model/inventory.h"

namespace allot::store {

// Strings of the API (names, keys, label keys and values) are at most this long.
inline constexpr size_t kMaxStringBytes = 256;
inline constexpr size_t kMaxLabels = 64;

// "resources" + "gpu" -> "resources.gpu"; an empty path gives just the key.
std::string JoinField(std::string_view path, std::string_view key);

// One JSON object, read strictly: Open refuses a value that is not an object
// and any key outside `known` and `extra`; the getters check type and range.
// Optional getters leave *out alone when the key is absent; null is a wrong
// type, not an absence. Holds a pointer to the object: the JSON must outlive it.
class ObjectReader {
 public:
  static Result<ObjectReader> Open(const nlohmann::json& value, std::string path,
                                   std::span<const std::string_view> known,
                                   std::span<const std::string_view> extra = {});

  const nlohmann::json* Find(std::string_view key) const;
  std::string Field(std::string_view key) const { return JoinField(path_, key); }
  // InvalidArgument "<field>: required" when absent.
  Status Require(std::string_view key) const;

  Status Int(std::string_view key, int64_t min, int64_t max, int64_t* out) const;
  Status Uint(std::string_view key, uint64_t* out) const;
  Status String(std::string_view key, size_t max_bytes, std::string* out) const;
  Status Bool(std::string_view key, bool* out) const;

 private:
  ObjectReader(const nlohmann::json* object, std::string path)
      : object_(object), path_(std::move(path)) {}
  const nlohmann::json* object_;
  std::string path_;
};

// Reads an integer in [min, max]; floats (even 2.0) and strings are refused.
Result<int64_t> ReadInt(const nlohmann::json& value, int64_t min, int64_t max,
                        std::string_view field);

// A decimal quantity scaled by `scale` (gpu: 1000 milli-GPU per GPU), given
// as a JSON number or a decimal string; at most as many decimals as `scale`
// has zeros. Numbers are converted through their shortest decimal text (the
// text that reads back to the same double), never by float arithmetic, so
// 0.5 gives exactly 500 and 0.0005 is refused.
Result<int64_t> ReadScaled(const nlohmann::json& value, int64_t scale, std::string_view field);
// Memory in MiB: an integer, or a string with Mi / Gi / Ti.
Result<int64_t> ReadMemoryMib(const nlohmann::json& value, std::string_view field);
// A non-negative integer count (slots, custom resources), at most kMaxQuantity.
Result<int64_t> ReadCount(const nlohmann::json& value, std::string_view field);
// A duration, at most ten years: seconds as a number (up to 6 decimals), or a
// string: whole seconds, "90s", "15m", "2h", "3d", "2w" (config/quantity.h),
// and, for exact round trips, "1500ms" (up to 3 decimals) and "1500000us".
Result<Duration> ReadDuration(const nlohmann::json& value, std::string_view field);

// The inverses. A whole multiple of `scale` is written as a JSON integer,
// anything else as an exact decimal string ("0.125").
nlohmann::json ScaledToJson(int64_t value, int64_t scale);
// Whole seconds as a JSON integer, anything else as "<n>us".
nlohmann::json DurationToJson(Duration duration);

// Labels as a JSON object of strings (at most kMaxLabels, keys non-empty).
Result<Labels> ReadLabels(const nlohmann::json& value, std::string_view field);
nlohmann::json LabelsToJson(const Labels& labels);

// Serialises without ever throwing: invalid UTF-8 in a string (which no
// parsed JSON holds) is replaced by U+FFFD rather than aborting a commit.
std::string Dump(const nlohmann::json& value);

}  // namespace allot::store
