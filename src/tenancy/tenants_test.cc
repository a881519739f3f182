#include "tenancy/tenants.h"

#include <gtest/gtest.h>

#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::Tenant;

ResourceVector Capacity() {
  ResourceVector capacity;
  capacity[kGpu] = 16000;
  capacity[kCpu] = 128000;
  return capacity;
}

std::string ErrorOf(const std::vector<TenantSpec>& tenants,
                    const std::vector<PriorityClass>& classes = {}) {
  Result<Tenancy> tenancy = Tenancy::Create(tenants, classes, Capacity(), ResourceCatalog());
  return tenancy.ok() ? "" : tenancy.status().message();
}

TEST(Tenancy, BuildsPathsAndDefaults) {
  Result<Tenancy> tenancy =
      Tenancy::Create({Tenant("agent-7", "research"), Tenant("acme"), Tenant("research", "acme")},
                      {}, Capacity(), ResourceCatalog());
  ASSERT_TRUE(tenancy.ok()) << tenancy.status().ToString();
  int agent = tenancy->FindTenant("acme/research/agent-7");
  ASSERT_GT(agent, 0);
  EXPECT_EQ(tenancy->FindTenant("agent-7"), agent);
  EXPECT_EQ(tenancy->tenant(agent).depth, 3);
  EXPECT_TRUE(tenancy->IsLeaf(agent));
  EXPECT_FALSE(tenancy->IsLeaf(tenancy->FindTenant("acme")));
  EXPECT_EQ(tenancy->sole_leaf(), agent);
  EXPECT_EQ(tenancy->class_count(), 1u);
  EXPECT_EQ(tenancy->priority_class(tenancy->default_class()).name, "default");
  EXPECT_EQ(tenancy->FindTenant("nobody"), -1);
}

TEST(Tenancy, ParentWithoutGuaranteeGuaranteesItsChildrenSum) {
  TenantSpec a = Tenant("a", "org");
  a.quota[kGpu].guaranteed = 4000;
  TenantSpec b = Tenant("b", "org");
  b.quota[kGpu].guaranteed = 2000;
  Result<Tenancy> tenancy =
      Tenancy::Create({Tenant("org"), a, b}, {}, Capacity(), ResourceCatalog());
  ASSERT_TRUE(tenancy.ok());
  EXPECT_EQ(tenancy->tenant(tenancy->FindTenant("org")).quota[kGpu].guaranteed, 6000);
}

TEST(Tenancy, BadConfigNamesTenantAndField) {
  EXPECT_EQ(ErrorOf({Tenant("a", "b"), Tenant("b", "a")}),
            "tenants[0] (a).parent: cycle a -> b -> a");
  EXPECT_EQ(ErrorOf({Tenant("a", "ghost")}), "tenants[0] (a).parent: unknown tenant 'ghost'");
  EXPECT_EQ(ErrorOf({Tenant("a"), Tenant("a")}), "tenants[1] (a).name: duplicate tenant");
  TenantSpec negative = Tenant("n");
  negative.weight_milli = -1000;
  EXPECT_EQ(ErrorOf({negative}), "tenants[0] (n).weight: must be > 0");
  TenantSpec greedy = Tenant("g");
  greedy.quota[kGpu].guaranteed = 20000;
  EXPECT_EQ(ErrorOf({greedy}),
            "tenants under the root: quota.gpu.guaranteed adds up to 20 GPUs, more than the "
            "cluster's capacity (16 GPUs)");
  TenantSpec child = Tenant("c", "p");
  child.quota[kCpu].guaranteed = 9000;
  TenantSpec parent = Tenant("p");
  parent.quota[kCpu].guaranteed = 8000;
  EXPECT_EQ(ErrorOf({parent, child}),
            "tenants under p: quota.cpu.guaranteed adds up to 9 cores, more than the parent "
            "guarantees (8 cores)");
  TenantSpec low = Tenant("l");
  low.quota[kCpu].guaranteed = 4000;
  low.quota[kCpu].limit = 2000;
  EXPECT_EQ(ErrorOf({low}), "tenants[0] (l).quota.cpu.limit: must be >= guaranteed");
  TenantSpec lender = Tenant("m");
  lender.quota[kCpu].guaranteed = 4000;
  lender.quota[kCpu].lending_limit = 5000;
  EXPECT_EQ(ErrorOf({lender}), "tenants[0] (m).quota.cpu.lending_limit: must be <= guaranteed");
  TenantSpec capped = Tenant("k");
  capped.max_running = {{"gold", 3}};
  EXPECT_EQ(ErrorOf({capped}), "tenants[0] (k).max_running.gold: unknown class");
  PriorityClass twice;
  twice.name = "x";
  EXPECT_EQ(ErrorOf({}, {twice, twice}), "classes[1] (x).name: duplicate class");
}

}  // namespace
}  // namespace allot
