#pragma once

// ALLOT_CHECK is always on and fatal: it guards invariants that cannot fail
// unless allot itself has a bug. Bad input is never a CHECK; it is a Status.
#define ALLOT_CHECK(condition)                                              \
  do {                                                                      \
    if (!(condition)) ::allot::CheckFailed(#condition, __FILE__, __LINE__); \
  } while (false)

namespace allot {
[[noreturn]] void CheckFailed(const char* condition, const char* file, int line);
}  // namespace allot
