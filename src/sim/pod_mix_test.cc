#include "sim/pod_mix.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

namespace allot {
namespace {

// A small source: 10 fractional pods (500 m), 6 one-GPU pods, 2 four-GPU
// pods, 4 CPU-only pods; creation times ascending.
std::vector<AlibabaPod> SmallSource() {
  std::vector<AlibabaPod> pods;
  auto add = [&](int64_t cpu, int64_t gpus, int64_t milli) {
    AlibabaPod pod;
    pod.name = "p" + std::to_string(pods.size());
    pod.cpu_milli = cpu;
    pod.memory_mib = 1024;
    pod.num_gpu = gpus;
    pod.gpu_milli = milli;
    pod.qos = "BE";
    pod.creation_time = static_cast<int64_t>(pods.size());
    pod.deletion_time = pod.creation_time + 100;
    pod.scheduled_time = pod.creation_time;
    pods.push_back(pod);
  };
  for (int i = 0; i < 10; ++i) add(4000, 1, 500);
  for (int i = 0; i < 6; ++i) add(8000, 1, 1000);
  for (int i = 0; i < 2; ++i) add(32000, 4, 1000);
  for (int i = 0; i < 4; ++i) add(16000, 0, 0);
  return pods;
}

// Two models: 4 nodes of "big" (8 GPUs, 64 cores), 2 of "small" (2 GPUs,
// 8 cores: too few for the 4-GPU pods and the 8-core one-GPU pods fit).
Inventory SmallNodes() {
  Inventory inventory;
  inventory.gpu_models = {{"big", 16384}, {"small", 16384}};
  Pool big;
  big.name = "big";
  big.gpu_model = 0;
  Pool small;
  small.name = "small";
  small.gpu_model = 1;
  inventory.pools = {big, small};
  for (int i = 0; i < 6; ++i) {
    Node node;
    node.name = "n" + std::to_string(i);
    node.pool = i < 4 ? 0 : 1;
    node.capacity[kCpu] = i < 4 ? 64000 : 8000;
    node.capacity[kMemory] = 1 << 20;
    node.devices.assign(i < 4 ? 8 : 2, Device{DeviceMode::kShared});
    inventory.nodes.push_back(node);
  }
  EXPECT_TRUE(inventory.Validate().ok());
  return inventory;
}

TEST(PodMix, MeasuresTheSourceShares) {
  PodMixShares shares = MeasurePodMix(SmallSource());
  // GPU: 10 x 500 + 6 x 1000 + 2 x 4000 = 19000 milli.
  EXPECT_NEAR(shares.gpushare, 100.0 * 5000 / 19000, 1e-9);
  EXPECT_NEAR(shares.multigpu, 100.0 * 8000 / 19000, 1e-9);
  EXPECT_EQ(shares.gpuspec, 0);
  EXPECT_NEAR(shares.cpu_only, 100.0 * 4 / 22, 1e-9);
}

TEST(PodMix, ReachesEachShareAndIsDeterministic) {
  std::vector<AlibabaPod> source;
  for (int copy = 0; copy < 10; ++copy) {
    for (AlibabaPod pod : SmallSource()) source.push_back(pod);
  }
  Inventory nodes = SmallNodes();
  PodMixOptions options;
  options.gpushare = 60;
  options.seed = 7;
  Result<std::vector<AlibabaPod>> shared = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->size(), source.size());  // gpushare keeps the count
  EXPECT_NEAR(MeasurePodMix(*shared).gpushare, 60, 3);
  EXPECT_NEAR(MeasurePodMix(*shared).cpu_only, MeasurePodMix(source).cpu_only, 1e-9);

  options = PodMixOptions{};
  options.multigpu = 70;
  Result<std::vector<AlibabaPod>> multi = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(multi.ok());
  EXPECT_GT(multi->size(), source.size());  // multi-GPU pods appended
  EXPECT_NEAR(MeasurePodMix(*multi).multigpu, 70, 2);
  options.multigpu = 10;
  multi = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(multi.ok());
  EXPECT_LT(multi->size(), source.size());
  EXPECT_LE(MeasurePodMix(*multi).multigpu, 10);

