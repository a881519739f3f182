#pragma once

#include <rapidjson/fwd.h>

#include <string>
#include <string_view>

#include "common/result.h"
#include "common/time.h"
#include "model/inventory.h"

namespace allot {

// Text encodings shared by the metering exports: times, decimals, labels.

// The latest instant an export writes: 9999-12-31T23:59:59.999999Z, so that
// every timestamp has a four-digit year as RFC 3339 and ISO 8601 expect.
inline constexpr Time kMaxExportTime = 253'402'300'799'999'999;

// RFC 3339 UTC text of `t`, microseconds dropped when zero:
// "2026-11-21T09:30:00Z", "2026-11-21T09:30:00.000250Z". A private stand-in
// for FormatUtc (budget/calendar.h) until the calendar module is linked;
// the two must print the same.
std::string UtcText(Time t);
// ISO 8601 to the second, as FOCUS requires: "2026-11-21T09:30:00Z". `t`
// must be a whole second (CHECKed).
std::string UtcSecondsText(Time t);

// A count of 1e-6 as a decimal with 6 decimals: 3'000'250 -> "3.000250".
std::string DecimalMicros(int64_t micros);

// Labels as one JSON object, {"team":"ml","tier":"gold"}: the encoding of
// the usage files' labels and of the FOCUS Tags column (its key-value
// format). Keys in the labels' (sorted) order; any bytes round-trip.
std::string LabelsToJson(const Labels& labels);
// Reads a JSON object of string values back into sorted labels; `field`
// prefixes errors ("line 3: labels: ...").
Result<Labels> LabelsFromJson(std::string_view text, std::string_view field);
Result<Labels> LabelsFromJsonValue(const rapidjson::Value& value, std::string_view field);

}  // namespace allot
