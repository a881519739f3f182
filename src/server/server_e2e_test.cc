// End-to-end tests of `allot serve`: the real binary on an ephemeral loopback
// port, driven over real HTTP by the client library.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "client/http_client.h"
#include "client/testing/loopback_server.h"
#include "server/auth.h"
#include "testing/server_process.h"
#include "testing/test_paths.h"

namespace allot {
namespace {

using nlohmann::json;
using testing::ServerProcess;

constexpr char kAdminKey[] = "allot_test_admin_key";
constexpr char kTeamAKey[] = "allot_test_team_a_agent";
constexpr char kTeamBKey[] = "allot_test_team_b_admin";

std::string TestConfig(int webhook_port = 0) {
  std::string yaml = R"yaml(
placement: best_fit
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    tier: on_demand
    nodes:
      - {name_prefix: gpu-, count: 2, cpu: 64, memory: 512Gi, gpus: 4, gpu_mode: whole}
classes:
  - {name: default, value: 100}
  - {name: batch, value: 0}
tenants:
  - {name: org}
  - {name: team-a, parent: org}
  - {name: team-b, parent: org}
currency: USD
prices:
  pools:
    gpu: {gpu: "3.60", cpu: "0", memory: "0"}
budgets:
  - {name: team-b-daily, tenant: team-b, money: "10", period: daily, thresholds: [50]}
server:
  idle_timeout: 1s
  request_timeout: 2s
  max_connections: 16
  max_body_bytes: 64Ki
  snapshot_every: 100
  tick_interval: 1s
api_keys:
)yaml";
  yaml += "  - {name: admin, sha256: " + Sha256Hex(kAdminKey) + ", tenant: \"\", role: admin}\n";
  yaml += "  - {name: a-agent, sha256: " + Sha256Hex(kTeamAKey) +
          ", tenant: org/team-a, role: agent}\n";
  yaml += "  - {name: b-admin, sha256: " + Sha256Hex(kTeamBKey) +
          ", tenant: org/team-b, role: tenant_admin}\n";
  if (webhook_port > 0) {
    yaml += "webhooks:\n  - {name: hook, url: \"http://127.0.0.1:" + std::to_string(webhook_port) +
            "/alerts\", events: [alert], timeout: 1s, max_attempts: 3, backoff: 1s}\n";
  }
  return yaml;
}

class ServerE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("allot-e2e");
    ASSERT_FALSE(dir_.empty());
    config_ = dir_ + "/allot.yaml";
    testing::WriteFile(config_, TestConfig());
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

  std::unique_ptr<HttpClient> Client(const std::string& key) {
    Result<std::unique_ptr<HttpClient>> client =
        HttpClient::Create(server_->base_url(), Seconds(10));
    EXPECT_TRUE(client.ok()) << client.status().message();
    if (!key.empty()) (*client)->set_api_key(key);
    return std::move(client).value();
  }

  // Sends and parses; the status goes to *status.
  json Call(HttpClient& client, std::string_view method, std::string_view target, int* status,
            std::string_view body = {}) {
    Result<HttpResponse> response = client.Send(method, target, body);
    EXPECT_TRUE(response.ok()) << method << " " << target << ": " << response.status().message();
    if (!response.ok()) return json();
    *status = response->status;
    json parsed = json::parse(response->body, nullptr, false);
    return parsed.is_discarded() ? json(response->body) : parsed;
  }

  std::string dir_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerE2ETest, HealthReadinessAndAuth) {
  auto anonymous = Client("");
  int status = 0;
  EXPECT_EQ(Call(*anonymous, "GET", "/healthz", &status)["status"], "ok");
  EXPECT_EQ(status, 200);
  Call(*anonymous, "GET", "/readyz", &status);
  EXPECT_EQ(status, 200);
  json error = Call(*anonymous, "GET", "/v1/leases", &status);
  EXPECT_EQ(status, 401);
  EXPECT_EQ(error["error"]["code"], "unauthenticated");
  auto wrong = Client("allot_not_a_key");
  Call(*wrong, "GET", "/v1/leases", &status);
  EXPECT_EQ(status, 401);
}

