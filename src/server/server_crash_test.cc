// Crash test of `allot serve`: lease churn from two clients, `kill -9` of the
// server at random moments, restart, and checks that what was acknowledged
// survived exactly once (docs/operations.md, "Durability").
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "client/http_client.h"
#include "testing/server_process.h"

namespace allot {
namespace {

using nlohmann::json;
using testing::ServerProcess;

constexpr char kConfig[] = R"yaml(
placement: best_fit
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    tier: on_demand
    nodes:
      - {name_prefix: gpu-, count: 4, cpu: 64, memory: 512Gi, gpus: 8, gpu_mode: whole}
tenants:
  - {name: org}
  - {name: a, parent: org}
  - {name: b, parent: org}
currency: USD
prices:
  pools:
    gpu: {gpu: "36.00", cpu: "0", memory: "0"}
budgets:
  - {name: org-daily, tenant: org, money: "1000000", period: daily}
server:
  snapshot_every: 150
  tick_interval: 1s
)yaml";

int Iterations() {
  const char* text = std::getenv("ALLOT_CRASH_ITERATIONS");
  int n = text != nullptr ? std::atoi(text) : 0;
  return n > 0 ? n : 50;
}

// What the clients were told. A request whose reply never came (the server
// died) is uncertain: it may or may not have happened, but at most once.
struct Ledger {
  std::mutex mu;
  std::set<uint64_t> granted;    // acknowledged grants not yet released
  std::set<uint64_t> released;   // acknowledged releases
  std::set<uint64_t> uncertain;  // grants or releases without a reply
  int64_t acknowledged = 0;
};

void Churn(const std::string& base_url, Ledger* ledger, std::atomic<bool>* stop, uint32_t seed) {
  std::mt19937 random(seed);
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(base_url, Seconds(2));
  if (!client.ok()) return;
  while (!stop->load()) {
    uint64_t victim = 0;
    {
      std::lock_guard<std::mutex> lock(ledger->mu);
      if (!ledger->granted.empty() && random() % 2 == 0) {
        auto it = ledger->granted.begin();
        std::advance(it, static_cast<long>(random() % ledger->granted.size()));
        victim = *it;
        ledger->granted.erase(it);
      }
    }
    if (victim != 0) {
      Result<HttpResponse> r =
          (*client)->Send("POST", "/v1/leases/" + std::to_string(victim) + "/release",
                          R"({"exit_code": 0, "wall_seconds": 0.01})");
      std::lock_guard<std::mutex> lock(ledger->mu);
      if (r.ok() && r->status == 200) {
        ledger->released.insert(victim);
        ++ledger->acknowledged;
      } else {
        ledger->uncertain.insert(victim);
        if (!r.ok()) return;  // the server is gone
      }
      continue;
    }
    std::string tenant = random() % 2 == 0 ? "org/a" : "org/b";
    Result<HttpResponse> r =
        (*client)->Send("POST", "/v1/leases",
                        R"({"tenant": ")" + tenant + R"(", "resources": {"gpu": )" +
                            std::to_string(1 + random() % 2) + "}}");
    if (!r.ok()) return;
    if (r->status == 201) {
      json body = json::parse(r->body);
      std::lock_guard<std::mutex> lock(ledger->mu);
      ledger->granted.insert(body["id"].get<uint64_t>());
      ++ledger->acknowledged;
    } else if (r->status == 202) {
      // Queued: withdraw it so that the cluster never fills up with waiters.
      json body = json::parse(r->body);
      (void)(*client)->Send("DELETE", "/v1/leases/" + std::to_string(body["id"].get<uint64_t>()));
    }
  }
}

class ServerCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::MakeTempDir("allot-crash");
    ASSERT_FALSE(dir_.empty());
    testing::WriteFile(dir_ + "/allot.yaml", kConfig);
  }
  void TearDown() override { testing::RemoveTree(dir_); }
  std::string dir_;
};

