#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "sim/workload.h"

namespace allot {

// The trace readers behind `allot sim --format F --trace PATH`: each turns one
// published trace (or a synthetic spec) into a Workload. docs/sim-traces.md
// describes every mapping, what is skipped and what is sorted.
//
// All functions are pure (no globals, no clock); errors are InvalidArgument
// with "<file>:<line>:<column> (<column name>): why" (NotFound when the file
// cannot be opened). Nothing throws.

enum class TraceFormat { kAlibaba, kPhilly, kAzureLlm, kCsv, kSynthetic };

// "alibaba", "philly", "azure-llm", "csv", "synthetic"; false on anything else.
bool ParseTraceFormat(std::string_view name, TraceFormat* format);
std::string_view TraceFormatName(TraceFormat format);

// Virtual time 0 of the formats whose times are relative (Alibaba, generic
// CSV, synthetic): 2023-07-01T00:00:00Z, so that budget calendars (daily,
// monthly periods) fall on real dates.
inline constexpr Time kTraceEpoch = Seconds(1'688'169'600);

// How long a model call holds one endpoint slot:
//   overhead + prefill_per_token * input tokens + decode_per_token * output tokens.
// The defaults are an assumption, not a measurement: typical published
// per-token latencies of a 70B model served on one 8-GPU replica (prefill
// about 10k tokens/s, about 50 tokens/s per decoding sequence, some tens of
// milliseconds of queueing and network per call).
struct TokenTiming {
  Duration prefill_per_token = 100;    // 0.1 ms
  Duration decode_per_token = 20'000;  // 20 ms
  Duration overhead = 50'000;          // 50 ms
};

struct WorkloadOptions {
  uint64_t seed = 42;        // synthetic: the random source
  Time epoch = kTraceEpoch;  // virtual time 0 of relative-time formats
  // Given to jobs for which the trace names no tenant / priority class (a
  // trace's own mapping wins). The simulator mixes traces by loading each
  // with its own class and merging (MergeWorkloads).
  std::string tenant;
  std::string priority_class;
  // azure-llm: the priced model every call names, and its timing.
  std::string model = "llama-3.1-70b";
  TokenTiming token_timing;
};

// Reads `path` in `format` (synthetic: a YAML spec, generated with
// options.seed).
Result<Workload> LoadWorkload(TraceFormat format, const std::string& path,
                              const WorkloadOptions& options);

// The readers on text already in memory; `file` names it in messages and
// (its base name) in job names "<file>:<line>".
Result<Workload> ParseAlibabaWorkload(std::string_view text, const std::string& file,
                                      const WorkloadOptions& options);
Result<Workload> ParsePhillyWorkload(std::string_view text, const std::string& file,
                                     const WorkloadOptions& options);
Result<Workload> ParseAzureLlmWorkload(std::string_view text, const std::string& file,
                                       const WorkloadOptions& options);
Result<Workload> ParseCsvWorkload(std::string_view text, const std::string& file,
                                  const WorkloadOptions& options);

// One workload of all jobs, ordered by submit time; ties keep the order of
// `workloads`, then each workload's own order. With two or more inputs every
// job name gets the prefix "<k>/" (k = the input's index) so names stay
// unique; counts add up, summaries are prefixed with their source.
Workload MergeWorkloads(std::vector<Workload> workloads);

}  // namespace allot
