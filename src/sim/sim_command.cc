#include "sim/sim_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "config/config_loader.h"
#include "config/quantity.h"
#include "sim/alibaba_trace.h"
#include "sim/html_report.h"
#include "sim/human_duration.h"
#include "sim/published_fill.h"
#include "sim/simulation.h"
#include "sim/trace_readers.h"

namespace allot {
namespace {

using Json = nlohmann::ordered_json;

// The value for trace `i` of a per-trace option: its own, the single value
// given for all, or `fallback`.
template <typename T>
T PerTrace(const std::vector<T>& values, size_t i, T fallback) {
  if (values.empty()) return fallback;
  return values.size() == 1 ? values[0] : values[i];
}

// A progress bar on a terminal: "fair_share  [#########.........]  45%".
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  ~ProgressBar() { Finish(); }
  void Update(std::string_view policy, double fraction) {
    if (!enabled_) return;
    int percent = static_cast<int>(std::floor(std::clamp(fraction, 0.0, 1.0) * 100));
    if (policy == policy_ && percent == percent_) return;
    policy_ = std::string(policy);
    percent_ = percent;
    constexpr int kWidth = 30;
    int filled = percent * kWidth / 100;
    std::cerr << fmt::format("\r{:<24} [{}{}] {:3d}%", policy_, std::string(filled, '#'),
                             std::string(kWidth - filled, '.'), percent)
              << std::flush;
    shown_ = true;
  }
  void Finish() {
    if (shown_) std::cerr << "\r" << std::string(64, ' ') << "\r" << std::flush;
    shown_ = false;
  }

 private:
  bool enabled_;
  bool shown_ = false;
  std::string policy_;
  int percent_ = -1;
};

// Every pod of an Alibaba pod list as a job: the published fill protocol
// draws from them all, those never scheduled in production included (the
// replay reader skips those).
Result<Workload> AllAlibabaPods(const std::string& path) {
  Result<std::vector<AlibabaPod>> pods = LoadAlibabaPods(path);
  if (!pods.ok()) return pods.status();
  Workload all;
  all.source = path;
  for (const AlibabaPod& pod : *pods) {
    SimJob job;
    job.name = pod.name;
    job.submit = kTraceEpoch + Seconds(pod.creation_time);
    job.duration = Seconds(1);  // fill mode: jobs never leave
    job.request = AlibabaPodRequest(pod);
    all.jobs.push_back(std::move(job));
  }
  return all;
}

// Trace `i` of the arguments, with its per-trace class, tenant and model.
Result<Workload> LoadTrace(const SimCommandArgs& args, TraceFormat format, size_t i) {
  if (format == TraceFormat::kAlibaba && args.mode == "fill") {
    return AllAlibabaPods(args.traces[i]);
  }
  WorkloadOptions options;
  options.seed = args.seed;
  options.priority_class = PerTrace(args.classes, i, std::string());
  options.tenant = PerTrace(args.tenants, i, std::string());
  if (!args.model.empty()) options.model = args.model;
  return LoadWorkload(format, args.traces[i], options);
}

Result<Workload> LoadInputs(const SimCommandArgs& args, TraceFormat format) {
  if (args.traces.empty()) return InvalidArgument("--trace: at least one trace file is required");
  for (const auto& [name, size] : {std::pair<const char*, size_t>{"--class", args.classes.size()},
                                   {"--tenant", args.tenants.size()},
                                   {"--speedup", args.speedups.size()}}) {
    if (size > 1 && size != args.traces.size()) {
      return InvalidArgument(
          fmt::format("{}: give one value, or one per --trace ({} traces, {} values)", name,
                      args.traces.size(), size));
    }
  }
  std::vector<Workload> workloads;
  for (size_t i = 0; i < args.traces.size(); ++i) {
    double speedup = PerTrace(args.speedups, i, 1.0);
    if (!(speedup > 0 && speedup <= 1e6)) {
      return InvalidArgument(fmt::format("--speedup: {} must be in (0, 1000000]", speedup));
    }
    Result<Workload> workload = LoadTrace(args, format, i);
    if (!workload.ok()) return workload.status();
    if (speedup != 1.0 && !workload->jobs.empty()) {
      // Arrivals compressed towards the first: t' = t0 + (t - t0) / speedup.
      Time first = workload->jobs.front().submit;
      for (SimJob& job : workload->jobs) {
        job.submit = first + static_cast<Time>(
                                 std::llround(static_cast<double>(job.submit - first) / speedup));
      }
    }
    workloads.push_back(std::move(workload).value());
  }
  Workload merged =
      workloads.size() == 1 ? std::move(workloads.front()) : MergeWorkloads(std::move(workloads));
  for (const std::string& rule : args.class_if_gpus) {
    size_t equals = rule.find('=');
    Result<int64_t> min_milli = equals == std::string::npos
                                    ? Result<int64_t>(InvalidArgument("no '='"))
                                    : ParseScaled(rule.substr(0, equals), 1000, "--class-if-gpus");
    if (!min_milli.ok() || equals + 1 >= rule.size()) {
      return InvalidArgument(
          fmt::format("--class-if-gpus: '{}' must be MIN=CLASS, MIN in GPUs (\"8=large\")", rule));
    }
    std::string priority_class = rule.substr(equals + 1);
    for (SimJob& job : merged.jobs) {
      if (job.request.member.resources[kGpu] * job.request.members >= *min_milli) {
        job.request.priority_class = priority_class;
      }
    }
  }
  return merged;
}

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::path temporary = path;
  temporary += ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) return Internal(fmt::format("{}: cannot write", temporary.string()));
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return Internal(fmt::format("{}: {}", path.string(), error.message()));
  return Status::Ok();
}

