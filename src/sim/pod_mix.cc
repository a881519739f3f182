#include "sim/pod_mix.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "sim/fill_experiment.h"

namespace allot {
namespace {

bool IsFraction(const AlibabaPod& pod) { return pod.num_gpu == 1 && pod.gpu_milli < 1000; }
bool IsMultiGpu(const AlibabaPod& pod) { return pod.num_gpu >= 2; }

Status CheckShare(double value, const char* name, double top) {
  if (std::isnan(value) || value > top) {
    return InvalidArgument(fmt::format("{}: must be a percentage from 0 to {}, got {}", name, top,
                                       std::isnan(value) ? "nan" : fmt::format("{}", value)));
  }
  return Status::Ok();
}

template <typename Generator>
const AlibabaPod& Draw(Generator& generator, const std::vector<AlibabaPod>& from) {
  return from[UniformIndex(generator, from.size())];
}

// Removes a uniformly drawn pod among those `matches` accepts.
template <typename Generator, typename Predicate>
void RemoveOne(Generator& generator, std::vector<AlibabaPod>* pods, Predicate matches) {
  std::vector<size_t> matching;
  for (size_t i = 0; i < pods->size(); ++i) {
    if (matches((*pods)[i])) matching.push_back(i);
  }
  pods->erase(pods->begin() +
              static_cast<std::ptrdiff_t>(matching[UniformIndex(generator, matching.size())]));
}

// Models whose nodes could hold `pod` when empty (GPU count, cpu, memory).
std::vector<int> ModelsThatFit(const Inventory& nodes, const AlibabaPod& pod,
                               const std::vector<bool>& allowed) {
  std::vector<int> models;
  for (const Node& node : nodes.nodes) {
    int model = nodes.pools[node.pool].gpu_model;
    if (model < 0 || !allowed[static_cast<size_t>(model)]) continue;
    if (static_cast<int64_t>(node.devices.size()) < pod.num_gpu) continue;
    if (node.capacity[kCpu] < pod.cpu_milli || node.capacity[kMemory] < pod.memory_mib) continue;
    if (std::find(models.begin(), models.end(), model) == models.end()) models.push_back(model);
  }
  std::sort(models.begin(), models.end());
  return models;
}

}  // namespace

PodMixShares MeasurePodMix(const std::vector<AlibabaPod>& pods) {
  int64_t total_milli = 0, fraction_milli = 0, multi_milli = 0;
  int64_t gpu_pods = 0, constrained = 0, cpu_only = 0;
  for (const AlibabaPod& pod : pods) {
    total_milli += pod.total_gpu_milli();
    if (IsFraction(pod)) fraction_milli += pod.total_gpu_milli();
    if (IsMultiGpu(pod)) multi_milli += pod.total_gpu_milli();
    if (pod.num_gpu == 0) ++cpu_only;
    if (pod.num_gpu > 0) ++gpu_pods;
    if (pod.num_gpu > 0 && !pod.gpu_spec.empty()) ++constrained;
  }
  auto percent = [](int64_t part, int64_t whole) {
    return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
  };
  return {percent(fraction_milli, total_milli), percent(multi_milli, total_milli),
          percent(constrained, gpu_pods), percent(cpu_only, static_cast<int64_t>(pods.size()))};
}

Result<std::vector<AlibabaPod>> GeneratePodMix(const std::vector<AlibabaPod>& source,
                                               const Inventory& nodes,
                                               const PodMixOptions& options) {
  for (Status status :
       {CheckShare(options.gpushare, "gpushare", 100), CheckShare(options.multigpu, "multigpu", 99),
        CheckShare(options.gpuspec, "gpuspec", 100),
        CheckShare(options.cpu_only, "cpu-only", 99)}) {
    if (!status.ok()) return status;
  }
  std::vector<AlibabaPod> fractions, wholes, multis, cpu_onlys;
  for (const AlibabaPod& pod : source) {
    if (pod.num_gpu == 0) cpu_onlys.push_back(pod);
    if (IsFraction(pod)) fractions.push_back(pod);
    if (pod.num_gpu > 0 && !IsFraction(pod)) wholes.push_back(pod);
    if (IsMultiGpu(pod)) multis.push_back(pod);
  }
  std::vector<bool> allowed(nodes.gpu_models.size(), options.gpuspec_models.empty());
  for (const std::string& name : options.gpuspec_models) {
    int model = nodes.FindGpuModel(name);
    if (model < 0) {
      return InvalidArgument(
          fmt::format("gpuspec-models: '{}' is not a GPU model of the node list", name));
    }
    allowed[static_cast<size_t>(model)] = true;
  }
  auto missing = [](const char* option, const char* kind) {
    return InvalidArgument(fmt::format("{}: the source has no {} to draw from", option, kind));
  };
  std::mt19937_64 generator(options.seed);
  std::vector<AlibabaPod> pods = source;

  if (options.gpushare >= 0) {
    if (options.gpushare > 0 && fractions.empty()) return missing("gpushare", "fractional pods");
    if (options.gpushare < 100 && wholes.empty()) return missing("gpushare", "whole-GPU pods");
    // Greedy on the running share: a fraction while fractions ask for at
    // most X% of the milli-GPU drawn so far.
    int64_t fraction_milli = 0, total_milli = 0;
    for (AlibabaPod& pod : pods) {
      if (pod.num_gpu == 0) continue;
      bool fraction =
          options.gpushare >= 100 ||
          (options.gpushare > 0 && 100.0 * static_cast<double>(fraction_milli) <=
                                       options.gpushare * static_cast<double>(total_milli));
      pod = Draw(generator, fraction ? fractions : wholes);
      total_milli += pod.total_gpu_milli();
      if (fraction) fraction_milli += pod.total_gpu_milli();
    }
  }
  if (options.multigpu >= 0) {
    if (options.multigpu > 0 && multis.empty()) return missing("multigpu", "multi-GPU pods");
    while (MeasurePodMix(pods).multigpu < options.multigpu) {
      pods.push_back(Draw(generator, multis));
    }
    while (MeasurePodMix(pods).multigpu > options.multigpu) RemoveOne(generator, &pods, IsMultiGpu);
  }
  if (options.cpu_only >= 0) {
    if (options.cpu_only > 0 && cpu_onlys.empty()) return missing("cpu-only", "CPU-only pods");
    auto is_cpu_only = [](const AlibabaPod& pod) { return pod.num_gpu == 0; };
    int64_t count = std::count_if(pods.begin(), pods.end(), is_cpu_only);
    // count / size = X / 100 with only CPU-only pods added or removed:
    // count = X (size - count) / (100 - X) exactly, rounded.
    int64_t others = static_cast<int64_t>(pods.size()) - count;
    int64_t wanted =
        std::llround(options.cpu_only * static_cast<double>(others) / (100.0 - options.cpu_only));
    for (; count < wanted; ++count) pods.push_back(Draw(generator, cpu_onlys));
    for (; count > wanted; --count) RemoveOne(generator, &pods, is_cpu_only);
  }
  if (options.gpuspec >= 0) {
    std::vector<size_t> gpu_pods;
    for (size_t i = 0; i < pods.size(); ++i) {
      pods[i].gpu_spec.clear();
      if (pods[i].num_gpu > 0) gpu_pods.push_back(i);
    }
    std::vector<int64_t> model_gpus(nodes.gpu_models.size(), 0);
    for (const Node& node : nodes.nodes) {
      int model = nodes.pools[node.pool].gpu_model;
      if (model >= 0) model_gpus[static_cast<size_t>(model)] += std::ssize(node.devices);
    }
    size_t constrained = static_cast<size_t>(
        std::llround(options.gpuspec / 100.0 * static_cast<double>(gpu_pods.size())));
    // The first `constrained` of a partial Fisher-Yates shuffle.
    for (size_t i = 0; i < constrained; ++i) {
      std::swap(gpu_pods[i], gpu_pods[i + UniformIndex(generator, gpu_pods.size() - i)]);
      AlibabaPod& pod = pods[gpu_pods[i]];
      std::vector<int> models = ModelsThatFit(nodes, pod, allowed);
      int64_t total = 0;
      for (int model : models) total += model_gpus[static_cast<size_t>(model)];
      if (total == 0) continue;  // no allowed model holds it: left unconstrained
      int64_t pick = static_cast<int64_t>(UniformIndex(generator, static_cast<uint64_t>(total)));
      for (int model : models) {
        pick -= model_gpus[static_cast<size_t>(model)];
        if (pick < 0) {
          pod.gpu_spec = {nodes.gpu_models[static_cast<size_t>(model)].name};
          break;
        }
      }
    }
  }
  std::stable_sort(pods.begin(), pods.end(), [](const AlibabaPod& a, const AlibabaPod& b) {
    return a.creation_time < b.creation_time;
  });
  for (size_t i = 0; i < pods.size(); ++i) pods[i].name = fmt::format("pod-{:05d}", i);
  return pods;
}

std::string PodsToCsv(const std::vector<AlibabaPod>& pods) {
  std::string out =
      "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,creation_time,deletion_time,"
      "scheduled_time\n";
  for (const AlibabaPod& pod : pods) {
    std::string spec;
    for (const std::string& model : pod.gpu_spec) spec += (spec.empty() ? "" : "|") + model;
    out +=
        fmt::format("{},{},{},{},{},{},{},{},{},{}\n", pod.name, pod.cpu_milli, pod.memory_mib,
                    pod.num_gpu, pod.gpu_milli, spec, pod.qos, pod.creation_time, pod.deletion_time,
                    pod.scheduled_time < 0 ? std::string() : std::to_string(pod.scheduled_time));
  }
  return out;
}

}  // namespace allot
