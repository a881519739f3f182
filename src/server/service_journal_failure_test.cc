// A journal commit that fails (a full disk, injected through
// JournalOptions::before_commit): every waiting client gets a 503 saying
// why, never a closed connection; health and readiness fail; the server
// asks to stop (fail-stop, docs/operations.md).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "server/service.h"
#include "testing/server_process.h"

namespace allot {
namespace {

// The service's loop, run by the test: posts from any thread, timers fire
// at once (the test never waits for one).
class TestLoop {
 public:
  ServiceLoop loop() {
    ServiceLoop loop;
    loop.post = [this](std::function<void()> fn) { Post(std::move(fn)); };
    loop.schedule = [](Duration, std::function<void()>) {};
    loop.now = [] { return Time{1'800'000'000} * kMicrosPerSecond; };
    loop.fail_stop = [this](int code) { fail_stop_code = code; };
    return loop;
  }
  void Post(std::function<void()> fn) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(fn));
    wake_.notify_one();
  }
  // Runs what is posted until `until()` holds or 10 s pass.
  bool RunUntil(const std::function<bool()>& until) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!until()) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mutex_);
        if (!wake_.wait_until(lock, deadline, [&] { return !queue_.empty(); })) return false;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
    return true;
  }
  std::atomic<int> fail_stop_code{0};

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
};

TEST(ServiceJournalFailureTest, WaitingClientsGet503AndHealthFails) {
  std::string dir = testing::MakeTempDir("allot-jfail");
  std::atomic<bool> fail{false};
  TestLoop test_loop;
  {
    ServiceOptions options;
    options.data_dir = dir + "/data";
    options.journal.fsync_each_commit = false;
    options.journal.before_commit = [&] {
      return fail ? Internal("disk I/O error: database or disk is full (injected)") : Status::Ok();
    };
    Result<std::unique_ptr<Service>> opened = Service::Open(options, test_loop.loop());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    Service& service = **opened;
    auto call = [&](std::string method, std::string target, std::string body = {}) {
      std::optional<ServiceReply> reply;
      ServiceRequest request{method, target, body, "application/json", ""};
      service.Handle(request, [&](ServiceReply r) { reply = std::move(r); });
      EXPECT_TRUE(test_loop.RunUntil([&] { return reply.has_value(); }))
          << method << " " << target << ": no answer";
      return reply.value_or(ServiceReply{0, "no answer"});
    };
    ServiceReply granted =
        call("POST", "/v1/leases", R"({"tenant": "acme/research", "resources": {"gpu": 1}})");
    ASSERT_EQ(granted.status, 201) << granted.body;
    EXPECT_EQ(call("GET", "/healthz").status, 200);

    fail = true;
    // Two clients wait for the same failed commit; both hear why.
    std::optional<ServiceReply> first, second;
    ServiceRequest post{"POST", "/v1/leases",
                        R"({"tenant": "acme/research", "resources": {"gpu": 1}})",
                        "application/json", ""};
    service.Handle(post, [&](ServiceReply r) { first = std::move(r); });
    service.Handle(post, [&](ServiceReply r) { second = std::move(r); });
    ASSERT_TRUE(test_loop.RunUntil([&] { return first && second; }));
    for (const ServiceReply* reply : {&*first, &*second}) {
      EXPECT_EQ(reply->status, 503) << reply->body;
      EXPECT_NE(reply->body.find("\"unavailable\""), std::string::npos) << reply->body;
      EXPECT_NE(reply->body.find("journal write failed: disk I/O error"), std::string::npos)
          << reply->body;
    }
    EXPECT_EQ(test_loop.fail_stop_code.load(), kJournalFailedExitCode);
    ServiceReply health = call("GET", "/healthz");
    EXPECT_EQ(health.status, 503);
    EXPECT_NE(health.body.find("journal write failed"), std::string::npos) << health.body;
    EXPECT_EQ(call("GET", "/readyz").status, 503);
    // Reads too: the engine in memory holds what the journal lost.
    EXPECT_EQ(call("GET", "/v1/leases").status, 503);
    service.Shutdown();
  }
  testing::RemoveTree(dir);
}

}  // namespace
}  // namespace allot
