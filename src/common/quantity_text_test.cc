#include "common/quantity_text.h"

#include <gtest/gtest.h>

#include "common/resources.h"

namespace allot {
namespace {

TEST(QuantityTextTest, GpusAndCoresAreDecimalsOfTheirUnit) {
  EXPECT_EQ(QuantityText(kGpu, "gpu", 1500), "1.5 GPUs");
  EXPECT_EQ(QuantityText(kGpu, "gpu", 1000), "1 GPU");
  EXPECT_EQ(QuantityText(kGpu, "gpu", 250), "0.25 GPU");
  EXPECT_EQ(QuantityText(kGpu, "gpu", 24000), "24 GPUs");
  EXPECT_EQ(QuantityText(kGpu, "gpu", -500), "-0.5 GPU");
  EXPECT_EQ(QuantityText(kGpu, "gpu", 1), "0.001 GPU");
  EXPECT_EQ(QuantityText(kCpu, "cpu", 2500), "2.5 cores");
  EXPECT_EQ(QuantityText(kCpu, "cpu", 1000), "1 core");
}

TEST(QuantityTextTest, MemoryInBinaryUnits) {
  EXPECT_EQ(QuantityText(kMemory, "memory", 512), "512 MiB");
  EXPECT_EQ(QuantityText(kMemory, "memory", 20480), "20 GiB");
  EXPECT_EQ(QuantityText(kGpuMemory, "gpu_memory", 1536), "1.5 GiB");
  EXPECT_EQ(QuantityText(kMemory, "memory", 2097152), "2 TiB");
  EXPECT_EQ(QuantityText(kMemory, "memory", -1024), "-1 GiB");
}

TEST(QuantityTextTest, CountsAndCustomResources) {
  EXPECT_EQ(QuantityText(kSlots, "slots", 3), "3 slots");
  EXPECT_EQ(QuantityText(kSlots, "slots", 1), "1 slot");
  EXPECT_EQ(QuantityText(kBuiltinResources, "licenses", 5), "5 licenses");
}

TEST(QuantityTextTest, Seconds) {
  EXPECT_EQ(SecondsText(90 * kMicrosPerSecond), "90 s");
  EXPECT_EQ(SecondsText(1'500'000), "1.5 s");
  EXPECT_EQ(MilliText(-250), "-0.25");
}

}  // namespace
}  // namespace allot
