// The `allot` command. Subcommands: serve (the allocator as a service), sim
// (the trace-driven simulator, docs/sim.md), demo (the engine on a config,
// printing decisions), check-config (validate a
// configuration file), keygen (a new API key), and the client subcommands
// that talk to `allot serve` (src/client/cli.h, docs/cli.md).
#include <malloc.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>

#include "build_info.h"
#include "client/cli.h"
#include "config/config_loader.h"
#include "demo.h"
#include "keygen.h"
#include "server/http_server.h"
#include "sim/pod_mix_command.h"
#include "sim/sim_command.h"

namespace {

allot::Result<allot::Config> LoadOrDefault(const std::string& path) {
  if (path.empty()) return allot::ParseConfig(allot::DefaultConfigYaml(), "<default>");
  return allot::LoadConfigFile(path);
}

int Main(int argc, char** argv) {
  CLI::App app{"allot: a compute allocator for AI agents and workloads"};
  app.require_subcommand(1);
  // CLI11 prints it and exits 0 before it checks for a subcommand.
  app.set_version_flag("--version", allot::VersionLine(allot::GetBuildInfo()),
                       "print the version, commit and build date");

  std::string config_path;
  std::string placement;
  CLI::App* demo = app.add_subcommand("demo", "run the engine demo and print its decisions");
  demo->add_option("--config", config_path, "YAML configuration (default: embedded demo)");
  demo->add_option("--placement", placement, "first_fit | best_fit | frag_aware");
  std::string usage_path;
  std::string usage_format = "jsonl";
  demo->add_option("--usage", usage_path, "write the day's usage records to this file");
  demo->add_option("--usage-format", usage_format, "csv | jsonl | focus (FinOps FOCUS 1.2)")
      ->check(CLI::IsMember({"csv", "jsonl", "focus"}));

  std::string check_path;
  CLI::App* check = app.add_subcommand("check-config", "validate a configuration file");
  check->add_option("file", check_path, "YAML configuration")->required();

  allot::ServeOptions serve_options;
  std::string journal_sync = "full";
  CLI::App* serve = app.add_subcommand("serve", "run the allocator as an HTTP service");
  serve->add_option("--config", serve_options.service.config_path,
                    "YAML configuration (default: the embedded demo)");
  serve->add_option("--data", serve_options.service.data_dir, "directory of the journal (SQLite)")
      ->capture_default_str();
  serve->add_option("--listen", serve_options.listen,
                    "host:port (default: server.listen, 127.0.0.1:8470)");
  std::string port_file;
  serve->add_option("--port-file", port_file,
                    "write the bound port to this file once listening (for --listen HOST:0)");
  serve
      ->add_option("--journal-sync", journal_sync,
                   "full: fsync every group commit; normal: survive a process crash only")
      ->check(CLI::IsMember({"full", "normal"}));

  std::string key_name;
  std::string key_tenant;
  std::string key_role = "agent";
  CLI::App* keygen = app.add_subcommand("keygen", "make a new API key and its config entry");
  keygen->add_option("--name", key_name, "a name for the key")->required();
  keygen->add_option("--tenant", key_tenant, "the tenant subtree it may act in (\"\" = all)");
  keygen->add_option("--role", key_role, "agent | tenant_admin | admin")
      ->check(CLI::IsMember({"agent", "tenant_admin", "admin"}));

  allot::SimCommandArgs sim_args;
  CLI::App* sim = app.add_subcommand(
      "sim", "replay a trace (or fill a cluster) through the engine under one or more policies");
  sim->add_option("--config", sim_args.config_path,
                  "YAML configuration: inventory, tenants, classes, prices, budgets");
  sim->add_option("--nodes", sim_args.nodes_path,
                  "an Alibaba node list (openb_node_list_*.csv) as the inventory");
  // --trace and --format are checked by RunSimCommand, not marked required,
  // so that `allot sim generate-pods` needs neither.
  sim->add_option("--trace", sim_args.traces, "trace file (repeat to merge several)");
  sim->add_option("--format", sim_args.format, "alibaba | philly | azure-llm | csv | synthetic");
  sim->add_option("--class", sim_args.classes,
                  "class of jobs whose trace names none (one, or one per --trace)");
  sim->add_option("--tenant", sim_args.tenants,
                  "tenant of jobs whose trace names none (one, or one per --trace)");
  sim->add_option("--speedup", sim_args.speedups,
                  "compress each trace's arrivals by this factor (one, or one per --trace)")
      ->delimiter(',');
  sim->add_option("--class-if-gpus", sim_args.class_if_gpus,
                  "MIN=CLASS: jobs of MIN GPUs or more get CLASS (repeatable, later wins)");
  sim->add_option("--model", sim_args.model, "azure-llm: the model the calls name");
  sim->add_option("--mode", sim_args.mode, "replay | fill (the fragmentation experiment)")
      ->capture_default_str();
  sim->add_option("--policy", sim_args.policies,
                  "comma-separated policies: fifo, priority, fair_share, config, "
                  "first_fit, best_fit, frag_aware[/fgd|/host_aware], ORDERING+PLACEMENT");
  sim->add_option("--seed", sim_args.seed, "random seed (synthetic traces, fill)")
      ->capture_default_str();
  sim->add_option("--seeds", sim_args.seeds, "fill: number of seeds from --seed")
      ->capture_default_str();
  sim->add_option("--target-ratio", sim_args.target_ratio,
                  "fill: arrive until requests reach this share of GPU capacity")
      ->capture_default_str();
  sim->add_option("--threads", sim_args.threads, "fill: seeds in parallel (0: all cores)")
      ->capture_default_str();
  sim->add_option("--step", sim_args.step_s, "replay: seconds between samples (0: automatic)")
      ->capture_default_str();
  sim->add_option("--out", sim_args.out_dir, "directory for result.json and report.html")
      ->capture_default_str();
  sim->add_flag("--quiet", sim_args.quiet, "no progress bar and no closing line");
  allot::PodMixCommandArgs mix_args;
  CLI::App* generate_pods = sim->add_subcommand(
      "generate-pods", "write a variant of an Alibaba pod list with another mix of pods");
  generate_pods->add_option("--from", mix_args.from_path, "source pod list")->required();
  generate_pods->add_option("--nodes", mix_args.nodes_path, "node list (models for --gpuspec)")
      ->required();
  generate_pods->add_option("--out", mix_args.out_path, "CSV to write (- for standard output)")
      ->required();
  generate_pods->add_option("--gpushare", mix_args.mix.gpushare,
                            "% of requested GPU asked by fractional pods");
  generate_pods->add_option("--multigpu", mix_args.mix.multigpu,
                            "% of requested GPU asked by multi-GPU pods");
  generate_pods->add_option("--gpuspec", mix_args.mix.gpuspec,
                            "% of GPU pods constrained to one GPU model");
  generate_pods->add_option("--cpu-only", mix_args.mix.cpu_only, "% of pods without GPU");
  generate_pods
      ->add_option("--gpuspec-models", mix_args.mix.gpuspec_models,
                   "models a constraint may name (default: all)")
      ->delimiter(',');
  generate_pods->add_option("--seed", mix_args.mix.seed, "random seed")->capture_default_str();

  int client_exit_code = -1;
  allot::AddClientCommands(app, &client_exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; a usage error exits 2 (docs/cli.md).
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (client_exit_code >= 0) return client_exit_code;

  if (*serve) {
    serve_options.service.journal.fsync_each_commit = journal_sync == "full";
    serve_options.service.version = allot::GetBuildInfo().version;
    serve_options.service.commit = allot::GetBuildInfo().commit;
    if (!port_file.empty()) {
      serve_options.on_listening = [port_file](int port) {
        // Written to a temporary name and renamed: a reader never sees half a number.
        std::string temporary = port_file + ".tmp";
        std::ofstream(temporary) << port << "\n";
        std::rename(temporary.c_str(), port_file.c_str());
      };
    }
    // A fixed mmap threshold (glibc's default, 128 KiB): blocks above it are
    // mapped and given back when freed. glibc otherwise raises the threshold
    // to the largest block freed (up to 32 MiB), so after a snapshot's
    // multi-MB text the next ones come from the heap and their pages stay:
    // a 10-minute lease soak grew in steps (11 -> 53 MiB); with the threshold
    // fixed it stayed at 25.7 MiB over 345,000 leases (docs/benchmarks.md).
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    return allot::Serve(std::move(serve_options));
  }
  if (*keygen) return allot::RunKeygen(key_name, key_tenant, key_role, std::cout);
  if (*generate_pods) return allot::RunPodMixCommand(mix_args, std::cout, std::cerr);
  if (*sim) return allot::RunSimCommand(sim_args, std::cout, std::cerr);

  if (*check) {
    allot::Result<allot::Config> config = allot::LoadConfigFile(check_path);
    if (!config.ok()) {
      std::cerr << config.status().message() << "\n";
      return 1;
    }
    std::cout << check_path << ": ok (" << config->inventory.pools.size() << " pools, "
              << config->inventory.nodes.size() << " nodes)\n";
    return 0;
  }
  allot::Result<allot::Config> config = LoadOrDefault(config_path);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  if (!placement.empty() && !allot::ParsePlacementKind(placement, &config->engine.placement.kind)) {
    std::cerr << "--placement: must be first_fit, best_fit or frag_aware\n";
    return 2;
  }
  return allot::RunDemo(std::move(config).value(), std::cout, usage_path, usage_format);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "allot: internal error: " << e.what() << "\n";
    return 70;
  }
}
