#pragma once

#include <string>

namespace allot::testing {

// Where the tests find what the build made and what lies beside the checkout.
// Only test_paths.cc is compiled with these paths (CMake definitions on that
// one file), so the rest of the test sources compile the same in any checkout
// and share ccache entries between work trees.
std::string AllotBinary();         // the `allot` executable
std::string FakeUpstreamBinary();  // `allot-fake-upstream`
std::string SourceDir();           // the checkout's root
std::string TracesDir();           // ../shared/traces beside the checkout

}  // namespace allot::testing
