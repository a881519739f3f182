#pragma once

// API keys and what their holders may do (docs/api.md, Auth). No HTTP here:
// the server hands over the Authorization header and asks the questions.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "config/server_config.h"  // Role, ApiKeySpec
#include "tenancy/tenants.h"

namespace allot {

// The SHA-256 of `data` as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view data);

// A new API key: "allot_" and 32 bytes from OpenSSL's CSPRNG in base64url
// (43 characters, no padding). Internal when the generator fails.
Result<std::string> GenerateApiKey();

// Who is calling: the key's name (for logs and audit), the root of the
// tenant subtree it is bound to, and its role.
struct Principal {
  std::string key_name;
  int tenant = 0;           // index in the Tenancy; 0 = the root
  std::string tenant_path;  // "" for the root
  Role role = Role::kAgent;
  std::string default_class;  // its gateway calls' class when they name none
  std::string key_sha256;     // the key's digest ("" on an open server): re-checked at reload
};

// The configured API keys, looked up by the hash of the presented key.
// Immutable after Create; safe to share between threads. A reload builds a
// new KeyStore (tenant indexes belong to one Tenancy).
class KeyStore {
 public:
  // InvalidArgument for an empty or duplicate name, a sha256 that is not 64
  // lowercase hex digits, a duplicate hash, an unknown tenant, or an admin
  // key not bound to the root; messages name "api_keys[i]".
  static Result<KeyStore> Create(const std::vector<ApiKeySpec>& keys, const Tenancy& tenancy);

  // No keys configured: the server is open and every call is an admin on
  // the root (the server logs a warning at start).
  bool open() const { return by_hash_.empty(); }

  // Resolves "Bearer <key>" (scheme case-insensitive). Unauthenticated with
  // "missing bearer token" for an absent or malformed header, "unknown API
  // key" for a key that is not configured. When open(), any header (or none)
  // is the root admin.
  Result<Principal> Authenticate(std::string_view authorization_header) const;
  // The principal the same key is under this store (after a reload), found by
  // its digest: Unauthenticated "API key revoked" when the key is gone (or
  // the server was open and now has keys). Streams and long polls opened
  // before a reload are checked again with it.
  Result<Principal> Reauthenticate(const Principal& before) const;

 private:
  std::unordered_map<std::string, Principal> by_hash_;  // hex SHA-256 -> principal
};

// True when `tenant` is the principal's tenant or one of its descendants
// (the root's principal covers every tenant). False for an invalid index.
bool Covers(const Tenancy& tenancy, const Principal& principal, int tenant);
// The same by path, for names that are not (or no longer) in a Tenancy:
// "acme/research" covers itself and "acme/research/x", not "acme/researchers".
bool Covers(const Principal& principal, std::string_view tenant_path);
// True when `path` is `prefix` or below it ("" is above every path).
bool PathUnder(std::string_view path, std::string_view prefix);

// What a call does, as far as roles are concerned (subtree checks are Covers).
enum class Action {
  kLeaseWrite,      // create, renew, release, cancel a lease
  kLeaseCancelAny,  // cancel, release or renew a lease someone else's key asked for
  kRead,            // leases, queue, tenants, budgets, classes, pools, nodes, events
  kReport,          // chargeback reports and usage exports
  kNodeAdmin,       // set a node's state
  kReload,          // reload the configuration, write a snapshot
};

std::string_view ActionName(Action action);

// Ok when the principal's role may do `action` (the table in docs/api.md);
// else PermissionDenied naming the role and the action.
Status Allow(const Principal& principal, Action action);

// Ok when the principal may cancel, release or renew request `id`, which the
// key named `owner` asked for: its own (a non-empty owner equal to its key
// name), or anyone's with kLeaseCancelAny (tenant_admin, admin; subtree
// checks are the caller's). A request with no recorded owner (one the
// gateway made, or older than owners) is nobody's own. Else PermissionDenied.
Status AllowOnLease(const Principal& principal, uint64_t id, std::string_view owner);

}  // namespace allot