TEST_F(ServerCrashTest, AcknowledgedWorkSurvivesKillNine) {
  Ledger ledger;
  std::mt19937 random(20261121);
  int iterations = Iterations();
  int64_t kills = 0;
  for (int iteration = 0; iteration <= iterations; ++iteration) {
    ServerProcess server;
    std::string error;
    ASSERT_TRUE(server.Start(dir_ + "/allot.yaml", dir_ + "/data", &error))
        << "iteration " << iteration << ": " << error;
    Result<std::unique_ptr<HttpClient>> check = HttpClient::Create(server.base_url(), Seconds(10));
    ASSERT_TRUE(check.ok());
    HttpClient& client = **check;

    // 1. Every acknowledged grant not released is still granted.
    Result<HttpResponse> listed = client.Send("GET", "/v1/leases?state=granted&limit=100000");
    ASSERT_TRUE(listed.ok() && listed->status == 200) << iteration;
    std::set<uint64_t> running;
    int64_t gpus_held = 0;
    json listing = json::parse(listed->body);  // named: a temporary would die before the loop
    for (const json& lease : listing["leases"]) {
      running.insert(lease["id"].get<uint64_t>());
      for (const json& member : lease["placement"]) gpus_held += member["gpu"].get<int64_t>();
    }
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      for (uint64_t id : ledger.granted) {
        EXPECT_TRUE(running.count(id))
            << "iteration " << iteration << ": acknowledged lease " << id << " lost";
      }
      for (uint64_t id : ledger.released) {
        EXPECT_FALSE(running.count(id))
            << "iteration " << iteration << ": released lease " << id << " running again";
      }
    }
    // 2. Usage: every acknowledged release has exactly one record; no lease
    // has two.
    Result<HttpResponse> usage = client.Send(
        "GET", "/v1/usage?format=jsonl&from=2000-01-01T00:00:00Z&to=2200-01-01T00:00:00Z");
    ASSERT_TRUE(usage.ok() && usage->status == 200) << iteration;
    std::map<uint64_t, int> records;
    int64_t usage_cost_micros = 0;
    std::istringstream lines(usage->body);
    for (std::string line; std::getline(lines, line);) {
      if (line.empty()) continue;
      json record = json::parse(line);
      ++records[record["lease"].get<uint64_t>()];
      std::string cost = record["cost"].get<std::string>();
      size_t dot = cost.find('.');
      usage_cost_micros +=
          std::stoll(cost.substr(0, dot)) * 1'000'000 + std::stoll(cost.substr(dot + 1));
    }
    for (const auto& [id, count] : records) {
      EXPECT_EQ(count, 1) << "iteration " << iteration << ": lease " << id << " has " << count
                          << " usage records";
    }
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      for (uint64_t id : ledger.released) {
        EXPECT_EQ(records.count(id), 1u)
            << "iteration " << iteration << ": acknowledged release of " << id
            << " has no usage record";
      }
    }
    // 3. Capacity is never oversubscribed, and the pool agrees with the leases.
    Result<HttpResponse> pools = client.Send("GET", "/v1/pools");
    ASSERT_TRUE(pools.ok() && pools->status == 200);
    json pool = json::parse(pools->body)["pools"][0];
    EXPECT_LE(pool["allocated"]["gpu"].get<int64_t>(), pool["capacity"]["gpu"].get<int64_t>());
    EXPECT_EQ(pool["allocated"]["gpu"].get<int64_t>(), gpus_held) << iteration;
    // 4. Budgets balance: settled = the records' costs (all in today's period
    // unless the test runs across midnight UTC, where settled is smaller).
    Result<HttpResponse> budgets = client.Send("GET", "/v1/budgets");
    ASSERT_TRUE(budgets.ok() && budgets->status == 200);
    json budget = json::parse(budgets->body)["budgets"][0];
    std::string settled = budget["settled"].get<std::string>();
    size_t dot = settled.find('.');
    int64_t settled_micros =
        std::stoll(settled.substr(0, dot)) * 1'000'000 + std::stoll(settled.substr(dot + 1));
    EXPECT_EQ(settled_micros, usage_cost_micros)
        << "iteration " << iteration << " (a failure right "
        << "after midnight UTC is the period boundary)";

    // Leases whose grant was never acknowledged are released, so capacity
    // does not fill with them; uncertain releases are settled now.
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      for (uint64_t id : running) {
        if (ledger.granted.count(id)) continue;
        Result<HttpResponse> r =
            client.Send("POST", "/v1/leases/" + std::to_string(id) + "/release");
        ASSERT_TRUE(r.ok() && r->status == 200) << r->body;
        ledger.released.insert(id);
      }
      ledger.uncertain.clear();
    }
    if (iteration == iterations) break;

    // Churn, then kill -9 at a random moment.
    std::atomic<bool> stop{false};
    std::thread a(Churn, server.base_url(), &ledger, &stop, random());
    std::thread b(Churn, server.base_url(), &ledger, &stop, random());
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + random() % 150));
    server.Signal(SIGKILL);
    EXPECT_EQ(server.Wait(), 128 + SIGKILL);
    ++kills;
    stop = true;
    a.join();
    b.join();
  }
  EXPECT_GE(kills, std::min(iterations, 50));
  std::lock_guard<std::mutex> lock(ledger.mu);
  EXPECT_GT(ledger.acknowledged, 100) << "too little load to mean anything";
  std::printf("crash test: %lld kill -9, %lld acknowledged grants and releases checked\n",
              static_cast<long long>(kills), static_cast<long long>(ledger.acknowledged));
  RecordProperty("kills", static_cast<int>(kills));
  RecordProperty("acknowledged", static_cast<int>(ledger.acknowledged));
}

