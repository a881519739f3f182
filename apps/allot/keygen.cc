#include "keygen.h"

#include <iostream>
#include <string>

#include "config/server_config.h"
#include "server/auth.h"

namespace allot {
namespace {

// A YAML double-quoted scalar. Only printable ASCII reaches here, so '"' and
// '\' are all that need escaping.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool Printable(std::string_view text) {
  for (char c : text) {
    if (c < ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

int RunKeygen(std::string_view name, std::string_view tenant, std::string_view role,
              std::ostream& out) {
  // The checks the configuration would make later, where they need no
  // tenant tree: a key printed now but refused at load is a wasted secret.
  if (name.empty() || !Printable(name)) {
    std::cerr << "allot keygen: the name must be non-empty printable ASCII\n";
    return 2;
  }
  if (!Printable(tenant)) {
    std::cerr << "allot keygen: --tenant must be printable ASCII\n";
    return 2;
  }
  Role parsed = Role::kAgent;
  if (!ParseRole(role, &parsed)) {
    std::cerr << "allot keygen: --role must be agent, tenant_admin or admin\n";
    return 2;
  }
  const bool root = tenant.empty() || tenant == "/";
  if (parsed == Role::kAdmin && !root) {
    std::cerr << "allot keygen: an admin key must be bound to the root (--tenant \"\")\n";
    return 2;
  }
  Result<std::string> key = GenerateApiKey();
  if (!key.ok()) {
    std::cerr << "allot keygen: " << key.status().message() << "\n";
    return 1;
  }
  out << "API key " << Quoted(name) << " (role " << RoleName(parsed) << ", tenant "
      << (root ? std::string("the root") : Quoted(tenant)) << "):\n\n"
      << "    " << *key << "\n\n"
      << "This is the only time the key is shown: allot does not store it anywhere, the\n"
      << "configuration holds only its SHA-256. Hand it to its holder now (as ALLOT_API_KEY\n"
      << "or an \"Authorization: Bearer <key>\" header).\n\n"
      << "Add this entry under api_keys: in the configuration, then reload the server\n"
      << "(the tenant is checked when the configuration is loaded):\n\n"
      << "  - {name: " << Quoted(name) << ", sha256: " << Sha256Hex(*key)
      << ", tenant: " << Quoted(root ? "" : tenant) << ", role: " << RoleName(parsed) << "}\n";
  return 0;
}

}  // namespace allot
