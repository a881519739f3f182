#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/pod_mix.h"

namespace allot {

// `allot sim generate-pods`'s arguments (apps/allot/main.cc parses them;
// docs/placement.md, "Workload variants"). Shares in percent, -1 = as in
// the source (sim/pod_mix.h defines each).
struct PodMixCommandArgs {
  std::string from_path;   // a pod list (openb_pod_list_*.csv)
  std::string nodes_path;  // a node list: the models gpuspec draws from
  std::string out_path;    // the CSV written ("-": standard output)
  PodMixOptions mix;       // the shares, models and seed
};

// Reads the source and the nodes, generates the variant and writes it,
// then prints its shares to `err` unless it wrote to standard output. Exit
// status: 0 written, 1 bad input (the message names the file or option).
int RunPodMixCommand(const PodMixCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace allot
