// DescribeDecision's one-line form (allot demo prints it): quantities in user
// units, never the engine's milli-GPUs.
#include "engine/decision.h"

#include <gtest/gtest.h>

#include "testing/test_inventory.h"

namespace allot {
namespace {

TEST(DescribeDecisionTest, AGpuShareReadsInGpusAndGiB) {
  Inventory inventory = testing::GpuCluster(1, 4, DeviceMode::kShared);
  std::unique_ptr<Engine> engine = testing::MakeEngine(std::move(inventory));
  ASSERT_NE(engine, nullptr);
  Decision granted = engine->Submit(testing::GpuRequest(250), Seconds(100));
  ASSERT_EQ(granted.kind, DecisionKind::kGranted);
  std::string line = DescribeDecision(granted, engine->inventory());
  // An H100-80GB's quarter: 0.25 GPU with 20 GiB of its memory.
  EXPECT_NE(line.find("/gpu0 0.25 GPU 20 GiB"), std::string::npos) << line;
  EXPECT_EQ(line.find("250m"), std::string::npos) << line;
}

}  // namespace
}  // namespace allot
