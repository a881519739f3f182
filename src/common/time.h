#pragma once

#include <cstdint>

namespace allot {

// Engine time: microseconds since the Unix epoch, always injected by the caller
// (the server passes the wall clock, the simulator a virtual clock). The engine
// never reads a clock itself.
using Time = int64_t;
// A span of engine time in microseconds.
using Duration = int64_t;

inline constexpr Duration kMicrosPerSecond = 1'000'000;
inline constexpr Duration Seconds(int64_t seconds) { return seconds * kMicrosPerSecond; }

}  // namespace allot
