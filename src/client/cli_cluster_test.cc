#include <gtest/gtest.h>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/testing/client_fixture.h"

namespace allot {
namespace {

using testing::FakeRequest;
using testing::LoopbackConnection;

class ClusterCommandTest : public testing::ClientTest {};

TEST_F(ClusterCommandTest, Queue) {
  api_.On("GET", "/v1/queue", 200, R"({"length": 2, "requests": [
    {"id": 51, "state": "queued", "tenant": "acme/a", "class": "batch",
     "queue": {"position": 0, "reason": "no_capacity", "eta": "2026-11-21T12:00:00Z"}},
    {"id": 1052, "state": "queued", "tenant": "acme/b", "class": "spot",
     "queue": {"position": 1, "reason": "quota", "eta": null}}]})");
  ClientContext ctx = Context();
  EXPECT_EQ(ShowQueue(ctx, "acme", "batch"), kExitOk);
  EXPECT_EQ(out_.str(),
            "POS    ID  TENANT  CLASS  REASON       ETA\n"
            "  0    51  acme/a  batch  no_capacity  2026-11-21T12:00:00Z\n"
            "  1  1052  acme/b  spot   quota        unknown\n"
            "2 queued\n");
  EXPECT_EQ(api_.requests()[0].target, "/v1/queue?tenant=acme&class=batch");
}

TEST_F(ClusterCommandTest, Tenants) {
  api_.On("GET", "/v1/tenants", 200, R"({"tenants": [
    {"path": "acme/research", "parent": "acme", "weight": 2, "running": 3, "queued": 1,
     "usage": {"gpu": 2.5, "memory": 40960},
     "quota": {"gpu": {"guaranteed": 4, "limit": 8}, "memory": {"guaranteed": 102400, "limit": null}},
     "share": 0.3125, "budgets": ["research-monthly"]}]})");
  ClientContext ctx = Context();
  EXPECT_EQ(ShowTenants(ctx), kExitOk);
  EXPECT_EQ(out_.str(),
            "TENANT         WEIGHT  RUNNING  QUEUED  SHARE  USAGE                   "
            "QUOTA (GUAR/LIMIT)         BUDGETS\n"
            "acme/research       2        3       1  0.312  gpu 2.5, memory 40 GiB  "
            "gpu 4/8, memory 100 GiB/-  research-monthly\n"
            "SHARE: weighted dominant share above guarantees, the largest over resources of "
            "(usage - guaranteed) / (cluster capacity x WEIGHT); below 0 while under its "
            "guarantees; waiting work of the lowest share is served first.\n"
            "WEIGHT: fair-share weight beyond guarantees. RUNNING: granted leases. QUEUED: "
            "waiting requests. USAGE: what its leases hold now (GPUs, cores, memory).\n"
            "QUOTA (GUAR/LIMIT): guaranteed/limit per resource, same units; - is no limit. "
            "BUDGETS: the budgets set on this tenant (allot budgets).\n");
}

TEST_F(ClusterCommandTest, BudgetsShowMoneyWithCurrency) {
  api_.On("GET", "/v1/budgets", 200, R"({"budgets": [
    {"name": "team-a", "tenant": "acme/a", "meter": "money",
     "period": {"start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z"},
     "limit": "1000.000000", "settled": "412.500000", "reserved": "12.000000",
     "remaining": "575.500000", "used_percent": 42.45, "burn_per_hour": "1.250000",
     "exhausted_at": "2026-11-28T03:00:00Z", "currency": "USD"},
    {"name": "tokens", "tenant": "acme", "meter": "tokens",
     "period": {"start": "2026-11-21T00:00:00Z", "end": "2026-11-22T00:00:00Z"},
     "limit": 1000000, "settled": 1200, "reserved": 0, "remaining": 998800,
     "used_percent": 0.12, "burn_per_hour": 50, "exhausted_at": null, "currency": "USD"}]})");
  ClientContext ctx = Context();
  EXPECT_EQ(ShowBudgets(ctx), kExitOk);
  EXPECT_EQ(out_.str(),
            "BUDGET  TENANT  METER   PERIOD                        LIMIT     SETTLED   RESERVED   "
            "REMAINING   USED    BURN/H  EXHAUSTED AT\n"
            "team-a  acme/a  money   2026-11-01..2026-12-01  1000.00 USD  412.50 USD  12.00 USD  "
            "575.50 USD  42.5%  1.25 USD  2026-11-28T03:00:00Z\n"
            "tokens  acme    tokens  2026-11-21..2026-11-22      1000000        1200          0"
            "      998800   0.1%        50  -\n");
}

