#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/testing/client_fixture.h"

namespace allot {
namespace {

using testing::FakeRequest;
using testing::HttpReply;
using testing::LoopbackConnection;

constexpr char kGranted[] = R"({"id": 42, "state": "granted", "tenant": "acme/research/agent-7",
  "class": "batch", "members": 1, "labels": {"job": "eval-17"},
  "submitted_at": "2026-11-21T10:00:00Z", "granted_at": "2026-11-21T10:00:00Z",
  "expires_at": "2026-11-21T10:01:00Z",
  "placement": [{"member": 0, "node": "node-3", "device": 1, "gpu": 0.5,
                 "gpu_memory_mib": 20480, "mig_profile": null}],
  "cuda_visible_devices": "1", "replayed": false})";

constexpr char kQueued[] = R"({"id": 43, "state": "queued", "tenant": "acme/research/agent-7",
  "class": "batch", "queue": {"position": 3, "reason": "no_capacity", "message": "", "eta": null}})";

TEST(AcquireBodyTest, EveryOption) {
  AcquireOptions o;
  o.tenant = "acme/research/agent-7";
  o.priority_class = "batch";
  o.gpu = 0.5;
  o.gpu_memory = "20Gi";
  o.cpu = 4;
  o.memory = "16Gi";
  o.members = 2;
  o.pool = "h100-reserved";
  o.estimate = "2h";
  o.ttl = "60";
  o.labels = {"job=eval-17", "team=a=b"};
  o.idempotency_key = "eval-17-try-1";
  o.model = "llama-70b";
  o.input_tokens = 1200;
  o.max_output_tokens = 800;
  Result<Json> body = AcquireBody(o);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->dump(),
            R"({"tenant":"acme/research/agent-7","class":"batch","members":2,)"
            R"("resources":{"gpu":0.5,"gpu_memory":"20Gi","cpu":4.0,"memory":"16Gi"},)"
            R"("pool":"h100-reserved","estimate":"2h","ttl":60,)"
            R"("labels":{"job":"eval-17","team":"a=b"},"idempotency_key":"eval-17-try-1",)"
            R"("model":"llama-70b","input_tokens":1200,"max_output_tokens":800})");

  AcquireOptions mig;
  mig.mig_profile = "3g.40gb";
  EXPECT_EQ(AcquireBody(mig)->dump(), R"({"mig_profile":"3g.40gb"})");
  AcquireOptions fraction;
  fraction.gpu_fraction = 0.25;
  EXPECT_EQ(AcquireBody(fraction)->dump(), R"({"resources":{"gpu":0.25}})");
  EXPECT_EQ(AcquireBody(AcquireOptions())->dump(), "{}");
}

TEST(AcquireBodyTest, MalformedOptionsNameTheOption) {
  auto error = [](auto mutate) {
    AcquireOptions o;
    mutate(o);
    Result<Json> body = AcquireBody(o);
    return body.ok() ? std::string("ok") : body.status().message();
  };
  EXPECT_NE(error([](AcquireOptions& o) { o.memory = "16 gigs"; }).find("--memory"),
            std::string::npos);
  EXPECT_NE(error([](AcquireOptions& o) { o.gpu_memory = "-1"; }).find("--gpu-memory"),
            std::string::npos);
  EXPECT_NE(error([](AcquireOptions& o) { o.ttl = "soon"; }).find("--ttl"), std::string::npos);
  EXPECT_EQ(error([](AcquireOptions& o) { o.labels = {"novalue"}; }),
            "--label: 'novalue' is not key=value");
  EXPECT_EQ(error([](AcquireOptions& o) { o.labels = {"=x"}; }), "--label: '=x' is not key=value");
  EXPECT_EQ(error([](AcquireOptions& o) {
              o.labels = {"a=1", "a=2"};
            }),
            "--label: 'a' given twice");
  EXPECT_EQ(error([](AcquireOptions& o) { o.gpu_fraction = 1; }),
            "--gpu-fraction: must be between 0 and 1 (exclusive)");
  EXPECT_EQ(error([](AcquireOptions& o) { o.gpu = -1; }), "--gpu: must be >= 0");
  EXPECT_EQ(error([](AcquireOptions& o) { o.members = 0; }), "--members: must be >= 1");
  EXPECT_EQ(error([](AcquireOptions& o) { o.input_tokens = -5; }), "--input-tokens: must be >= 0");
}

class LeaseCommandTest : public testing::ClientTest {};

TEST_F(LeaseCommandTest, AcquireGrantedPrintsTheLease) {
  api_.On("POST", "/v1/leases", 201, kGranted);
  AcquireOptions o;
  o.gpu = 0.5;
  o.labels = {"job=eval-17"};
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseAcquire(ctx, o), kExitOk);
  EXPECT_EQ(out_.str(),
            "ID  STATE    TENANT                 CLASS  DETAIL\n"
            "42  granted  acme/research/agent-7  batch  node-3 dev1, 0.5 GPU, 20 GiB, until "
            "2026-11-21T10:01:00Z\n");
  EXPECT_EQ(err_.str(), "");
  std::vector<FakeRequest> requests = api_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/v1/leases");
  EXPECT_NE(requests[0].head.find("Content-Type: application/json"), std::string::npos);
  EXPECT_EQ(RequestJson(0),
            Json::parse(R"({"resources": {"gpu": 0.5}, "labels": {"job": "eval-17"}})"));
}

