// End-to-end tests of the configuration of record (docs/operations.md): the
// --config file is the one source of truth; a pushed YAML is written to it,
// a change made while the server was down comes into force at start, and
// access ends at once when a reload revokes a key.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "client/http_client.h"
#include "server/auth.h"
#include "testing/server_process.h"

namespace allot {
namespace {

using nlohmann::json;
using testing::ServerProcess;

constexpr char kAdminKey[] = "allot_cfg_admin_key";
constexpr char kTeamAKey[] = "allot_cfg_team_a_agent";

// `team_a_key`: whether the team-a agent key is configured; `budgets`: the
// budgets block.
std::string Config(bool team_a_key, const std::string& budgets) {
  std::string yaml = R"yaml(
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: gpu-, count: 2, cpu: 64, memory: 512Gi, gpus: 4, gpu_mode: whole}
classes:
  - {name: default, value: 100}
tenants:
  - {name: org}
  - {name: team-a, parent: org}
  - {name: team-b, parent: org}
currency: USD
prices:
  pools:
    gpu: {gpu: "3.60", cpu: "0", memory: "0"}
server:
  tick_interval: 1s
)yaml";
  yaml += budgets;
  yaml += "api_keys:\n";
  yaml += "  - {name: admin, sha256: " + Sha256Hex(kAdminKey) + ", tenant: \"\", role: admin}\n";
  if (team_a_key) {
    yaml += "  - {name: a-agent, sha256: " + Sha256Hex(kTeamAKey) +
            ", tenant: org/team-a, role: agent}\n";
  }
  return yaml;
}

const std::string kDaily10 =
    "budgets:\n  - {name: b-daily, tenant: team-b, money: \"10\", period: daily}\n";