TEST_F(ClusterCommandTest, PoolsAndNodes) {
  api_.On("GET", "/v1/pools", 200, R"({"pools": [
    {"name": "h100-reserved", "tier": "reserved", "nodes": 4,
     "capacity": {"gpu": 32, "cpu": 384, "memory": 4194304},
     "allocated": {"gpu": 12.5, "cpu": 40, "memory": 524288},
     "utilisation": {"gpu": 0.390625}}]})");
  api_.On("GET", "/v1/nodes", 200, R"({"nodes": [
    {"name": "node-3", "pool": "h100-reserved", "state": "draining",
     "capacity": {"gpu": 8, "cpu": 96, "memory": 1048576},
     "allocated": {"gpu": 0.5, "cpu": 4, "memory": 16384},
     "leases": [{"id": 42, "tenant": "acme/a", "class": "batch", "placement": []},
                {"id": 57, "tenant": "acme/b", "class": "batch", "placement": []}]},
    {"name": "node-4", "pool": "h100-reserved", "state": "up",
     "capacity": {"gpu": 8, "cpu": 96, "memory": 1048576},
     "allocated": {"gpu": 0, "cpu": 0, "memory": 0}, "leases": []}]})");
  ClientContext ctx = Context();
  EXPECT_EQ(ShowPools(ctx), kExitOk);
  EXPECT_EQ(ShowNodes(ctx, "h100-reserved"), kExitOk);
  EXPECT_EQ(out_.str(),
            "POOL           TIER      NODES      GPU     CPU         MEMORY  GPU UTIL\n"
            "h100-reserved  reserved      4  12.5/32  40/384  512 GiB/4 TiB     39.1%\n"
            "NODE    POOL           STATE       GPU   CPU        MEMORY  LEASES\n"
            "node-3  h100-reserved  draining  0.5/8  4/96  16 GiB/1 TiB  42, 57\n"
            "node-4  h100-reserved  up          0/8  0/96       0/1 TiB  -\n");
  EXPECT_EQ(api_.requests()[1].target, "/v1/nodes?pool=h100-reserved");
}

TEST_F(ClusterCommandTest, NodesListAtMostSixLeaseIds) {
  Json leases = Json::array();
  for (int id = 1; id <= 9; ++id) leases.push_back({{"id", id}, {"tenant", "t"}});
  Json nodes = {{"nodes",
                 {{{"name", "n"},
                   {"pool", "p"},
                   {"state", "up"},
                   {"capacity", {{"gpu", 4}}},
                   {"allocated", {{"gpu", 4}}},
                   {"leases", leases}}}}};
  api_.On("GET", "/v1/nodes", 200, nodes.dump());
  ClientContext ctx = Context();
  EXPECT_EQ(ShowNodes(ctx, ""), kExitOk);
  EXPECT_NE(out_.str().find("  1, 2, 3, 4, 5, 6, +3\n"), std::string::npos) << out_.str();
}

TEST_F(ClusterCommandTest, GatewayPoolsShowTheirSlots) {
  api_.On("GET", "/v1/pools", 200, R"({"pools": [
    {"name": "h100", "tier": "reserved", "nodes": 1, "capacity": {"gpu": 8},
     "allocated": {"gpu": 2, "slots": 0}, "utilisation": {"gpu": 0.25}},
    {"name": "llama-70b", "tier": "on_demand", "nodes": 2, "capacity": {"slots": 16},
     "allocated": {"gpu": 0, "slots": 3}, "utilisation": {"slots": 0.1875}}]})");
  api_.On("GET", "/v1/nodes", 200, R"({"nodes": [
    {"name": "llama-70b-0", "pool": "llama-70b", "state": "up", "capacity": {"slots": 8},
     "allocated": {"slots": 3}, "leases": [{"id": 9}]}]})");
  ClientContext ctx = Context();
  EXPECT_EQ(ShowPools(ctx), kExitOk);
  EXPECT_EQ(ShowNodes(ctx, ""), kExitOk);
  EXPECT_EQ(out_.str(),
            "POOL       TIER       NODES  GPU  CPU  MEMORY  SLOTS  GPU UTIL  SLOT UTIL\n"
            "h100       reserved       1  2/8    -       -      -     25.0%          -\n"
            "llama-70b  on_demand      2    -    -       -   3/16         -      18.8%\n"
            "NODE         POOL       STATE  GPU  CPU  MEMORY  SLOTS  LEASES\n"
            "llama-70b-0  llama-70b  up       -    -       -    3/8  9\n");
}

TEST_F(ClusterCommandTest, SetNodeState) {
  api_.On("POST", "/v1/nodes/node%203/state", 200,
          R"({"name": "node 3", "pool": "p", "state": "down", "capacity": {}, "allocated": {},
              "leases": 0})");
  ClientContext ctx = Context();
  EXPECT_EQ(SetNodeState(ctx, "node 3", "down"), kExitOk);
  EXPECT_EQ(RequestJson(0), Json::parse(R"({"state": "down"})"));
  EXPECT_NE(out_.str().find("node 3  p     down"), std::string::npos) << out_.str();
  EXPECT_EQ(SetNodeState(ctx, "node 3", "sideways"), kExitUsage);
  EXPECT_EQ(api_.requests().size(), 1u);
}

