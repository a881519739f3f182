// End-to-end tests of tenancy on `allot serve`: idempotency keys sealed per
// tenant, and which keys may end or renew a lease. The real binary on an
// ephemeral loopback port, driven over HTTP by the client library.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "client/http_client.h"
#include "server/auth.h"
#include "testing/server_process.h"

namespace allot {
namespace {

using nlohmann::json;
using testing::ServerProcess;

constexpr char kAlphaAgent1[] = "allot_test_alpha_agent_1";
constexpr char kAlphaAgent2[] = "allot_test_alpha_agent_2";
constexpr char kAlphaAdmin[] = "allot_test_alpha_admin";
constexpr char kBetaAgent[] = "allot_test_beta_agent";

std::string TenancyConfig() {
  std::string yaml = R"yaml(
placement: best_fit
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    tier: on_demand
    nodes:
      - {name_prefix: gpu-, count: 1, cpu: 64, memory: 512Gi, gpus: 4, gpu_mode: whole}
classes:
  - {name: default, value: 100}
tenants:
  - {name: alpha}
  - {name: beta}
server:
  idle_timeout: 1s
  request_timeout: 2s
  max_connections: 16
  tick_interval: 1s
api_keys:
)yaml";
  auto key = [&](const char* name, const char* secret, const char* tenant, const char* role) {
    yaml += std::string("  - {name: ") + name + ", sha256: " + Sha256Hex(secret) +
            ", tenant: " + tenant + ", role: " + role + "}\n";
  };
  key("alpha-agent-1", kAlphaAgent1, "alpha", "agent");
  key("alpha-agent-2", kAlphaAgent2, "alpha", "agent");
  key("alpha-admin", kAlphaAdmin, "alpha", "tenant_admin");
  key("beta-agent", kBetaAgent, "beta", "agent");
  return yaml;
}

class ServerTenancyE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("allot-tenancy-e2e");
    ASSERT_FALSE(dir_.empty());
    config_ = dir_ + "/allot.yaml";
    testing::WriteFile(config_, TenancyConfig());
    StartServer();
  }
  void TearDown() override {
    server_.reset();
    testing::RemoveTree(dir_);
  }
  void StartServer() {
    server_ = std::make_unique<ServerProcess>();
    std::string error;
    ASSERT_TRUE(server_->Start(config_, dir_ + "/data", &error)) << error;
  }
  void Restart() {
    server_->Signal(SIGTERM);
    EXPECT_EQ(server_->Wait(), 0) << server_->LogTail();
    StartServer();
  }
  // Sends with `key` and parses; the status goes to *status.
  json Call(const std::string& key, std::string_view method, std::string_view target, int* status,
            std::string_view body = {}) {
    Result<std::unique_ptr<HttpClient>> client =
        HttpClient::Create(server_->base_url(), Seconds(10));
    EXPECT_TRUE(client.ok()) << client.status().message();
    if (!client.ok()) return json();
    (*client)->set_api_key(key);
    Result<HttpResponse> response = (*client)->Send(method, target, body);
    EXPECT_TRUE(response.ok()) << method << " " << target << ": " << response.status().message();
    if (!response.ok()) return json();
    *status = response->status;
    json parsed = json::parse(response->body, nullptr, false);
    return parsed.is_discarded() ? json(response->body) : parsed;
  }
  static std::string LeaseBody(const std::string& tenant, const std::string& job,
                               const std::string& key) {
    return json({{"tenant", tenant},
                 {"resources", {{"gpu", 1}}},
                 {"labels", {{"job", job}}},
                 {"idempotency_key", key}})
        .dump();
  }
  static std::string PathOf(const json& lease) {
    return "/v1/leases/" + std::to_string(lease["id"].get<uint64_t>());
  }

  std::string dir_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
};