// A lease whose TTL ran out while the server was down read "granted", and
// held its GPUs, until the first timer tick after the restart (here 30 s):
// start-up must first bring the engine to the current time.
TEST(ServerRecoveryTest, LeaseThatExpiredWhileDownHasEndedBeforeTheFirstRequest) {
  std::string dir = testing::MakeTempDir("allot-expired");
  ASSERT_FALSE(dir.empty());
  testing::WriteFile(dir + "/allot.yaml", R"yaml(
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: gpu-, count: 1, cpu: 64, memory: 512Gi, gpus: 4, gpu_mode: whole}
server:
  tick_interval: 30s
)yaml");
  uint64_t id = 0;
  {
    ServerProcess server;
    std::string error;
    ASSERT_TRUE(server.Start(dir + "/allot.yaml", dir + "/data", &error)) << error;
    Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(server.base_url(), Seconds(10));
    ASSERT_TRUE(client.ok());
    Result<HttpResponse> r =
        (*client)->Send("POST", "/v1/leases", R"({"resources": {"gpu": 2}, "ttl": "1s"})");
    ASSERT_TRUE(r.ok() && r->status == 201) << (r.ok() ? r->body : r.status().ToString());
    id = json::parse(r->body)["id"].get<uint64_t>();
    server.Signal(SIGKILL);
    EXPECT_EQ(server.Wait(), 128 + SIGKILL);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));  // past the TTL
  ServerProcess server;
  std::string error;
  ASSERT_TRUE(server.Start(dir + "/allot.yaml", dir + "/data", &error)) << error;
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(server.base_url(), Seconds(10));
  ASSERT_TRUE(client.ok());
  Result<HttpResponse> r = (*client)->Send("GET", "/v1/leases/" + std::to_string(id));
  ASSERT_TRUE(r.ok() && r->status == 200) << (r.ok() ? r->body : r.status().ToString());
  json lease = json::parse(r->body);
  EXPECT_EQ(lease.value("state", ""), "ended") << r->body;
  EXPECT_EQ(lease.value("end_reason", ""), "expired") << r->body;
  Result<HttpResponse> pools = (*client)->Send("GET", "/v1/pools");
  ASSERT_TRUE(pools.ok() && pools->status == 200);
  EXPECT_EQ(json::parse(pools->body)["pools"][0]["allocated"]["gpu"].get<int64_t>(), 0);
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(), 0);
  testing::RemoveTree(dir);
}

// What the clients of the contradiction test were shown, per request id: the
// furthest state (queued < granted < ended or rejected) and how it ended.
struct Shown {
  std::mutex mu;
  std::map<uint64_t, std::string> state;
  std::map<uint64_t, std::string> end_reason;
  std::set<uint64_t> posted;  // ids answered to a (non-replayed) POST
  std::vector<std::string> violations;