TEST_F(ClusterCommandTest, PermissionDeniedExits1) {
  api_.On("POST", "/v1/nodes/", 403,
          R"({"error": {"code": "permission_denied", "message": "role agent may not"}})");
  ClientContext ctx = Context();
  EXPECT_EQ(SetNodeState(ctx, "n", "up"), kExitRefused);
  EXPECT_EQ(err_.str(), "error: permission_denied: role agent may not\n");
}

TEST_F(ClusterCommandTest, ReportWithTotal) {
  api_.On("GET", "/v1/reports/chargeback", 200, R"({"currency": "EUR",
    "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z",
    "rows": [{"key": "team-a", "cost": "120.500000", "gpu_hours": 40.25, "tokens": 0, "leases": 12},
             {"key": "team-b", "cost": "3.000000", "gpu_hours": 1, "tokens": 150000, "leases": 40}],
    "total": "123.500000"})");
  ReportOptions o;
  o.from = "2026-11-01";
  o.by = "label:team";
  o.level = 2;
  ClientContext ctx = Context();
  EXPECT_EQ(ShowReport(ctx, o), kExitOk);
  EXPECT_EQ(api_.requests()[0].target,
            "/v1/reports/chargeback?from=2026-11-01&by=label%3Ateam&level=2");
  EXPECT_EQ(out_.str(),
            "chargeback 2026-11-01T00:00:00Z .. 2026-12-01T00:00:00Z, by label:team\n"
            "KEY           COST  GPU-HOURS  TOKENS  LEASES\n"
            "team-a  120.50 EUR      40.25       0      12\n"
            "team-b    3.00 EUR          1  150000      40\n"
            "TOTAL   123.50 EUR          -       -       -\n");
}

TEST_F(ClusterCommandTest, UsageExportIsPassedThroughByteForByte) {
  const std::string csv = "lease,start,end\r\n42,2026-11-21T10:00:00Z,2026-11-21T11:00:00Z\r\n";
  api_.On("GET", "/v1/usage", [&](const FakeRequest&, LoopbackConnection&) {
    return "HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: " +
           std::to_string(csv.size()) + "\r\n\r\n" + csv;
  });
  ClientContext ctx = Context(OutputFormat::kJson);  // no effect on an export
  EXPECT_EQ(ShowUsageExport(ctx, "2026-11-01", "2026-12-01", "csv"), kExitOk);
  EXPECT_EQ(out_.str(), csv);
  // The largest page the server gives (docs/api.md, "Usage pages").
  EXPECT_EQ(api_.requests()[0].target,
            "/v1/usage?from=2026-11-01&to=2026-12-01&format=csv&limit=20000");
}

TEST_F(ClusterCommandTest, EventsPrintOneLineEach) {
  api_.On("GET", "/v1/events", [](const FakeRequest&, LoopbackConnection& connection) {
    connection.Write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
        ": keep-alive\n\nevent: granted\nid: 1\ndata: {\"seq\": 1}\n\n"
        "event: alert\ndata: {\"seq\": 2}\n\n");
    (void)connection.WaitForPeerClose(3000);
    return std::string();
  });
  ClientContext ctx = Context();
  EXPECT_EQ(FollowEvents(ctx, Seconds(1) / 5), kExitOk);
  EXPECT_EQ(out_.str(), "granted {\"seq\": 1}\nalert {\"seq\": 2}\n");
}

TEST_F(ClusterCommandTest, EventsJsonPrintsDataOnly) {
  api_.On("GET", "/v1/events", [](const FakeRequest&, LoopbackConnection& connection) {
    connection.Write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        "event: granted\ndata: {\"seq\": 1}\n\n");
    return std::string();
  });
  ClientContext ctx = Context(OutputFormat::kJson);
  // The server ended the stream: that is the server going away (exit 3).
  EXPECT_EQ(FollowEvents(ctx, Seconds(2)), kExitUnavailable);
  EXPECT_EQ(out_.str(), "{\"seq\": 1}\n");
  EXPECT_TRUE(err_.str().starts_with("error: unavailable: ")) << err_.str();
}

TEST_F(ClusterCommandTest, ReloadRefusedListsReasons) {
  api_.On("POST", "/v1/admin/reload", 409,
          R"({"error": {"code": "failed_precondition", "message": "the new config does not fit",
              "reasons": ["pool h100: 3 leases on removed node n4", "class spot: unknown"]}})");
  ClientContext ctx = Context();
  EXPECT_EQ(Reload(ctx), kExitRefused);
  EXPECT_EQ(err_.str(),
            "error: failed_precondition: the new config does not fit\n"
            "  pool h100: 3 leases on removed node n4\n"
            "  class spot: unknown\n");
}

TEST_F(ClusterCommandTest, ReloadOk) {
  api_.On("POST", "/v1/admin/reload", 200, R"({"reloaded": true})");
  ClientContext ctx = Context();
  EXPECT_EQ(Reload(ctx), kExitOk);
  EXPECT_EQ(out_.str(), "reloaded\n");
}

}  // namespace
}  // namespace allot
