#include "sim/trace_readers.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sim/alibaba_trace.h"
#include "sim/synthetic_workload.h"
#include "sim/trace_parsing.h"

namespace allot {
namespace {

using trace_internal::BaseName;
using trace_internal::CountSkip;
using trace_internal::RequiredColumns;
using trace_internal::TimeGoesBackwards;

constexpr struct {
  std::string_view name;
  TraceFormat format;
} kFormats[] = {{"alibaba", TraceFormat::kAlibaba},
                {"philly", TraceFormat::kPhilly},
                {"azure-llm", TraceFormat::kAzureLlm},
                {"csv", TraceFormat::kCsv},
                {"synthetic", TraceFormat::kSynthetic}};

// The pod's QoS class as a priority class name (docs/sim-traces.md).
std::string_view ClassOfQos(std::string_view qos) {
  if (qos == "LS") return "latency_critical";
  if (qos == "Burstable") return "burstable";
  if (qos == "Guaranteed") return "guaranteed";
  if (qos == "BE") return "best_effort";
  return {};
}

// Trace times are seconds from the trace's start; a century bounds them so
// that microseconds cannot overflow.
constexpr int64_t kMaxTraceSeconds = int64_t{100} * 366 * 86'400;

Result<std::string> ReadText(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return NotFound(path + ": cannot open");
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

bool ParseTraceFormat(std::string_view name, TraceFormat* format) {
  for (const auto& entry : kFormats) {
    if (entry.name == name) {
      *format = entry.format;
      return true;
    }
  }
  return false;
}

std::string_view TraceFormatName(TraceFormat format) {
  for (const auto& entry : kFormats) {
    if (entry.format == format) return entry.name;
  }
  return "unknown";
}

Result<Workload> LoadWorkload(TraceFormat format, const std::string& path,
                              const WorkloadOptions& options) {
  if (format == TraceFormat::kSynthetic) {
    Result<SyntheticSpec> spec = LoadSyntheticSpec(path);
    if (!spec.ok()) return spec.status();
    spec->epoch = options.epoch;
    Result<Workload> workload = GenerateSynthetic(*spec, options.seed);
    if (!workload.ok()) return workload.status();
    workload->source = BaseName(path);
    trace_internal::ApplyDefaults(options, &*workload);
    return workload;
  }
  Result<std::string> text = ReadText(path);
  if (!text.ok()) return text.status();
  switch (format) {
    case TraceFormat::kAlibaba:
      return ParseAlibabaWorkload(*text, path, options);
    case TraceFormat::kPhilly:
      return ParsePhillyWorkload(*text, path, options);
    case TraceFormat::kAzureLlm:
      return ParseAzureLlmWorkload(*text, path, options);
    case TraceFormat::kCsv:
      return ParseCsvWorkload(*text, path, options);
    case TraceFormat::kSynthetic:
      break;
  }
  return InvalidArgument("unknown trace format");
}

// Alibaba pods (openb_pod_list_*.csv): submit at creation_time, run for
// deletion_time - scheduled_time (the time the pod held its node, without the
// queueing the original cluster imposed). The published file is in creation
// order, so an unsorted file is an error rather than something to repair.
Result<Workload> ParseAlibabaWorkload(std::string_view text, const std::string& file,
                                      const WorkloadOptions& options) {
  Result<CsvTable> table = CsvTable::Parse(text, file);
  if (!table.ok()) return table.status();
  Result<std::vector<size_t>> columns =
      RequiredColumns(*table, {"creation_time", "deletion_time", "scheduled_time", "qos"});
  if (!columns.ok()) return columns.status();
  const size_t creation = (*columns)[0], deletion = (*columns)[1], scheduled = (*columns)[2],
               qos = (*columns)[3];
  Result<std::vector<AlibabaPod>> pods = AlibabaPodsFromTable(*table);
  if (!pods.ok()) return pods.status();

  Workload workload;
  workload.source = BaseName(file);
  workload.jobs.reserve(pods->size());
  int64_t unscheduled = 0, unfinished = 0, no_run_time = 0;
  for (size_t row = 0; row < pods->size(); ++row) {
    const AlibabaPod& pod = (*pods)[row];
    const int64_t times[] = {pod.creation_time, pod.deletion_time, pod.scheduled_time};
    const size_t time_columns[] = {creation, deletion, scheduled};
    for (int i = 0; i < 3; ++i) {
      bool unscheduled_pod = i == 2 && table->Field(row, scheduled).empty();
      if (!unscheduled_pod && (times[i] < 0 || times[i] > kMaxTraceSeconds)) {
        return InvalidArgument(table->Where(row, time_columns[i]) +
                               ": must be seconds from the trace's start, 0 to a century");
      }
    }
    if (row > 0 && pod.creation_time < (*pods)[row - 1].creation_time) {
      return TimeGoesBackwards(*table, row, row - 1, creation);
    }
    if (pod.scheduled_time >= 0 && pod.scheduled_time < pod.creation_time) {
      return InvalidArgument(table->Where(row, scheduled) + ": scheduled before its creation");
    }
    std::string_view class_name = ClassOfQos(pod.qos);
    if (class_name.empty()) {
      return InvalidArgument(fmt::format("{}: unknown qos '{}' (LS, Burstable, Guaranteed or BE)",
                                         table->Where(row, qos), pod.qos));
    }
    if (pod.scheduled_time < 0) {
      ++unscheduled;
      continue;
    }
    if (table->Field(row, deletion).empty() || pod.deletion_time <= pod.creation_time) {
      ++unfinished;
      continue;
    }
    if (pod.deletion_time <= pod.scheduled_time) {
      ++no_run_time;
      continue;
    }
    SimJob job;
    job.name = pod.name;
    job.submit = options.epoch + Seconds(pod.creation_time);
    job.duration = Seconds(pod.deletion_time - pod.scheduled_time);
    job.request = AlibabaPodRequest(pod);
    job.request.priority_class = std::string(class_name);
    workload.jobs.push_back(std::move(job));
  }
  CountSkip(unscheduled, "never scheduled (no scheduled_time: Pending pods) skipped", &workload);
  CountSkip(unfinished, "with no deletion_time after creation_time skipped", &workload);
  CountSkip(no_run_time, "with deletion_time <= scheduled_time skipped", &workload);
  trace_internal::ApplyDefaults(options, &workload);
  return workload;
}

Workload MergeWorkloads(std::vector<Workload> workloads) {
  if (workloads.size() == 1) return std::move(workloads[0]);
  Workload merged;
  size_t total = 0;
  for (const Workload& workload : workloads) total += workload.jobs.size();
  merged.jobs.reserve(total);
  for (size_t k = 0; k < workloads.size(); ++k) {
    Workload& workload = workloads[k];
    merged.source += (k == 0 ? "" : "+") + workload.source;
    merged.skipped += workload.skipped;
    merged.reordered += workload.reordered;
    for (const std::string& line : workload.skip_summary) {
      merged.skip_summary.push_back(workload.source + ": " + line);
    }
    for (SimJob& job : workload.jobs) {
      job.name = fmt::format("{}/{}", k, job.name);
      merged.jobs.push_back(std::move(job));
    }
  }
  // Each input is in submit order and they were appended in input order, so
  // a stable sort gives the merge with ties in input order.
  trace_internal::SortBySubmit(&merged.jobs);
  return merged;
}

}  // namespace allot