  static int Rank(const std::string& state) {
    return state == "queued" ? 0 : state == "granted" ? 1 : 2;
  }
  // Records a lease object (or an event's lease) the client was shown.
  void Note(const json& lease) {
    if (!lease.is_object() || !lease.contains("id") || !lease.contains("state")) return;
    uint64_t id = lease["id"].get<uint64_t>();
    std::string shown = lease["state"].get<std::string>();
    std::lock_guard<std::mutex> lock(mu);
    auto [it, inserted] = state.emplace(id, shown);
    if (!inserted && Rank(shown) > Rank(it->second)) it->second = shown;
    if (shown == "ended" && lease.contains("end_reason")) {
      end_reason[id] = lease["end_reason"].get<std::string>();
    }
  }
  void NotePost(const json& lease) {
    if (!lease.is_object() || !lease.contains("id") || lease.value("replayed", false)) return;
    uint64_t id = lease["id"].get<uint64_t>();
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!posted.insert(id).second) {
        violations.push_back("id " + std::to_string(id) + " answered to two requests");
      }
    }
    Note(lease);
  }
  std::vector<uint64_t> Ids(const std::string& wanted, std::mt19937& random) {
    std::vector<uint64_t> ids;
    std::lock_guard<std::mutex> lock(mu);
    for (const auto& [id, shown] : state) {
      if (shown == wanted) ids.push_back(id);
    }
    std::shuffle(ids.begin(), ids.end(), random);
    return ids;
  }
};

constexpr char kSmallConfig[] = R"yaml(
placement: best_fit
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: gpu-, count: 1, cpu: 64, memory: 512Gi, gpus: 4, gpu_mode: whole}
tenants:
  - {name: org}
  - {name: a, parent: org}
  - {name: b, parent: org}
server:
  snapshot_every: 100
  tick_interval: 1s
)yaml";

// One client: submits (some with short TTLs, some with a long-poll wait),
// reads, long-polls queued requests, releases and cancels; records every
// lease object it is shown.
void Client(const std::string& base_url, Shown* shown, std::atomic<bool>* stop, uint32_t seed) {
  std::mt19937 random(seed);
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(base_url, Seconds(2));
  if (!client.ok()) return;
  auto parse = [](const Result<HttpResponse>& r) {
    return r.ok() ? json::parse(r->body, nullptr, false) : json();
  };
  while (!stop->load()) {
    int roll = static_cast<int>(random() % 100);
    Result<HttpResponse> r = Unavailable("");
    if (roll < 40) {
      std::string body = R"({"tenant": ")" + std::string(random() % 2 ? "org/a" : "org/b") +
                         R"(", "resources": {"gpu": )" + std::to_string(1 + random() % 3) + "}";
      if (random() % 3 == 0) body += R"(, "ttl": "1s")";
      if (random() % 4 == 0) body += R"(, "wait": 1)";
      body += "}";
      r = (*client)->Send("POST", "/v1/leases", body);
      if (r.ok() && (r->status == 201 || r->status == 202)) shown->NotePost(parse(r));
    } else {
      std::vector<uint64_t> granted = shown->Ids("granted", random);
      std::vector<uint64_t> queued = shown->Ids("queued", random);
      if (roll < 60 && !granted.empty()) {
        r = (*client)->Send("POST", "/v1/leases/" + std::to_string(granted[0]) + "/release");
        if (r.ok() && r->status == 200) shown->Note(parse(r)["lease"]);
      } else if (roll < 70 && !queued.empty()) {
        r = (*client)->Send("DELETE", "/v1/leases/" + std::to_string(queued[0]));
        if (r.ok() && r->status == 200) shown->Note(parse(r));
      } else if (roll < 85 && !queued.empty()) {
        r = (*client)->Send("GET", "/v1/leases/" + std::to_string(queued[0]) + "?wait=1");
        if (r.ok() && r->status == 200) shown->Note(parse(r));
      } else if (!granted.empty()) {
        r = (*client)->Send("GET", "/v1/leases/" + std::to_string(granted[0]));
        if (r.ok() && r->status == 200) shown->Note(parse(r));
      } else {
        continue;
      }
    }
    if (!r.ok()) return;  // the server is gone
  }
}

