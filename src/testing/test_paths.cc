#include "testing/test_paths.h"

#if !defined(ALLOT_BINARY) || !defined(ALLOT_FAKE_UPSTREAM_BINARY) || \
    !defined(ALLOT_SOURCE_DIR) || !defined(ALLOT_TRACES_DIR)
#error "CMake defines the test paths on this file"
#endif

namespace allot::testing {

std::string AllotBinary() { return ALLOT_BINARY; }
std::string FakeUpstreamBinary() { return ALLOT_FAKE_UPSTREAM_BINARY; }
std::string SourceDir() { return ALLOT_SOURCE_DIR; }
std::string TracesDir() { return ALLOT_TRACES_DIR; }

}  // namespace allot::testing
