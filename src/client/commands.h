#pragma once

// The client subcommands as functions: each sends its calls through
// ctx.http, prints to ctx.out / ctx.err in ctx.output's format, and returns
// the process exit code (exit_codes.h). cli.cc binds them to command-line
// options; tests call them directly against a server.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/api_call.h"
#include "common/result.h"
#include "common/time.h"

namespace allot {

// `allot lease acquire` and `allot run`: what to ask for. Strings are passed
// to the server as written after a syntax check ("20Gi", "2h", "60s").
struct AcquireOptions {
  std::string tenant;
  std::string priority_class;
  std::optional<double> gpu;           // whole or fractional GPUs
  std::optional<double> gpu_fraction;  // a share of one GPU, 0 < F < 1
  std::string mig_profile;             // "3g.40gb"
  std::string gpu_memory;              // "20Gi"
  std::optional<double> cpu;
  std::string memory;  // "16Gi"
  std::optional<int64_t> members;
  std::string pool;
  std::string estimate;             // "2h"
  std::string ttl;                  // "60s"
  std::vector<std::string> labels;  // "key=value"
  std::string model;                // a model call: model, input and output tokens
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> max_output_tokens;
  std::string idempotency_key;
  std::optional<double> wait_seconds;  // hold the reply while queued (acquire)
};

// The POST /v1/leases body for `options` (without "wait"), or
// InvalidArgument naming the option ("--memory: ...").
Result<Json> AcquireBody(const AcquireOptions& options);

// --- leases (cli_lease.cc) ---
// POST /v1/leases; with --wait, keeps waiting (GET ?wait=) until granted,
// ended, rejected or the wait runs out (kExitStillQueued).
int LeaseAcquire(ClientContext& ctx, const AcquireOptions& options);
int LeaseGet(ClientContext& ctx, uint64_t id);
int LeaseList(ClientContext& ctx, const std::string& state, const std::string& tenant);
int LeaseRenew(ClientContext& ctx, uint64_t id);
struct ReleaseOptions {
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> cached_input_tokens;
  std::optional<int64_t> output_tokens;
  std::optional<int64_t> exit_code;
  std::optional<double> wall_seconds;
};
// The POST .../release body ({} when no option is set).
Json ReleaseBody(const ReleaseOptions& options);
int LeaseRelease(ClientContext& ctx, uint64_t id, const ReleaseOptions& options);
int LeaseCancel(ClientContext& ctx, uint64_t id);

// Prints leases as a table (ID, STATE, TENANT, CLASS, DETAIL) or JSON.
void PrintLeases(ClientContext& ctx, const std::vector<const Json*>& leases);
// The DETAIL cell: placement when granted, queue position/reason/ETA when
// queued, end reason when ended, reject code and message when rejected.
std::string LeaseDetail(const Json& lease);

// --- capacity and accounting (cli_cluster.cc) ---
int ShowQueue(ClientContext& ctx, const std::string& tenant, const std::string& priority_class);
int ShowTenants(ClientContext& ctx);
int ShowBudgets(ClientContext& ctx);
int ShowPools(ClientContext& ctx);
int ShowNodes(ClientContext& ctx, const std::string& pool);
int SetNodeState(ClientContext& ctx, const std::string& node, const std::string& state);

// --- reports, exports, events, admin (cli_report.cc) ---
struct ReportOptions {
  std::string from;  // RFC 3339 or a date; the server's default window when empty
  std::string to;
  std::string by;  // tenant | class | pool | label:KEY
  std::optional<int> level;
};
int ShowReport(ClientContext& ctx, const ReportOptions& options);
// The export body as the server sent it, byte for byte, to ctx.out.
int ShowUsageExport(ClientContext& ctx, const std::string& from, const std::string& to,
                    const std::string& format);
// `allot usage`: with a format (jsonl, csv, focus) the export as above; else
// with --output json the JSON lines, else a table of the records (lease,
// tenant, class, pool, start, end, GPU-hours, tokens, cost) and a legend of
// its units.
int ShowUsage(ClientContext& ctx, const std::string& from, const std::string& to,
              const std::string& format);
// Prints each event as one line ("<event> <data>"; --output json: the data)
// until `timeout` passes (<= 0: until the process is stopped).
int FollowEvents(ClientContext& ctx, Duration timeout);
int Reload(ClientContext& ctx);

// --- allot run (cli_run.cc) ---
struct RunOptions {
  AcquireOptions acquire;
  std::vector<std::string> command;   // argv; command[0] is looked up in PATH
  Duration kill_grace = Seconds(10);  // SIGTERM -> SIGKILL when the lease ends
  int poll_wait_seconds = 5;          // GET ?wait= while queued
};
// Acquires a lease (waiting in the queue), runs the command under it with
// heartbeats and signal forwarding, releases it with the exit code and wall
// time, and returns the command's exit code (see docs/cli.md).
int RunUnderLease(ClientContext& ctx, const RunOptions& options);

}  // namespace allot
