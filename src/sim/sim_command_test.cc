// `allot sim` end to end through RunSimCommand: files written, byte-identical
// JSON for the same inputs, and bad input named by file, line and column.
#include "sim/sim_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "sim/published_fill.h"

namespace allot {
namespace {

namespace fs = std::filesystem;

constexpr const char* kConfig = R"(
pools:
  - name: gpu
    gpu_model: H100-80GB
    nodes: [{name_prefix: n, count: 2, cpu: 8, memory: 64Gi, gpus: 4, gpu_mode: shared}]
gpu_models: [{name: H100-80GB, memory: 80Gi}]
classes:
  - {name: interactive, value: 100, wait_objective: 30}
  - {name: batch, value: 0}
tenants:
  - {name: a}
  - {name: b}
)";

class SimCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("sim_command_" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write("cluster.yaml", kConfig);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }
  static std::string Read(const fs::path& path) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }
  SimCommandArgs Args(const std::string& trace, const std::string& out) {
    SimCommandArgs args;
    args.config_path = (dir_ / "cluster.yaml").string();
    args.traces = {trace};
    args.format = "csv";
    args.out_dir = (dir_ / out).string();
    args.quiet = true;
    return args;
  }
  int Run(const SimCommandArgs& args) {
    out_.str("");
    err_.str("");
    return RunSimCommand(args, out_, err_);
  }
  fs::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

std::string Trace() {
  std::string text = "submit_s,duration_s,gpu,tenant,class\n";
  for (int i = 0; i < 300; ++i) {
    text += std::to_string(i * 3) + "," + std::to_string(20 + (i * 53) % 400) + "," +
            (i % 3 == 0 ? "0.5" : std::to_string(1 + i % 4)) + "," + (i % 2 ? "a" : "b") + "," +
            (i % 5 == 0 ? "interactive" : "batch") + "\n";
  }
  return text;
}

TEST_F(SimCommandTest, WritesTheSameJsonForTheSameInputs) {
  std::string trace = Write("jobs.csv", Trace());
  SimCommandArgs args = Args(trace, "one");
  args.policies = "fifo,priority,fair_share";
  ASSERT_EQ(Run(args), 0) << err_.str();
  EXPECT_NE(out_.str().find("fair_share"), std::string::npos);
  args.out_dir = (dir_ / "two").string();
  args.threads = 1;
  ASSERT_EQ(Run(args), 0) << err_.str();
  std::string first = Read(dir_ / "one" / "result.json");
  EXPECT_GT(first.size(), 1000u);
  EXPECT_EQ(first, Read(dir_ / "two" / "result.json"));
  std::string html = Read(dir_ / "one" / "report.html");
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("data-chart=\"queue"), std::string::npos);
}

TEST_F(SimCommandTest, TheSummaryPrintsHumanDurations) {
  SimCommandArgs args = Args(Write("jobs.csv", Trace()), "human");
  args.policies = "fifo,fair_share";
  args.quiet = false;
  ASSERT_EQ(Run(args), 0) << err_.str();
  std::string out = out_.str();
  // Raw seconds ("1299934.0s") are gone; waits and JCTs read as "3h 12m",
  // "45.2 s", "850 ms", and so does the run time on the closing line.
  EXPECT_FALSE(std::regex_search(out, std::regex("[0-9]\\.[0-9]s\\b"))) << out;
  std::regex duration("([0-9]+d( [0-9]+h)?|[0-9]+h( [0-9]+m)?|[0-9]+m( [0-9]+s)?|[0-9.]+ m?s)");
  std::regex row("\\n(fifo|fair_share) +[0-9]+ +[0-9]+ +(.+?) {2,}(.+?) {2,}(.+?) +[0-9.]+ ");
  int rows = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), row); it != std::sregex_iterator();
       ++it, ++rows) {
    for (int column : {2, 3, 4}) {
      EXPECT_TRUE(std::regex_match((*it)[column].str(), duration)) << (*it)[column] << "\n" << out;
    }
  }
  EXPECT_EQ(rows, 2) << out;
  EXPECT_TRUE(std::regex_search(out, std::regex("2 policies in [0-9.]+ m?s; wrote"))) << out;
}

