#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

namespace allot {

// `allot sim`'s arguments (apps/allot/main.cc parses them; docs/sim.md).
struct SimCommandArgs {
  std::string config_path;  // cluster, tenants, classes, prices, budgets
  std::string nodes_path;   // an Alibaba node list: replaces the config's inventory
  std::vector<std::string> traces;
  std::string format;
  // Per trace (aligned with `traces`; one value applies to all): the class and
  // tenant of jobs whose trace names none, and a time compression factor.
  std::vector<std::string> classes;
  std::vector<std::string> tenants;
  std::vector<double> speedups;
  // "MIN=CLASS": jobs asking for MIN GPUs or more in all get CLASS (applied
  // in order, so later rules win), whatever the trace said.
  std::vector<std::string> class_if_gpus;
  std::string model;  // azure-llm: the model the calls name
  std::string mode = "replay";
  std::string policies;  // comma-separated; empty: the config as it is
  uint64_t seed = 42;
  int seeds = 1;
  double target_ratio = 1.3;
  int threads = 0;  // 0: the hardware's
  double step_s = 0;
  std::string out_dir = "sim-out";
  bool quiet = false;
};

// Loads the inputs, runs the simulation, writes OUT/result.json and
// OUT/report.html and prints a summary. Errors go to `err` naming the file,
// line and column or the option. Exit status: 0 done, 1 bad input or failed
// run, 2 bad option values.
int RunSimCommand(const SimCommandArgs& args, std::ostream& out, std::ostream& err);

}  // namespace allot
