// The server, api_keys and webhooks sections: values, defaults, and errors
// that name the line, column and field.
#include "config/server_config.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"

namespace allot {
namespace {

// Lines 1-11; the section under test starts on line 12.
constexpr std::string_view kCluster = R"(gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: h100
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: n, count: 2, cpu: 64, memory: 512Gi, gpus: 8}
tenants:
  - {name: acme}
  - {name: research, parent: acme}
  - {name: agent-7, parent: research}
)";

constexpr std::string_view kShaAbc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr std::string_view kShaOne =
    "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b";
constexpr std::string_view kShaTwo =
    "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35";

Result<Config> Parse(std::string_view section) {
  return ParseConfig(std::string(kCluster) + std::string(section), "test.yaml");
}

std::string ErrorOf(std::string_view section) {
  Result<Config> config = Parse(section);
  if (config.ok()) return "(parsed)";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  return config.status().message();
}

// An api_keys section with one entry in block style (lines 12-16) whose
// fields may be replaced; an empty value leaves the line out.
std::string Key(std::string name = "bot", std::string sha = std::string(kShaAbc),
                std::string tenant = "acme", std::string role = "agent") {
  std::string out = "api_keys:\n  - name: " + name + "\n";
  if (!sha.empty()) out += "    sha256: " + sha + "\n";
  if (!tenant.empty()) out += "    tenant: " + tenant + "\n";
  if (!role.empty()) out += "    role: " + role + "\n";
  return out;
}

// A webhooks section (lines 12-18) with line `line` replaced by `text`.
std::string Hook(int line = 0, std::string_view text = "") {
  const std::string lines[] = {"webhooks:",
                               "  - name: pager",
                               "    url: http://127.0.0.1:9000/allot",
                               "    events: [alert, granted]",
                               "    timeout: 5s",
                               "    max_attempts: 6",
                               "    backoff: 1s"};
  std::string out;
  for (int i = 0; i < 7; ++i) out += (12 + i == line ? std::string(text) : lines[i]) + "\n";
  return out;
}