  options = PodMixOptions{};
  options.cpu_only = 50;
  Result<std::vector<AlibabaPod>> cpu = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(cpu.ok());
  EXPECT_NEAR(MeasurePodMix(*cpu).cpu_only, 50, 0.5);
  EXPECT_EQ(MeasurePodMix(*cpu).gpushare, MeasurePodMix(source).gpushare);

  options = PodMixOptions{};
  options.gpuspec = 50;
  options.seed = 3;
  Result<std::vector<AlibabaPod>> spec = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(spec.ok());
  EXPECT_NEAR(MeasurePodMix(*spec).gpuspec, 50, 1);
  int small = 0;
  for (const AlibabaPod& pod : *spec) {
    if (pod.gpu_spec.empty()) continue;
    ASSERT_EQ(pod.gpu_spec.size(), 1u);
    // A model is only drawn where the pod fits an empty node of it.
    if (pod.gpu_spec[0] == "small") {
      ++small;
      EXPECT_LE(pod.num_gpu, 1);
      EXPECT_LE(pod.cpu_milli, 8000);
    }
  }
  EXPECT_GT(small, 0);  // drawn, in proportion to GPUs (4 of 36)
  Result<std::vector<AlibabaPod>> again = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(PodsToCsv(*again), PodsToCsv(*spec));
  options.seed = 4;
  Result<std::vector<AlibabaPod>> other = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(PodsToCsv(*other), PodsToCsv(*spec));

  options.gpuspec_models = {"small"};
  spec = GeneratePodMix(source, nodes, options);
  ASSERT_TRUE(spec.ok());
  for (const AlibabaPod& pod : *spec) {
    if (!pod.gpu_spec.empty()) {
      EXPECT_EQ(pod.gpu_spec[0], "small");
    }
  }
}

TEST(PodMix, WritesACsvTheReaderReadsBack) {
  Inventory nodes = SmallNodes();
  PodMixOptions options;
  options.gpuspec = 100;
  Result<std::vector<AlibabaPod>> pods = GeneratePodMix(SmallSource(), nodes, options);
  ASSERT_TRUE(pods.ok());
  std::string path = ::testing::TempDir() + "/mix.csv";
  std::ofstream(path) << PodsToCsv(*pods);
  Result<std::vector<AlibabaPod>> read = LoadAlibabaPods(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_EQ(read->size(), pods->size());
  EXPECT_EQ(PodsToCsv(*read), PodsToCsv(*pods));
  EXPECT_EQ((*read)[0].name, "pod-00000");
  for (size_t i = 1; i < read->size(); ++i) {
    EXPECT_LE((*read)[i - 1].creation_time, (*read)[i].creation_time);
  }
}

TEST(PodMix, BadOptionsNameTheOptionAndWhy) {
  Inventory nodes = SmallNodes();
  auto error = [&](PodMixOptions options, const std::vector<AlibabaPod>& source) {
    Result<std::vector<AlibabaPod>> pods = GeneratePodMix(source, nodes, options);
    EXPECT_FALSE(pods.ok());
    EXPECT_EQ(pods.status().code(), StatusCode::kInvalidArgument);
    return pods.status().message();
  };
  PodMixOptions options;
  options.gpushare = 101;
  EXPECT_EQ(error(options, SmallSource()), "gpushare: must be a percentage from 0 to 100, got 101");
  options = PodMixOptions{};
  options.multigpu = 100;
  EXPECT_EQ(error(options, SmallSource()), "multigpu: must be a percentage from 0 to 99, got 100");
  options = PodMixOptions{};
  options.gpuspec_models = {"H100"};
  EXPECT_EQ(error(options, SmallSource()),
            "gpuspec-models: 'H100' is not a GPU model of the node list");
  std::vector<AlibabaPod> wholes_only;
  for (const AlibabaPod& pod : SmallSource()) {
    if (pod.gpu_milli == 1000) wholes_only.push_back(pod);
  }
  options = PodMixOptions{};
  options.gpushare = 40;
  EXPECT_EQ(error(options, wholes_only),
            "gpushare: the source has no fractional pods to draw from");
  options = PodMixOptions{};
  options.cpu_only = 20;
  EXPECT_EQ(error(options, wholes_only), "cpu-only: the source has no CPU-only pods to draw from");
}

}  // namespace
}  // namespace allot