// Regression: beta, submitting with a key alpha had used, got alpha's lease
// back ("201 replayed", alpha's labels); a retry with another body was a replay.
TEST_F(ServerTenancyE2ETest, IdempotencyKeysAreSealedPerTenant) {
  int status = 0;
  json alpha = Call(kAlphaAgent1, "POST", "/v1/leases", &status, LeaseBody("alpha", "a", "k"));
  ASSERT_EQ(status, 201) << alpha.dump();
  json beta = Call(kBetaAgent, "POST", "/v1/leases", &status, LeaseBody("beta", "b", "k"));
  ASSERT_EQ(status, 201) << beta.dump();
  EXPECT_FALSE(beta["replayed"].get<bool>());
  EXPECT_NE(beta["id"], alpha["id"]);
  EXPECT_EQ(beta["tenant"], "beta");
  EXPECT_EQ(beta["labels"]["job"], "b");

  for (int round = 0; round < 2; ++round) {  // live, then after a restart
    SCOPED_TRACE(round == 0 ? "live" : "after a restart");
    json replay = Call(kAlphaAgent1, "POST", "/v1/leases", &status, LeaseBody("alpha", "a", "k"));
    EXPECT_EQ(status, 201) << replay.dump();
    EXPECT_TRUE(replay["replayed"].get<bool>());
    EXPECT_EQ(replay["id"], alpha["id"]);
    json conflict =
        Call(kAlphaAgent1, "POST", "/v1/leases", &status, LeaseBody("alpha", "other", "k"));
    EXPECT_EQ(status, 409) << conflict.dump();
    EXPECT_EQ(conflict["error"]["code"], "idempotency_conflict") << conflict.dump();
    EXPECT_NE(conflict["error"]["message"].get<std::string>().find("different request"),
              std::string::npos);
    json leases = Call(kAlphaAdmin, "GET", "/v1/leases", &status);
    ASSERT_EQ(status, 200);
    EXPECT_EQ(leases["leases"].size(), 1u) << leases.dump();
    if (round == 0) Restart();
  }
}

// Regression: an agent key could cancel a lease another agent key of its
// tenant had asked for. Agents end and renew only their own; tenant admins
// any in their subtree. The owner survives a restart.
TEST_F(ServerTenancyE2ETest, AgentKeysEndOnlyTheirOwnLeases) {
  int status = 0;
  json first = Call(kAlphaAgent1, "POST", "/v1/leases", &status, LeaseBody("alpha", "a", ""));
  ASSERT_EQ(status, 201) << first.dump();
  json second = Call(kAlphaAgent1, "POST", "/v1/leases", &status, LeaseBody("alpha", "b", ""));
  ASSERT_EQ(status, 201) << second.dump();
  // A body cannot claim another owner.
  json spoofed = Call(kAlphaAgent2, "POST", "/v1/leases", &status,
                      R"({"tenant": "alpha", "resources": {"gpu": 1}, "owner": "alpha-agent-1"})");
  ASSERT_EQ(status, 201) << spoofed.dump();

  for (const char* how : {"DELETE", "release", "renew"}) {
    SCOPED_TRACE(how);
    std::string method = how == std::string("DELETE") ? "DELETE" : "POST";
    std::string target = PathOf(first) + (method == "POST" ? "/" + std::string(how) : "");
    json denied = Call(kAlphaAgent2, method, target, &status);
    EXPECT_EQ(status, 403) << denied.dump();
    EXPECT_NE(denied.dump().find("only its own"), std::string::npos) << denied.dump();
  }
  Call(kAlphaAgent1, "POST", PathOf(spoofed) + "/release", &status);
  EXPECT_EQ(status, 403);
  json got = Call(kAlphaAgent1, "GET", PathOf(first), &status);
  EXPECT_EQ(got["state"], "granted");
  Call(kAlphaAgent1, "POST", PathOf(first) + "/renew", &status);
  EXPECT_EQ(status, 200);
  Call(kAlphaAgent2, "POST", PathOf(spoofed) + "/release", &status);
  EXPECT_EQ(status, 200);
  Call(kAlphaAdmin, "DELETE", PathOf(first), &status);  // a tenant admin may
  EXPECT_EQ(status, 200);

  Restart();
  Call(kAlphaAgent2, "DELETE", PathOf(second), &status);
  EXPECT_EQ(status, 403);
  Call(kAlphaAgent1, "POST", PathOf(second) + "/release", &status);
  EXPECT_EQ(status, 200);
}

}  // namespace
}  // namespace allot
