// Per-pool quotas: "8 H100s" as opposed to 8 GPUs of any model.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::AddNode;
using testing::AddPool;
using testing::GpuRequest;

constexpr Time kNow = Seconds(10);

class PoolQuotaTest : public ::testing::Test {
 protected:
  // Pool h100: one node of 4 whole GPUs; pool l4: one node of 4 shared GPUs.
  Inventory Cluster() {
    Inventory inventory;
    PoolIndex h100 = AddPool(inventory, "h100", "H100-80GB");
    PoolIndex l4 = AddPool(inventory, "l4", "L4", 24576);
    AddNode(inventory, h100,
            {.name = "h0",
             .gpus = 4,
             .mode = DeviceMode::kWhole,
             .cpu_milli = 64000,
             .memory_mib = 256 * 1024,
             .labels = {}});
    AddNode(inventory, l4,
            {.name = "l0",
             .gpus = 4,
             .mode = DeviceMode::kShared,
             .cpu_milli = 64000,
             .memory_mib = 256 * 1024,
             .labels = {}});
    return inventory;
  }
  Request Ask(const std::string& tenant, const std::string& pool = "") {
    Request request = GpuRequest(1000, 1000, 1024);
    request.tenant = tenant;
    request.pool = pool;
    return request;
  }
};

TEST_F(PoolQuotaTest, LimitInOnePoolLeavesOthersOpen) {
  TenantSpec a;
  a.name = "a";
  std::array<ResourceQuota, kMaxResources> h100{};
  h100[kGpu].guaranteed = 2000;
  h100[kGpu].limit = 2000;
  a.pool_quota = {{"h100", h100}};
  TenantSpec b;
  b.name = "b";
  EngineOptions options;
  options.tenants = {a, b};
  std::unique_ptr<Engine> engine = Engine::Create(Cluster(), options).value();
  EXPECT_EQ(engine->Submit(Ask("a", "h100"), kNow).kind, DecisionKind::kGranted);
  EXPECT_EQ(engine->Submit(Ask("a", "h100"), kNow).kind, DecisionKind::kGranted);
  Decision third = engine->Submit(Ask("a", "h100"), kNow);
  ASSERT_EQ(third.kind, DecisionKind::kQueued);
  EXPECT_EQ(third.queue_reason, QueueReason::kLimit);
  EXPECT_NE(third.message.find("gpu in pool h100 would reach 3 GPUs, above its limit 2 GPUs"),
            std::string::npos)
      << third.message;
  // Unconstrained, a's next GPU goes to the pool where its quota allows it.
  Decision anywhere = engine->Submit(Ask("a"), kNow);
  ASSERT_EQ(anywhere.kind, DecisionKind::kGranted);
  EXPECT_EQ(engine->inventory().nodes[anywhere.placement[0].node].name, "l0");
  // Others still use the rest of h100.
  EXPECT_EQ(engine->Submit(Ask("b", "h100"), kNow).kind, DecisionKind::kGranted);
  EXPECT_EQ(engine->quota().usage(engine->tenancy().FindTenant("a"), 1 + 0)[kGpu], 2000);
  // Releasing one of a's H100s lets the waiting request in.
  ASSERT_TRUE(engine->Release(LeaseId{1}, kNow).ok());
  std::vector<Decision> follows = engine->TakeDecisions();
  ASSERT_EQ(follows.size(), 1u);
  EXPECT_EQ(follows[0].request, third.request);
}

TEST_F(PoolQuotaTest, ConfigAndValidation) {
  const char* yaml = R"(gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: h100
    gpu_model: H100-80GB
    nodes:
      - {name: h0, cpu: 64, memory: 256Gi, gpus: 4}
tenants:
  - name: a
    pool_quota: {h100: {gpu: {guaranteed: 3, limit: 4}}}
  - name: b
    pool_quota: {h100: {gpu: {guaranteed: 2}}}
)";
  Result<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(
                "pool_quota.h100.gpu.guaranteed adds up to 5 GPUs, more than the pool's capacity "
                "(4 GPUs)"),
            std::string::npos)
      << config.status().message();
  std::string unknown =
      std::string(yaml).replace(std::string(yaml).find("{h100: {gpu: {g"), 6, "{nope:");
  config = ParseConfig(unknown, "test.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("tenants[0] (a).pool_quota.nope: unknown pool"),
            std::string::npos)
      << config.status().message();
}

// A spot-only class runs only on spot pools; with none that fits, it is
// infeasible, and the message names the constraint.
TEST_F(PoolQuotaTest, SpotOnlyClasses) {
  Inventory inventory = Cluster();
  inventory.pools[1].tier = Tier::kSpot;  // l4
  PriorityClass standard;
  standard.name = "default";
  PriorityClass spot;
  spot.name = "spot";
  spot.spot_only = true;
  EngineOptions options;
  options.classes = {standard, spot};
  std::unique_ptr<Engine> engine = Engine::Create(inventory, options).value();
  Request request = GpuRequest(1000, 1000, 1024);
  request.priority_class = "spot";
  for (int i = 0; i < 4; ++i) {
    Decision decision = engine->Submit(request, kNow);
    ASSERT_EQ(decision.kind, DecisionKind::kGranted);
    EXPECT_EQ(engine->inventory().nodes[decision.placement[0].node].name, "l0");
  }
  EXPECT_EQ(engine->Submit(request, kNow).kind, DecisionKind::kQueued);  // h100 is not spot
  request.pool = "h100";
  Decision refused = engine->Submit(request, kNow);
  EXPECT_EQ(refused.kind, DecisionKind::kRejected);
  EXPECT_EQ(refused.reject_code, RejectCode::kInfeasible);
  EXPECT_NE(refused.message.find("constraints"), std::string::npos) << refused.message;
}

}  // namespace
}  // namespace allot
