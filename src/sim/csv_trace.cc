// The generic CSV reader: a documented format for workloads written by hand
// or converted from other traces (docs/sim-traces.md, "Generic CSV").
#include <fmt/format.h>

#include <array>

#include "common/resources.h"
#include "config/quantity.h"
#include "sim/trace_parsing.h"
#include "sim/trace_readers.h"

namespace allot {
namespace {

// The columns, required ones first. Any other column is an error, so that a
// misspelt optional column is caught instead of silently ignored.
enum Column {
  kSubmitColumn,
  kDurationColumn,
  kGpuColumn,
  kNameColumn,
  kTenantColumn,
  kClassColumn,
  kMembersColumn,
  kCpuColumn,
  kMemoryColumn,
  kGpuModelColumn,
  kPoolColumn,
  kEstimateColumn,
  kModelColumn,
  kInputTokensColumn,
  kOutputTokensColumn,
  kSlotsColumn,
  kColumns
};
constexpr int kRequired = 3;
constexpr std::array<std::string_view, kColumns> kNames = {
    "submit_s", "duration_s",   "gpu",           "name",      "tenant", "class",
    "members",  "cpu",          "memory",        "gpu_model", "pool",   "estimate_s",
    "model",    "input_tokens", "output_tokens", "slots"};

constexpr int64_t kMaxMembers = 4096;
// Slots are whole concurrency units of a node (an inference endpoint replica's
// batch slots, config `slots`); a member holds at most this many.
constexpr int64_t kMaxSlots = int64_t{1} << 20;
constexpr size_t kAbsent = static_cast<size_t>(-1);

}  // namespace

Result<Workload> ParseCsvWorkload(std::string_view text, const std::string& file,
                                  const WorkloadOptions& options) {
  Result<CsvTable> table = CsvTable::Parse(text, file);
  if (!table.ok()) return table.status();
  std::array<size_t, kColumns> at;
  at.fill(kAbsent);
  const std::vector<std::string>& header = table->header();
  for (size_t i = 0; i < header.size(); ++i) {
    size_t known = 0;
    while (known < kNames.size() && kNames[known] != header[i]) ++known;
    if (known == kNames.size()) {
      return InvalidArgument(fmt::format("{}:1:{}: unknown column '{}' (known: {})", file, i + 1,
                                         header[i], fmt::join(kNames, ", ")));
    }
    if (at[known] != kAbsent) {
      return InvalidArgument(
          fmt::format("{}:1:{}: column '{}' given twice", file, i + 1, header[i]));
    }
    at[known] = i;
  }
  for (int i = 0; i < kRequired; ++i) {
    if (at[i] == kAbsent) {
      return InvalidArgument(fmt::format("{}:1: missing column '{}'", file, kNames[i]));
    }
  }
  // Optional fields left empty keep their defaults.
  auto given = [&](size_t row, Column column) {
    return at[column] != kAbsent && !table->Field(row, at[column]).empty();
  };
  auto text_of = [&](size_t row, Column column) {
    return given(row, column) ? std::string(table->Field(row, at[column])) : std::string();
  };

  Workload workload;
  workload.source = trace_internal::BaseName(file);
  workload.jobs.reserve(table->rows());
  for (size_t row = 0; row < table->rows(); ++row) {
    SimJob job;
    Result<int64_t> submit = table->Scaled(row, at[kSubmitColumn], kMicrosPerSecond);
    if (!submit.ok()) return submit.status();
    job.submit = options.epoch + *submit;
    if (row > 0 && job.submit < workload.jobs.back().submit) {
      return trace_internal::TimeGoesBackwards(*table, row, row - 1, at[kSubmitColumn]);
    }
    std::string_view duration_text = table->Field(row, at[kDurationColumn]);
    Result<int64_t> duration = table->Scaled(row, at[kDurationColumn], kMicrosPerSecond);
    if (!duration.ok() || *duration == 0) {
      return InvalidArgument(fmt::format("{}: must be a number of seconds > 0, got '{}'",
                                         table->Where(row, at[kDurationColumn]), duration_text));
    }
    job.duration = *duration;

    Request& request = job.request;
    Result<int64_t> gpu = table->Scaled(row, at[kGpuColumn], 1000);
    if (!gpu.ok()) return gpu.status();
    if (*gpu > 1000 && *gpu % 1000 != 0) {
      return InvalidArgument(table->Where(row, at[kGpuColumn]) +
                             ": must be a fraction of one GPU (below 1) or whole GPUs");
    }
    request.member.resources[kGpu] = *gpu;
    if (given(row, kMembersColumn)) {
      Result<int64_t> members = table->Integer(row, at[kMembersColumn]);
      if (!members.ok()) return members.status();
      if (*members < 1 || *members > kMaxMembers) {
        return InvalidArgument(
            fmt::format("{}: must be 1 to {}", table->Where(row, at[kMembersColumn]), kMaxMembers));
      }
      request.members = *members;
    }
    if (given(row, kCpuColumn)) {
      Result<int64_t> cpu = table->Scaled(row, at[kCpuColumn], 1000);
      if (!cpu.ok()) return cpu.status();
      request.member.resources[kCpu] = *cpu;
    }
    if (given(row, kMemoryColumn)) {
      Result<int64_t> memory = ParseMemoryMib(table->Field(row, at[kMemoryColumn]),
                                              table->Where(row, at[kMemoryColumn]));
      if (!memory.ok()) return memory.status();
      request.member.resources[kMemory] = *memory;
    }
    if (given(row, kEstimateColumn)) {
      Result<int64_t> estimate = table->Scaled(row, at[kEstimateColumn], kMicrosPerSecond);
      if (!estimate.ok()) return estimate.status();
      request.estimate = *estimate;
    }
    int64_t* tokens[] = {&request.input_tokens, &request.max_output_tokens};
    const Column token_columns[] = {kInputTokensColumn, kOutputTokensColumn};
    for (int i = 0; i < 2; ++i) {
      if (!given(row, token_columns[i])) continue;
      Result<int64_t> value = table->Scaled(row, at[token_columns[i]], 1);
      if (!value.ok()) return value.status();
      *tokens[i] = *value;
    }
    job.output_tokens = request.max_output_tokens;
    std::string_view models =
        given(row, kGpuModelColumn) ? table->Field(row, at[kGpuModelColumn]) : std::string_view();
    while (!models.empty()) {
      size_t bar = models.find('|');
      if (bar != 0) request.gpu_models.emplace_back(models.substr(0, bar));
      if (bar == std::string_view::npos) break;
      models.remove_prefix(bar + 1);
    }
    request.pool = text_of(row, kPoolColumn);
    request.model = text_of(row, kModelColumn);
    // Concurrency slots per member: as a model call through the gateway (and
    // the azure-llm reader) holds one, a row with a model holds one unless
    // it says otherwise; other work none.
    request.member.resources[kSlots] = request.model.empty() ? 0 : 1;
    if (given(row, kSlotsColumn)) {
      Result<int64_t> slots = table->Integer(row, at[kSlotsColumn]);
      if (!slots.ok()) return slots.status();
      if (*slots < 0 || *slots > kMaxSlots) {
        return InvalidArgument(fmt::format("{}: must be a whole number of slots, 0 to {}, got {}",
                                           table->Where(row, at[kSlotsColumn]), kMaxSlots, *slots));
      }
      request.member.resources[kSlots] = *slots;
    }
    request.tenant = text_of(row, kTenantColumn);
    request.priority_class = text_of(row, kClassColumn);
    job.name = given(row, kNameColumn) ? text_of(row, kNameColumn)
                                       : fmt::format("{}:{}", workload.source, table->Line(row));
    workload.jobs.push_back(std::move(job));
  }
  trace_internal::ApplyDefaults(options, &workload);
  return workload;
}

}  // namespace allot
