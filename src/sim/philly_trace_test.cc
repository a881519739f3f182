#include <gtest/gtest.h>

#include <string>

#include "sim/trace_readers.h"

namespace allot {
namespace {

const char* kHeader = "timestamp,duration,num_gpus,gpu_time,cluster\n";

std::string Expected(const Result<Workload>& result) {
  return result.ok() ? "ok" : result.status().message();
}

TEST(PhillyTrace, MapsJobsSortsAndCounts) {
  std::string text = std::string(kHeader) +
                     "2017-10-09 07:01:55,66.0,1,66.0,11cb48\n"
                     "2017-10-09 06:13:03,2951.5,4,11806.0,6214e9\n"  // earlier: reordered
                     "2017-10-09 06:13:03,10,16,160,6214e9\n"         // tie keeps file order
                     "2017-10-09 08:00:00,0.0,1,0,6214e9\n"           // duration 0: skipped
                     "2017-10-09 08:00:01,-3,1,0,6214e9\n"            // negative: skipped
                     "2017-10-09 08:00:02,5,12,60,6c71a0\n"           // 12 GPUs: 2 x 8
                     "2017-10-09 08:00:03,5,0,0,6c71a0\n";            // no GPU: skipped
  WorkloadOptions options;
  options.priority_class = "batch";
  Result<Workload> workload = ParsePhillyWorkload(text, "traces/philly.csv", options);
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  ASSERT_EQ(workload->jobs.size(), 4u);
  const SimJob& first = workload->jobs[0];
  EXPECT_EQ(first.name, "philly.csv:3");
  EXPECT_EQ(first.submit, Seconds(1'507'529'583));  // 2017-10-09 06:13:03 UTC
  EXPECT_EQ(first.duration, 2'951'500'000);
  EXPECT_EQ(first.request.tenant, "vc-6214e9");
  EXPECT_EQ(first.request.priority_class, "batch");
  EXPECT_EQ(first.request.members, 1);
  EXPECT_EQ(first.request.member.resources[kGpu], 4000);
  EXPECT_EQ(first.request.member.resources[kCpu], 0);
  EXPECT_EQ(first.request.estimate, 0);
  EXPECT_EQ(workload->jobs[1].name, "philly.csv:4");
  EXPECT_EQ(workload->jobs[1].request.members, 2);
  EXPECT_EQ(workload->jobs[1].request.member.resources[kGpu], 8000);
  EXPECT_EQ(workload->jobs[2].name, "philly.csv:2");
  EXPECT_EQ(workload->jobs[2].request.tenant, "vc-11cb48");
  EXPECT_EQ(workload->jobs[3].request.members, 2);  // 12 GPUs rounded up to 16
  EXPECT_EQ(workload->jobs[3].request.member.resources[kGpu], 8000);
  EXPECT_EQ(workload->reordered, 1);
  EXPECT_EQ(workload->skipped, 3);
  EXPECT_EQ(workload->skip_summary,
            (std::vector<std::string>{
                "2 rows with duration <= 0 skipped", "1 rows with num_gpus 0 skipped",
                "1 rows with num_gpus > 8 not a multiple of 8 rounded up to whole 8-GPU members "
                "(kept)"}));
}

TEST(PhillyTrace, ErrorsNameFileLineAndColumn) {
  auto parse = [](const std::string& row) {
    return ParsePhillyWorkload(std::string(kHeader) + "2017-10-09 07:01:55,66.0,1,66.0,a\n" + row,
                               "p.csv", {});
  };
  EXPECT_NE(Expected(parse("2017-10-09 7:01:55,1,1,1,a\n"))
                .find("p.csv:3:1 (timestamp): '2017-10-09 7:01:55' is not a time"),
            std::string::npos);
  EXPECT_NE(Expected(parse("2017-10-09 07:01:55,1.x,1,1,a\n")).find("p.csv:3:2 (duration)"),
            std::string::npos);
  EXPECT_NE(Expected(parse("2017-10-09 07:01:55,1,two,1,a\n"))
                .find("p.csv:3:3 (num_gpus): 'two' is not a whole number"),
            std::string::npos);
  EXPECT_NE(Expected(parse("2017-10-09 07:01:55,1,-1,1,a\n")).find("p.csv:3:3 (num_gpus)"),
            std::string::npos);
  EXPECT_NE(Expected(parse("2017-10-09 07:01:55,1,1,1,\n")).find("p.csv:3:5 (cluster)"),
            std::string::npos);
  Result<Workload> missing =
      ParsePhillyWorkload("timestamp,duration,gpu_time,cluster\n", "p.csv", {});
  EXPECT_EQ(Expected(missing), "p.csv:1: missing column 'num_gpus'");
}

}  // namespace
}  // namespace allot