const std::string kDaily100 =
    "budgets:\n  - {name: b-daily, tenant: team-b, money: \"100\", period: daily}\n"
    "  - {name: a-daily, tenant: team-a, money: \"50\", period: daily}\n";

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class ServerConfigE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("allot-cfg-e2e");
    ASSERT_FALSE(dir_.empty());
    config_ = dir_ + "/allot.yaml";
    testing::WriteFile(config_, Config(true, kDaily10));
    Start();
  }
  void TearDown() override {
    server_.reset();
    testing::RemoveTree(dir_);
  }

  void Start() {
    server_ = std::make_unique<ServerProcess>();
    std::string error;
    ASSERT_TRUE(server_->Start(config_, dir_ + "/data", &error)) << error;
  }
  void Stop() {
    server_->Signal(SIGTERM);
    EXPECT_EQ(server_->Wait(), 0) << server_->LogTail();
    server_.reset();
  }

  std::unique_ptr<HttpClient> Client(const std::string& key) {
    Result<std::unique_ptr<HttpClient>> client =
        HttpClient::Create(server_->base_url(), Seconds(10));
    EXPECT_TRUE(client.ok()) << client.status().message();
    (*client)->set_api_key(key);
    return std::move(client).value();
  }

  int StatusOf(const std::string& key, std::string_view method, std::string_view target,
               std::string_view body = {}, json* parsed = nullptr) {
    Result<HttpResponse> response = Client(key)->Send(method, target, body);
    EXPECT_TRUE(response.ok()) << response.status().message();
    if (!response.ok()) return 0;
    if (parsed != nullptr) *parsed = json::parse(response->body, nullptr, false);
    return response->status;
  }

  // The limit /v1/budgets shows for `name` ("" when absent).
  std::string Limit(const std::string& name) {
    json budgets;
    EXPECT_EQ(StatusOf(kAdminKey, "GET", "/v1/budgets", {}, &budgets), 200);
    for (const json& budget : budgets["budgets"]) {
      if (budget["name"] == name) return budget["limit"].get<std::string>();
    }
    return "";
  }

  std::string dir_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerConfigE2ETest, PushedConfigIsWrittenToTheFileAndTakesEffectAtOnce) {
  // Budgets have started: a lease runs against b-daily.
  ASSERT_EQ(StatusOf(kAdminKey, "POST", "/v1/leases",
                     R"({"tenant": "org/team-b", "resources": {"gpu": 1}})"),
            201);
  EXPECT_EQ(StatusOf(kTeamAKey, "GET", "/v1/pools"), 200);
  EXPECT_EQ(Limit("b-daily"), "10.000000");

  // The team-a agent follows the events; the push revokes its key.
  std::atomic<bool> stream_done = false;
  std::vector<std::string> events;
  std::thread stream([&] {
    auto streamer = Client(kTeamAKey);
    (void)streamer->Stream(
        "/v1/events",
        [&](std::string_view event, std::string_view) {
          events.emplace_back(event);
          return true;
        },
        Seconds(10));
    stream_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  std::string pushed = Config(false, kDaily100);
  Result<HttpResponse> reloaded =
      Client(kAdminKey)->Send("POST", "/v1/admin/reload", pushed, "text/yaml");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->status, 200) << reloaded->body;
  // The file of record holds the pushed text.
  EXPECT_EQ(ReadText(config_), pushed);
  // Raised and added budgets are in force this period.
  EXPECT_EQ(Limit("b-daily"), "100.000000");
  EXPECT_EQ(Limit("a-daily"), "50.000000");
  // The revoked key: 401 now, and its stream ended with an error event.
  EXPECT_EQ(StatusOf(kTeamAKey, "GET", "/v1/pools"), 401);
  for (int i = 0; i < 50 && !stream_done; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(stream_done) << "the revoked key's event stream is still open";
  stream.join();
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "error");

  // A restart reads the file: the pushed configuration stays in force.
  Stop();
  Start();
  EXPECT_EQ(StatusOf(kTeamAKey, "GET", "/v1/pools"), 401);
  EXPECT_EQ(Limit("b-daily"), "100.000000");
}

TEST_F(ServerConfigE2ETest, FileChangedWhileDownComesIntoForceAtStart) {
  ASSERT_EQ(StatusOf(kAdminKey, "POST", "/v1/leases",
                     R"({"tenant": "org/team-b", "resources": {"gpu": 1}})"),
            201);
  Stop();
  // Revokes team-a's key, raises one budget and adds another.
  testing::WriteFile(config_, Config(false, kDaily100));
  Start();
  EXPECT_EQ(StatusOf(kTeamAKey, "GET", "/v1/pools"), 401) << server_->LogTail();
  EXPECT_EQ(Limit("b-daily"), "100.000000");
  EXPECT_EQ(Limit("a-daily"), "50.000000");
  json leases;
  EXPECT_EQ(StatusOf(kAdminKey, "GET", "/v1/leases", {}, &leases), 200);
  EXPECT_EQ(leases["leases"].size(), 1u) << leases.dump();
}

TEST_F(ServerConfigE2ETest, LongPollOfRevokedKeyAnswers401) {
  // Fill the cluster (2 x 4 GPUs), then team-a waits for a queued request.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(StatusOf(kAdminKey, "POST", "/v1/leases",
                       R"({"tenant": "org/team-a", "resources": {"gpu": 4}})"),
              201);
  }
  json queued;
  ASSERT_EQ(StatusOf(kTeamAKey, "POST", "/v1/leases",
                     R"({"tenant": "org/team-a", "resources": {"gpu": 1}})", &queued),
            202);
  int polled = 0;
  std::thread poll([&] {
    polled = StatusOf(kTeamAKey, "GET",
                      "/v1/leases/" + std::to_string(queued["id"].get<uint64_t>()) + "?wait=20");
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> reloaded =
      Client(kAdminKey)->Send("POST", "/v1/admin/reload", Config(false, kDaily10), "text/yaml");
  ASSERT_TRUE(reloaded.ok());
  EXPECT_EQ(reloaded->status, 200) << reloaded->body;
  poll.join();
  EXPECT_EQ(polled, 401);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

TEST_F(ServerConfigE2ETest, RefusedPushChangesNeitherTheFileNorTheState) {
  ASSERT_EQ(StatusOf(kAdminKey, "POST", "/v1/leases",
                     R"({"tenant": "org/team-b", "resources": {"gpu": 1}})"),
            201);
  std::string before = ReadText(config_);
  // The currency of a running money budget cannot change.
  std::string other = Config(false, kDaily10);
  other.replace(other.find("currency: USD"), 13, "currency: EUR");
  Result<HttpResponse> refused =
      Client(kAdminKey)->Send("POST", "/v1/admin/reload", other, "text/yaml");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 409) << refused->body;
  EXPECT_NE(refused->body.find("b-daily"), std::string::npos) << refused->body;
  EXPECT_EQ(ReadText(config_), before);
  EXPECT_EQ(StatusOf(kTeamAKey, "GET", "/v1/pools"), 200);
}

TEST_F(ServerConfigE2ETest, FocusExportAcceptsWindowsLongerThanAMonth) {
  json lease;
  ASSERT_EQ(StatusOf(kAdminKey, "POST", "/v1/leases",
                     R"({"tenant": "org/team-a", "resources": {"gpu": 1}})", &lease),
            201);
  ASSERT_EQ(
      StatusOf(kAdminKey, "POST",
               "/v1/leases/" + std::to_string(lease["id"].get<uint64_t>()) + "/release", "{}"),
      200);
  for (const char* format : {"csv", "jsonl", "focus"}) {
    Result<HttpResponse> usage = Client(kAdminKey)->Send(
        "GET", std::string("/v1/usage?from=2000-01-01&to=2100-01-01&format=") + format);
    ASSERT_TRUE(usage.ok());
    EXPECT_EQ(usage->status, 200) << format << ": " << usage->body;
    if (std::string(format) == "focus") {
      EXPECT_NE(usage->body.find("BillingPeriodStart"), std::string::npos) << usage->body;
    }
  }
}

}  // namespace
}  // namespace allot
