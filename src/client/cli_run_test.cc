// `allot run` end to end against a scripted server (FakeApi) with real child
// processes: the HTTP side in cli_run.cc over the supervisor in
// run_command.cc.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
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
using Clock = std::chrono::steady_clock;

// A granted lease whose TTL (expires_at - granted_at) is `ttl`.
std::string GrantedLease(int id, std::string_view expires = "2026-11-21T10:01:00Z",
                         bool with_devices = true) {
  std::string lease = R"({"id": )" + std::to_string(id) +
                      R"(, "state": "granted", "tenant": "a/b", "class": "batch",
      "granted_at": "2026-11-21T10:00:00Z", "expires_at": ")" +
                      std::string(expires) + R"(",
      "placement": [{"member": 0, "node": "node-3", "device": 1, "gpu": 1}])";
  if (with_devices) lease += R"(, "cuda_visible_devices": "1")";
  return lease + "}";
}

std::string QueuedLease(int id, int position, std::string_view reason) {
  return R"({"id": )" + std::to_string(id) + R"(, "state": "queued", "tenant": "a/b",
      "class": "batch", "queue": {"position": )" +
         std::to_string(position) + R"(, "reason": ")" + std::string(reason) +
         R"(", "eta": null}})";
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class RunTest : public testing::ClientTest {
 protected:
  RunOptions Options(std::vector<std::string> command) {
    RunOptions options;
    options.acquire.gpu = 1;
    options.command = std::move(command);
    options.poll_wait_seconds = 1;
    options.kill_grace = Seconds(1) / 2;
    return options;
  }
  // Requests as "METHOD target" lines, for compact expectations.
  std::vector<std::string> Calls() const {
    std::vector<std::string> calls;
    for (const FakeRequest& request : api_.requests()) {
      calls.push_back(request.method + " " + request.target);
    }
    return calls;
  }
  int Count(std::string_view call) const {
    std::vector<std::string> calls = Calls();
    return static_cast<int>(std::count(calls.begin(), calls.end(), call));
  }
};

TEST_F(RunTest, RunsTheCommandWithTheLeaseEnvironmentAndReleases) {
  api_.On("POST", "/v1/leases/42/release", 200, R"({"lease": {"id": 42, "state": "ended"}})");
  api_.On("POST", "/v1/leases", 201, GrantedLease(42));
  ClientContext ctx = Context();
  int code = RunUnderLease(
      ctx,
      Options({"sh", "-c",
               "test \"$ALLOT_LEASE_ID\" = 42 && test \"$CUDA_VISIBLE_DEVICES\" = 1 && exit 7"}));
  EXPECT_EQ(code, 7) << err_.str();
  EXPECT_EQ(Calls(), (std::vector<std::string>{"POST /v1/leases", "POST /v1/leases/42/release"}));
  EXPECT_EQ(RequestJson(0), Json::parse(R"({"resources": {"gpu": 1.0}})"));
  Json release = RequestJson(1);
  EXPECT_EQ(release.value("exit_code", Json()), Json(7));
  ASSERT_TRUE(release.contains("wall_seconds"));
  EXPECT_GE(release["wall_seconds"].get<double>(), 0);
  EXPECT_NE(err_.str().find("allot: lease 42 granted: node-3 dev1, 1 GPU"), std::string::npos)
      << err_.str();
}

TEST_F(RunTest, WaitsInTheQueueSayingWhereItIs) {
  std::atomic<int> polls{0};
  api_.On("POST", "/v1/leases/43/release", 200, "{}");
  api_.On("POST", "/v1/leases", 202, QueuedLease(43, 3, "no_capacity"));
  api_.On("GET", "/v1/leases/43?wait=1", [&](const FakeRequest&, LoopbackConnection&) {
    int poll = ++polls;
    if (poll == 1) return HttpReply(202, QueuedLease(43, 3, "no_capacity"));  // no change
    if (poll == 2) return HttpReply(202, QueuedLease(43, 1, "quota"));
    return HttpReply(200, GrantedLease(43, "2026-11-21T10:01:00Z", /*with_devices=*/false));
  });
  // With no devices named, a value inherited from the shell is removed.
  ASSERT_EQ(::setenv("CUDA_VISIBLE_DEVICES", "0,1", 1), 0);
  ClientContext ctx = Context();
  int code = RunUnderLease(ctx, Options({"sh", "-c", "test -z \"${CUDA_VISIBLE_DEVICES+set}\""}));
  ::unsetenv("CUDA_VISIBLE_DEVICES");
  EXPECT_EQ(code, 0) << err_.str();
  EXPECT_EQ(err_.str(),
            "allot: queued, position 3 (no_capacity), eta unknown\n"
            "allot: queued, position 1 (quota), eta unknown\n"
            "allot: lease 43 granted: node-3 dev1, 1 GPU, until 2026-11-21T10:01:00Z\n");
  EXPECT_EQ(Count("GET /v1/leases/43?wait=1"), 3);
  EXPECT_EQ(Count("POST /v1/leases/43/release"), 1);
}

