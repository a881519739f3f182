#include "sim/alibaba_trace.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "sim/csv.h"
#include "sim/fill_experiment.h"
#include "testing/test_paths.h"

namespace allot {
namespace {

// Writes `text` to a fresh file under the test's temp dir; returns its path.
std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const char* kPodHeader =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
    "deletion_time,scheduled_time\n";

TEST(CsvTable, NamesMissingColumnAndBadNumbers) {
  Result<CsvTable> table = CsvTable::Parse("a,b\n1,x\n", "t.csv");
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(table->Column("c").status().message(), "t.csv:1: missing column 'c'");
  Result<int64_t> bad = table->Integer(0, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "t.csv:2:2 (b): 'x' is not a whole number");
  Result<CsvTable> ragged = CsvTable::Parse("a,b\n1,2,3\n", "r.csv");
  ASSERT_FALSE(ragged.ok());
  EXPECT_EQ(ragged.status().message(), "r.csv:2: 3 fields, the header has 2");
}

TEST(AlibabaTrace, ReadsPodsAndRequests) {
  std::string path =
      WriteFile("pods.csv", std::string(kPodHeader) +
                                "p0,12000,16384,1,460,,LS,Running,0,100,0\n"
                                "p1,6000,8192,2,1000,V100M16|V100M32,BE,Running,5,,5\n"
                                "p2,4000,4096,0,0,,BE,Failed,9,20,\n");
  Result<std::vector<AlibabaPod>> pods = LoadAlibabaPods(path);
  ASSERT_TRUE(pods.ok()) << pods.status().ToString();
  ASSERT_EQ(pods->size(), 3u);
  EXPECT_EQ((*pods)[0].total_gpu_milli(), 460);
  EXPECT_EQ((*pods)[1].gpu_spec, (std::vector<std::string>{"V100M16", "V100M32"}));
  EXPECT_EQ((*pods)[1].deletion_time, 0);  // still running
  Request fraction = AlibabaPodRequest((*pods)[0]);
  EXPECT_EQ(fraction.member.resources[kGpu], 460);
  EXPECT_EQ(fraction.member.resources[kCpu], 12000);
  Request whole = AlibabaPodRequest((*pods)[1]);
  EXPECT_EQ(whole.member.resources[kGpu], 2000);
  EXPECT_EQ(whole.gpu_models.size(), 2u);
  EXPECT_EQ(AlibabaPodRequest((*pods)[2]).member.resources[kGpu], 0);
}

TEST(AlibabaTrace, BadPodsNameFileLineAndColumn) {
  std::string bad_number =
      WriteFile("bad1.csv", std::string(kPodHeader) + "p0,12k,16384,1,460,,LS,Running,0,1,0\n");
  Result<std::vector<AlibabaPod>> pods = LoadAlibabaPods(bad_number);
  ASSERT_FALSE(pods.ok());
  EXPECT_NE(pods.status().message().find("bad1.csv:2:2 (cpu_milli)"), std::string::npos)
      << pods.status().message();

  std::string negative =
      WriteFile("bad2.csv", std::string(kPodHeader) + "p0,1000,-5,1,460,,LS,Running,0,1,0\n");
  pods = LoadAlibabaPods(negative);
  ASSERT_FALSE(pods.ok());
  EXPECT_NE(pods.status().message().find("bad2.csv:2:3 (memory_mib): must be >= 0"),
            std::string::npos)
      << pods.status().message();

  std::string inconsistent =
      WriteFile("bad3.csv", std::string(kPodHeader) + "p0,1000,5,2,460,,LS,Running,0,1,0\n");
  pods = LoadAlibabaPods(inconsistent);
  ASSERT_FALSE(pods.ok());
  EXPECT_NE(pods.status().message().find("bad3.csv:2:5 (gpu_milli)"), std::string::npos);

  std::string missing = WriteFile("bad4.csv", "name,cpu_milli\np0,1\n");
  pods = LoadAlibabaPods(missing);
  ASSERT_FALSE(pods.ok());
  EXPECT_NE(pods.status().message().find("missing column 'memory_mib'"), std::string::npos);

  EXPECT_EQ(LoadAlibabaPods("/nonexistent/pods.csv").status().code(), StatusCode::kNotFound);
}

// The column sets of the published variants (FGD's artifact): the default
// and gpuspec/gpushare/cpu files carry all eleven columns, the multigpu ones
// only the five resource columns; any order, extra columns ignored.
TEST(AlibabaTrace, ReadsEveryPublishedColumnSet) {
  struct Case {
    const char* name;
    std::string text;
  } cases[] = {
      {"full.csv", std::string(kPodHeader) + "p0,6000,8192,1,500,T4,LS,Running,3,9,4\n"},
      {"resources_only.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\np0,6000,8192,1,500\n"},
      {"no_spec.csv",
       "name,cpu_milli,memory_mib,num_gpu,gpu_milli,qos,creation_time\np0,6000,8192,1,500,BE,3\n"},
      {"reordered.csv",
       "gpu_milli,extra,num_gpu,memory_mib,cpu_milli,name\n500,x,1,8192,6000,p0\n"},
  };
  for (const Case& c : cases) {
    Result<std::vector<AlibabaPod>> pods = LoadAlibabaPods(WriteFile(c.name, c.text));
    ASSERT_TRUE(pods.ok()) << c.name << ": " << pods.status().ToString();
    ASSERT_EQ(pods->size(), 1u) << c.name;
    const AlibabaPod& pod = pods->front();
    EXPECT_EQ(pod.name, "p0");
    EXPECT_EQ(pod.cpu_milli, 6000) << c.name;
    EXPECT_EQ(pod.memory_mib, 8192) << c.name;
    EXPECT_EQ(pod.total_gpu_milli(), 500) << c.name;
  }
  Result<std::vector<AlibabaPod>> full = LoadAlibabaPods(WriteFile("full.csv", cases[0].text));
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->front().gpu_spec, std::vector<std::string>{"T4"});
  EXPECT_EQ(full->front().creation_time, 3);
  EXPECT_EQ(full->front().scheduled_time, 4);
  Result<std::vector<AlibabaPod>> bare = LoadAlibabaPods(WriteFile("bare.csv", cases[1].text));
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->front().gpu_spec.empty());
  EXPECT_EQ(bare->front().qos, "");
  EXPECT_EQ(bare->front().creation_time, 0);
  EXPECT_EQ(bare->front().scheduled_time, -1);

