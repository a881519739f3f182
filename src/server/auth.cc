#include "server/auth.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

namespace allot {
namespace {

constexpr std::string_view kMissingToken = "missing bearer token";

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// The token of "Bearer <token>", or "" when the header is anything else.
// The scheme is case-insensitive (RFC 9110 11.1); the token is one word.
std::string_view BearerToken(std::string_view header) {
  while (!header.empty() && IsBlank(header.front())) header.remove_prefix(1);
  while (!header.empty() && IsBlank(header.back())) header.remove_suffix(1);
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !IsBlank(header[kScheme.size()])) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = header[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && IsBlank(header.front())) header.remove_prefix(1);
  for (char c : header) {
    if (c <= ' ' || c > '~') return {};
  }
  return header;
}

Principal RootPrincipal(std::string key_name, Role role) {
  return Principal{std::move(key_name), 0, "", role, "", ""};
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  // EVP_Digest fails only when OpenSSL cannot allocate or lacks SHA-256,
  // neither of which a caller could recover from.
  ALLOT_CHECK(EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) ==
              1);
  ALLOT_CHECK(length == 32);
  constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xf];
  }
  return hex;
}

Result<std::string> GenerateApiKey() {
  // 256 bits: far beyond guessing, and the hash in the config is then as hard
  // to invert as SHA-256 itself (no dictionary helps against random keys).
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return Internal("the random generator failed; no key was made");
  }
  constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string key = "allot_";
  // base64url without padding: every 3 bytes become 4 characters, and the
  // last 2 bytes become 3.
  uint32_t bits = 0;
  int pending = 0;
  for (unsigned char byte : bytes) {
    bits = (bits << 8) | byte;
    pending += 8;
    while (pending >= 6) {
      pending -= 6;
      key += kAlphabet[(bits >> pending) & 0x3f];
    }
  }
  if (pending > 0) key += kAlphabet[(bits << (6 - pending)) & 0x3f];
  return key;
}

Result<KeyStore> KeyStore::Create(const std::vector<ApiKeySpec>& keys, const Tenancy& tenancy) {
  KeyStore store;
  std::unordered_map<std::string, size_t> names;
  for (size_t i = 0; i < keys.size(); ++i) {
    const ApiKeySpec& key = keys[i];
    const std::string where = fmt::format("api_keys[{}] ({})", i, key.name);
    if (key.name.empty()) return InvalidArgument(where + ".name: must not be empty");
    if (!names.emplace(key.name, i).second) {
      return InvalidArgument(where + ".name: duplicate API key name");
    }
    if (!IsSha256Hex(key.sha256)) {
      return InvalidArgument(where + ".sha256: must be 64 lowercase hex digits");
    }
    int tenant = FindKeyTenant(tenancy, key.tenant);
    if (tenant < 0) return InvalidArgument(where + ".tenant: unknown tenant '" + key.tenant + "'");
    if (key.role == Role::kAdmin && tenant != 0) {
      return InvalidArgument(where + ".role: an admin key must be bound to the root");
    }
    Principal principal{key.name,          tenant,    tenancy.tenant(tenant).path, key.role,
                        key.default_class, key.sha256};
    if (!store.by_hash_.emplace(key.sha256, std::move(principal)).second) {
      return InvalidArgument(where + ".sha256: the same key as another entry");
    }
  }
  return store;
}

Result<Principal> KeyStore::Authenticate(std::string_view authorization_header) const {
  if (open()) return RootPrincipal("open", Role::kAdmin);
  std::string_view token = BearerToken(authorization_header);
  if (token.empty()) return Unauthenticated(std::string(kMissingToken));
  // The lookup compares the presented key's digest with stored digests, and
  // may take longer the more leading bytes match. That leaks nothing useful:
  // learning a prefix of SHA-256(guess) does not let a caller steer the next
  // guess towards a key, since choosing an input for a wanted digest prefix
  // is a preimage search. Comparing the keys themselves would leak the key.
  auto found = by_hash_.find(Sha256Hex(token));
  if (found == by_hash_.end()) return Unauthenticated("unknown API key");
  return found->second;
}

Result<Principal> KeyStore::Reauthenticate(const Principal& before) const {
  if (open()) return RootPrincipal("open", Role::kAdmin);
  auto found = before.key_sha256.empty() ? by_hash_.end() : by_hash_.find(before.key_sha256);
  if (found == by_hash_.end()) {
    return Unauthenticated("API key revoked: '" + before.key_name +
                           "' is no longer in the configuration");
  }
  return found->second;
}

bool Covers(const Tenancy& tenancy, const Principal& principal, int tenant) {
  if (tenant < 0 || static_cast<size_t>(tenant) >= tenancy.tenant_count()) return false;
  // Walk up from `tenant`: the tree is shallow (org -> team -> agent).
  for (int t = tenant; t >= 0; t = tenancy.tenant(t).parent) {
    if (t == principal.tenant) return true;
  }
  return false;
}

bool Covers(const Principal& principal, std::string_view tenant_path) {
  return PathUnder(tenant_path, principal.tenant_path);
}

bool PathUnder(std::string_view path, std::string_view prefix) {
  if (prefix.empty()) return true;
  // A prefix only at a '/' boundary: "acme/re" is not a parent of "acme/research".
  return path.starts_with(prefix) && (path.size() == prefix.size() || path[prefix.size()] == '/');
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kLeaseWrite:
      return "create or change leases";
    case Action::kLeaseCancelAny:
      return "cancel, release or renew leases asked for by other keys";
    case Action::kRead:
      return "read the allocator's state";
    case Action::kReport:
      return "read reports and usage exports";
    case Action::kNodeAdmin:
      return "change a node's state";
    case Action::kReload:
      return "reload the configuration or write snapshots";
  }
  return "?";
}

Status Allow(const Principal& principal, Action action) {
  Role needed = Role::kAgent;
  switch (action) {
    case Action::kLeaseWrite:
    case Action::kRead:
      needed = Role::kAgent;
      break;
    case Action::kLeaseCancelAny:
    case Action::kReport:
      needed = Role::kTenantAdmin;
      break;
    case Action::kNodeAdmin:
    case Action::kReload:
      needed = Role::kAdmin;
      break;
  }
  // The roles are nested: each may do all that the ones before it may.
  if (static_cast<int>(principal.role) >= static_cast<int>(needed)) return Status::Ok();
  return PermissionDenied(fmt::format("API key '{}' has role {}, which may not {} (needs {})",
                                      principal.key_name, RoleName(principal.role),
                                      ActionName(action), RoleName(needed)));
}

Status AllowOnLease(const Principal& principal, uint64_t id, std::string_view owner) {
  if (!owner.empty() && owner == principal.key_name) return Status::Ok();
  Status any = Allow(principal, Action::kLeaseCancelAny);
  if (any.ok()) return any;
  return PermissionDenied(
      fmt::format("lease {}: asked for by {}; API key '{}' has role {}, which may end or renew "
                  "only its own leases",
                  id, owner.empty() ? "no API key" : "another key", principal.key_name,
                  RoleName(principal.role)));
}

}  // namespace allot
