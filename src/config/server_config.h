#pragma once

// The configuration of `allot serve`: the top-level keys server, api_keys and
// webhooks (docs/config.md). Plain values, validated when the file is parsed;
// the server's KeyStore and WebhookSender check them again when built.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace allot {

class Tenancy;

// What an API key may do (docs/api.md, Auth), from least to most.
enum class Role { kAgent, kTenantAdmin, kAdmin };

// "agent", "tenant_admin", "admin".
std::string_view RoleName(Role role);
// The inverse of RoleName; false for anything else.
bool ParseRole(std::string_view text, Role* role);

// One configured API key. Only the SHA-256 of the key is configured, so the
// file never holds a usable credential.
struct ApiKeySpec {
  std::string name;
  std::string sha256;  // 64 lowercase hex digits
  std::string tenant;  // path or unique name; "" or "/" = the root
  Role role = Role::kAgent;
  // The class of its gateway calls when a call names none ("" = the
  // engine's default class).
  std::string default_class;
};

// The event kinds a webhook may subscribe to: the kinds of the events stream.
inline constexpr std::string_view kWebhookEvents[] = {
    "alert", "granted", "queued", "rejected", "lease_ended", "preempt", "preempt_withdrawn"};

// One webhook: events of the listed kinds are POSTed to `url` as JSON.
struct WebhookSpec {
  std::string name;
  std::string url;  // http://host[:port][/path]
  std::vector<std::string> events = {"alert"};
  Duration timeout = Seconds(5);  // connect + send + response header
  int max_attempts = 6;
  // The delay before the first retry, doubled for each further one (at most
  // kMaxWebhookBackoff). Microseconds like any Duration, so tests may use
  // milliseconds although the config file takes whole seconds.
  Duration backoff = Seconds(1);
  // Events waiting per webhook; when full the oldest waiting one is dropped.
  size_t queue_limit = 10'000;
};

inline constexpr Duration kMaxWebhookBackoff = Seconds(300);

struct ServerConfig {
  std::string listen_host = "127.0.0.1";  // an IP literal or "localhost"
  uint16_t listen_port = 8470;            // 0: any free port
  int64_t max_body_bytes = int64_t{1} << 20;
  int max_connections = 1024;
  Duration idle_timeout = Seconds(60);     // keep-alive idle; slow headers or body
  Duration request_timeout = Seconds(10);  // a whole request read within this
  int64_t snapshot_every = 50'000;         // journaled commands between snapshots
  Duration tick_interval = Seconds(1);     // how often the engine clock advances
  int max_waiters = 10'000;                // concurrent long-polls (`wait`)
  Duration usage_retention = Seconds(int64_t{400} * 86'400);  // older usage rows are deleted
  std::vector<ApiKeySpec> api_keys;                           // empty: the server runs open
  std::vector<WebhookSpec> webhooks;
};

// An http:// URL split for a client. `host` is a name or an IP literal
// (IPv6 without brackets).
struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";  // path and query
};

// Parses "http://host[:port][/path]". Refuses https (webhooks are sent over
// plain HTTP), user info, fragments and anything that is not printable ASCII.
// InvalidArgument with the reason (no field name).
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// The tenant an API key's `tenant` names: "" and "/" are the root (0);
// otherwise a path or unique name; -1 when unknown.
int FindKeyTenant(const Tenancy& tenancy, std::string_view tenant);

// True for exactly 64 lowercase hex digits (how SHA-256 digests are written).
bool IsSha256Hex(std::string_view text);

namespace config_internal {

class Reader;

// Reads the top-level keys server, api_keys and webhooks of `root` into
// `config`; API key tenants are checked against `tenancy`, and api_keys is
// not read when it is null (the tenant tree had errors of its own).
void ReadServerConfig(Reader& reader, const YAML::Node& root, const Tenancy* tenancy,
                      ServerConfig* config);

}  // namespace config_internal
}  // namespace allot
