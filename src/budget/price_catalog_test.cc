#include "budget/price_catalog.h"

#include <gtest/gtest.h>

#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuCluster;

constexpr Duration kHour = Seconds(3600);

PoolPriceSpec PerResource(Money gpu, Money cpu, Money memory) {
  PoolPriceSpec price;
  price.pool = "gpu";
  price.per_unit_hour[kGpu] = gpu;
  price.per_unit_hour[kCpu] = cpu;
  price.per_unit_hour[kMemory] = memory;
  return price;
}

TEST(PriceCatalogTest, PerResourcePricesCostExactlyPerHour) {
  PriceSpec spec;
  spec.pools.push_back(PerResource(2'500'000, 40'000, 5'000));  // per GPU, core, GiB
  Result<PriceCatalog> catalog = PriceCatalog::Create(spec, GpuCluster(2, 8));
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  ResourceVector amount;
  amount[kGpu] = 2000;          // 2 GPUs
  amount[kCpu] = 8000;          // 8 cores
  amount[kMemory] = 64 * 1024;  // 64 GiB
  int64_t rate = catalog->RateOn(0, amount);
  // 2 x 2.50 + 8 x 0.04 + 64 x 0.005 = 5.64 per hour
  EXPECT_EQ(PriceCatalog::Cost(rate, kHour), 5'640'000);
  EXPECT_EQ(PriceCatalog::Cost(rate, kHour / 2), 2'820'000);
  EXPECT_EQ(PriceCatalog::Cost(rate, 0), 0);
  // Rounded up to the micro-unit: one microsecond of anything priced costs 1.
  EXPECT_EQ(PriceCatalog::Cost(rate, 1), 1);
}

TEST(PriceCatalogTest, NodeHourSplitAcrossResources) {
  PriceSpec spec;
  PoolPriceSpec price;
  price.pool = "gpu";
  price.node_hour = 24'000'000;
  price.split_ppm[kGpu] = 900'000;
  price.split_ppm[kCpu] = 60'000;
  price.split_ppm[kMemory] = 40'000;
  spec.pools.push_back(price);
  Inventory inventory = GpuCluster(1, 8, DeviceMode::kWhole, 64000, 256 * 1024);
  ASSERT_TRUE(inventory.Validate().ok());  // derives the nodes' GPU capacity
  Result<PriceCatalog> catalog = PriceCatalog::Create(spec, inventory);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  // The whole node costs the node-hour price.
  EXPECT_EQ(PriceCatalog::Cost(catalog->NodeCapacityRate(0), kHour), 24'000'000);
  ResourceVector one_gpu;
  one_gpu[kGpu] = 1000;
  // 24 x 0.9 / 8 GPUs = 2.70 per GPU-hour.
  EXPECT_EQ(PriceCatalog::Cost(catalog->RateOn(0, one_gpu), kHour), 2'700'000);
}

TEST(PriceCatalogTest, TokenPrices) {
  PriceSpec spec;
  spec.models.push_back({"m", 3'000'000, 750'000, 15'000'000});  // per million tokens
  Result<PriceCatalog> catalog = PriceCatalog::Create(spec, GpuCluster(1, 1));
  ASSERT_TRUE(catalog.ok());
  int model = catalog->FindModel("m");
  ASSERT_EQ(model, 0);
  EXPECT_EQ(catalog->FindModel("other"), -1);
  // 1000 input of which 400 cached, 500 output:
  // 600 x 3 + 400 x 0.75 + 500 x 15 = 9600 micro-units.
  EXPECT_EQ(catalog->TokenCost(model, {1000, 400, 500}), 9600);
  // The ceiling prices every input token at the dearer input price.
  EXPECT_EQ(catalog->TokenCeiling(model, 1000, 500), 10'500);
  EXPECT_GE(catalog->TokenCeiling(model, 1000, 500), catalog->TokenCost(model, {1000, 0, 500}));
}

TEST(PriceCatalogTest, BadPricesNameTheField) {
  Inventory inventory = GpuCluster(1, 8);
  ASSERT_TRUE(inventory.Validate().ok());
  auto error = [&](const PriceSpec& spec) {
    Result<PriceCatalog> catalog = PriceCatalog::Create(spec, inventory);
    return catalog.ok() ? std::string() : catalog.status().message();
  };
  PriceSpec spec;
  spec.currency = "DOLLARS";
  EXPECT_NE(error(spec).find("currency: 'DOLLARS'"), std::string::npos);
  spec = PriceSpec();
  spec.pools.push_back(PerResource(-1, 0, 0));
  EXPECT_NE(error(spec).find("prices.pools[0] (gpu).gpu: must be between 0"), std::string::npos);
  spec = PriceSpec();
  PoolPriceSpec unknown = PerResource(1, 0, 0);
  unknown.pool = "nope";
  spec.pools.push_back(unknown);
  EXPECT_NE(error(spec).find("unknown pool"), std::string::npos);
  spec = PriceSpec();
  spec.pools.push_back(PerResource(1, 0, 0));
  spec.pools.push_back(PerResource(2, 0, 0));
  EXPECT_NE(error(spec).find("priced twice"), std::string::npos);
  spec = PriceSpec();
  PoolPriceSpec split;
  split.pool = "gpu";
  split.node_hour = 10'000'000;
  split.split_ppm[kGpu] = 500'000;
  spec.pools.push_back(split);
  EXPECT_NE(error(spec).find("split: sums to 0.5, must be 1"), std::string::npos);
  spec.pools[0].split_ppm[kSlots] = 500'000;  // the nodes have no slots
  EXPECT_NE(error(spec).find("has no slots"), std::string::npos) << error(spec);
  spec = PriceSpec();
  PoolPriceSpec both = PerResource(1'000'000, 0, 0);
  both.node_hour = 1;
  spec.pools.push_back(both);
  EXPECT_NE(error(spec).find("not both"), std::string::npos);
  spec = PriceSpec();
  spec.models.push_back({"m", -5, 0, 0});
  EXPECT_NE(error(spec).find("prices.models[0] (m).input"), std::string::npos);
  spec.models = {{"m", 1, 1, 1}, {"m", 1, 1, 1}};
  EXPECT_NE(error(spec).find("priced twice"), std::string::npos);
}

}  // namespace
}  // namespace allot
