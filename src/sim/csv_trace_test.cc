#include <gtest/gtest.h>

#include <string>

#include "sim/trace_readers.h"

namespace allot {
namespace {

std::string Message(const Result<Workload>& result) {
  return result.ok() ? "ok" : result.status().message();
}

TEST(CsvTrace, ReadsEveryColumn) {
  std::string text =
      "submit_s,duration_s,gpu,name,tenant,class,members,cpu,memory,gpu_model,pool,estimate_s,"
      "model,input_tokens,output_tokens\n"
      "0,10.5,0.5,train-1,team-a,batch,1,4,16Gi,A100-80GB|H100-80GB,gpu,20,,,\n"
      "1.25,60,8,,team-b,,2,0.5,512,,,,,,\n"
      "1.25,3,0,,,,,,,,,,llama,100,20\n";
  WorkloadOptions options;
  options.priority_class = "default-class";
  options.epoch = Seconds(100);
  Result<Workload> workload = ParseCsvWorkload(text, "jobs.csv", options);
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  ASSERT_EQ(workload->jobs.size(), 3u);
  const SimJob& a = workload->jobs[0];
  EXPECT_EQ(a.name, "train-1");
  EXPECT_EQ(a.submit, Seconds(100));
  EXPECT_EQ(a.duration, 10'500'000);
  EXPECT_EQ(a.request.member.resources[kGpu], 500);
  EXPECT_EQ(a.request.member.resources[kCpu], 4000);
  EXPECT_EQ(a.request.member.resources[kMemory], 16 * 1024);
  EXPECT_EQ(a.request.gpu_models, (std::vector<std::string>{"A100-80GB", "H100-80GB"}));
  EXPECT_EQ(a.request.pool, "gpu");
  EXPECT_EQ(a.request.estimate, Seconds(20));
  EXPECT_EQ(a.request.tenant, "team-a");
  EXPECT_EQ(a.request.priority_class, "batch");
  const SimJob& b = workload->jobs[1];
  EXPECT_EQ(b.name, "jobs.csv:3");
  EXPECT_EQ(b.submit, Seconds(100) + 1'250'000);
  EXPECT_EQ(b.request.members, 2);
  EXPECT_EQ(b.request.member.resources[kGpu], 8000);
  EXPECT_EQ(b.request.member.resources[kCpu], 500);
  EXPECT_EQ(b.request.member.resources[kMemory], 512);
  EXPECT_EQ(b.request.priority_class, "default-class");
  EXPECT_EQ(b.request.estimate, 0);
  const SimJob& c = workload->jobs[2];
  EXPECT_EQ(c.request.model, "llama");
  EXPECT_EQ(c.request.input_tokens, 100);
  EXPECT_EQ(c.request.max_output_tokens, 20);
  EXPECT_EQ(c.output_tokens, 20);
  EXPECT_EQ(c.request.members, 1);
  EXPECT_EQ(workload->skipped, 0);
}

TEST(CsvTrace, SlotsColumnGivesConcurrencySlotsPerMember) {
  std::string text =
      "submit_s,duration_s,gpu,model,members,slots\n"
      "0,1,0,llama,,\n"   // a model call: one slot by default
      "0,1,0,llama,,4\n"  // four slots (a batch of four)
      "0,1,1,,2,3\n"      // three slots on each of two members
      "0,1,1,,,\n";       // no model: none
  Result<Workload> workload = ParseCsvWorkload(text, "j.csv", {});
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  ASSERT_EQ(workload->jobs.size(), 4u);
  EXPECT_EQ(workload->jobs[0].request.member.resources[kSlots], 1);
  EXPECT_EQ(workload->jobs[1].request.member.resources[kSlots], 4);
  EXPECT_EQ(workload->jobs[2].request.member.resources[kSlots], 3);
  EXPECT_EQ(workload->jobs[2].request.members, 2);
  EXPECT_EQ(workload->jobs[3].request.member.resources[kSlots], 0);
  auto parse = [](const std::string& slots) {
    return ParseCsvWorkload("submit_s,duration_s,gpu,slots\n0,1,0," + slots + "\n", "j.csv", {});
  };
  EXPECT_EQ(Message(parse("-1")),
            "j.csv:2:4 (slots): must be a whole number of slots, 0 to "
            "1048576, got -1");
  EXPECT_EQ(Message(parse("1.5")), "j.csv:2:4 (slots): '1.5' is not a whole number");
  EXPECT_EQ(Message(parse("2000000")),
            "j.csv:2:4 (slots): must be a whole number of slots, 0 "
            "to 1048576, got 2000000");
}

TEST(CsvTrace, DefaultEpochIsTheTraceEpoch) {
  Result<Workload> workload = ParseCsvWorkload("gpu,submit_s,duration_s\n1,2,3\n", "j.csv", {});
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  EXPECT_EQ(workload->jobs[0].submit, kTraceEpoch + Seconds(2));
  EXPECT_EQ(workload->jobs[0].request.member.resources[kGpu], 1000);
}

TEST(CsvTrace, ErrorsNameFileLineAndColumn) {
  auto parse = [](const std::string& rows) {
    return ParseCsvWorkload("submit_s,duration_s,gpu,memory\n" + rows, "j.csv", {});
  };
  EXPECT_EQ(Message(parse("5,1,1,\n4,1,1,\n")),
            "j.csv:3:1 (submit_s): time goes backwards (previous row, line 2, has '5')");
  EXPECT_EQ(Message(parse("0,-1,1,\n")),
            "j.csv:2:2 (duration_s): must be a number of seconds > 0, got '-1'");
  EXPECT_EQ(Message(parse("0,0,1,\n")),
            "j.csv:2:2 (duration_s): must be a number of seconds > 0, got '0'");
  EXPECT_EQ(Message(parse("0,1,x,\n")), "j.csv:2:3 (gpu): must be a number, got 'x'");
  EXPECT_EQ(Message(parse("-1,1,1,\n")), "j.csv:2:1 (submit_s): must be >= 0, got '-1'");
  EXPECT_EQ(Message(parse("0,1,1.5,\n")),
            "j.csv:2:3 (gpu): must be a fraction of one GPU (below 1) or whole GPUs");
  EXPECT_EQ(Message(parse("0,1,1,12Q\n")),
            "j.csv:2:4 (memory): must be a number of MiB or a whole number with one of the "
            "suffixes Mi, Gi, Ti (binary: 1Gi = 1024Mi; such as 512Gi), got '12Q'");
  EXPECT_EQ(Message(ParseCsvWorkload("submit_s,duration_s\n", "j.csv", {})),
            "j.csv:1: missing column 'gpu'");
  EXPECT_NE(Message(ParseCsvWorkload("submit_s,duration_s,gpu,tennant\n", "j.csv", {}))
                .find("j.csv:1:4: unknown column 'tennant' (known: submit_s,"),
            std::string::npos);
  EXPECT_EQ(Message(ParseCsvWorkload("submit_s,duration_s,gpu,gpu\n", "j.csv", {})),
            "j.csv:1:4: column 'gpu' given twice");
  EXPECT_EQ(Message(ParseCsvWorkload("submit_s,duration_s,gpu,members\n0,1,1,0\n", "j.csv", {})),
            "j.csv:2:4 (members): must be 1 to 4096");
}

}  // namespace
}  // namespace allot
