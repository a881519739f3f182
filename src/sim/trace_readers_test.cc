#include "sim/trace_readers.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "sim/trace_parsing.h"
#include "testing/test_paths.h"

namespace allot {
namespace {

// Asserts that `result` failed with a message containing `part`.
template <typename T>
void ExpectError(const Result<T>& result, const std::string& part) {
  ASSERT_FALSE(result.ok()) << "expected an error containing '" << part << "'";
  EXPECT_NE(result.status().message().find(part), std::string::npos) << result.status().message();
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
}

TEST(TraceFormat, ParsesEveryNameAndRejectsOthers) {
  for (TraceFormat format : {TraceFormat::kAlibaba, TraceFormat::kPhilly, TraceFormat::kAzureLlm,
                             TraceFormat::kCsv, TraceFormat::kSynthetic}) {
    TraceFormat parsed = TraceFormat::kCsv;
    ASSERT_TRUE(ParseTraceFormat(TraceFormatName(format), &parsed)) << TraceFormatName(format);
    EXPECT_EQ(parsed, format);
  }
  TraceFormat format = TraceFormat::kCsv;
  EXPECT_TRUE(ParseTraceFormat("azure-llm", &format));
  EXPECT_EQ(format, TraceFormat::kAzureLlm);
  EXPECT_FALSE(ParseTraceFormat("azure_llm", &format));
  EXPECT_FALSE(ParseTraceFormat("", &format));
}

TEST(TraceFormat, EpochIsJulyFirst2023) {
  Time epoch = 0;
  ASSERT_TRUE(trace_internal::ParseUtcTimestamp("2023-07-01 00:00:00", &epoch));
  EXPECT_EQ(epoch, kTraceEpoch);
}

TEST(TraceFormat, TimestampsAreUtcMicroseconds) {
  Time t = 0;
  ASSERT_TRUE(trace_internal::ParseUtcTimestamp("1970-01-01 00:00:01", &t));
  EXPECT_EQ(t, 1'000'000);
  // Seven fractional digits: the 100 ns digit is dropped.
  ASSERT_TRUE(trace_internal::ParseUtcTimestamp("2023-11-16 18:17:03.9799637", &t));
  EXPECT_EQ(t, Seconds(1'700'158'623) + 979'963);
  ASSERT_TRUE(trace_internal::ParseUtcTimestamp("2024-02-29 23:59:59.5", &t));
  EXPECT_EQ(t, Seconds(1'709'251'199) + 500'000);
  for (const char* bad :
       {"2023-02-29 00:00:00", "2023-13-01 00:00:00", "2023-01-01 24:00:00", "2023-01-01T00:00:00",
        "2023-01-01 00:00", "2023-01-01 00:00:00.", "2023-01-01 00:00:00x", "23-01-01 00:00:00"}) {
    EXPECT_FALSE(trace_internal::ParseUtcTimestamp(bad, &t)) << bad;
  }
}

const char* kPodHeader =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
    "deletion_time,scheduled_time\n";

TEST(AlibabaWorkload, MapsPodsToJobs) {
  std::string text = std::string(kPodHeader) +
                     "p0,12000,16384,1,460,,LS,Running,0,100,10\n"
                     "p1,6000,8192,2,1000,V100M16|V100M32,BE,Running,5,50,5\n"
                     "p2,4000,4096,0,0,,Burstable,Pending,6,20,\n"     // never scheduled
                     "p3,4000,4096,0,0,,Guaranteed,Succeeded,9,9,9\n"  // deletion <= creation
                     "p4,1000,1024,1,1000,,Guaranteed,Succeeded,9,30,9\n";
  WorkloadOptions options;
  options.tenant = "alibaba";
  Result<Workload> workload = ParseAlibabaWorkload(text, "dir/pods.csv", options);
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  EXPECT_EQ(workload->source, "pods.csv");
  ASSERT_EQ(workload->jobs.size(), 3u);
  const SimJob& first = workload->jobs[0];
  EXPECT_EQ(first.name, "p0");
  EXPECT_EQ(first.submit, kTraceEpoch);
  EXPECT_EQ(first.duration, Seconds(90));  // deletion - scheduled
  EXPECT_EQ(first.request.priority_class, "latency_critical");
  EXPECT_EQ(first.request.tenant, "alibaba");  // the trace has none: the option's
  EXPECT_EQ(first.request.member.resources[kGpu], 460);
  EXPECT_EQ(first.request.member.resources[kCpu], 12000);
  EXPECT_EQ(first.request.member.resources[kMemory], 16384);
  EXPECT_EQ(first.request.estimate, 0);
  const SimJob& second = workload->jobs[1];
  EXPECT_EQ(second.submit, kTraceEpoch + Seconds(5));
  EXPECT_EQ(second.duration, Seconds(45));
  EXPECT_EQ(second.request.priority_class, "best_effort");
  EXPECT_EQ(second.request.member.resources[kGpu], 2000);
  EXPECT_EQ(second.request.gpu_models, (std::vector<std::string>{"V100M16", "V100M32"}));
  EXPECT_EQ(workload->jobs[2].request.priority_class, "guaranteed");
  EXPECT_EQ(workload->skipped, 2);
  ASSERT_EQ(workload->skip_summary.size(), 2u);
  EXPECT_NE(workload->skip_summary[0].find("1 rows never scheduled"), std::string::npos);
  EXPECT_EQ(workload->reordered, 0);

  WorkloadOptions shifted;
  shifted.epoch = Seconds(1000);
  workload = ParseAlibabaWorkload(text, "pods.csv", shifted);
  ASSERT_TRUE(workload.ok());
  EXPECT_EQ(workload->jobs[1].submit, Seconds(1005));
  EXPECT_EQ(workload->jobs[1].request.tenant, "");
}

TEST(AlibabaWorkload, RejectsUnsortedRowsUnknownQosAndMissingColumns) {
  ExpectError(
      ParseAlibabaWorkload(std::string(kPodHeader) + "p0,1000,1024,0,0,,LS,Running,10,100,10\n"
                                                     "p1,1000,1024,0,0,,LS,Running,9,100,9\n",
                           "pods.csv", {}),
      "pods.csv:3:9 (creation_time): time goes backwards (previous row, line 2, has '10')");
  ExpectError(
      ParseAlibabaWorkload(std::string(kPodHeader) + "p0,1000,1024,0,0,,Spot,Running,10,100,10\n",
                           "pods.csv", {}),
      "pods.csv:2:7 (qos): unknown qos 'Spot'");
  ExpectError(ParseAlibabaWorkload("name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,"
                                   "creation_time,deletion_time\np0,1,1,0,0,,LS,0,1\n",
                                   "pods.csv", {}),
              "pods.csv:1: missing column 'scheduled_time'");
  ExpectError(
      ParseAlibabaWorkload(std::string(kPodHeader) + "p0,1000,1024,0,0,,LS,Running,1x,100,10\n",
                           "pods.csv", {}),
      "pods.csv:2:9 (creation_time): '1x' is not a whole number");
}

TEST(MergeWorkloads, MergesBySubmitTimeAndKeepsNamesUnique) {
  auto job = [](std::string name, Time submit) {
    SimJob result;
    result.name = std::move(name);
    result.submit = submit;
    result.duration = 1;
    return result;
  };
  Workload code;
  code.source = "code.csv";
  code.jobs = {job("a", 1), job("b", 3), job("c", 3)};
  code.skipped = 2;
  code.skip_summary = {"2 rows bad"};
  Workload conv;
  conv.source = "conv.csv";
  conv.jobs = {job("a", 0), job("b", 3), job("c", 4)};
  conv.reordered = 5;
  Workload merged = MergeWorkloads({code, conv});
  std::vector<std::string> names;
  for (const SimJob& j : merged.jobs) names.push_back(j.name);
  EXPECT_EQ(names, (std::vector<std::string>{"1/a", "0/a", "0/b", "0/c", "1/b", "1/c"}));
  EXPECT_EQ(merged.source, "code.csv+conv.csv");
  EXPECT_EQ(merged.skipped, 2);
  EXPECT_EQ(merged.reordered, 5);
  EXPECT_EQ(merged.skip_summary, (std::vector<std::string>{"code.csv: 2 rows bad"}));
  // One workload passes through untouched.
  EXPECT_EQ(MergeWorkloads({code}).jobs[0].name, "a");
  EXPECT_TRUE(MergeWorkloads({}).jobs.empty());
}

TEST(LoadWorkload, ReadsFilesAndReportsMissingOnes) {
  std::string path = ::testing::TempDir() + "/load_workload.csv";
  std::ofstream(path) << "submit_s,duration_s,gpu\n0,10,1\n";
  Result<Workload> workload = LoadWorkload(TraceFormat::kCsv, path, {});
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  EXPECT_EQ(workload->jobs.size(), 1u);
  EXPECT_EQ(workload->source, "load_workload.csv");
  for (TraceFormat format : {TraceFormat::kAlibaba, TraceFormat::kPhilly, TraceFormat::kAzureLlm,
                             TraceFormat::kCsv, TraceFormat::kSynthetic}) {
    EXPECT_EQ(LoadWorkload(format, "/nonexistent/trace", {}).status().code(),
              StatusCode::kNotFound);
  }
}

// The published traces load with the documented counts. Skipped when the
// traces are not beside the checkout.
Result<Workload> LoadReal(TraceFormat format, const std::string& relative,
                          const WorkloadOptions& options = {}) {
  return LoadWorkload(format, testing::TracesDir() + "/" + relative, options);
}

TEST(RealTraces, AlibabaPods) {
  Result<Workload> workload =
      LoadReal(TraceFormat::kAlibaba, "alibaba-gpu-2023/openb_pod_list_default.csv");
  if (workload.status().code() == StatusCode::kNotFound) GTEST_SKIP() << "traces not present";
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  // 8,152 pods, of which 897 are Pending: never scheduled (one of them also
  // has deletion_time == creation_time).
  EXPECT_EQ(workload->skipped, 897);
  EXPECT_EQ(workload->skip_summary.size(), 1u);
  EXPECT_EQ(workload->jobs.size(), 8152u - 897u);
  EXPECT_EQ(workload->reordered, 0);
  EXPECT_EQ(workload->jobs.front().submit, kTraceEpoch);
}

TEST(RealTraces, Philly) {
  Result<Workload> workload = LoadReal(TraceFormat::kPhilly, "philly-pollux/philly.csv");
  if (workload.status().code() == StatusCode::kNotFound) GTEST_SKIP() << "traces not present";
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  // No row has duration <= 0 or no GPUs; 7 gangs (12 or 24 GPUs) are rounded
  // up to whole 8-GPU members; 44,878 rows come earlier than the row before.
  EXPECT_EQ(workload->skipped, 0);
  EXPECT_EQ(workload->jobs.size(), 82247u);
  EXPECT_EQ(workload->reordered, 44878);
  ASSERT_EQ(workload->skip_summary.size(), 1u);
  EXPECT_NE(workload->skip_summary[0].find("7 rows with num_gpus > 8"), std::string::npos);
  for (size_t i = 1; i < workload->jobs.size(); ++i) {
    ASSERT_LE(workload->jobs[i - 1].submit, workload->jobs[i].submit);
  }
  int64_t tenants_6214e9 = 0;
  for (const SimJob& job : workload->jobs) tenants_6214e9 += job.request.tenant == "vc-6214e9";
  EXPECT_EQ(tenants_6214e9, 41226);
}

TEST(RealTraces, AzureLlm) {
  Result<Workload> code =
      LoadReal(TraceFormat::kAzureLlm, "azure-llm-2023/AzureLLMInferenceTrace_code.csv");
  if (code.status().code() == StatusCode::kNotFound) GTEST_SKIP() << "traces not present";
  ASSERT_TRUE(code.ok()) << code.status().ToString();
  EXPECT_EQ(code->jobs.size(), 8819u);
  WorkloadOptions realtime;
  realtime.priority_class = "realtime";
  Result<Workload> conv =
      LoadReal(TraceFormat::kAzureLlm, "azure-llm-2023/AzureLLMInferenceTrace_conv.csv", realtime);
  ASSERT_TRUE(conv.ok()) << conv.status().ToString();
  EXPECT_EQ(conv->jobs.size(), 19366u);
  EXPECT_EQ(code->skipped + conv->skipped, 0);
  Workload both = MergeWorkloads({*code, *conv});
  EXPECT_EQ(both.jobs.size(), 8819u + 19366u);
  EXPECT_EQ(both.jobs.front().request.priority_class, "realtime");  // conv starts earlier
}

}  // namespace
}  // namespace allot
