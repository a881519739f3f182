// The service's request handling (server/service*.cc), as the HTTP server
// calls it: a fresh Service on an empty data directory and the embedded
// default configuration (a journal without fsync), then up to four requests
// whose method, target, content type, authorization and body the input
// splits out. The loop is synchronous: what the service posts (from any
// thread, the journal's writer included) is run on this thread while a
// reply is awaited; timers run in order on a virtual clock once nothing else
// is pending. Invariants: every request is answered, within 5 s, with a
// status below 500 or 503.
#include <fuzzer/FuzzedDataProvider.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fuzz/fuzz_support.h"
#include "server/service.h"

namespace allot::fuzz {
namespace {

constexpr Time kStart = Seconds(int64_t{1'795'219'200});  // 2026-11-21T00:00:00Z

// The loop the service runs on: posted functions and timers, run by Await.
class SyncLoop {
 public:
  ServiceLoop Make() {
    ServiceLoop loop;
    loop.post = [this](std::function<void()> fn) {
      std::lock_guard<std::mutex> lock(mu_);
      posted_.push_back(std::move(fn));
      cv_.notify_one();
    };
    loop.schedule = [this](Duration delay, std::function<void()> fn) {
      std::lock_guard<std::mutex> lock(mu_);
      timers_.emplace(now_ + std::max<Duration>(delay, 0), std::move(fn));
    };
    loop.now = [this] {
      std::lock_guard<std::mutex> lock(mu_);
      return now_;
    };
    return loop;
  }

  void Advance(Duration by) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += by;
  }

  // Runs posted work, then due timers, until `done()`; false after 5 s.
  bool Await(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::function<void()> next;
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (posted_.empty()) cv_.wait_for(lock, std::chrono::milliseconds(2));
        if (!posted_.empty()) {
          next = std::move(posted_.front());
          posted_.pop_front();
        } else if (!timers_.empty()) {
          auto first = timers_.begin();
          now_ = std::max(now_, first->first);
          next = std::move(first->second);
          timers_.erase(first);
        }
      }
      if (next) next();
    }
    return true;
  }

  // Drops what is left (the service is gone).
  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    posted_.clear();
    timers_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> posted_;
  std::multimap<Time, std::function<void()>> timers_;
  Time now_ = kStart;
};

ServiceRequest NextRequest(FuzzedDataProvider& provider, bool last) {
  static constexpr const char* kMethods[] = {"GET", "POST", "DELETE", "PUT"};
  static constexpr const char* kPaths[] = {"/v1/leases",
                                           "/v1/leases/1",
                                           "/v1/leases/1/release",
                                           "/v1/leases/1/renew",
                                           "/v1/leases/2",
                                           "/v1/queue",
                                           "/v1/tenants",
                                           "/v1/budgets",
                                           "/v1/classes",
                                           "/v1/pools",
                                           "/v1/nodes",
                                           "/v1/nodes/",
                                           "/v1/reports/chargeback",
                                           "/v1/usage",
                                           "/v1/admin/reload",
                                           "/v1/admin/snapshot",
                                           "/v1/events",
                                           "/healthz",
                                           "/readyz",
                                           "/metrics",
                                           ""};
  static constexpr const char* kTypes[] = {"application/json", "application/json; charset=utf-8",
                                           "text/yaml", ""};
  ServiceRequest request;
  request.method = provider.ConsumeBool() ? std::string(provider.PickValueInArray(kMethods))
                                          : provider.ConsumeRandomLengthString(8);
  // One statement per read: the order the provider is read in stays fixed.
  request.target = provider.PickValueInArray(kPaths);
  request.target += provider.ConsumeRandomLengthString(128);
  request.content_type = provider.ConsumeBool() ? std::string(provider.PickValueInArray(kTypes))
                                                : provider.ConsumeRandomLengthString(48);
  if (provider.ConsumeIntegralInRange<int>(0, 7) == 0) {
    request.authorization = provider.ConsumeRandomLengthString(80);
  }
  request.body =
      last ? provider.ConsumeRemainingBytesAsString() : provider.ConsumeRandomLengthString(2048);
  return request;
}

void Run(FuzzedDataProvider& provider) {
  static const std::filesystem::path dir = [] {
    spdlog::set_level(spdlog::level::off);
    std::string pattern = (std::filesystem::temp_directory_path() / "allot-fuzz-XXXXXX").string();
    Expect(mkdtemp(pattern.data()) != nullptr, "a temporary directory");
    std::filesystem::path made(pattern);
    std::atexit([] { std::filesystem::remove_all(dir); });
    return made;
  }();
  std::filesystem::path data = dir / "data";
  std::filesystem::remove_all(data);

  SyncLoop loop;
  ServiceOptions options;
  options.data_dir = data.string();
  options.journal.fsync_each_commit = false;
  options.version = "fuzz";
  Result<std::unique_ptr<Service>> opened = Service::Open(options, loop.Make());
  Expect(opened.ok(), "the service opens on an empty data directory");
  std::unique_ptr<Service> service = std::move(opened).value();

  int count = provider.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < count; ++i) {
    ServiceRequest request = NextRequest(provider, i + 1 == count);
    std::optional<ServiceReply> reply;
    service->Handle(request, [&reply](ServiceReply r) { reply = std::move(r); });
    Expect(loop.Await([&reply] { return reply.has_value(); }), "every request is answered");
    Expect(reply->status < 500 || reply->status == 503, "no 5xx but 503");
    if (provider.ConsumeBool()) {
      loop.Advance(Seconds(provider.ConsumeIntegralInRange<int64_t>(0, 7200)));
      service->Tick();
    }
  }
  service->Shutdown();
  service.reset();
  loop.Clear();
}

}  // namespace
}  // namespace allot::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider provider(data, size);
  allot::fuzz::Run(provider);
  return 0;
}