TEST_F(LeaseCommandTest, AcquireRejectedExits4WithTheReason) {
  // The documented shape: the error beside the rejected lease.
  api_.On("POST", "/v1/leases", 402,
          R"({"error": {"code": "budget_exceeded", "message": "team-a: 12.00 USD left"},
              "lease": {"id": 44, "state": "rejected", "reject_code": "budget_exceeded"}})");
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseAcquire(ctx, AcquireOptions()), kExitRejected);
  EXPECT_EQ(err_.str(), "error: budget_exceeded: team-a: 12.00 USD left\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(LeaseCommandTest, BadInputInALeaseRequestExits1LikeOnAnyOtherCall) {
  // The same unknown tenant that `lease list --tenant` or `queue --tenant`
  // answers with 1: a refused call, not a decision against the request.
  api_.On("POST", "/v1/leases", 400,
          R"({"error": {"code": "invalid_argument", "message": "tenant: unknown tenant 'x'"},
              "lease": {"id": 0, "state": "rejected", "reject_code": "invalid_argument"}})");
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseAcquire(ctx, AcquireOptions()), kExitRefused);
  EXPECT_EQ(err_.str(), "error: invalid_argument: tenant: unknown tenant 'x'\n");
}

TEST_F(LeaseCommandTest, RejectedLeaseMergedIntoTheErrorBodyAlsoExits4) {
  api_.On("POST", "/v1/leases", 422,
          R"({"error": {"code": "infeasible", "message": "no pool has 9 GPUs on a node"},
              "id": 45, "state": "rejected"})");
  ClientContext ctx = Context(OutputFormat::kJson);
  EXPECT_EQ(LeaseAcquire(ctx, AcquireOptions()), kExitRejected);
  EXPECT_EQ(err_.str(), "error: infeasible: no pool has 9 GPUs on a node\n");
  // --output json also prints the server's body, for scripts.
  EXPECT_NE(out_.str().find("\"state\": \"rejected\""), std::string::npos);
}

TEST_F(LeaseCommandTest, AcquireStillQueuedWhenWaitRunsOut) {
  api_.On("POST", "/v1/leases", 202, kQueued);
  api_.On("GET", "/v1/leases/43", [](const FakeRequest&, LoopbackConnection&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // held, as ?wait= does
    return HttpReply(202, kQueued);
  });
  AcquireOptions o;
  o.wait_seconds = 1.2;
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseAcquire(ctx, o), kExitStillQueued);
  EXPECT_NE(out_.str().find("43  queued"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("position 3 (no_capacity), eta unknown"), std::string::npos);
  std::vector<FakeRequest> requests = api_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(RequestJson(0).value("wait", Json()), Json(1.2));
  EXPECT_EQ(requests[1].target, "/v1/leases/43?wait=1");
}

TEST_F(LeaseCommandTest, AcquireQueuedWithoutWaitIsSuccess) {
  api_.On("POST", "/v1/leases", 202, kQueued);
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseAcquire(ctx, AcquireOptions()), kExitOk);
  EXPECT_FALSE(RequestJson(0).contains("wait"));
}

TEST_F(LeaseCommandTest, AcquireWaitsUntilGranted) {
  api_.On("POST", "/v1/leases", 202, kQueued);
  api_.On("GET", "/v1/leases/43", 200, kGranted);
  AcquireOptions o;
  o.wait_seconds = 5;
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseAcquire(ctx, o), kExitOk);
  EXPECT_NE(out_.str().find("42  granted"), std::string::npos);
}

TEST_F(LeaseCommandTest, ErrorsPrintCodeAndMessage) {
  api_.On("GET", "/v1/leases/9", 404, R"({"error": {"code": "not_found", "message": "lease 9"}})");
  api_.On("GET", "/v1/leases/10", 503,
          R"({"error": {"code": "unavailable", "message": "starting"}})");
  api_.On(
      "POST", "/v1/leases/11/release", 409,
      R"({"error": {"code": "failed_precondition", "message": "lease 11 is queued: cancel it"}})");
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseGet(ctx, 9), kExitRefused);
  EXPECT_EQ(LeaseGet(ctx, 10), kExitUnavailable);
  EXPECT_EQ(LeaseRelease(ctx, 11, ReleaseOptions()), kExitRefused);
  EXPECT_EQ(err_.str(),
            "error: not_found: lease 9\n"
            "error: unavailable: starting\n"
            "error: failed_precondition: lease 11 is queued: cancel it\n");
  EXPECT_EQ(out_.str(), "");
}

