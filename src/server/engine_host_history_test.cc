// EngineHost history: a host restored from its snapshot answers like the live one.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "server/engine_host.h"

namespace allot {
namespace {

constexpr char kConfig[] = R"yaml(
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: gpu-, count: 1, cpu: 64, memory: 512Gi, gpus: 8, gpu_mode: whole}
tenants:
  - {name: org}
  - {name: a, parent: org}
)yaml";

Command Submit(Time at) {
  Command command;
  command.kind = Command::Kind::kSubmit;
  command.at = at;
  command.request.member.resources[kGpu] = 1000;
  command.request.tenant = "org/a";
  return command;
}

Command Release(uint64_t id, Time at) {
  Command command;
  command.kind = Command::Kind::kRelease;
  command.id = id;
  command.at = at;
  return command;
}

// The snapshot kept only the newest 1,000 finished requests while the live
// server kept 100,000: after a restart, a release retried for a lease that
// ended 1,001 requests ago was unknown (404) instead of "already ended".
TEST(EngineHostHistoryTest, SnapshotKeepsTheWholeHistory) {
  std::unique_ptr<EngineHost> host = EngineHost::Create(kConfig, "test").value();
  constexpr uint64_t kEnded = EngineHost::kHistoryLimit + 50;
  Time at = Seconds(1'800'000'000);
  for (uint64_t id = 1; id <= kEnded; ++id) {
    EngineHost::Outcome granted = host->Apply(Submit(at));
    ASSERT_TRUE(granted.decision.has_value());
    ASSERT_EQ(granted.decision->lease.value, id);
    ASSERT_TRUE(host->Apply(Release(id, at + 1)).status.ok());
    at += 2;
  }
  auto started = std::chrono::steady_clock::now();
  std::string json = host->SnapshotJson();
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::printf("SnapshotJson with %zu finished requests: %.1f ms, %zu bytes\n",
              EngineHost::kHistoryLimit, ms, json.size());
  std::unique_ptr<EngineHost> restored = EngineHost::FromSnapshot(json).value();
  for (uint64_t id = 1; id <= kEnded; ++id) {
    const FinishedRequest* live = host->FindFinished(id);
    const FinishedRequest* copy = restored->FindFinished(id);
    ASSERT_EQ(live != nullptr, copy != nullptr) << "request " << id;
    std::string live_tenant, copy_tenant;
    ASSERT_EQ(host->StateOf(id, &live_tenant), restored->StateOf(id, &copy_tenant)) << id;
    if (live == nullptr) continue;
    EXPECT_EQ(copy->end_reason, live->end_reason) << id;
    EXPECT_EQ(copy->usage, live->usage) << id;
  }
  // The oldest fell out of both alike; the newest kHistoryLimit are in both.
  EXPECT_EQ(host->FindFinished(1), nullptr);
  EXPECT_NE(restored->FindFinished(kEnded - EngineHost::kHistoryLimit + 1), nullptr);
  // And both go on forgetting in the same order.
  host->Apply(Submit(at));
  restored->Apply(Submit(at));
  host->Apply(Release(kEnded + 1, at + 1));
  restored->Apply(Release(kEnded + 1, at + 1));
  uint64_t oldest = kEnded - EngineHost::kHistoryLimit + 1;
  EXPECT_EQ(host->FindFinished(oldest), nullptr);
  EXPECT_EQ(restored->FindFinished(oldest), nullptr);
  EXPECT_NE(restored->FindFinished(oldest + 1), nullptr);
}

}  // namespace
}  // namespace allot