TEST(ServerConfig, DefaultsWhenAbsent) {
  Result<Config> config = ParseConfig(DefaultConfigYaml(), "<default>");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const ServerConfig& server = config->server;
  EXPECT_EQ(server.listen_host, "127.0.0.1");
  EXPECT_EQ(server.listen_port, 8470);
  EXPECT_EQ(server.max_body_bytes, 1 << 20);
  EXPECT_EQ(server.max_connections, 1024);
  EXPECT_EQ(server.idle_timeout, Seconds(60));
  EXPECT_EQ(server.request_timeout, Seconds(10));
  EXPECT_EQ(server.snapshot_every, 50'000);
  EXPECT_EQ(server.tick_interval, Seconds(1));
  EXPECT_EQ(server.max_waiters, 10'000);
  EXPECT_TRUE(server.api_keys.empty());
  EXPECT_TRUE(server.webhooks.empty());
}

TEST(ServerConfig, ReadsServerKeys) {
  Result<Config> config = Parse(R"(server:
  listen: "[::1]:0"
  max_body_bytes: 512Ki
  max_connections: 100000
  idle_timeout: 2m
  request_timeout: 30s
  snapshot_every: 100
  tick_interval: 2s
  max_waiters: 5
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const ServerConfig& server = config->server;
  EXPECT_EQ(server.listen_host, "::1");
  EXPECT_EQ(server.listen_port, 0);
  EXPECT_EQ(server.max_body_bytes, 512 * 1024);
  EXPECT_EQ(server.max_connections, 100'000);
  EXPECT_EQ(server.idle_timeout, Seconds(120));
  EXPECT_EQ(server.request_timeout, Seconds(30));
  EXPECT_EQ(server.snapshot_every, 100);
  EXPECT_EQ(server.tick_interval, Seconds(2));
  EXPECT_EQ(server.max_waiters, 5);

  config = Parse("server: {listen: 'localhost:9000', max_body_bytes: 2048}\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen_host, "localhost");
  EXPECT_EQ(config->server.listen_port, 9000);
  EXPECT_EQ(config->server.max_body_bytes, 2048);
  config = Parse("server: {max_body_bytes: 64Mi}\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.max_body_bytes, 64 << 20);
}

TEST(ServerConfig, ServerErrorsNameTheirPosition) {
  EXPECT_EQ(ErrorOf("server: [1]\n"), "test.yaml:12:9: server: must be a mapping");
  EXPECT_EQ(ErrorOf("server:\n  lisen: 1\n"), "test.yaml:13:3: server.lisen: unknown key");
  EXPECT_EQ(ErrorOf("server:\n  listen: example.com:80\n"),
            "test.yaml:13:11: server.listen: 'example.com' is not an IP address or localhost "
            "(names are not resolved; IPv6 goes in brackets)");
  EXPECT_EQ(ErrorOf("server:\n  listen: 127.0.0.1\n"),
            "test.yaml:13:11: server.listen: must be host:port, such as 127.0.0.1:8470 or "
            "[::1]:8470");
  EXPECT_EQ(ErrorOf("server:\n  listen: '::1:80'\n"),
            "test.yaml:13:11: server.listen: must be host:port, such as 127.0.0.1:8470 or "
            "[::1]:8470");
  EXPECT_EQ(ErrorOf("server:\n  listen: 127.0.0.1:70000\n"),
            "test.yaml:13:11: server.listen: port must be 0..65535 (0: any free port)");
  EXPECT_EQ(ErrorOf("server:\n  max_body_bytes: 512\n"),
            "test.yaml:13:19: server.max_body_bytes: must be 1Ki..64Mi");
  EXPECT_EQ(ErrorOf("server:\n  max_body_bytes: 65Mi\n"),
            "test.yaml:13:19: server.max_body_bytes: must be 1Ki..64Mi");
  EXPECT_EQ(ErrorOf("server:\n  max_body_bytes: 1Gi\n"),
            "test.yaml:13:19: server.max_body_bytes: must be a number of bytes, such as 1048576, "
            "512Ki or 1Mi");
  EXPECT_EQ(ErrorOf("server:\n  max_connections: 0\n"),
            "test.yaml:13:20: server.max_connections: must be 1..100000");
  EXPECT_EQ(ErrorOf("server:\n  max_connections: 100001\n"),
            "test.yaml:13:20: server.max_connections: must be at most 100000");
  EXPECT_EQ(ErrorOf("server:\n  max_connections: [1]\n"),
            "test.yaml:13:20: server.max_connections: must be a scalar");
  EXPECT_EQ(ErrorOf("server:\n  idle_timeout: 0\n"),
            "test.yaml:13:17: server.idle_timeout: must be > 0");
  EXPECT_EQ(ErrorOf("server:\n  request_timeout: soon\n"),
            "test.yaml:13:20: server.request_timeout: 'soon' is not a duration such as 250ms, 30s, "
            "10m, 6h, 1d or 2w (a number with one of the units us, ms, s, m, h, d, w; a "
            "plain number is seconds; at most ten years)");
  EXPECT_EQ(ErrorOf("server:\n  snapshot_every: 99\n"),
            "test.yaml:13:19: server.snapshot_every: must be 100..1000000000");
  EXPECT_EQ(ErrorOf("server:\n  tick_interval: 0s\n"),
            "test.yaml:13:18: server.tick_interval: must be > 0");
  EXPECT_EQ(ErrorOf("server:\n  max_waiters: -1\n"),
            "test.yaml:13:16: server.max_waiters: must be a whole number >= 0");
}

TEST(ServerConfig, ReadsApiKeys) {
  Result<Config> config = Parse(
      "api_keys:\n  - {name: ops, sha256: " + std::string(kShaAbc) +
      ", tenant: \"\", role: admin}\n  - {name: root-reader, sha256: " + std::string(kShaOne) +
      ", tenant: /, role: agent}\n" + "  - {name: lead, sha256: " + std::string(kShaTwo) +
      ", tenant: research, role: tenant_admin}\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const std::vector<ApiKeySpec>& keys = config->server.api_keys;
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[0].name, "ops");
  EXPECT_EQ(keys[0].sha256, kShaAbc);
  EXPECT_EQ(keys[0].tenant, "");
  EXPECT_EQ(keys[0].role, Role::kAdmin);
  EXPECT_EQ(keys[1].tenant, "/");
  EXPECT_EQ(keys[1].role, Role::kAgent);
  EXPECT_EQ(keys[2].tenant, "research");
  EXPECT_EQ(keys[2].role, Role::kTenantAdmin);
  EXPECT_TRUE(Parse(Key("bot", std::string(kShaAbc), "acme/research/agent-7")).ok());
}

TEST(ServerConfig, ApiKeyErrorsNameTheirPosition) {
  EXPECT_EQ(ErrorOf("api_keys: {ops: x}\n"), "test.yaml:12:11: api_keys: must be a list");
  EXPECT_EQ(ErrorOf(Key() + "    scope: all\n"), "test.yaml:17:5: api_keys[0].scope: unknown key");
  EXPECT_EQ(ErrorOf(Key("bot", std::string(kShaAbc), "acme", "")),
            "test.yaml:13:5: api_keys[0].role: is required");
  EXPECT_EQ(ErrorOf(Key("bot", "")), "test.yaml:13:5: api_keys[0].sha256: is required");
  EXPECT_EQ(ErrorOf(Key("\"\"")), "test.yaml:13:11: api_keys[0].name: must not be empty");
  EXPECT_EQ(
      ErrorOf(Key("bot", "allot_Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE")),
      "test.yaml:14:13: api_keys[0].sha256: this is an API key itself, not its hash: never put "
      "a key in the configuration; `allot keygen` prints a key and its sha256 line");
  const std::string kHexError =
      "api_keys[0].sha256: must be the SHA-256 of the key as 64 lowercase hex digits (a "
      "plaintext key does not belong here; `allot keygen` prints the line to paste)";
  EXPECT_EQ(ErrorOf(Key("bot", "s3cr3t-passw0rd")), "test.yaml:14:13: " + kHexError);
  EXPECT_EQ(ErrorOf(Key("bot", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")),
            "test.yaml:14:13: " + kHexError);
  EXPECT_EQ(ErrorOf(Key("bot", std::string(kShaAbc.substr(1)))), "test.yaml:14:13: " + kHexError);
  EXPECT_EQ(ErrorOf(Key("bot", std::string(kShaAbc), "acme/reserch")),
            "test.yaml:15:13: api_keys[0].tenant: unknown tenant 'acme/reserch' (a path, a unique "
            "name, or \"\" for the root)");
  EXPECT_EQ(ErrorOf(Key("bot", std::string(kShaAbc), "acme", "root")),
            "test.yaml:16:11: api_keys[0].role: must be agent, tenant_admin or admin");
  EXPECT_EQ(ErrorOf(Key("ops", std::string(kShaAbc), "acme", "admin")),
            "test.yaml:16:11: api_keys[0].role: an admin key must be bound to the root (tenant: "
            "\"\")");
  // Lines 17-20: a second entry.
  const std::string second = "  - name: bot\n    sha256: " + std::string(kShaOne) +
                             "\n    tenant: acme\n    role: agent\n";
  EXPECT_EQ(ErrorOf(Key() + second),
            "test.yaml:17:11: api_keys[1].name: duplicate API key name 'bot'");
  EXPECT_EQ(ErrorOf(Key("bot", std::string(kShaOne)) + "  - {name: other, sha256: " +
                    std::string(kShaOne) + ", tenant: acme, role: agent}\n"),
            "test.yaml:17:27: api_keys[1].sha256: the same key as api_keys[0] (bot)");
}

TEST(ServerConfig, ReadsWebhooks) {
  Result<Config> config =
      Parse(Hook() + "  - {name: audit, url: 'http://localhost/hooks?source=allot'}\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const std::vector<WebhookSpec>& hooks = config->server.webhooks;
  ASSERT_EQ(hooks.size(), 2u);
  EXPECT_EQ(hooks[0].name, "pager");
  EXPECT_EQ(hooks[0].url, "http://127.0.0.1:9000/allot");
  EXPECT_EQ(hooks[0].events, (std::vector<std::string>{"alert", "granted"}));
  EXPECT_EQ(hooks[0].timeout, Seconds(5));
  EXPECT_EQ(hooks[0].max_attempts, 6);
  EXPECT_EQ(hooks[0].backoff, Seconds(1));
  // Defaults.
  EXPECT_EQ(hooks[1].events, (std::vector<std::string>{"alert"}));
  EXPECT_EQ(hooks[1].timeout, Seconds(5));
  EXPECT_EQ(hooks[1].max_attempts, 6);
  EXPECT_EQ(hooks[1].backoff, Seconds(1));
  EXPECT_EQ(hooks[1].queue_limit, 10'000u);
}

TEST(ServerConfig, WebhookErrorsNameTheirPosition) {
  EXPECT_EQ(ErrorOf(Hook(17, "    retries: 3")),
            "test.yaml:17:5: webhooks[0].retries: unknown key");
  EXPECT_EQ(ErrorOf(Hook(14, "    url: https://pager.example/allot")),
            "test.yaml:14:10: webhooks[0].url: https is not supported: webhooks are sent over "
            "plain HTTP (use a local relay for TLS)");
  EXPECT_EQ(ErrorOf(Hook(14, "    url: 127.0.0.1:9000")),
            "test.yaml:14:10: webhooks[0].url: must start with http://");
  EXPECT_EQ(ErrorOf(Hook(14, "    url: http://127.0.0.1:0/x")),
            "test.yaml:14:10: webhooks[0].url: port must be 1..65535");
  EXPECT_EQ(ErrorOf(Hook(14, "    url: http://me@127.0.0.1/x")),
            "test.yaml:14:10: webhooks[0].url: must not carry user info (user@host)");
  EXPECT_EQ(ErrorOf(Hook(14, "    url: http://bad_host/x")),
            "test.yaml:14:10: webhooks[0].url: 'bad_host' is not a host name or IP address");
  EXPECT_EQ(ErrorOf(Hook(15, "    events: [alert, granted, paged]")),
            "test.yaml:15:30: webhooks[0].events[2]: must be alert, granted, queued, rejected, "
            "lease_ended, preempt or preempt_withdrawn");
  EXPECT_EQ(ErrorOf(Hook(15, "    events: [alert, alert]")),
            "test.yaml:15:21: webhooks[0].events[1]: listed twice");
  EXPECT_EQ(ErrorOf(Hook(15, "    events: []")),
            "test.yaml:15:13: webhooks[0].events: must be a non-empty list of event kinds");
  EXPECT_EQ(ErrorOf(Hook(16, "    timeout: 0")),
            "test.yaml:16:14: webhooks[0].timeout: must be > 0");
  EXPECT_EQ(ErrorOf(Hook(17, "    max_attempts: 0")),
            "test.yaml:17:19: webhooks[0].max_attempts: must be 1..20");
  EXPECT_EQ(ErrorOf(Hook(17, "    max_attempts: 21")),
            "test.yaml:17:19: webhooks[0].max_attempts: must be at most 20");
  EXPECT_EQ(ErrorOf(Hook(18, "    backoff: 6m")),
            "test.yaml:18:14: webhooks[0].backoff: must be at most 5m");
  EXPECT_EQ(ErrorOf(Hook(13, "  - name: \"\"")),
            "test.yaml:13:11: webhooks[0].name: must not be empty");
  EXPECT_EQ(ErrorOf(Hook(13, "  -")), "test.yaml:14:5: webhooks[0].name: is required");
  EXPECT_EQ(ErrorOf(Hook() + "  - {name: pager, url: 'http://127.0.0.1:9001/'}\n"),
            "test.yaml:19:12: webhooks[1].name: duplicate webhook 'pager'");
}

TEST(ServerConfig, HttpUrls) {
  Result<HttpUrl> url = ParseHttpUrl("http://127.0.0.1:9000/allot?x=1");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->target, "/allot?x=1");
  url = ParseHttpUrl("http://hooks.internal");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "hooks.internal");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");
  url = ParseHttpUrl("http://[::1]:81?q");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 81);
  EXPECT_EQ(url->target, "/?q");
  for (std::string_view bad : {"http://", "http://h:/", "http://h:x/", "http://[::1/",
                               "http://::1/", "http://h/a b", "http://h/#top", "ftp://h/"}) {
    EXPECT_FALSE(ParseHttpUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace allot