TEST_F(LeaseCommandTest, UnreachableServerExits3) {
  std::string url;
  {
    url = testing::LoopbackServer([](LoopbackConnection&) {}).url();
  }
  std::unique_ptr<HttpClient> http = HttpClient::Create(url, Seconds(1)).value();
  ClientContext ctx{*http, OutputFormat::kTable, out_, err_};
  EXPECT_EQ(LeaseGet(ctx, 1), kExitUnavailable);
  EXPECT_TRUE(err_.str().starts_with("error: unavailable: cannot connect to " + url)) << err_.str();
}

TEST_F(LeaseCommandTest, JsonOutputIsTheServersJsonInItsOrder) {
  api_.On("GET", "/v1/leases/5", 200, R"({"zeta": 1, "alpha": {"y": [1, 2], "b": null}})");
  ClientContext ctx = Context(OutputFormat::kJson);
  EXPECT_EQ(LeaseGet(ctx, 5), kExitOk);
  EXPECT_EQ(out_.str(),
            "{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"y\": [\n      1,\n      2\n    ],\n"
            "    \"b\": null\n  }\n}\n");
}

TEST_F(LeaseCommandTest, ListShowsEveryState) {
  api_.On("GET", "/v1/leases", 200, R"({"leases": [
    {"id": 7, "state": "ended", "tenant": "a/b", "class": "batch", "end_reason": "preempted",
     "message": "for request 51", "exit_code": 143},
    {"id": 8, "state": "queued", "tenant": "a/c", "class": "interactive",
     "queue": {"position": 0, "reason": "quota", "eta": "2026-11-21T12:00:00Z"}},
    {"id": 9, "state": "granted", "tenant": "a/c", "class": "batch",
     "placement": [{"member": 0, "node": "n1", "device": 0, "mig_profile": "3g.40gb"},
                   {"member": 1, "node": "n2", "device": null, "gpu": 0}],
     "preempt": {"deadline": "2026-11-21T10:05:00Z", "for_request": 51}}]})");
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseList(ctx, "queued", "acme/research"), kExitOk);
  EXPECT_EQ(out_.str(),
            "ID  STATE    TENANT  CLASS        DETAIL\n"
            " 7  ended    a/b     batch        preempted: for request 51 (exit 143)\n"
            " 8  queued   a/c     interactive  position 0 (quota), eta 2026-11-21T12:00:00Z\n"
            " 9  granted  a/c     batch        #0 n1 dev0, MIG 3g.40gb; #1 n2, PREEMPTED by "
            "2026-11-21T10:05:00Z\n");
  EXPECT_EQ(api_.requests()[0].target, "/v1/leases?state=queued&tenant=acme%2Fresearch");
}

TEST_F(LeaseCommandTest, ReleaseSendsUsageAndPrintsTheCost) {
  api_.On("POST", "/v1/leases/42/release", 200,
          R"({"lease": {"id": 42, "state": "ended", "tenant": "a/b", "class": "batch",
                        "end_reason": "released", "exit_code": 0},
              "usage": {"lease": 42, "cost": "0.412500", "currency": "USD",
                        "tokens_input": 1000, "tokens_output": 250}})");
  ReleaseOptions o;
  o.input_tokens = 1000;
  o.cached_input_tokens = 0;
  o.output_tokens = 250;
  o.exit_code = 0;
  o.wall_seconds = 12.5;
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseRelease(ctx, 42, o), kExitOk);
  EXPECT_EQ(RequestJson(0), Json::parse(R"({"usage": {"input_tokens": 1000,
      "cached_input_tokens": 0, "output_tokens": 250}, "exit_code": 0, "wall_seconds": 12.5})"));
  EXPECT_EQ(out_.str(),
            "ID  STATE  TENANT  CLASS  DETAIL\n"
            "42  ended  a/b     batch  released (exit 0)\n"
            "usage: cost 0.4125 USD, 1000 input tokens, 250 output tokens\n");
}

TEST_F(LeaseCommandTest, ReleaseWithoutOptionsSendsNoBody) {
  api_.On("POST", "/v1/leases/42/release", 200, R"({"lease": {"id": 42, "state": "ended"}})");
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseRelease(ctx, 42, ReleaseOptions()), kExitOk);
  EXPECT_EQ(api_.requests()[0].body, "");
  EXPECT_NE(api_.requests()[0].head.find("Content-Length: 0"), std::string::npos);
}

TEST_F(LeaseCommandTest, RenewAndCancel) {
  api_.On("POST", "/v1/leases/42/renew", 200, kGranted);
  api_.On("DELETE", "/v1/leases/43", 200,
          R"({"id": 43, "state": "ended", "end_reason": "cancelled"})");
  ClientContext ctx = Context();
  EXPECT_EQ(LeaseRenew(ctx, 42), kExitOk);
  EXPECT_EQ(LeaseCancel(ctx, 43), kExitOk);
  EXPECT_NE(out_.str().find("43  ended"), std::string::npos) << out_.str();
  EXPECT_EQ(api_.requests()[1].method, "DELETE");
}

}  // namespace
}  // namespace allot
