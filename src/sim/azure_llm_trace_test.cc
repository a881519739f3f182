#include <gtest/gtest.h>

#include <string>

#include "sim/trace_readers.h"

namespace allot {
namespace {

const char* kHeader = "TIMESTAMP,ContextTokens,GeneratedTokens\n";

std::string Message(const Result<Workload>& result) {
  return result.ok() ? "ok" : result.status().message();
}

TEST(AzureLlmTrace, EachRequestLeasesOneSlotForItsTokenTime) {
  std::string text = std::string(kHeader) +
                     "2023-11-16 18:17:03.9799600,4808,10\n"
                     "2023-11-16 18:17:03.9799600,0,0\n"
                     "2023-11-16 18:17:04.0781490,110,27\n";
  WorkloadOptions options;
  options.tenant = "coding-assistant";
  options.priority_class = "batch";
  Result<Workload> workload =
      ParseAzureLlmWorkload(text, "AzureLLMInferenceTrace_code.csv", options);
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  ASSERT_EQ(workload->jobs.size(), 3u);
  const SimJob& first = workload->jobs[0];
  EXPECT_EQ(first.name, "AzureLLMInferenceTrace_code.csv:2");
  EXPECT_EQ(first.submit, Seconds(1'700'158'623) + 979'960);
  // 50 ms + 4808 x 0.1 ms + 10 x 20 ms.
  EXPECT_EQ(first.duration, 50'000 + 480'800 + 200'000);
  EXPECT_EQ(first.request.member.resources[kSlots], 1);
  EXPECT_EQ(first.request.member.resources[kGpu], 0);
  EXPECT_EQ(first.request.model, "llama-3.1-70b");
  EXPECT_EQ(first.request.input_tokens, 4808);
  EXPECT_EQ(first.request.max_output_tokens, 10);
  EXPECT_EQ(first.output_tokens, 10);
  EXPECT_EQ(first.request.tenant, "coding-assistant");
  EXPECT_EQ(first.request.priority_class, "batch");
  EXPECT_EQ(workload->jobs[1].duration, 50'000);  // an empty call still costs the overhead
  EXPECT_EQ(workload->jobs[2].submit, Seconds(1'700'158'624) + 78'149);
  EXPECT_EQ(workload->skipped, 0);

  WorkloadOptions custom;
  custom.model = "small";
  custom.token_timing = {.prefill_per_token = 0, .decode_per_token = 1'000, .overhead = 0};
  workload = ParseAzureLlmWorkload(text, "code.csv", custom);
  ASSERT_TRUE(workload.ok());
  EXPECT_EQ(workload->jobs[0].duration, 10'000);
  EXPECT_EQ(workload->jobs[1].duration, 1);  // durations stay > 0
  EXPECT_EQ(workload->jobs[0].request.model, "small");
  EXPECT_EQ(workload->jobs[0].request.tenant, "");
}

TEST(AzureLlmTrace, ErrorsNameFileLineAndColumn) {
  auto parse = [](const std::string& rows) {
    return ParseAzureLlmWorkload(std::string(kHeader) + rows, "c.csv", {});
  };
  EXPECT_EQ(Message(parse("2023-11-16 18:17:04.5,1,1\n2023-11-16 18:17:04.4,1,1\n")),
            "c.csv:3:1 (TIMESTAMP): time goes backwards (previous row, line 2, has "
            "'2023-11-16 18:17:04.5')");
  EXPECT_EQ(Message(parse("2023-11-16 18:17:04,1.5,1\n")),
            "c.csv:2:2 (ContextTokens): '1.5' is not a whole number");
  EXPECT_EQ(Message(parse("2023-11-16 18:17:04,1,-1\n")),
            "c.csv:2:3 (GeneratedTokens): must be 0 to 1073741824 tokens");
  EXPECT_NE(Message(parse("yesterday,1,1\n")).find("c.csv:2:1 (TIMESTAMP): 'yesterday'"),
            std::string::npos);
  EXPECT_EQ(Message(ParseAzureLlmWorkload("TIMESTAMP,ContextTokens\n", "c.csv", {})),
            "c.csv:1: missing column 'GeneratedTokens'");
}

}  // namespace
}  // namespace allot