  for (const char* missing : {"name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"}) {
    std::string header, row;
    for (const char* column : {"name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli"}) {
      if (std::string(column) == missing) continue;
      header += std::string(header.empty() ? "" : ",") + column;
      row += std::string(row.empty() ? "" : ",") + (std::string(column) == "name" ? "p0" : "1");
    }
    Result<std::vector<AlibabaPod>> pods =
        LoadAlibabaPods(WriteFile("missing.csv", header + "\n" + row + "\n"));
    ASSERT_FALSE(pods.ok()) << missing;
    EXPECT_NE(pods.status().message().find(std::string("missing column '") + missing + "'"),
              std::string::npos)
        << pods.status().message();
    EXPECT_NE(pods.status().message().find("needs name, cpu_milli"), std::string::npos);
  }
}

TEST(AlibabaTrace, NodesBecomePoolsPerModel) {
  std::string path = WriteFile("nodes.csv",
                               "sn,cpu_milli,memory_mib,gpu,model\n"
                               "n0,64000,262144,2,P100\n"
                               "n1,96000,393216,8,G2\n"
                               "n2,32000,262144,0,\n"
                               "n3,64000,262144,2,P100\n");
  Result<Inventory> inventory = LoadAlibabaNodes(path);
  ASSERT_TRUE(inventory.ok()) << inventory.status().ToString();
  ASSERT_EQ(inventory->pools.size(), 3u);
  EXPECT_EQ(inventory->nodes[3].pool, inventory->nodes[0].pool);
  EXPECT_EQ(inventory->nodes[1].capacity[kGpu], 8000);
  EXPECT_EQ(inventory->nodes[1].devices[0].mode, DeviceMode::kShared);
  EXPECT_EQ(inventory->pools[inventory->nodes[2].pool].gpu_model, -1);

  std::string no_model = WriteFile("nodes2.csv", "sn,cpu_milli,memory_mib,gpu,model\nn0,1,1,2,\n");
  Result<Inventory> bad = LoadAlibabaNodes(no_model);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("nodes2.csv:2:5 (model)"), std::string::npos);
}

