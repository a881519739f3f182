#pragma once

// Shared by the fuzz targets (docs/fuzzing.md): the configuration they decode
// under, and the invariant check that stops the fuzzer with a message.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "config/config_loader.h"

namespace allot::fuzz {

// The embedded default configuration, parsed once (the fuzzers decode leases,
// snapshots and usage records under its inventory and tenancy).
const Config& DefaultConfig();

// Stops the run with `what` when `ok` is false: libFuzzer records the input
// as a crash (abort is reported like a sanitizer finding).
inline void Expect(bool ok, std::string_view what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

}  // namespace allot::fuzz
