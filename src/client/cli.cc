#include "client/cli.h"

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <memory>

#include "client/commands.h"
#include "client/exit_codes.h"

namespace allot {

namespace {

constexpr char kDefaultServer[] = "http://127.0.0.1:8470";

// The options every client subcommand takes. Each subcommand has its own
// copy: CLI11 fills environment defaults on every subcommand, used or not,
// and shared storage would let an unused one overwrite the used one's value.
struct GlobalOptions {
  std::string server = kDefaultServer;
  std::string key;
  std::string output = "table";
  double timeout_seconds = 30;
};

// Adds the global options to `command` and runs `run` with a client built
// from them when `command` is selected.
void Bind(CLI::App* command, int* exit_code, std::function<int(ClientContext&)> run) {
  auto global = std::make_shared<GlobalOptions>();
  command->add_option("--server", global->server, "allot server URL")
      ->envname("ALLOT_SERVER")
      ->capture_default_str();
  command->add_option("--key", global->key, "API key")->envname("ALLOT_API_KEY");
  command->add_option("--output", global->output, "table | json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();
  command->add_option("--timeout", global->timeout_seconds, "seconds to wait for a reply")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  command->callback([global, exit_code, run = std::move(run)] {
    Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(
        global->server, static_cast<Duration>(global->timeout_seconds * kMicrosPerSecond));
    if (!client.ok()) {
      std::cerr << "allot: --server: " << client.status().message() << "\n";
      *exit_code = kExitUsage;
      return;
    }
    (*client)->set_api_key(global->key);
    ClientContext ctx{**client,
                      global->output == "json" ? OutputFormat::kJson : OutputFormat::kTable,
                      std::cout, std::cerr};
    *exit_code = run(ctx);
  });
}

// A lease id argument: a whole number (CLI11 refuses anything else).
void AddLeaseId(CLI::App* command, uint64_t& id) {
  command->add_option("id", id, "lease id")->required();
}

// The request options shared by `lease acquire` and `run`.
void AddRequestOptions(CLI::App* command, AcquireOptions& o) {
  command->add_option("--tenant", o.tenant, "tenant path (acme/research/agent-7)");
  command->add_option("--class", o.priority_class, "priority class");
  CLI::Option* gpu = command->add_option("--gpu", o.gpu, "GPUs per member (0.25, 1, 8)");
  CLI::Option* fraction =
      command->add_option("--gpu-fraction", o.gpu_fraction, "a share of one GPU (0 < F < 1)");
  CLI::Option* mig = command->add_option("--mig", o.mig_profile, "MIG profile (3g.40gb)");
  gpu->excludes(fraction)->excludes(mig);
  fraction->excludes(mig);
  command->add_option("--gpu-memory", o.gpu_memory, "GPU memory per member (20Gi)");
  command->add_option("--cpu", o.cpu, "CPU cores per member");
  command->add_option("--memory", o.memory, "memory per member (16Gi)");
  command->add_option("--members", o.members, "members placed all-or-nothing (default 1)");
  command->add_option("--pool", o.pool, "pool to place in");
  command->add_option("--estimate", o.estimate, "expected run time (2h)");
  command->add_option("--ttl", o.ttl, "lease TTL, renewed by heartbeats (60s)");
  // One value per --label, so "--label a=b -- cmd" leaves "--" to end the
  // options instead of being read as a second label.
  command->add_option("--label", o.labels, "label key=value (repeatable)")->allow_extra_args(false);
}

void AddLeaseCommands(CLI::App& app, int* exit_code) {
  CLI::App* lease = app.add_subcommand("lease", "ask for, inspect and end leases");
  lease->require_subcommand(1);

  auto acquire = std::make_shared<AcquireOptions>();
  CLI::App* acquire_command = lease->add_subcommand("acquire", "ask for a lease");
  AddRequestOptions(acquire_command, *acquire);
  acquire_command->add_option("--model", acquire->model, "model to call (a model lease)");
  acquire_command->add_option("--input-tokens", acquire->input_tokens, "prompt tokens (estimate)");
  acquire_command->add_option("--max-output-tokens", acquire->max_output_tokens,
                              "most output tokens the call may produce");
  acquire_command->add_option("--idempotency-key", acquire->idempotency_key,
                              "a retry with the same key gets the same answer");
  acquire_command->add_option("--wait", acquire->wait_seconds,
                              "seconds to wait for a grant while queued (exit 5 if still queued)");
  Bind(acquire_command, exit_code,
       [acquire](ClientContext& ctx) { return LeaseAcquire(ctx, *acquire); });

  for (auto [name, help, method] :
       {std::tuple("get", "show a lease", &LeaseGet),
        std::tuple("renew", "extend a lease's TTL", &LeaseRenew),
        std::tuple("cancel", "cancel a queued request or end a granted lease", &LeaseCancel)}) {
    auto id = std::make_shared<uint64_t>(0);
    CLI::App* command = lease->add_subcommand(name, help);
    AddLeaseId(command, *id);
    Bind(command, exit_code,
         [id, method = method](ClientContext& ctx) { return method(ctx, *id); });
  }

  auto list = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* list_command = lease->add_subcommand("list", "list leases");
  list_command->add_option("--state", list->first, "granted | queued")
      ->check(CLI::IsMember({"granted", "queued"}));
  list_command->add_option("--tenant", list->second, "tenant subtree");
  Bind(list_command, exit_code,
       [list](ClientContext& ctx) { return LeaseList(ctx, list->first, list->second); });

  auto release = std::make_shared<std::pair<uint64_t, ReleaseOptions>>();
  CLI::App* release_command = lease->add_subcommand("release", "end a granted lease");
  AddLeaseId(release_command, release->first);
  ReleaseOptions& r = release->second;
  release_command->add_option("--input-tokens", r.input_tokens, "input tokens used");
  release_command->add_option("--cached-input-tokens", r.cached_input_tokens, "of which cached");
  release_command->add_option("--output-tokens", r.output_tokens, "output tokens used");
  release_command->add_option("--exit-code", r.exit_code, "the work's exit code");
  release_command->add_option("--wall-seconds", r.wall_seconds, "the work's wall time");
  Bind(release_command, exit_code, [release](ClientContext& ctx) {
    return LeaseRelease(ctx, release->first, release->second);
  });
}

void AddClusterCommands(CLI::App& app, int* exit_code) {
  auto queue = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* queue_command = app.add_subcommand("queue", "show the queue in order");
  queue_command->add_option("--tenant", queue->first, "tenant subtree");
  queue_command->add_option("--class", queue->second, "priority class");
  Bind(queue_command, exit_code,
       [queue](ClientContext& ctx) { return ShowQueue(ctx, queue->first, queue->second); });

  Bind(app.add_subcommand("tenants", "show tenants: usage, quota, share"), exit_code, &ShowTenants);
  Bind(app.add_subcommand("budgets", "show budgets: spend, remaining, burn rate"), exit_code,
       &ShowBudgets);
  Bind(app.add_subcommand("pools", "show pools: capacity and allocation"), exit_code, &ShowPools);

  auto pool = std::make_shared<std::string>();
  CLI::App* nodes = app.add_subcommand("nodes", "show nodes");
  nodes->add_option("--pool", *pool, "only this pool");
  Bind(nodes, exit_code, [pool](ClientContext& ctx) { return ShowNodes(ctx, *pool); });

  CLI::App* node = app.add_subcommand("node", "change a node (admin)");
  node->require_subcommand(1);
  auto set_state = std::make_shared<std::pair<std::string, std::string>>();
  CLI::App* set_state_command =
      node->add_subcommand("set-state", "mark a node up, draining or down");
  set_state_command->add_option("name", set_state->first, "node name")->required();
  set_state_command->add_option("state", set_state->second, "up | draining | down")
      ->required()
      ->check(CLI::IsMember({"up", "draining", "down"}));
  Bind(set_state_command, exit_code, [set_state](ClientContext& ctx) {
    return SetNodeState(ctx, set_state->first, set_state->second);
  });
}

void AddReportCommands(CLI::App& app, int* exit_code) {
  auto report = std::make_shared<ReportOptions>();
  CLI::App* report_command = app.add_subcommand("report", "chargeback: cost by tenant, class, ...");
  report_command->add_option("--from", report->from,
                             "start (RFC 3339 or date; default: month start)");
  report_command->add_option("--to", report->to, "end (exclusive)");
  report_command->add_option("--by", report->by, "tenant | class | pool | label:KEY");
  report_command->add_option("--level", report->level, "tenant tree depth to roll up to");
  Bind(report_command, exit_code,
       [report](ClientContext& ctx) { return ShowReport(ctx, *report); });

  struct Usage {
    std::string from, to, format;
  };
  auto usage = std::make_shared<Usage>();
  CLI::App* usage_command = app.add_subcommand(
      "usage", "usage records: a table, or the raw export with --format (to stdout)");
  usage_command->add_option("--from", usage->from, "start");
  usage_command->add_option("--to", usage->to, "end (exclusive)");
  usage_command
      ->add_option("--format", usage->format,
                   "jsonl | csv | focus: the export byte for byte instead of a table")
      ->check(CLI::IsMember({"jsonl", "csv", "focus"}));
  usage_command->footer(
      "Units: GPU-HOURS is GPUs x hours held. The export's <resource>_ms fields are the "
      "resource's unit x milliseconds held, in the server's fixed point: gpu_ms is milli-GPUs x "
      "ms (3600000000 = one GPU for one hour), cpu_ms milli-cores x ms, memory_ms and "
      "gpu_memory_ms MiB x ms.");
  Bind(usage_command, exit_code, [usage](ClientContext& ctx) {
    return ShowUsage(ctx, usage->from, usage->to, usage->format);
  });

  Bind(app.add_subcommand("events", "print decisions and alerts as they happen (Ctrl-C ends)"),
       exit_code, [](ClientContext& ctx) { return FollowEvents(ctx, 0); });
  Bind(app.add_subcommand("reload", "reload the server's configuration file (admin)"), exit_code,
       &Reload);
}

void AddRunCommand(CLI::App& app, int* exit_code) {
  auto run = std::make_shared<RunOptions>();
  CLI::App* command = app.add_subcommand(
      "run", "run a command under a lease: allot run --gpu 1 -- python train.py");
  AddRequestOptions(command, run->acquire);
  command->add_option("command", run->command, "the command and its arguments, after --")
      ->required();
  command->footer("Put the command after --: allot run --gpu 1 -- python train.py --lr 3e-4");
  Bind(command, exit_code, [run](ClientContext& ctx) { return RunUnderLease(ctx, *run); });
}

}  // namespace

void AddClientCommands(CLI::App& app, int* exit_code) {
  AddLeaseCommands(app, exit_code);
  AddClusterCommands(app, exit_code);
  AddReportCommands(app, exit_code);
  AddRunCommand(app, exit_code);
}

}  // namespace allot