TEST_F(ServerE2ETest, LeaseLifecycleAndUsage) {
  auto client = Client(kTeamAKey);
  int status = 0;
  json lease =
      Call(*client, "POST", "/v1/leases", &status,
           R"({"tenant": "org/team-a", "resources": {"gpu": 2}, "labels": {"job": "e2e"}})");
  ASSERT_EQ(status, 201) << lease.dump();
  EXPECT_EQ(lease["state"], "granted");
  EXPECT_EQ(lease["placement"].size(), 2u);
  EXPECT_TRUE(lease.contains("cuda_visible_devices"));
  uint64_t id = lease["id"].get<uint64_t>();
  std::string path = "/v1/leases/" + std::to_string(id);

  json got = Call(*client, "GET", path, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(got["state"], "granted");
  Call(*client, "POST", path + "/renew", &status);
  EXPECT_EQ(status, 200);

  json released =
      Call(*client, "POST", path + "/release", &status, R"({"exit_code": 0, "wall_seconds": 1.5})");
  ASSERT_EQ(status, 200) << released.dump();
  EXPECT_EQ(released["lease"]["state"], "ended");
  EXPECT_EQ(released["lease"]["end_reason"], "released");
  EXPECT_EQ(released["lease"]["exit_code"], 0);
  EXPECT_EQ(released["usage"]["lease"], id);

  // Releasing twice is refused and changes nothing.
  json again = Call(*client, "POST", path + "/release", &status);
  EXPECT_EQ(status, 409) << again.dump();

  auto admin = Client(kAdminKey);
  Result<HttpResponse> usage = admin->Send("GET", "/v1/usage?format=jsonl");
  ASSERT_TRUE(usage.ok());
  EXPECT_EQ(usage->status, 200);
  EXPECT_NE(usage->body.find("\"lease\":" + std::to_string(id)), std::string::npos) << usage->body;
  json report = Call(*admin, "GET", "/v1/reports/chargeback?by=tenant", &status);
  EXPECT_EQ(status, 200) << report.dump();
  EXPECT_EQ(report["records"], 1);
}

TEST_F(ServerE2ETest, QueuedRequestWaitsForAGrant) {
  auto client = Client(kTeamAKey);
  int status = 0;
  json big = Call(*client, "POST", "/v1/leases", &status,
                  R"({"tenant": "org/team-a", "resources": {"gpu": 4}, "members": 2})");
  ASSERT_EQ(status, 201) << big.dump();
  json queued = Call(*client, "POST", "/v1/leases", &status,
                     R"({"tenant": "org/team-a", "resources": {"gpu": 1}})");
  ASSERT_EQ(status, 202) << queued.dump();
  EXPECT_EQ(queued["state"], "queued");
  EXPECT_EQ(queued["queue"]["position"], 0);
  uint64_t waiting = queued["id"].get<uint64_t>();

  // A waiter on the queued request is answered when the release grants it.
  std::thread waiter([&] {
    auto other = Client(kTeamAKey);
    int wait_status = 0;
    json answer =
        Call(*other, "GET", "/v1/leases/" + std::to_string(waiting) + "?wait=10", &wait_status);
    EXPECT_EQ(wait_status, 200);
    EXPECT_EQ(answer["state"], "granted") << answer.dump();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  Call(*client, "POST", "/v1/leases/" + std::to_string(big["id"].get<uint64_t>()) + "/release",
       &status);
  EXPECT_EQ(status, 200);
  waiter.join();

  // A POST that waits and times out answers 202 with its queue position
  // (one GPU is held, so two whole nodes are not free).
  auto start = std::chrono::steady_clock::now();
  json timed =
      Call(*client, "POST", "/v1/leases", &status,
           R"({"tenant": "org/team-a", "resources": {"gpu": 4}, "members": 2, "wait": 0.3})");
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(status, 202) << timed.dump();
  EXPECT_EQ(timed["state"], "queued");
  EXPECT_GE(waited, 0.29);
}

TEST_F(ServerE2ETest, StateSurvivesARestart) {
  auto client = Client(kTeamAKey);
  int status = 0;
  json lease = Call(*client, "POST", "/v1/leases", &status,
                    R"({"tenant": "org/team-a", "resources": {"gpu": 1}})");
  ASSERT_EQ(status, 201);
  server_->Signal(SIGTERM);
  EXPECT_EQ(server_->Wait(), 0) << server_->LogTail();
  StartServer();
  client = Client(kTeamAKey);
  json got =
      Call(*client, "GET", "/v1/leases/" + std::to_string(lease["id"].get<uint64_t>()), &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(got["state"], "granted");
  EXPECT_EQ(got["placement"], lease["placement"]);
}

TEST_F(ServerE2ETest, TenantIsolationOnEveryEndpoint) {
  auto team_a = Client(kTeamAKey);
  auto team_b = Client(kTeamBKey);
  int status = 0;
  json b_lease = Call(*team_b, "POST", "/v1/leases", &status,
                      R"({"tenant": "org/team-b", "resources": {"gpu": 1}})");
  ASSERT_EQ(status, 201) << b_lease.dump();
  std::string b_path = "/v1/leases/" + std::to_string(b_lease["id"].get<uint64_t>());

  // Team A's key cannot see or touch team B's lease: as if it did not exist.
  Call(*team_a, "GET", b_path, &status);
  EXPECT_EQ(status, 404);
  Call(*team_a, "POST", b_path + "/renew", &status);
  EXPECT_EQ(status, 404);
  Call(*team_a, "POST", b_path + "/release", &status);
  EXPECT_EQ(status, 404);
  Call(*team_a, "DELETE", b_path, &status);
  EXPECT_EQ(status, 404);
  // ... nor ask in team B's name.
  json denied = Call(*team_a, "POST", "/v1/leases", &status,
                     R"({"tenant": "org/team-b", "resources": {"gpu": 1}})");
  EXPECT_EQ(status, 403) << denied.dump();
  // Listings hold only its subtree.
  json leases = Call(*team_a, "GET", "/v1/leases", &status);
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(leases["leases"].empty()) << leases.dump();
  Call(*team_a, "GET", "/v1/leases?tenant=org/team-b", &status);
  EXPECT_EQ(status, 404);
  json queue = Call(*team_a, "GET", "/v1/queue?tenant=org/team-b", &status);
  EXPECT_EQ(status, 404);
  json tenants = Call(*team_a, "GET", "/v1/tenants", &status);
  ASSERT_EQ(status, 200);
  for (const json& tenant : tenants["tenants"]) EXPECT_EQ(tenant["path"], "org/team-a");
  Call(*team_a, "GET", "/v1/tenants/org/team-b", &status);
  EXPECT_EQ(status, 404);
  json budgets = Call(*team_a, "GET", "/v1/budgets", &status);
  EXPECT_EQ(status, 200);
  EXPECT_TRUE(budgets["budgets"].empty()) << budgets.dump();
  // Agents get no reports; tenant admins get their subtree only.
  Call(*team_a, "GET", "/v1/reports/chargeback", &status);
  EXPECT_EQ(status, 403);
  Call(*team_a, "GET", "/v1/usage", &status);
  EXPECT_EQ(status, 403);
  Call(*team_b, "GET", "/v1/reports/chargeback", &status);
  EXPECT_EQ(status, 200);
  // Operator calls need the admin role.
  Call(*team_b, "POST", "/v1/nodes/gpu-0/state", &status, R"({"state": "draining"})");
  EXPECT_EQ(status, 403);
  Call(*team_b, "POST", "/v1/admin/reload", &status);
  EXPECT_EQ(status, 403);
  Call(*team_b, "POST", "/v1/admin/snapshot", &status);
  EXPECT_EQ(status, 403);
  // Shared read-only views are open to every key.
  Call(*team_a, "GET", "/v1/pools", &status);
  EXPECT_EQ(status, 200);
  Call(*team_a, "GET", "/v1/classes", &status);
  EXPECT_EQ(status, 200);
  // Nodes list the leases on them (docs/api.md), but only the key's subtree's.
  auto node_leases = [&](HttpClient& client) {
    json nodes = Call(client, "GET", "/v1/nodes", &status);
    EXPECT_EQ(status, 200) << nodes.dump();
    json leases = json::array();
    for (const json& node : nodes["nodes"]) {
      EXPECT_TRUE(node.contains("leases")) << node.dump();
      for (const json& lease : node.value("leases", json::array())) leases.push_back(lease);
    }
    return leases;
  };
  EXPECT_EQ(node_leases(*team_a), json::array());
  json b_node_leases = node_leases(*team_b);
  ASSERT_EQ(b_node_leases.size(), 1u) << b_node_leases.dump();
  EXPECT_EQ(b_node_leases[0]["id"], b_lease["id"]);
  EXPECT_EQ(b_node_leases[0]["tenant"], "org/team-b");
  EXPECT_EQ(b_node_leases[0]["class"], b_lease["class"]);
  EXPECT_EQ(b_node_leases[0]["placement"], b_lease["placement"]);
  // The event stream of team A carries none of team B's decisions.
  std::vector<std::string> seen;
  std::thread stream([&] {
    auto streamer = Client(kTeamAKey);
    Status streamed = streamer->Stream(
        "/v1/events",
        [&](std::string_view event, std::string_view data) {
          seen.push_back(std::string(event) + " " + std::string(data));
          return seen.size() < 1;
        },
        Seconds(2));
    (void)streamed;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Call(*team_b, "POST", "/v1/leases", &status,
       R"({"tenant": "org/team-b", "resources": {"gpu": 1}})");
  Call(*team_a, "POST", "/v1/leases", &status,
       R"({"tenant": "org/team-a", "resources": {"gpu": 1}})");
  stream.join();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_NE(seen[0].find("org/team-a"), std::string::npos) << seen[0];
  EXPECT_EQ(seen[0].find("org/team-b"), std::string::npos) << seen[0];
}

TEST_F(ServerE2ETest, BadInputGetsAClearErrorAndChangesNothing) {
  auto client = Client(kAdminKey);
  int status = 0;
  json before = Call(*client, "GET", "/v1/leases", &status);
  struct Case {
    std::string body;
    int status;
    std::string field;
  };
  std::vector<Case> cases = {
      {"{not json", 400, "body"},
      {"[1, 2]", 400, "body"},
      {R"({"tenant": "org/team-a", "resources": {"gpu": "lots"}})", 400, "resources.gpu"},
      {R"({"tenant": "org/team-a", "resources": {"gpu": -1}})", 400, "resources.gpu"},
      {R"({"tenant": "org/team-a", "members": 0})", 400, "members"},
      {R"({"tenant": "org/team-a", "resources": {"gpu": 1}, "colour": "red"})", 400, "colour"},
      {R"({"tenant": 7})", 400, "tenant"},
      {R"({"tenant": "org/nobody", "resources": {"gpu": 1}})", 400, "tenant"},
      {R"({"tenant": "org/team-a", "resources": {"gpu": 1}, "wait": "soon"})", 400, "wait"},
  };
  for (const Case& c : cases) {
    json error = Call(*client, "POST", "/v1/leases", &status, c.body);
    EXPECT_EQ(status, c.status) << c.body << " -> " << error.dump();
    EXPECT_EQ(error["error"]["field"], c.field) << c.body << " -> " << error.dump();
    EXPECT_FALSE(error["error"]["message"].get<std::string>().empty());
  }
  // An oversized body is refused before it is parsed.
  std::string huge =
      R"({"tenant": "org/team-a", "labels": {"x": ")" + std::string(100 * 1024, 'a') + "\"}}";
  Call(*client, "POST", "/v1/leases", &status, huge);
  EXPECT_EQ(status, 413);
  // Wrong content type, unknown query parameters, paths and methods.
  Result<HttpResponse> text = client->Send("POST", "/v1/leases", "{}", "text/plain");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->status, 415);
  Call(*client, "GET", "/v1/leases?colour=red", &status);
  EXPECT_EQ(status, 400);
  Call(*client, "GET", "/v1/leases/abc", &status);
  EXPECT_EQ(status, 404);
  Call(*client, "GET", "/v1/nowhere", &status);
  EXPECT_EQ(status, 404);
  Call(*client, "PUT", "/v1/leases", &status, "{}");
  EXPECT_EQ(status, 405);
  Call(*client, "POST", "/v1/nodes/gpu-0/state", &status, R"({"state": "sideways"})");
  EXPECT_EQ(status, 400);
  Call(*client, "POST", "/v1/nodes/nope/state", &status, R"({"state": "down"})");
  EXPECT_EQ(status, 404);
  json after = Call(*client, "GET", "/v1/leases", &status);
  EXPECT_EQ(before, after);
  Call(*client, "GET", "/healthz", &status);
  EXPECT_EQ(status, 200);
}

int RawConnect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{3, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

TEST_F(ServerE2ETest, SlowClientsAndTooManyConnections) {
  // A client that sends half a request is cut off after the request timeout
  // (2 s here, from the request's first byte), while others are served.
  int slow = RawConnect(server_->port());
  ASSERT_GE(slow, 0);
  std::string partial = "POST /v1/leases HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{";
  ASSERT_EQ(write(slow, partial.data(), partial.size()), static_cast<ssize_t>(partial.size()));
  auto client = Client(kAdminKey);
  int status = 0;
  Call(*client, "GET", "/v1/pools", &status);
  EXPECT_EQ(status, 200);
  auto start = std::chrono::steady_clock::now();
  ReadAll(slow);  // returns when the server closes
  double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(waited, 2.9);
  close(slow);
  client.reset();  // its connection closes: the count below is exact
  std::this_thread::sleep_for(std::chrono::milliseconds(100));

  // At max_connections (16) of idle connections, a new client is served: the
  // connection waited on the longest is closed to make room.
  std::vector<int> held;
  for (int i = 0; i < 16; ++i) held.push_back(RawConnect(server_->port()));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto newcomer = Client(kAdminKey);
  Call(*newcomer, "GET", "/healthz", &status);
  EXPECT_EQ(status, 200);
  auto shed = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadAll(held[0]), "");
  // Closed already, not the 3 s read timeout.
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - shed).count(), 1.0);
  for (int fd : held) close(fd);
  held.clear();
  newcomer.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  // Busy connections (event streams here) are not shed: past the limit a new
  // connection is answered 429 and closed.
  std::string events = std::string("GET /v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
                       kAdminKey + "\r\n\r\n";
  for (int i = 0; i < 16; ++i) {
    held.push_back(RawConnect(server_->port()));
    ASSERT_EQ(write(held.back(), events.data(), events.size()),
              static_cast<ssize_t>(events.size()));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  int extra = RawConnect(server_->port());
  ASSERT_GE(extra, 0);
  std::string answer = ReadAll(extra);
  EXPECT_NE(answer.find("429"), std::string::npos) << answer << server_->LogTail();
  EXPECT_NE(answer.find("resource_exhausted"), std::string::npos) << answer;
  close(extra);
  for (int fd : held) close(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto after = Client(kAdminKey);
  Call(*after, "GET", "/healthz", &status);
  EXPECT_EQ(status, 200);
}

TEST_F(ServerE2ETest, ReloadKeepsLeasesOrRefusesWithReasons) {
  auto admin = Client(kAdminKey);
  int status = 0;
  json lease = Call(*admin, "POST", "/v1/leases", &status,
                    R"({"tenant": "org/team-a", "resources": {"gpu": 1}})");
  ASSERT_EQ(status, 201);
  // A configuration whose tenants no longer hold the lease is refused.
  std::string broken = TestConfig();
  size_t at = broken.find("  - {name: team-a, parent: org}\n");
  ASSERT_NE(at, std::string::npos);
  broken.erase(at, std::string("  - {name: team-a, parent: org}\n").size());
  Result<HttpResponse> refused = admin->Send("POST", "/v1/admin/reload", broken, "text/yaml");
  ASSERT_TRUE(refused.ok());
  EXPECT_EQ(refused->status, 409) << refused->body;
  // A file change (one more class) reloads on SIGHUP and keeps the lease.
  std::string grown = TestConfig();
  grown.replace(grown.find("  - {name: batch, value: 0}"), 27,
                "  - {name: batch, value: 0}\n  - {name: urgent, value: 900}");
  testing::WriteFile(config_, grown);
  server_->Signal(SIGHUP);
  bool reloaded = false;
  for (int i = 0; i < 100 && !reloaded; ++i) {
    json classes = Call(*admin, "GET", "/v1/classes", &status);
    reloaded = classes["classes"].size() == 3;
    if (!reloaded) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(reloaded) << server_->LogTail();
  json got =
      Call(*admin, "GET", "/v1/leases/" + std::to_string(lease["id"].get<uint64_t>()), &status);
  EXPECT_EQ(got["state"], "granted");
}

// Runs the allot binary as a shell command; returns its exit code, output in *out.
int RunAllot(const std::string& args, std::string* out) {
  std::string command = testing::AllotBinary() + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) *out += buffer;
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(ServerE2ETest, CommandLineClientAndAllotRun) {
  std::string common = "--server " + server_->base_url() + " --key " + kTeamAKey;
  std::string out;
  // allot run: the command sees its lease, its exit code comes back, and the
  // lease ends released with that code and the wall time.
  int code = RunAllot("run " + common +
                          " --tenant org/team-a --gpu 1 -- sh -c "
                          "'test -n \"$ALLOT_LEASE_ID\" && test -n \"$CUDA_VISIBLE_DEVICES\" "
                          "&& echo lease=$ALLOT_LEASE_ID && exit 7'",
                      &out);
  EXPECT_EQ(code, 7) << out;
  size_t at = out.find("lease=");
  ASSERT_NE(at, std::string::npos) << out;
  uint64_t id = std::stoull(out.substr(at + 6));
  auto client = Client(kTeamAKey);
  int status = 0;
  json ended = Call(*client, "GET", "/v1/leases/" + std::to_string(id), &status);
  EXPECT_EQ(ended["state"], "ended") << ended.dump();
  EXPECT_EQ(ended["end_reason"], "released");
  EXPECT_EQ(ended["exit_code"], 7);
  EXPECT_GT(ended["wall_seconds"].get<double>(), 0.0);

  // Exit codes of the client: granted 0, rejected 4, refused 1, unreachable 3.
  out.clear();
  EXPECT_EQ(
      RunAllot("lease acquire " + common + " --tenant org/team-a --gpu 1 --output json", &out), 0)
      << out;
  out.clear();
  EXPECT_EQ(RunAllot("lease acquire " + common + " --tenant org/team-a --gpu 64", &out), 4) << out;
  EXPECT_NE(out.find("infeasible"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunAllot("lease acquire " + common + " --tenant org/team-b --gpu 1", &out), 1) << out;
  EXPECT_NE(out.find("permission_denied"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunAllot("lease list " + common, &out), 0) << out;
  EXPECT_NE(out.find("org/team-a"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunAllot("queue --server http://127.0.0.1:1 --timeout 2", &out), 3) << out;
}

TEST_F(ServerE2ETest, ReleasingAQueuedRequestNamesLeaseCancel) {
  std::string common = "--server " + server_->base_url() + " --key " + kTeamAKey;
  std::string out;
  // Two 4-GPU leases fill both nodes; the third waits.
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(RunAllot("lease acquire " + common + " --tenant org/team-a --gpu 4", &out), 0) << out;
  }
  out.clear();
  ASSERT_EQ(
      RunAllot("lease acquire " + common + " --tenant org/team-a --gpu 4 --output json", &out), 0)
      << out;
  json queued = json::parse(out, nullptr, false);
  ASSERT_EQ(queued.value("state", ""), "queued") << out;
  std::string id = std::to_string(queued["id"].get<uint64_t>());
  out.clear();
  EXPECT_EQ(RunAllot("lease release " + id + " " + common, &out), 1) << out;
  EXPECT_NE(out.find("error: failed_precondition: lease " + id + ": still queued"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("allot lease cancel " + id), std::string::npos) << out;
  // Nothing changed: the request still waits, and cancel ends it.
  out.clear();
  EXPECT_EQ(RunAllot("lease cancel " + id + " " + common, &out), 0) << out;
  EXPECT_NE(out.find("cancelled"), std::string::npos) << out;
}

TEST_F(ServerE2ETest, ReportByLabelHasAnUnlabelledRowSoRowsAddUpToTheTotal) {
  auto admin = Client(kAdminKey);
  int status = 0;
  for (std::string labels : {R"({"team": "x"})", R"({"team": "y"})", R"({"other": "z"})", "{}"}) {
    json lease =
        Call(*admin, "POST", "/v1/leases", &status,
             R"({"tenant": "org/team-a", "resources": {"gpu": 1}, "labels": )" + labels + "}");
    ASSERT_EQ(status, 201) << lease.dump();
    Call(*admin, "POST", "/v1/leases/" + std::to_string(lease["id"].get<uint64_t>()) + "/release",
         &status);
    ASSERT_EQ(status, 200);
  }
  json report = Call(*admin, "GET", "/v1/reports/chargeback?by=label:team", &status);
  ASSERT_EQ(status, 200) << report.dump();
  std::map<std::string, int64_t> leases;
  for (const json& row : report["rows"]) leases[row["key"].get<std::string>()] = row["leases"];
  EXPECT_EQ(leases, (std::map<std::string, int64_t>{{"x", 1}, {"y", 1}, {"(unlabelled)", 2}}))
      << report.dump();
  EXPECT_EQ(report["records"], 4);
  // The cost column adds up to the total too (in micro-units, as sent).
  auto micros = [](const json& money) {
    return std::llround(std::stod(money.get<std::string>()) * 1e6);
  };
  int64_t sum = 0;
  for (const json& row : report["rows"]) sum += micros(row["cost"]);
  EXPECT_EQ(sum, micros(report["total"])) << report.dump();
  std::string out;
  EXPECT_EQ(
      RunAllot("report --by label:team --server " + server_->base_url() + " --key " + kAdminKey,
               &out),
      0)
      << out;
  EXPECT_NE(out.find("\n(unlabelled)  "), std::string::npos) << out;
}

// docs/cli.md, "Exit codes": one mistake, one exit code, whichever
// subcommand makes it.
TEST_F(ServerE2ETest, TheSameMistakeGivesTheSameExitCodeAcrossSubcommands) {
  std::string admin = " --server " + server_->base_url() + " --key " + kAdminKey;
  auto expect_all = [&](int want, const std::vector<std::string>& commands) {
    for (const std::string& command : commands) {
      std::string out;
      EXPECT_EQ(RunAllot(command, &out), want) << "allot " << command << "\n" << out;
    }
  };
  // An unknown tenant: the server refuses the call (1), a lease request too.
  expect_all(1, {"lease acquire --tenant org/nobody --gpu 1" + admin,
                 "run --tenant org/nobody --gpu 1" + admin + " -- true",
                 "lease list --tenant org/nobody" + admin, "queue --tenant org/nobody" + admin});
  // An unknown lease id: 1 for every lease command.
  expect_all(1, {"lease get 999999" + admin, "lease renew 999999" + admin,
                 "lease release 999999" + admin, "lease cancel 999999" + admin});
  // A key the server does not know: 1.
  std::string stranger = " --server " + server_->base_url() + " --key allot_nobody_knows_me";
  expect_all(1, {"lease list" + stranger, "queue" + stranger, "tenants" + stranger,
                 "report" + stranger, "lease acquire --gpu 1" + stranger});
  // A malformed value: a usage error (2), found before anything is sent.
  expect_all(2, {"lease acquire --gpu 1 --ttl 5x" + admin, "report --from yesterday" + admin,
                 "usage --to 2026-13-45" + admin, "run --memory 3Qi" + admin + " -- true",
                 "lease list --state sideways" + admin});
  // Nobody listening: 3.
  std::string nowhere = " --server http://127.0.0.1:1 --timeout 2";
  expect_all(3, {"lease get 1" + nowhere, "queue" + nowhere, "report" + nowhere, "usage" + nowhere,
                 "run --gpu 1" + nowhere + " -- true"});
}

TEST_F(ServerE2ETest, BudgetAlertsReachTheWebhookAndTheMetricsLint) {
  // A receiver that fails the first delivery: the server retries.
  std::mutex mu;
  std::vector<std::string> received;
  int attempts = 0;
  testing::LoopbackServer receiver([&](testing::LoopbackConnection& connection) {
    while (std::optional<std::string> request = connection.ReadRequest()) {
      std::lock_guard<std::mutex> lock(mu);
      if (++attempts == 1) {
        connection.Write(testing::HttpReply(503, "{}"));
        continue;
      }
      received.push_back(*request);
      connection.Write(testing::HttpReply(200, "{}"));
    }
  });
  testing::WriteFile(config_, TestConfig(receiver.port()));
  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->Wait(), 0);
  StartServer();

  auto team_b = Client(kTeamBKey);
  int status = 0;
  // 4 GPUs for an hour at 3.60 a GPU-hour: 14.40 against a 10.00 daily budget.
  json refused = Call(*team_b, "POST", "/v1/leases", &status,
                      R"({"tenant": "org/team-b", "resources": {"gpu": 4}, "estimate": "1h"})");
  EXPECT_EQ(status, 402) << refused.dump();
  EXPECT_EQ(refused["error"]["code"], "budget_exceeded");
  bool delivered = false;
  for (int i = 0; i < 100 && !delivered; ++i) {  // the retry backs off 1 s
    {
      std::lock_guard<std::mutex> lock(mu);
      delivered = !received.empty();
    }
    if (!delivered) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(delivered) << server_->LogTail();
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_NE(received[0].find("POST /alerts"), std::string::npos) << received[0];
    EXPECT_NE(received[0].find("hard_limit"), std::string::npos) << received[0];
    EXPECT_NE(received[0].find("team-b-daily"), std::string::npos) << received[0];
    EXPECT_GE(attempts, 2);
  }

  // /metrics from the live server passes promtool's lint.
  auto anonymous = Client("");
  Result<HttpResponse> metrics = anonymous->Send("GET", "/metrics");
  ASSERT_TRUE(metrics.ok());
  ASSERT_EQ(metrics->status, 200);
  EXPECT_NE(metrics->body.find("allot_rejections_total{code=\"budget_exceeded\"} 1"),
            std::string::npos);
  std::string path = dir_ + "/metrics.txt";
  testing::WriteFile(path, metrics->body);
  std::string command = "promtool check metrics < " + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  int exit = pclose(pipe);
  EXPECT_EQ(exit, 0) << "promtool (scripts/install-deps.sh installs it): " << output;
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace allot
