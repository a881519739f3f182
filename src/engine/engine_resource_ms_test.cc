// resource_ms (quantity x milliseconds) in usage records and budget amounts
// saturates at kMaxResourceMs instead of wrapping negative.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "metering/resource_time.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuCluster;
using testing::GpuRequest;

constexpr Time kStart = Seconds(int64_t{1'795'219'200});

TEST(EngineResourceMsTest, HugeQuantityOverYearsSaturates) {
  // A node with 2^40 MiB (an exbibyte) of memory, all held for ten years:
  // 2^40 x 3.16e11 ms is ~3.5e23, far past int64 (9.2e18).
  constexpr int64_t kMemoryMib = int64_t{1} << 40;
  std::unique_ptr<Engine> engine =
      testing::MakeEngine(GpuCluster(1, 1, DeviceMode::kWhole, 64000, kMemoryMib));
  ASSERT_NE(engine, nullptr);
  Request request = GpuRequest(1000, 1000, kMemoryMib);
  request.tenant = "";
  Decision granted = engine->Submit(request, kStart);
  ASSERT_EQ(granted.kind, DecisionKind::kGranted) << granted.message;
  Time end = kStart + Seconds(int64_t{10} * 366 * 86400);
  ASSERT_TRUE(engine->Release(granted.lease, end).ok());
  std::vector<UsageRecord> usage = engine->TakeUsage();
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0].resource_ms[kMemory], kMaxResourceMs);
  EXPECT_EQ(usage[0].resource_ms[kGpu], int64_t{1000} * 10 * 366 * 86'400'000);  // still exact
}

}  // namespace
}  // namespace allot