// A small cluster where the experiment's bookkeeping can be checked by hand.
TEST(FillExperiment, DeterministicAndAccountedOnASmallTrace) {
  std::string nodes = WriteFile("fill_nodes.csv",
                                "sn,cpu_milli,memory_mib,gpu,model\n"
                                "n0,32000,131072,4,T4\n"
                                "n1,32000,131072,4,T4\n");
  std::string pods_text = kPodHeader;
  const char* rows[] = {"a,4000,8192,1,500,,LS,Running,0,1,0",
                        "b,8000,8192,1,1000,,LS,Running,1,2,1", "c,2000,4096,0,0,,BE,Running,2,3,2",
                        "d,16000,8192,2,1000,,LS,Running,3,4,3",
                        "e,4000,8192,1,250,,BE,Running,4,5,4"};
  for (const char* row : rows) pods_text += std::string(row) + "\n";
  std::string pods_path = WriteFile("fill_pods.csv", pods_text);
  Result<Inventory> inventory = LoadAlibabaNodes(nodes);
  Result<std::vector<AlibabaPod>> pods = LoadAlibabaPods(pods_path);
  ASSERT_TRUE(inventory.ok() && pods.ok());

  for (PlacementKind kind :
       {PlacementKind::kFirstFit, PlacementKind::kBestFit, PlacementKind::kFragAware}) {
    FillOptions options;
    options.seed = 5;
    options.placement.kind = kind;
    Result<FillResult> first = RunFillExperiment(*inventory, *pods, options);
    Result<FillResult> second = RunFillExperiment(*inventory, *pods, options);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->arrived_milli, second->arrived_milli);
    EXPECT_EQ(first->allocated_milli, second->allocated_milli);
    EXPECT_EQ(first->capacity_milli, 8000);
    // Arrivals stop before 1.3 x capacity; allocation never exceeds arrival
    // or capacity, and never decreases (pods never leave).
    EXPECT_LE(first->arrived_milli.back(), 10400);
    for (size_t i = 0; i < first->arrived_milli.size(); ++i) {
      EXPECT_LE(first->allocated_milli[i], first->arrived_milli[i]);
      EXPECT_LE(first->allocated_milli[i], first->capacity_milli);
      if (i > 0) {
        EXPECT_GE(first->allocated_milli[i], first->allocated_milli[i - 1]);
      }
    }
  }
  FillOptions other;
  other.seed = 6;
  Result<FillResult> reseeded = RunFillExperiment(*inventory, *pods, other);
  FillOptions same;
  same.seed = 5;
  Result<FillResult> base = RunFillExperiment(*inventory, *pods, same);
  ASSERT_TRUE(reseeded.ok() && base.ok());
  EXPECT_NE(reseeded->arrived_milli, base->arrived_milli);  // the seed changes the order
}

TEST(FillResult, AllocatedAtArrivedPercentAveragesTheRoundedBucket) {
  FillResult result;
  result.capacity_milli = 1000;
  result.arrived_milli = {900, 996, 1000, 1004, 1006};
  result.allocated_milli = {900, 950, 960, 970, 980};
  // 99.6%, 100.0%, 100.4% round to 100; 100.6% rounds to 101.
  EXPECT_DOUBLE_EQ(result.AllocatedAtArrivedPercent(100), (95.0 + 96.0 + 97.0) / 3);
  EXPECT_DOUBLE_EQ(result.AllocatedAtArrivedPercent(90), 90.0);
  EXPECT_DOUBLE_EQ(result.AllocatedAtArrivedPercent(50), -1.0);
}

// The real trace loads: 1,213 GPU nodes with 6,212 GPUs, 8,152 pods.
TEST(AlibabaTrace, RealTraceLoads) {
  std::string dir = testing::TracesDir() + "/alibaba-gpu-2023";
  Result<Inventory> inventory = LoadAlibabaNodes(dir + "/openb_node_list_gpu_node.csv");
  if (!inventory.ok() && inventory.status().code() == StatusCode::kNotFound) {
    GTEST_SKIP() << "traces not present beside the checkout";
  }
  ASSERT_TRUE(inventory.ok()) << inventory.status().ToString();
  int64_t gpus = 0;
  for (const Node& node : inventory->nodes) gpus += static_cast<int64_t>(node.devices.size());
  EXPECT_EQ(inventory->nodes.size(), 1213u);
  EXPECT_EQ(gpus, 6212);
  Result<std::vector<AlibabaPod>> pods = LoadAlibabaPods(dir + "/openb_pod_list_default.csv");
  ASSERT_TRUE(pods.ok()) << pods.status().ToString();
  EXPECT_EQ(pods->size(), 8152u);
}

}  // namespace
}  // namespace allot
