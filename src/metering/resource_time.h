#pragma once

#include <cstdint>
#include <limits>

namespace allot {

// The largest resource x time a usage record or budget amount holds: int64's
// maximum, in the resource's fixed-point unit x milliseconds. The sizes that
// matter stay far below it (1,000 GPUs in milli-GPU for ten years: 1e6 x
// 3.2e11 ms = 3.2e17 < 9.2e18), but a custom resource with a huge quantity
// (say 1e15 bytes) held for a year (3.2e10 ms) would wrap to a negative figure;
// it is clamped here instead, and an export shows the bound.
inline constexpr int64_t kMaxResourceMs = std::numeric_limits<int64_t>::max();

// quantity x milliseconds, saturated to [0, kMaxResourceMs] (a negative
// quantity or duration holds nothing). Pure; no allocation.
inline int64_t ResourceMs(int64_t quantity, int64_t millis) {
  if (quantity <= 0 || millis <= 0) return 0;
  int64_t product = 0;
  if (__builtin_mul_overflow(quantity, millis, &product)) return kMaxResourceMs;
  return product;
}

}  // namespace allot
