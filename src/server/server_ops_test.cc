// Operations of `allot serve` end to end (the real binary on an ephemeral
// loopback port): paginated usage exports, the data directory lock, and an
// idle server that journals nothing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "client/http_client.h"
#include "server/auth.h"
#include "testing/server_process.h"

namespace allot {
namespace {

using nlohmann::json;
using testing::ServerProcess;

constexpr char kAdminKey[] = "allot_test_ops_admin_key";

std::string OpsConfig() {
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
tenants:
  - {name: org}
  - {name: team-a, parent: org}
currency: USD
prices:
  pools:
    gpu: {gpu: "3.60", cpu: "0", memory: "0"}
server:
  snapshot_every: 100
  tick_interval: 1s
api_keys:
)yaml";
  yaml += "  - {name: admin, sha256: " + Sha256Hex(kAdminKey) + ", tenant: \"\", role: admin}\n";
  return yaml;
}

// A raw SSE connection to GET /v1/events (the client library hides the
// ids and cannot send Last-Event-ID).
class EventStream {
 public:
  EventStream(int port, const std::string& last_event_id) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    std::string request = "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                          std::string(kAdminKey) + "\r\n";
    if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
    request += "\r\n";
    EXPECT_EQ(send(fd_, request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
  }
  ~EventStream() { close(fd_); }

  // Reads until `count` events (frames with an `event:` line) arrived or 5 s
  // passed; returns "kind:id" per event ("kind:" without an id).
  std::vector<std::string> Read(size_t count) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (Events().size() < count && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buffer[4096];
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      text_.append(buffer, static_cast<size_t>(n));
    }
    return Events();
  }

 private:
  std::vector<std::string> Events() const {
    std::vector<std::string> events;
    size_t at = 0;
    while ((at = text_.find("event: ", at)) != std::string::npos) {
      size_t end = text_.find("\n\n", at);
      if (end == std::string::npos) break;
      std::string frame = text_.substr(at, end - at);
      std::string kind = frame.substr(7, frame.find('\n') - 7);
      size_t id = frame.find("\nid: ");
      std::string id_text =
          id == std::string::npos ? "" : frame.substr(id + 5, frame.find('\n', id + 1) - id - 5);
      events.push_back(kind + ":" + id_text);
      at = end;
    }
    return events;
  }