// A subscriber: every decision event names a lease it shows.
void Subscriber(const std::string& base_url, Shown* shown, std::atomic<bool>* stop) {
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(base_url, Seconds(2));
  if (!client.ok()) return;
  (void)(*client)->Stream(
      "/v1/events",
      [&](std::string_view, std::string_view data) {
        json event = json::parse(data, nullptr, false);
        if (event.is_object() && event.contains("lease")) shown->Note(event["lease"]);
        return !stop->load();
      },
      Seconds(30));
}

int ContradictionCycles() {
  const char* text = std::getenv("ALLOT_CRASH_CYCLES");
  int n = text != nullptr ? std::atoi(text) : 0;
  return n > 0 ? n : 100;
}

// Clients record every decision they were shown (POST and GET replies,
// long-poll answers, SSE events); after each kill -9 and restart none may be
// contradicted: granted stays granted or has a recorded end, queued is still
// known, ended and rejected stay so (with the same end reason), and no id is
// answered to two requests. Snapshots every 100 commands, so restarts go
// through snapshots as well as journal replay.
TEST(ServerCrashContradictionTest, ShownDecisionsSurviveKillNine) {
  std::string dir = testing::MakeTempDir("allot-shown");
  ASSERT_FALSE(dir.empty());
  testing::WriteFile(dir + "/allot.yaml", kSmallConfig);
  Shown shown;
  std::mt19937 random(20261207);
  int cycles = ContradictionCycles();
  int64_t checked = 0;
  auto started = std::chrono::steady_clock::now();
  for (int cycle = 0; cycle <= cycles; ++cycle) {
    ServerProcess server;
    std::string error;
    ASSERT_TRUE(server.Start(dir + "/allot.yaml", dir + "/data", &error))
        << "cycle " << cycle << ": " << error;
    Result<std::unique_ptr<HttpClient>> check = HttpClient::Create(server.base_url(), Seconds(10));
    ASSERT_TRUE(check.ok());
    {
      std::lock_guard<std::mutex> lock(shown.mu);
      for (const std::string& violation : shown.violations) ADD_FAILURE() << violation;
      shown.violations.clear();
      for (const auto& [id, was] : shown.state) {
        Result<HttpResponse> r = (*check)->Send("GET", "/v1/leases/" + std::to_string(id));
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        json lease = json::parse(r->body, nullptr, false);
        std::string now = r->status == 200 ? lease.value("state", "?") : "unknown";
        if (r->status != 200 && lease.is_object() && lease.contains("lease")) {
          now = lease["lease"].value("state", "?");  // a rejection's error body
        }
        bool fine = was == "queued"    ? now != "unknown"
                    : was == "granted" ? (now == "granted" || now == "ended")
                                       : now == was;
        EXPECT_TRUE(fine) << "cycle " << cycle << ": request " << id << " was shown " << was
                          << ", after restart it is " << now << ": " << r->body;
        if (was == "ended" && now == "ended" && shown.end_reason.count(id)) {
          EXPECT_EQ(lease.value("end_reason", "?"), shown.end_reason[id])
              << "cycle " << cycle << ": request " << id;
        }
        ++checked;
      }
      // Ended requests need checking only once more: later cycles add few.
      std::erase_if(shown.state, [&](const auto& entry) {
        return Shown::Rank(entry.second) == 2 && random() % 4 != 0;
      });
    }
    if (HasFatalFailure() || cycle == cycles) break;

    std::atomic<bool> stop{false};
    std::thread subscriber(Subscriber, server.base_url(), &shown, &stop);
    std::thread a(Client, server.base_url(), &shown, &stop, random());
    std::thread b(Client, server.base_url(), &shown, &stop, random());
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + random() % 150));
    server.Signal(SIGKILL);
    EXPECT_EQ(server.Wait(), 128 + SIGKILL);
    stop = true;
    a.join();
    b.join();
    subscriber.join();
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("contradiction test: %d kill -9 cycles, %lld shown decisions checked, %.1f s\n",
              cycles, static_cast<long long>(checked), seconds);
  EXPECT_GT(checked, 5 * cycles) << "too little load to mean anything";
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace allot
