#pragma once

#include <ostream>
#include <string_view>

namespace allot {

// `allot keygen`: makes a new API key for `name`, bound to `tenant` (a path
// or unique name; "" or "/" = the root) with `role` (agent, tenant_admin or
// admin), and prints to `out` the key, once, and the api_keys entry with its
// SHA-256 to paste into the configuration. Nothing is stored: the key exists
// only in this output. Bad arguments are reported on stderr. Returns the
// process exit code (0, 2 for bad arguments, 1 when no key could be made).
int RunKeygen(std::string_view name, std::string_view tenant, std::string_view role,
              std::ostream& out);

}  // namespace allot
