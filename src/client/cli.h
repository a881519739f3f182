#pragma once

// Registers the client subcommands on the `allot` command line.

namespace CLI {
class App;
}  // namespace CLI

namespace allot {

// Adds lease, queue, tenants, budgets, pools, nodes, node, report, usage,
// events, reload and run to `app` (docs/cli.md). A selected one runs at the
// end of app.parse() and stores its exit code (exit_codes.h) in *exit_code;
// *exit_code is left untouched when none was selected, so main can tell.
// The option values live as long as `app`.
void AddClientCommands(CLI::App& app, int* exit_code);

}  // namespace allot
