#pragma once

#include <cstdint>
#include <string_view>

#include "common/result.h"
#include "common/time.h"

namespace allot {

// Parsers for human-written quantities in configuration and requests. All
// return exact int64 fixed-point values (no floating point) and fail with
// InvalidArgument naming `field` on malformed, negative or absurd input.

// A decimal number scaled by `scale`, e.g. ParseScaled("0.5", 1000) = 500
// (cpu cores -> milli-cores). At most as many decimals as `scale` has zeros.
Result<int64_t> ParseScaled(std::string_view text, int64_t scale, std::string_view field);
// Memory in MiB: a plain number is MiB; suffixes Mi, Gi, Ti (binary) are
// accepted: "512Gi" = 524288.
Result<int64_t> ParseMemoryMib(std::string_view text, std::string_view field);
// A duration, the one form of every duration field: a number (up to 6
// decimals) with a unit us, ms, s, m, h, d or w ("250ms", "1.5h", "3d"), or a
// plain number of seconds ("90", "0.25"). Exact to the microsecond; at most
// ten years.
Result<Duration> ParseDuration(std::string_view text, std::string_view field);

}  // namespace allot