TEST_F(RunTest, CtrlCWhileQueuedCancelsTheRequest) {
  std::atomic<bool> polling{false};
  api_.On("DELETE", "/v1/leases/43", 200, R"({"id": 43, "state": "ended"})");
  api_.On("POST", "/v1/leases", 202, QueuedLease(43, 0, "no_capacity"));
  api_.On("GET", "/v1/leases/43", [&](const FakeRequest&, LoopbackConnection& connection) {
    polling = true;
    (void)connection.WaitForPeerClose(3000);  // held until the client gives up
    return std::string();
  });
  std::thread interrupter([&] {
    Clock::time_point give_up = Clock::now() + std::chrono::seconds(2);
    while (!polling && Clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ::kill(::getpid(), SIGINT);
  });
  Clock::time_point start = Clock::now();
  ClientContext ctx = Context();
  int code = RunUnderLease(ctx, Options({"true"}));
  interrupter.join();
  EXPECT_EQ(code, 130) << err_.str();
  EXPECT_LT(SecondsSince(start), 2.0);
  EXPECT_EQ(Count("DELETE /v1/leases/43"), 1);
  EXPECT_NE(err_.str().find("allot: cancelled lease 43"), std::string::npos) << err_.str();
}

TEST_F(RunTest, RenewsWhileTheCommandRuns) {
  // A 0.6 s TTL: a renewal every 0.2 s.
  std::string lease = GrantedLease(42, "2026-11-21T10:00:00.6Z");
  api_.On("POST", "/v1/leases/42/renew", 200, lease);
  api_.On("POST", "/v1/leases/42/release", 200, "{}");
  api_.On("POST", "/v1/leases", 201, lease);
  ClientContext ctx = Context();
  EXPECT_EQ(RunUnderLease(ctx, Options({"sleep", "0.7"})), 0) << err_.str();
  EXPECT_GE(Count("POST /v1/leases/42/renew"), 2);
  EXPECT_LE(Count("POST /v1/leases/42/renew"), 4);
  EXPECT_EQ(Calls().back(), "POST /v1/leases/42/release");
}

TEST_F(RunTest, LeaseEndedByTheServerStopsTheCommand) {
  api_.On(
      "POST", "/v1/leases/42/renew", 200,
      R"({"id": 42, "state": "ended", "end_reason": "preempted", "message": "for request 51"})");
  api_.On("POST", "/v1/leases", 201, GrantedLease(42, "2026-11-21T10:00:00.6Z"));
  Clock::time_point start = Clock::now();
  ClientContext ctx = Context();
  int code = RunUnderLease(ctx, Options({"sh", "-c", "exec sleep 2"}));
  EXPECT_EQ(code, 128 + SIGTERM);
  EXPECT_LT(SecondsSince(start), 1.5);
  EXPECT_NE(err_.str().find("allot: lease 42 ended (preempted: for request 51); stopping the "
                            "command: SIGTERM, then SIGKILL after 0.5s"),
            std::string::npos)
      << err_.str();
  EXPECT_EQ(Count("POST /v1/leases/42/release"), 0);  // nothing left to release
}

TEST_F(RunTest, LeaseForgottenByTheServerStopsACommandThatIgnoresTerm) {
  api_.On("POST", "/v1/leases/42/renew", 404,
          R"({"error": {"code": "not_found", "message": "lease 42"}})");
  api_.On("POST", "/v1/leases", 201, GrantedLease(42, "2026-11-21T10:00:00.6Z"));
  ClientContext ctx = Context();
  int code = RunUnderLease(ctx, Options({"sh", "-c", "trap '' TERM; exec sleep 2"}));
  EXPECT_EQ(code, 128 + SIGKILL);
  EXPECT_NE(err_.str().find("allot: lease 42 ended (lease 42)"), std::string::npos) << err_.str();
}

TEST_F(RunTest, CommandThatCannotRunCancelsTheLease) {
  api_.On("DELETE", "/v1/leases/42", 200, R"({"id": 42, "state": "ended"})");
  api_.On("POST", "/v1/leases", 201, GrantedLease(42));
  ClientContext ctx = Context();
  EXPECT_EQ(RunUnderLease(ctx, Options({"/nonexistent/allot-test-command"})), kExitCannotExecute);
  EXPECT_EQ(Calls(), (std::vector<std::string>{"POST /v1/leases", "DELETE /v1/leases/42"}));
  EXPECT_NE(err_.str().find("allot: cannot execute '/nonexistent/allot-test-command'"),
            std::string::npos)
      << err_.str();
}

TEST_F(RunTest, RejectedRequestExits4WithoutRunning) {
  api_.On("POST", "/v1/leases", 402,
          R"({"error": {"code": "budget_exceeded", "message": "team-a"},
              "lease": {"id": 44, "state": "rejected"}})");
  ClientContext ctx = Context();
  EXPECT_EQ(RunUnderLease(ctx, Options({"false"})), kExitRejected);
  EXPECT_EQ(err_.str(), "error: budget_exceeded: team-a\n");
}

TEST_F(RunTest, UsageErrorsSendNothing) {
  ClientContext ctx = Context();
  EXPECT_EQ(RunUnderLease(ctx, Options({})), kExitUsage);
  RunOptions bad_label = Options({"true"});
  bad_label.acquire.labels = {"oops"};
  EXPECT_EQ(RunUnderLease(ctx, bad_label), kExitUsage);
  EXPECT_TRUE(api_.requests().empty());
}

}  // namespace
}  // namespace allot
