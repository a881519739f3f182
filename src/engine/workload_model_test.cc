#include "engine/workload_model.h"

#include <gtest/gtest.h>

namespace allot {
namespace {

// A member constrained to some pools (a GPU model, a pool) records them in
// its shape, so that the fragmentation measure counts it only where it may
// run; an unconstrained one records none (0: every pool).
TEST(WorkloadModel, ShapesRecordTheAllowedPoolsOfConstrainedMembers) {
  MemberDemand demand;
  demand.host[kCpu] = 4000;
  demand.host[kMemory] = 8192;
  demand.gpu_milli = 1000;
  demand.allowed_pools = {1, 1, 1};
  EXPECT_EQ(WorkloadShapeOf(demand).pools, 0u);
  demand.allowed_pools = {0, 1, 1};
  EXPECT_EQ(WorkloadShapeOf(demand).pools, 0b110u);
  WorkloadShape constrained = WorkloadShapeOf(demand);
  demand.allowed_pools = {1, 1, 1};
  EXPECT_FALSE(constrained == WorkloadShapeOf(demand));  // counted apart
  // More pools than the mask holds: no constraint recorded.
  demand.allowed_pools.assign(65, 1);
  demand.allowed_pools[3] = 0;
  EXPECT_EQ(WorkloadShapeOf(demand).pools, 0u);
}

}  // namespace
}  // namespace allot