std::string Figure(const Json& value, const char* format = "{:.1f}") {
  if (!value.is_number()) return "-";
  return fmt::format(fmt::runtime(format), value.get<double>());
}

// A duration in seconds from result.json, as a person reads it ("3h 12m").
std::string DurationCell(const Json& seconds) {
  return seconds.is_number() ? HumanDuration(seconds.get<double>()) : "-";
}

void PrintSummary(const Json& document, std::ostream& out) {
  bool fill = document["inputs"]["mode"] == "fill";
  if (fill) {
    // GPU allocated at 90, 95 and 100% arrived (the curve is indexed by the
    // arrived percent), beside the published FGD figures when the trace is
    // one of the artifact's pod lists.
    out << fmt::format("{:<28} {:>8} {:>8} {:>8}   (GPU allocated at X% arrived)\n", "policy",
                       "90%", "95%", "100%");
    for (const Json& run : document["runs"]) {
      const Json& curve = run["fill"]["curve"]["allocated_pct"];
      auto percent_text = [](const Json& value) {
        return value.is_number() ? fmt::format("{:.2f}%", value.get<double>()) : std::string("-");
      };
      auto at = [&](size_t percent) {
        return percent < curve.size() ? percent_text(curve[percent]) : std::string("-");
      };
      out << fmt::format("{:<28} {:>8} {:>8} {:>8}\n", run["policy"].get<std::string>(), at(90),
                         at(95), percent_text(run["fill"]["allocated_at_100"]));
    }
    const Json& trace = document["inputs"]["trace"];
    const PublishedFill* published =
        trace.is_string() ? PublishedFgdFor(trace.get<std::string>()) : nullptr;
    if (published != nullptr) {
      out << fmt::format("{:<28} {:>7.2f}% {:>7.2f}% {:>7.2f}%\n", "published FGD (ATC'23)",
                         published->at_90, published->at_95, published->at_100);
    }
    return;
  }
  out << fmt::format("{:<28} {:>8} {:>8} {:>10} {:>10} {:>10} {:>6} {:>6} {:>6}\n", "policy",
                     "jobs", "done", "wait p50", "wait p99", "jct p50", "util", "jain", "slo");
  for (const Json& run : document["runs"]) {
    const Json& s = run["summary"];
    out << fmt::format("{:<28} {:>8} {:>8} {:>10} {:>10} {:>10} {:>6} {:>6} {:>6}\n",
                       run["policy"].get<std::string>(), s["jobs"].get<int64_t>(),
                       s["finished"].get<int64_t>(), DurationCell(s["wait_s"]["p50"]),
                       DurationCell(s["wait_s"]["p99"]), DurationCell(s["jct_s"]["p50"]),
                       Figure(s["gpu_utilization_mean"], "{:.2f}"),
                       Figure(s["jain_index"], "{:.2f}"), Figure(s["slo_attainment"], "{:.2f}"));
  }
}

}  // namespace