TEST_F(SimCommandTest, FillModeRunsTheExperimentOnTheTrace) {
  SimCommandArgs args = Args(Write("jobs.csv", Trace()), "fill");
  args.mode = "fill";
  args.seeds = 2;
  args.policies = "best_fit,frag_aware";
  ASSERT_EQ(Run(args), 0) << err_.str();
  EXPECT_NE(out_.str().find("(GPU allocated at X% arrived)"), std::string::npos);
  EXPECT_EQ(out_.str().find("-%"), std::string::npos) << out_.str();
  EXPECT_NE(Read(dir_ / "fill" / "result.json").find("\"allocated_at_100\""), std::string::npos);
  // No published figure for a trace that is not one of the artifact's.
  EXPECT_EQ(out_.str().find("published FGD"), std::string::npos);
}

// Beside allot's figures, the fill summary prints the published FGD figures
// at 90/95/100% arrived when the trace is one of the artifact's pod lists
// (recognised by its file name).
TEST_F(SimCommandTest, FillModePrintsThePublishedFgdFigures) {
  SimCommandArgs args = Args(Write("openb_pod_list_default.csv", Trace()), "fill");
  args.mode = "fill";
  args.policies = "best_fit";
  ASSERT_EQ(Run(args), 0) << err_.str();
  EXPECT_NE(out_.str().find("published FGD (ATC'23)         89.98%   94.91%   95.23%"),
            std::string::npos)
      << out_.str();
  const PublishedFill* variant = PublishedFgdFor("openb_pod_list_gpuspec25.csv");
  ASSERT_NE(variant, nullptr);
  EXPECT_EQ(variant->at_100, 93.91);
  EXPECT_EQ(PublishedFgdFor("openb_pod_list_nosuch.csv"), nullptr);
  EXPECT_EQ(PublishedFgdFor("default.csv"), nullptr);
}

TEST_F(SimCommandTest, BadTracesAreNamedByFileLineAndColumn) {
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"submit_s,gpu\n0,1\n", "duration_s"},
           {"submit_s,duration_s,gpu\n0,10,1\n5,ten,1\n", "bad.csv:3:"},
           {"submit_s,duration_s,gpu\n10,10,1\n5,10,1\n", "bad.csv:3:1"},
           {"submit_s,duration_s,gpu\n0,-4,1\n", "bad.csv:2:"},
       }) {
    SimCommandArgs args = Args(Write("bad.csv", c.text), "bad");
    EXPECT_EQ(Run(args), 1) << c.text;
    EXPECT_NE(err_.str().find(c.expected), std::string::npos) << c.text << " -> " << err_.str();
    EXPECT_FALSE(fs::exists(dir_ / "bad" / "result.json"));
  }
}

TEST_F(SimCommandTest, BadOptionsAreRefusedBeforeAnythingRuns) {
  std::string trace = Write("jobs.csv", Trace());
  SimCommandArgs args = Args(trace, "x");
  args.format = "parquet";
  EXPECT_EQ(Run(args), 2);
  EXPECT_NE(err_.str().find("--format"), std::string::npos);
  args = Args(trace, "x");
  args.policies = "fifo,lottery";
  EXPECT_EQ(Run(args), 2);
  EXPECT_NE(err_.str().find("unknown policy 'lottery'"), std::string::npos);
  args = Args(trace, "x");
  args.speedups = {1, 2};
  EXPECT_EQ(Run(args), 1);
  EXPECT_NE(err_.str().find("--speedup: give one value, or one per --trace"), std::string::npos);
  args = Args(trace, "x");
  args.class_if_gpus = {"eight=large"};
  EXPECT_EQ(Run(args), 1);
  EXPECT_NE(err_.str().find("--class-if-gpus"), std::string::npos);
  args = Args(trace, "x");
  args.classes = {"urgent"};  // not in the config
  std::string no_class = "submit_s,duration_s,gpu,tenant\n0,10,1,a\n";
  args.traces = {Write("no_class.csv", no_class)};
  EXPECT_EQ(Run(args), 1);
  EXPECT_NE(err_.str().find("priority class 'urgent'"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "x"));
}

}  // namespace
}  // namespace allot
