// The Azure LLM inference reader: one hour of requests to two production
// services (Azure/AzurePublicDataset, AzureLLMInferenceTrace_{code,conv}.csv).
#include <fmt/format.h>

#include <algorithm>

#include "common/resources.h"
#include "sim/trace_parsing.h"
#include "sim/trace_readers.h"

namespace allot {
namespace {

// Token counts are bounded so that the timing formula cannot overflow.
constexpr int64_t kMaxTokens = int64_t{1} << 30;

}  // namespace

// Columns TIMESTAMP ("2023-11-16 18:17:03.9799600", UTC, digits below a
// microsecond dropped), ContextTokens, GeneratedTokens. Each row is a model
// call leasing one endpoint slot:
//   request  slots 1, model = options.model, input_tokens = ContextTokens,
//            max_output_tokens = GeneratedTokens (the trace records what was
//            generated, the best bound a caller could have given)
//   output_tokens GeneratedTokens
//   duration options.token_timing (trace_readers.h)
//   tenant, class from the options; estimate 0.
// The published files are in time order; a row earlier than the one before is
// an error. Nothing is skipped.
Result<Workload> ParseAzureLlmWorkload(std::string_view text, const std::string& file,
                                       const WorkloadOptions& options) {
  Result<CsvTable> table = CsvTable::Parse(text, file);
  if (!table.ok()) return table.status();
  Result<std::vector<size_t>> columns =
      trace_internal::RequiredColumns(*table, {"TIMESTAMP", "ContextTokens", "GeneratedTokens"});
  if (!columns.ok()) return columns.status();
  const size_t timestamp = (*columns)[0], context = (*columns)[1], generated = (*columns)[2];
  const TokenTiming& timing = options.token_timing;
  if (timing.prefill_per_token < 0 || timing.decode_per_token < 0 || timing.overhead < 0 ||
      timing.prefill_per_token + timing.decode_per_token + timing.overhead == 0 ||
      timing.prefill_per_token > Seconds(60) || timing.decode_per_token > Seconds(60) ||
      timing.overhead > Seconds(3600)) {
    return InvalidArgument(
        "azure-llm token timing: per-token times must be 0 to 60 s and the overhead 0 to 1 h, "
        "not all 0");
  }

  Workload workload;
  workload.source = trace_internal::BaseName(file);
  workload.jobs.reserve(table->rows());
  for (size_t row = 0; row < table->rows(); ++row) {
    SimJob job;
    if (!trace_internal::ParseUtcTimestamp(table->Field(row, timestamp), &job.submit)) {
      return InvalidArgument(fmt::format("{}: '{}' is not a time YYYY-MM-DD HH:MM:SS.fffffff",
                                         table->Where(row, timestamp),
                                         table->Field(row, timestamp)));
    }
    if (row > 0 && job.submit < workload.jobs.back().submit) {
      return trace_internal::TimeGoesBackwards(*table, row, row - 1, timestamp);
    }
    int64_t tokens[2] = {0, 0};
    const size_t token_columns[2] = {context, generated};
    for (int i = 0; i < 2; ++i) {
      Result<int64_t> value = table->Integer(row, token_columns[i]);
      if (!value.ok()) return value.status();
      if (*value < 0 || *value > kMaxTokens) {
        return InvalidArgument(fmt::format("{}: must be 0 to {} tokens",
                                           table->Where(row, token_columns[i]), kMaxTokens));
      }
      tokens[i] = *value;
    }
    job.name = fmt::format("{}:{}", workload.source, table->Line(row));
    // At most 2^30 tokens x 60 s = 2^30 * 6e7 us, about 6.4e16 < 9.2e18.
    // Durations are > 0 even for an empty call under an all-per-token model.
    job.duration = std::max<Duration>(1, timing.overhead + timing.prefill_per_token * tokens[0] +
                                             timing.decode_per_token * tokens[1]);
    job.request.member.resources[kSlots] = 1;
    job.request.model = options.model;
    job.request.input_tokens = tokens[0];
    job.request.max_output_tokens = tokens[1];
    job.output_tokens = tokens[1];
    workload.jobs.push_back(std::move(job));
  }
  trace_internal::ApplyDefaults(options, &workload);
  return workload;
}

}  // namespace allot
