// Queue orderings (EngineOptions::ordering): the same submissions served in
// fair-share, priority and FIFO order.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

PriorityClass Class(const std::string& name, int64_t value) {
  PriorityClass priority_class;
  priority_class.name = name;
  priority_class.value = value;
  return priority_class;
}

Request Ask(const std::string& tenant, const std::string& priority_class) {
  Request request = testing::GpuRequest(1000, 1000, 1024);
  request.tenant = tenant;
  request.priority_class = priority_class;
  return request;
}

// Two GPUs: tenant a holds one for good, tenant b the other. Then a1 (a, low),
// b1 (b, low) and a2 (a, high) queue in that order, and b's lease is released
// three times over, one waiting request taking the GPU each time. Returns the
// names in the order they were granted.
std::vector<std::string> GrantOrder(QueueOrdering ordering) {
  EngineOptions options;
  options.tenants = {testing::Tenant("a"), testing::Tenant("b")};
  options.classes = {Class("high", 100), Class("low", 0)};
  options.ordering = ordering;
  std::unique_ptr<Engine> engine = Engine::Create(testing::GpuCluster(1, 2), options).value();
  Time now = Seconds(10);
  EXPECT_EQ(engine->Submit(Ask("a", "low"), now).kind, DecisionKind::kGranted);
  Decision held = engine->Submit(Ask("b", "low"), now);
  EXPECT_EQ(held.kind, DecisionKind::kGranted);
  std::map<uint64_t, std::string> names;
  for (auto [name, tenant, priority_class] :
       {std::tuple{"a1", "a", "low"}, {"b1", "b", "low"}, {"a2", "a", "high"}}) {
    Decision queued = engine->Submit(Ask(tenant, priority_class), ++now);
    EXPECT_EQ(queued.kind, DecisionKind::kQueued) << name;
    names[queued.request.value] = name;
  }
  std::vector<std::string> order;
  LeaseId running = held.lease;
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(engine->Release(running, ++now).ok());
    std::vector<Decision> decisions = engine->TakeDecisions();
    for (const Decision& decision : decisions) {
      if (decision.kind != DecisionKind::kGranted) continue;
      order.push_back(names[decision.request.value]);
      running = decision.lease;
    }
  }
  return order;
}

TEST(EngineOrderingTest, FairShareServesClassesThenTheTenantWithLessInUse) {
  // a2 is of the higher class; then b (nothing running) before a (one GPU).
  EXPECT_EQ(GrantOrder(QueueOrdering::kFairShare), (std::vector<std::string>{"a2", "b1", "a1"}));
}

TEST(EngineOrderingTest, PriorityServesClassesThenSubmissionOrder) {
  EXPECT_EQ(GrantOrder(QueueOrdering::kPriority), (std::vector<std::string>{"a2", "a1", "b1"}));
}

TEST(EngineOrderingTest, FifoServesSubmissionOrderOnly) {
  EXPECT_EQ(GrantOrder(QueueOrdering::kFifo), (std::vector<std::string>{"a1", "b1", "a2"}));
}

TEST(EngineOrderingTest, FifoDoesNotLetAHigherClassPassWaitingWork) {
  // With FIFO a new high-class request that would fit must not start ahead of
  // an older waiting request on the same pool.
  EngineOptions options;
  options.tenants = {testing::Tenant("a")};
  options.classes = {Class("high", 100), Class("low", 0)};
  options.ordering = QueueOrdering::kFifo;
  std::unique_ptr<Engine> engine = Engine::Create(testing::GpuCluster(1, 2), options).value();
  Request big = Ask("a", "low");
  big.member.resources[kGpu] = 2000;
  ASSERT_EQ(engine->Submit(Ask("a", "low"), Seconds(1)).kind, DecisionKind::kGranted);
  Decision waiting = engine->Submit(big, Seconds(2));
  ASSERT_EQ(waiting.kind, DecisionKind::kQueued);
  Decision high = engine->Submit(Ask("a", "high"), Seconds(3));
  EXPECT_EQ(high.kind, DecisionKind::kQueued);
  EXPECT_EQ(high.position, 1);
}

TEST(EngineOrderingTest, ConfigNamesTheOrderingAndClassObjectives) {
  std::string yaml = R"(
ordering: fifo
pools:
  - name: p
    nodes: [{name: n, cpu: 4, memory: 8Gi}]
classes:
  - {name: realtime, value: 10, wait_objective: 0.25}
)";
  Result<Config> config = ParseConfig(yaml, "test.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->engine.ordering, QueueOrdering::kFifo);
  EXPECT_EQ(config->engine.classes[0].wait_objective, 250'000);

  Result<Config> bad = ParseConfig("ordering: lottery\n" + yaml.substr(yaml.find("pools")), "t");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("t:1:11: ordering: must be fair_share, priority or fifo"),
            std::string::npos)
      << bad.status().message();
  std::string negative = yaml;
  negative.replace(negative.find("0.25"), 4, "-1");
  EXPECT_FALSE(ParseConfig(negative, "t").ok());
}

}  // namespace
}  // namespace allot