int RunSimCommand(const SimCommandArgs& args, std::ostream& out, std::ostream& err) {
  TraceFormat format;
  if (!ParseTraceFormat(args.format, &format)) {
    err << "--format: must be alibaba, philly, azure-llm, csv or synthetic\n";
    return 2;
  }
  SimulationOptions options;
  if (args.mode == "fill") {
    options.mode = SimulationOptions::Mode::kFill;
  } else if (args.mode != "replay") {
    err << "--mode: must be replay or fill\n";
    return 2;
  }
  if (!args.policies.empty()) {
    Result<std::vector<SimPolicy>> policies = ParseSimPolicies(args.policies);
    if (!policies.ok()) {
      err << policies.status().message() << "\n";
      return 2;
    }
    options.policies = std::move(policies).value();
  }
  if (args.seeds < 1 || args.seeds > 1000) {
    err << "--seeds: must be 1 to 1000\n";
    return 2;
  }
  if (!(args.target_ratio > 0 && args.target_ratio <= 10)) {
    err << "--target-ratio: must be in (0, 10]\n";
    return 2;
  }
  if (!(args.step_s >= 0 && args.step_s <= 366.0 * 86400)) {
    err << "--step: must be 0 (automatic) to 31622400 seconds\n";
    return 2;
  }
  options.seed = args.seed;
  options.seeds = args.seeds;
  options.target_ratio = args.target_ratio;
  options.threads = args.threads > 0
                        ? args.threads
                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.step = static_cast<Duration>(std::llround(args.step_s * kMicrosPerSecond));

  Config config;
  if (!args.config_path.empty()) {
    Result<Config> loaded = LoadConfigFile(args.config_path);
    if (!loaded.ok()) {
      err << loaded.status().message() << "\n";
      return 1;
    }
    config = std::move(loaded).value();
  } else if (args.nodes_path.empty()) {
    err << "--config: required (or --nodes with an Alibaba node list)\n";
    return 2;
  }
  if (!args.nodes_path.empty()) {
    Result<Inventory> nodes = LoadAlibabaNodes(args.nodes_path);
    if (!nodes.ok()) {
      err << nodes.status().message() << "\n";
      return 1;
    }
    config.inventory = std::move(nodes).value();
  }
  Result<Workload> workload = LoadInputs(args, format);
  if (!workload.ok()) {
    err << workload.status().message() << "\n";
    return 1;
  }
  Json traces = Json::array();
  for (const std::string& trace : args.traces) {
    traces.push_back(std::filesystem::path(trace).filename().string());
  }
  options.inputs["config"] = args.config_path.empty()
                                 ? std::string("(none)")
                                 : std::filesystem::path(args.config_path).filename().string();
  if (!args.nodes_path.empty()) {
    options.inputs["nodes"] = std::filesystem::path(args.nodes_path).filename().string();
  }
  options.inputs["trace"] = traces.size() == 1 ? traces[0] : traces;
  options.inputs["format"] = args.format;
  options.inputs["currency"] = config.engine.budgets.prices.currency;

  ProgressBar bar(!args.quiet && isatty(STDERR_FILENO) == 1);
  options.progress = [&](std::string_view policy, double fraction) {
    bar.Update(policy, fraction);
  };
  auto started = std::chrono::steady_clock::now();
  Result<Json> document = RunSimulation(config.inventory, config.engine, *workload, options);
  bar.Finish();
  if (!document.ok()) {
    err << document.status().message() << "\n";
    return 1;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::error_code error;
  std::filesystem::path dir(args.out_dir);
  std::filesystem::create_directories(dir, error);
  if (error) {
    err << fmt::format("--out: {}: {}\n", args.out_dir, error.message());
    return 1;
  }
  for (const auto& [name, text] :
       {std::pair<const char*, std::string>{"result.json", document->dump(1) + "\n"},
        {"report.html", RenderHtmlReport(*document)}}) {
    Status written = WriteFile(dir / name, text);
    if (!written.ok()) {
      err << written.message() << "\n";
      return 1;
    }
  }
  PrintSummary(*document, out);
  if (!args.quiet) {
    out << fmt::format("{} jobs, {} polic{} in {}; wrote {} and {}\n", workload->jobs.size(),
                       (*document)["runs"].size(), (*document)["runs"].size() == 1 ? "y" : "ies",
                       HumanDuration(seconds), (dir / "result.json").string(),
                       (dir / "report.html").string());
  }
  return 0;
}

}  // namespace allot
