#include "config/server_config.h"

#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <charconv>
#include <set>

#include "config/quantity.h"
#include "config/yaml_reader.h"
#include "tenancy/tenants.h"

namespace allot {
namespace {

bool IsIpv4(const std::string& text) {
  in_addr address;
  return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool IsIpv6(const std::string& text) {
  in6_addr address;
  return inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

// A DNS name: dot-separated labels of letters, digits and '-' (RFC 1123).
bool IsHostName(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  size_t label = 0;
  for (char c : text) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

// A decimal port; `min` is 0 where "any free port" makes sense.
bool ParsePort(std::string_view text, int min, uint16_t* port) {
  int value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.size() > 5 || value < min ||
      value > 65535) {
    return false;
  }
  *port = static_cast<uint16_t>(value);
  return true;
}

// Splits "host:port" or "[v6]:port"; the host comes back without brackets.
bool SplitHostPort(std::string_view text, std::string* host, std::string_view* port,
                   bool* bracketed) {
  *bracketed = !text.empty() && text[0] == '[';
  if (*bracketed) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) return false;
    *host = std::string(text.substr(1, close - 1));
    text.remove_prefix(close + 1);
    if (text.empty()) {
      *port = {};
      return true;
    }
    if (text[0] != ':') return false;
    *port = text.substr(1);
    return true;
  }
  size_t colon = text.rfind(':');
  *host = std::string(text.substr(0, colon));
  *port = colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
  return colon == std::string_view::npos || text.find(':') == colon;
}

Status ParseListen(std::string_view text, std::string* host, uint16_t* port) {
  std::string name;
  std::string_view port_text;
  bool bracketed = false;
  if (!SplitHostPort(text, &name, &port_text, &bracketed) || port_text.empty()) {
    return InvalidArgument("must be host:port, such as 127.0.0.1:8470 or [::1]:8470");
  }
  bool ip = bracketed ? IsIpv6(name) : (IsIpv4(name) || name == "localhost");
  if (!ip) {
    return InvalidArgument("'" + name +
                           "' is not an IP address or localhost (names are not resolved; "
                           "IPv6 goes in brackets)");
  }
  if (!ParsePort(port_text, 0, port)) {
    return InvalidArgument("port must be 0..65535 (0: any free port)");
  }
  *host = name;
  return Status::Ok();
}

// Bytes as a plain number or with Ki / Mi (binary) suffixes.
Result<int64_t> ParseBytes(std::string_view text, std::string_view field) {
  int64_t unit = 1;
  if (text.size() > 2 && text.substr(text.size() - 2) == "Ki") unit = 1024;
  if (text.size() > 2 && text.substr(text.size() - 2) == "Mi") unit = 1024 * 1024;
  if (unit != 1) text.remove_suffix(2);
  Result<int64_t> value = ParseScaled(text, 1, field);
  if (!value.ok() || *value > (int64_t{1} << 40) / unit) {
    return InvalidArgument(std::string(field) +
                           ": must be a number of bytes, such as 1048576, 512Ki or 1Mi");
  }
  return *value * unit;
}

using config_internal::Reader;

// An integer in [min, max]; `fallback` when absent.
int64_t ReadBounded(Reader& reader, const YAML::Node& map, const std::string& key,
                    const std::string& field, int64_t fallback, int64_t min, int64_t max) {
  int64_t value = reader.Integer(map, key, field, fallback, max);
  if (reader.ok() && value < min) {
    reader.Fail(map[key], field + "." + key, fmt::format("must be {}..{}", min, max));
  }
  return value;
}

// A duration > 0; `fallback` when absent.
Duration ReadPositiveDuration(Reader& reader, const YAML::Node& map, const std::string& key,
                              const std::string& field, Duration fallback) {
  if (!map[key]) return fallback;
  Duration value = reader.Parsed(map, key, field, ParseDuration);
  if (reader.ok() && value <= 0) reader.Fail(map[key], field + "." + key, "must be > 0");
  return value;
}

void ReadServer(Reader& reader, const YAML::Node& server, ServerConfig* config) {
  const std::string field = "server";
  reader.OnlyKeys(server, field,
                  {"listen", "max_body_bytes", "max_connections", "idle_timeout", "request_timeout",
                   "snapshot_every", "tick_interval", "max_waiters", "usage_retention"});
  if (!reader.ok()) return;
  if (const YAML::Node listen = server["listen"]) {
    Status status = ParseListen(reader.Scalar(listen, "server.listen"), &config->listen_host,
                                &config->listen_port);
    if (!status.ok()) return reader.Fail(listen, "server.listen", status.message());
  }
  if (const YAML::Node body = server["max_body_bytes"]) {
    config->max_body_bytes = reader.ParsedNode(body, "server.max_body_bytes", ParseBytes);
    if (reader.ok() && (config->max_body_bytes < 1024 || config->max_body_bytes > (64 << 20))) {
      return reader.Fail(body, "server.max_body_bytes", "must be 1Ki..64Mi");
    }
  }
  config->max_connections = static_cast<int>(
      ReadBounded(reader, server, "max_connections", field, config->max_connections, 1, 100'000));
  config->idle_timeout =
      ReadPositiveDuration(reader, server, "idle_timeout", field, config->idle_timeout);
  config->request_timeout =
      ReadPositiveDuration(reader, server, "request_timeout", field, config->request_timeout);
  config->snapshot_every = ReadBounded(reader, server, "snapshot_every", field,
                                       config->snapshot_every, 100, 1'000'000'000);
  config->tick_interval =
      ReadPositiveDuration(reader, server, "tick_interval", field, config->tick_interval);
  config->max_waiters = static_cast<int>(
      ReadBounded(reader, server, "max_waiters", field, config->max_waiters, 1, 1'000'000));
  config->usage_retention =
      ReadPositiveDuration(reader, server, "usage_retention", field, config->usage_retention);
}

void ReadApiKeys(Reader& reader, const YAML::Node& list, const Tenancy& tenancy,
                 std::vector<ApiKeySpec>* keys) {
  if (!list.IsSequence()) return reader.Fail(list, "api_keys", "must be a list");
  std::set<std::string> names;
  for (size_t i = 0; i < list.size(); ++i) {
    Reader::Scope scope(reader);  // each key's first error
    [&] {
      const YAML::Node entry = list[i];
      const std::string path = fmt::format("api_keys[{}]", i);
      reader.OnlyKeys(entry, path, {"name", "sha256", "tenant", "role", "class"});
      if (!reader.ok()) return;
      ApiKeySpec key;
      key.name = reader.String(entry, "name", path, true);
      key.sha256 = reader.String(entry, "sha256", path, true);
      key.tenant = reader.String(entry, "tenant", path, true);
      std::string role = reader.String(entry, "role", path, true);
      key.default_class = reader.String(entry, "class", path, false);
      if (!reader.ok()) return;
      if (!key.default_class.empty() && tenancy.FindClass(key.default_class) < 0) {
        return reader.Fail(entry["class"], path + ".class",
                           "unknown priority class '" + key.default_class + "'");
      }
      if (key.name.empty()) return reader.Fail(entry["name"], path + ".name", "must not be empty");
      if (!names.insert(key.name).second) {
        return reader.Fail(entry["name"], path + ".name",
                           "duplicate API key name '" + key.name + "'");
      }
      if (key.sha256.rfind("allot_", 0) == 0) {
        return reader.Fail(entry["sha256"], path + ".sha256",
                           "this is an API key itself, not its hash: never put a key in the "
                           "configuration; `allot keygen` prints a key and its sha256 line");
      }
      if (!IsSha256Hex(key.sha256)) {
        return reader.Fail(entry["sha256"], path + ".sha256",
                           "must be the SHA-256 of the key as 64 lowercase hex digits (a plaintext "
                           "key does not belong here; `allot keygen` prints the line to paste)");
      }
      for (size_t j = 0; j < keys->size(); ++j) {
        if ((*keys)[j].sha256 == key.sha256) {
          return reader.Fail(entry["sha256"], path + ".sha256",
                             fmt::format("the same key as api_keys[{}] ({})", j, (*keys)[j].name));
        }
      }
      int tenant = FindKeyTenant(tenancy, key.tenant);
      if (tenant < 0) {
        return reader.Fail(entry["tenant"], path + ".tenant",
                           "unknown tenant '" + key.tenant +
                               "' (a path, a unique name, or \"\" "
                               "for the root)");
      }
      if (!ParseRole(role, &key.role)) {
        return reader.Fail(entry["role"], path + ".role", "must be agent, tenant_admin or admin");
      }
      if (key.role == Role::kAdmin && tenant != 0) {
        return reader.Fail(entry["role"], path + ".role",
                           "an admin key must be bound to the root (tenant: \"\")");
      }
      keys->push_back(std::move(key));
    }();
  }
}

void ReadEvents(Reader& reader, const YAML::Node& events, const std::string& field,
                std::vector<std::string>* out) {
  if (!events.IsSequence() || events.size() == 0) {
    return reader.Fail(events, field, "must be a non-empty list of event kinds");
  }
  out->clear();
  for (size_t e = 0; e < events.size(); ++e) {
    const std::string path = fmt::format("{}[{}]", field, e);
    std::string kind = reader.Scalar(events[e], path);
    if (!reader.ok()) return;
    bool known = false;
    for (std::string_view name : kWebhookEvents) known = known || name == kind;
    if (!known) {
      return reader.Fail(events[e], path,
                         "must be alert, granted, queued, rejected, lease_ended, preempt or "
                         "preempt_withdrawn");
    }
    for (const std::string& seen : *out) {
      if (seen == kind) return reader.Fail(events[e], path, "listed twice");
    }
    out->push_back(kind);
  }
}

void ReadWebhooks(Reader& reader, const YAML::Node& list, std::vector<WebhookSpec>* hooks) {
  if (!list.IsSequence()) return reader.Fail(list, "webhooks", "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    Reader::Scope scope(reader);  // each webhook's first error
    [&] {
      const YAML::Node entry = list[i];
      const std::string path = fmt::format("webhooks[{}]", i);
      reader.OnlyKeys(entry, path, {"name", "url", "events", "timeout", "max_attempts", "backoff"});
      if (!reader.ok()) return;
      WebhookSpec hook;
      hook.name = reader.String(entry, "name", path, true);
      hook.url = reader.String(entry, "url", path, true);
      if (!reader.ok()) return;
      if (hook.name.empty()) return reader.Fail(entry["name"], path + ".name", "must not be empty");
      for (const WebhookSpec& other : *hooks) {
        if (other.name == hook.name) {
          return reader.Fail(entry["name"], path + ".name",
                             "duplicate webhook '" + hook.name + "'");
        }
      }
      if (Result<HttpUrl> url = ParseHttpUrl(hook.url); !url.ok()) {
        return reader.Fail(entry["url"], path + ".url", url.status().message());
      }
      if (const YAML::Node events = entry["events"]) {
        ReadEvents(reader, events, path + ".events", &hook.events);
      }
      hook.timeout = ReadPositiveDuration(reader, entry, "timeout", path, hook.timeout);
      hook.max_attempts = static_cast<int>(
          ReadBounded(reader, entry, "max_attempts", path, hook.max_attempts, 1, 20));
      hook.backoff = ReadPositiveDuration(reader, entry, "backoff", path, hook.backoff);
      if (reader.ok() && hook.backoff > kMaxWebhookBackoff) {
        return reader.Fail(entry["backoff"], path + ".backoff", "must be at most 5m");
      }
      hooks->push_back(std::move(hook));
    }();
  }
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAgent:
      return "agent";
    case Role::kTenantAdmin:
      return "tenant_admin";
    case Role::kAdmin:
      return "admin";
  }
  return "?";
}

bool ParseRole(std::string_view text, Role* role) {
  for (Role candidate : {Role::kAgent, Role::kTenantAdmin, Role::kAdmin}) {
    if (RoleName(candidate) == text) {
      *role = candidate;
      return true;
    }
  }
  return false;
}

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  for (char c : url) {
    if (c <= ' ' || c > '~') {
      return InvalidArgument("must be printable ASCII without spaces (percent-encode the rest)");
    }
  }
  constexpr std::string_view kScheme = "http://";
  if (url.rfind("https://", 0) == 0) {
    return InvalidArgument(
        "https is not supported: webhooks are sent over plain HTTP (use a local relay for TLS)");
  }
  if (url.rfind(kScheme, 0) != 0) return InvalidArgument("must start with http://");
  url.remove_prefix(kScheme.size());
  if (url.find('#') != std::string_view::npos) return InvalidArgument("must not have a #fragment");
  size_t slash = url.find_first_of("/?");
  std::string_view authority = url.substr(0, slash);
  HttpUrl parsed;
  if (slash != std::string_view::npos) {
    std::string_view rest = url.substr(slash);
    // Built in one go: an insert at the front trips GCC 12's -Wrestrict at -O3.
    parsed.target = rest.front() == '?' ? "/" + std::string(rest) : std::string(rest);
  }
  if (authority.find('@') != std::string_view::npos) {
    return InvalidArgument("must not carry user info (user@host)");
  }
  std::string_view port;
  bool bracketed = false;
  if (!SplitHostPort(authority, &parsed.host, &port, &bracketed)) {
    return InvalidArgument("must be http://host[:port][/path]");
  }
  bool host_ok = bracketed ? IsIpv6(parsed.host) : IsHostName(parsed.host);
  if (!host_ok) return InvalidArgument("'" + parsed.host + "' is not a host name or IP address");
  if (!port.empty() && !ParsePort(port, 1, &parsed.port)) {
    return InvalidArgument("port must be 1..65535");
  }
  if (port.empty() && authority.back() == ':') return InvalidArgument("port must be 1..65535");
  return parsed;
}

int FindKeyTenant(const Tenancy& tenancy, std::string_view tenant) {
  if (tenant.empty() || tenant == "/") return 0;
  return tenancy.FindTenant(tenant);
}

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

namespace config_internal {

void ReadServerConfig(Reader& reader, const YAML::Node& root, const Tenancy* tenancy,
                      ServerConfig* config) {
  // Each block's first error in a scope of its own.
  if (const YAML::Node server = root["server"]) {
    Reader::Scope scope(reader);
    ReadServer(reader, server, config);
  }
  if (const YAML::Node keys = root["api_keys"]; keys && tenancy != nullptr) {
    Reader::Scope scope(reader);
    ReadApiKeys(reader, keys, *tenancy, &config->api_keys);
  }
  if (const YAML::Node hooks = root["webhooks"]) {
    Reader::Scope scope(reader);
    ReadWebhooks(reader, hooks, &config->webhooks);
  }
}

}  // namespace config_internal
}  // namespace allot
