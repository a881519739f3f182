#include <gtest/gtest.h>

#include <regex>

#include "config/config_loader.h"

namespace allot {
namespace {

const char* kInventory = R"(gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: h100
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: n, count: 2, cpu: 64, memory: 512Gi, gpus: 8}
)";

Result<Config> Parse(const std::string& tail) {
  return ParseConfig(std::string(kInventory) + tail, "test.yaml");
}

TEST(TenancyConfig, DefaultConfigHasTenantsAndClasses) {
  Result<Config> config = ParseConfig(DefaultConfigYaml(), "<default>");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->engine.classes.size(), 4u);
  EXPECT_EQ(config->engine.tenants.size(), 4u);
}

TEST(TenancyConfig, ReadsQuotasInConfigUnits) {
  Result<Config> config = Parse(R"(classes:
  - {name: batch, value: -5, preemptible: true, borrow: false, queueing: wait, max_wait: 60}
tenants:
  - name: org
    weight: 1.5
    quota:
      gpu: {guaranteed: 4.5, limit: 8, lending_limit: 2}
      memory: {guaranteed: 64Gi}
    max_running: {batch: 3}
)");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const TenantSpec& org = config->engine.tenants[0];
  EXPECT_EQ(org.weight_milli, 1500);
  EXPECT_EQ(org.quota[kGpu].guaranteed, 4500);
  EXPECT_EQ(org.quota[kGpu].limit, 8000);
  EXPECT_EQ(org.quota[kGpu].lending_limit, 2000);
  EXPECT_EQ(org.quota[kMemory].guaranteed, 64 * 1024);
  EXPECT_EQ(org.max_running[0], (std::pair<std::string, int64_t>("batch", 3)));
  const PriorityClass& batch = config->engine.classes[0];
  EXPECT_EQ(batch.value, -5);
  EXPECT_FALSE(batch.may_borrow);
  EXPECT_EQ(batch.max_wait, Seconds(60));
}

TEST(TenancyConfig, PlacementOptions) {
  Result<Config> config = Parse("placement: frag_aware\nfrag_max_candidates: 64\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->engine.placement.frag_max_candidates, 64);
  Result<Config> negative = Parse("frag_max_candidates: -1\n");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().message(),
            "test.yaml:8:22: config.frag_max_candidates: must be a whole number >= 0");
}

TEST(TenancyConfig, ErrorsCarryPositionTenantAndField) {
  auto error = [](const Result<Config>& config) {
    return config.ok() ? std::string() : config.status().message();
  };
  std::string cycle =
      error(Parse("tenants:\n  - {name: a, parent: b}\n  - {name: b, parent: a}\n"));
  EXPECT_EQ(cycle, "test.yaml:9:5: tenants[0] (a).parent: cycle a -> b -> a");
  std::string unknown = error(Parse("tenants:\n  - {name: a, parent: ghost}\n"));
  EXPECT_EQ(unknown, "test.yaml:9:5: tenants[0] (a).parent: unknown tenant 'ghost'");
  std::string too_much = error(Parse("tenants:\n  - {name: a, quota: {gpu: {guaranteed: 17}}}\n"));
  EXPECT_NE(too_much.find("more than the cluster's capacity (16 GPUs)"), std::string::npos)
      << too_much;
  std::string weight = error(Parse("tenants:\n  - {name: a, weight: -1}\n"));
  EXPECT_EQ(weight, "test.yaml:9:23: tenants[0].weight: must be a number > 0");
  std::string resource = error(Parse("tenants:\n  - {name: a, quota: {gold: {guaranteed: 1}}}\n"));
  EXPECT_EQ(resource, "test.yaml:9:23: tenants[0].quota.gold: unknown resource");
  std::string queueing = error(Parse("classes:\n  - {name: x, queueing: maybe}\n"));
  EXPECT_EQ(queueing, "test.yaml:9:25: classes[0].queueing: must be wait or reject");
}

}  // namespace
}  // namespace allot
