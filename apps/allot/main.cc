// The `allot` command. Subcommands: demo (the engine on a config, printing
// decisions), check-config (validate a configuration file), and the client
// subcommands that talk to `allot serve` (src/client/cli.h, docs/cli.md).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>

#include "client/cli.h"
#include "config/config_loader.h"
#include "demo.h"

namespace {

allot::Result<allot::Config> LoadOrDefault(const std::string& path) {
  if (path.empty()) return allot::ParseConfig(allot::DefaultConfigYaml(), "<default>");
  return allot::LoadConfigFile(path);
}

int Main(int argc, char** argv) {
  CLI::App app{"allot: a compute allocator for AI agents and workloads"};
  app.require_subcommand(1);

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

  int client_exit_code = -1;
  allot::AddClientCommands(app, &client_exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and exits 0; a usage error exits 2 (docs/cli.md).
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (client_exit_code >= 0) return client_exit_code;

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