  int fd_ = -1;
  std::string text_;
};

int64_t IdOf(const std::string& event) { return std::stoll(event.substr(event.find(':') + 1)); }

class ServerOpsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("allot-ops");
    ASSERT_FALSE(dir_.empty());
    config_ = dir_ + "/allot.yaml";
    testing::WriteFile(config_, OpsConfig());
    server_ = std::make_unique<ServerProcess>();
    std::string error;
    ASSERT_TRUE(server_->Start(config_, dir_ + "/data", &error)) << error;
    Result<std::unique_ptr<HttpClient>> client =
        HttpClient::Create(server_->base_url(), Seconds(10));
    ASSERT_TRUE(client.ok()) << client.status().message();
    client_ = std::move(client).value();
    client_->set_api_key(kAdminKey);
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    testing::RemoveTree(dir_);
  }

  HttpResponse Send(std::string_view method, std::string_view target, std::string_view body = {}) {
    Result<HttpResponse> response = client_->Send(method, target, body);
    EXPECT_TRUE(response.ok()) << method << " " << target << ": " << response.status().message();
    return response.ok() ? *response : HttpResponse{};
  }

  // The last sequence number the journal file holds, read beside the server
  // (WAL: a reader does not disturb it).
  int64_t JournalSeq() {
    sqlite3* db = nullptr;
    int64_t seq = -1;
    if (sqlite3_open_v2((dir_ + "/data/allot.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
      sqlite3_busy_timeout(db, 2000);
      sqlite3_stmt* statement = nullptr;
      if (sqlite3_prepare_v2(db,
                             "SELECT max(m) FROM (SELECT max(seq) AS m FROM commands "
                             "UNION ALL SELECT max(seq) FROM snapshots)",
                             -1, &statement, nullptr) == SQLITE_OK &&
          sqlite3_step(statement) == SQLITE_ROW) {
        seq = sqlite3_column_int64(statement, 0);
      }
      sqlite3_finalize(statement);
    }
    sqlite3_close(db);
    return seq;
  }

  std::string dir_;
  std::string config_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_F(ServerOpsTest, UsageExportIsPagedWithAnOpaqueCursor) {
  for (int i = 0; i < 5; ++i) {
    HttpResponse lease =
        Send("POST", "/v1/leases", R"({"tenant": "org/team-a", "resources": {"gpu": 1}})");
    ASSERT_EQ(lease.status, 201) << lease.body;
    std::string id = std::to_string(json::parse(lease.body)["id"].get<uint64_t>());
    ASSERT_EQ(Send("POST", "/v1/leases/" + id + "/release").status, 200);
  }
  std::string cursor;
  std::vector<int> page_sizes;
  std::string all;
  for (int page = 0; page < 10; ++page) {
    HttpResponse usage =
        Send("GET", "/v1/usage?format=jsonl&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    ASSERT_EQ(usage.status, 200) << usage.body;
    page_sizes.push_back(static_cast<int>(std::count(usage.body.begin(), usage.body.end(), '\n')));
    all += usage.body;
    auto next = usage.headers.find("allot-next-cursor");
    if (next == usage.headers.end()) break;
    cursor = next->second;
  }
  EXPECT_EQ(page_sizes, (std::vector<int>{2, 2, 1}));
  for (int lease = 1; lease <= 5; ++lease) {
    EXPECT_NE(all.find("\"lease\":" + std::to_string(lease) + ","), std::string::npos) << all;
  }
  // CSV pages each carry the header row.
  HttpResponse csv = Send("GET", "/v1/usage?format=csv&limit=3");
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(std::count(csv.body.begin(), csv.body.end(), '\n'), 4) << csv.body;
  EXPECT_EQ(Send("GET", "/v1/usage?cursor=zz").status, 400);
  EXPECT_EQ(Send("GET", "/v1/usage?limit=0").status, 400);
  // The chargeback report (read a page at a time) counts them all.
  HttpResponse report = Send("GET", "/v1/reports/chargeback?by=tenant");
  ASSERT_EQ(report.status, 200) << report.body;
  EXPECT_EQ(json::parse(report.body)["records"], 5);
}

TEST_F(ServerOpsTest, SecondServerOnTheDataDirectoryFailsNamingTheHolder) {
  ServerProcess second;
  std::string error;
  auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(second.Start(config_, dir_ + "/data", &error));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(10));
  EXPECT_NE(error.find("in use by another allot process (pid "), std::string::npos) << error;
  // The first one still answers.
  EXPECT_EQ(Send("GET", "/readyz").status, 200);
}

TEST_F(ServerOpsTest, IdleServerJournalsNothing) {
  // A read is answered once everything before it is durable: the
  // configuration command start-up journaled is on disk after it.
  ASSERT_EQ(Send("GET", "/v1/leases").status, 200);
  int64_t before = JournalSeq();
  ASSERT_GT(before, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(3200));
  EXPECT_EQ(JournalSeq(), before);  // a tick a second journaled 3 more
  // A lease with a TTL is still expired on time (the tick comes when due).
  HttpResponse lease = Send("POST", "/v1/leases",
                            R"({"tenant": "org/team-a", "resources": {"gpu": 1}, "ttl": "1s"})");
  ASSERT_EQ(lease.status, 201) << lease.body;
  std::string id = std::to_string(json::parse(lease.body)["id"].get<uint64_t>());
  std::string state;
  for (int i = 0; i < 40 && state != "ended"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    state = json::parse(Send("GET", "/v1/leases/" + id).body)["state"];
  }
  EXPECT_EQ(state, "ended");
}

TEST_F(ServerOpsTest, EventsResumeFromLastEventIdAcrossARestart) {
  auto grant = [&] {
    HttpResponse lease =
        Send("POST", "/v1/leases", R"({"tenant": "org/team-a", "resources": {"gpu": 1}})");
    ASSERT_EQ(lease.status, 201) << lease.body;
  };
  std::vector<std::string> seen;
  {
    EventStream stream(server_->port(), "");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // subscribed
    grant();
    grant();
    seen = stream.Read(2);
    ASSERT_EQ(seen.size(), 2u);
  }
  EXPECT_LT(IdOf(seen[0]), IdOf(seen[1]));
  grant();  // while no one listens
  std::vector<std::string> resumed = EventStream(server_->port(), seen[1].substr(8)).Read(1);
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].substr(0, 8), "granted:");
  int64_t third = IdOf(resumed[0]);
  EXPECT_GT(third, IdOf(seen[1]));

  // Restart: ids go on increasing; the backlog from before is gone, and a
  // client resuming from before it is told so, then gets what there is.
  server_->Signal(SIGTERM);
  ASSERT_EQ(server_->Wait(), 0);
  std::string error;
  ASSERT_TRUE(server_->Start(config_, dir_ + "/data", &error)) << error;
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(server_->base_url(), Seconds(10));
  ASSERT_TRUE(client.ok());
  client_ = std::move(client).value();
  client_->set_api_key(kAdminKey);
  grant();
  std::vector<std::string> after = EventStream(server_->port(), seen[0].substr(8)).Read(2);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0], "missed:");
  EXPECT_EQ(after[1].substr(0, 8), "granted:");
  EXPECT_GT(IdOf(after[1]), third);
}

}  // namespace
}  // namespace allot
