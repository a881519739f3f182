#include "sim/pod_mix_command.h"

#include <fmt/format.h>

#include <fstream>
#include <ostream>

#include "sim/alibaba_trace.h"
#include "sim/pod_mix.h"

namespace allot {

int RunPodMixCommand(const PodMixCommandArgs& args, std::ostream& out, std::ostream& err) {
  Result<std::vector<AlibabaPod>> source = LoadAlibabaPods(args.from_path);
  if (!source.ok()) {
    err << "--from: " << source.status().message() << "\n";
    return 1;
  }
  Result<Inventory> nodes = LoadAlibabaNodes(args.nodes_path);
  if (!nodes.ok()) {
    err << "--nodes: " << nodes.status().message() << "\n";
    return 1;
  }
  Result<std::vector<AlibabaPod>> pods = GeneratePodMix(*source, *nodes, args.mix);
  if (!pods.ok()) {
    err << "--" << pods.status().message() << "\n";
    return 1;
  }
  std::string text = PodsToCsv(*pods);
  if (args.out_path == "-") {
    out << text;
    return 0;
  }
  {
    std::ofstream file(args.out_path, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) {
      err << fmt::format("--out: {}: cannot write\n", args.out_path);
      return 1;
    }
  }
  PodMixShares shares = MeasurePodMix(*pods);
  err << fmt::format(
      "{}: {} pods; gpushare {:.1f}%, multigpu {:.1f}%, gpuspec {:.1f}%, cpu-only {:.1f}%\n",
      args.out_path, pods->size(), shares.gpushare, shares.multigpu, shares.gpuspec,
      shares.cpu_only);
  return 0;
}

}  // namespace allot
