// The Philly reader: GPU training jobs of Microsoft's Philly cluster as
// published with Pollux (petuum/adaptdl, simulator/traces/philly.csv).
#include <fmt/format.h>

#include <algorithm>

#include "config/quantity.h"
#include "sim/trace_parsing.h"
#include "sim/trace_readers.h"

namespace allot {
namespace {

using trace_internal::BaseName;
using trace_internal::CountSkip;

// Philly's servers had 8 GPUs; larger jobs ran as gangs of whole servers.
constexpr int64_t kGpusPerServer = 8;
constexpr int64_t kMaxGpus = 4096;

}  // namespace

// Columns timestamp ("YYYY-MM-DD HH:MM:SS", read as UTC), duration (seconds,
// decimal), num_gpus, cluster; gpu_time is redundant (duration x num_gpus)
// and ignored. Each row is one job:
//   tenant  "vc-<cluster>" (the virtual cluster, Philly's unit of quota)
//   class   none (the options' default)
//   request GPU only: num_gpus <= 8 is one member with 1000 * num_gpus
//           milli-GPU; more is a gang of ceil(num_gpus / 8) members of 8
//           GPUs each (rounded up when not a multiple of 8, counted); the
//           trace has no cpu or memory, so none is asked.
//   estimate 0: Philly users gave no run-time estimates.
// Rows with duration <= 0 or num_gpus 0 are skipped and counted. The file is
// not in time order (about 45k rows are earlier than the row before), so jobs
// are sorted stably by timestamp and the inversions counted in `reordered`.
Result<Workload> ParsePhillyWorkload(std::string_view text, const std::string& file,
                                     const WorkloadOptions& options) {
  Result<CsvTable> table = CsvTable::Parse(text, file);
  if (!table.ok()) return table.status();
  Result<std::vector<size_t>> columns =
      trace_internal::RequiredColumns(*table, {"timestamp", "duration", "num_gpus", "cluster"});
  if (!columns.ok()) return columns.status();
  const size_t timestamp = (*columns)[0], duration = (*columns)[1], num_gpus = (*columns)[2],
               cluster = (*columns)[3];

  // Rows are checked in file order (so errors come in file order) into
  // small records, which are sorted before the large SimJobs are built.
  struct Row {
    Time submit = 0;
    Duration run_time = 0;
    int64_t gpus = 0;
    size_t row = 0;
  };
  std::vector<Row> rows;
  rows.reserve(table->rows());
  int64_t no_run_time = 0, no_gpus = 0, rounded_up = 0;
  for (size_t row = 0; row < table->rows(); ++row) {
    Time submit = 0;
    if (!trace_internal::ParseUtcTimestamp(table->Field(row, timestamp), &submit)) {
      return InvalidArgument(fmt::format("{}: '{}' is not a time YYYY-MM-DD HH:MM:SS",
                                         table->Where(row, timestamp),
                                         table->Field(row, timestamp)));
    }
    std::string_view duration_text = table->Field(row, duration);
    bool negative = !duration_text.empty() && duration_text[0] == '-';
    if (negative) duration_text.remove_prefix(1);
    // Negative durations are counted skips, so the sign is taken off before
    // ParseScaled (which rejects it); the place is formatted only on error.
    Result<int64_t> run_time = ParseScaled(duration_text, kMicrosPerSecond, "");
    if (!run_time.ok()) {
      return ParseScaled(duration_text, kMicrosPerSecond, table->Where(row, duration)).status();
    }
    if (negative || *run_time == 0) {
      ++no_run_time;
      continue;
    }
    Result<int64_t> gpus = table->Integer(row, num_gpus);
    if (!gpus.ok()) return gpus.status();
    if (*gpus < 0 || *gpus > kMaxGpus) {
      return InvalidArgument(
          fmt::format("{}: must be 0 to {}", table->Where(row, num_gpus), kMaxGpus));
    }
    if (*gpus == 0) {
      ++no_gpus;
      continue;
    }
    if (table->Field(row, cluster).empty()) {
      return InvalidArgument(table->Where(row, cluster) + ": empty virtual cluster");
    }
    rows.push_back({submit, *run_time, *gpus, row});
  }

  Workload workload;
  workload.source = BaseName(file);
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].submit < rows[i - 1].submit) ++workload.reordered;
  }
  // (submit, row) pairs are distinct, so this sort is stable by submit.
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.submit != b.submit ? a.submit < b.submit : a.row < b.row;
  });
  workload.jobs.reserve(rows.size());
  for (const Row& row : rows) {
    SimJob job;
    job.name = fmt::format("{}:{}", workload.source, table->Line(row.row));
    job.submit = row.submit;
    job.duration = row.run_time;
    if (row.gpus <= kGpusPerServer) {
      job.request.member.resources[kGpu] = 1000 * row.gpus;
    } else {
      job.request.members = (row.gpus + kGpusPerServer - 1) / kGpusPerServer;
      job.request.member.resources[kGpu] = 1000 * kGpusPerServer;
      if (row.gpus % kGpusPerServer != 0) ++rounded_up;
    }
    job.request.tenant = "vc-" + std::string(table->Field(row.row, cluster));
    workload.jobs.push_back(std::move(job));
  }
  CountSkip(no_run_time, "with duration <= 0 skipped", &workload);
  CountSkip(no_gpus, "with num_gpus 0 skipped", &workload);
  if (rounded_up > 0) {
    // Kept, so not counted in `skipped`; said so that the GPU totals add up.
    workload.skip_summary.push_back(fmt::format(
        "{} rows with num_gpus > 8 not a multiple of 8 rounded up to whole 8-GPU members (kept)",
        rounded_up));
  }
  trace_internal::ApplyDefaults(options, &workload);
  return workload;
}

}  // namespace allot
