#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "config/config_loader.h"
#include "engine/engine.h"
#include "metering/usage_record.h"
#include "store/codec.h"

namespace allot {

// What the API still knows of a request that left the engine: rejected, or
// granted and ended (with its usage record). Bounded history.
struct FinishedRequest {
  uint64_t id = 0;
  bool rejected = false;
  std::string tenant_path;
  std::string priority_class;
  Time at = 0;  // rejection or end time
  // rejected
  RejectCode reject_code = RejectCode::kInvalidArgument;
  // ended
  EndReason end_reason = EndReason::kReleased;
  UsageRecord usage;
  bool has_exit = false;
  int exit_code = 0;
  double wall_seconds = 0;
  std::string message;
};

// The engine with the configuration in force, driven only by commands
// (store/codec.h), so that serving and replaying a journal are the same code:
// the server applies a command and journals it; start-up applies the journal's
// commands to the snapshot before them and reaches the same state. No I/O, no
// clock, no threads.
class EngineHost {
 public:
  // A new engine on `yaml` (the configuration text; `source` names it in errors).
  static Result<std::unique_ptr<EngineHost>> Create(std::string yaml, std::string source);
  // The host a snapshot (SnapshotJson) describes. DataLoss when damaged.
  static Result<std::unique_ptr<EngineHost>> FromSnapshot(std::string_view json);
  // The engine, its configuration and the recent history, as JSON.
  std::string SnapshotJson() const;

  struct Outcome {
    Status status;                     // the command's own error (state unchanged)
    std::optional<Decision> decision;  // Submit: its answer
    std::vector<Decision> decisions;   // caused for other requests (the outbox)
    std::vector<UsageRecord> usage;    // leases that ended
  };
  // Applies a command at its time. Every command that reaches the engine
  // must be journaled, failed ones too (the clock moved). A Reconfigure that
  // fails changes nothing (status says why).
  Outcome Apply(const Command& command);

  // Would a Reconfigure to `yaml` be accepted now? The same checks, nothing
  // changed: a pushed configuration is checked before it is written to the
  // file of record.
  Status CheckReconfigure(const std::string& yaml) const;

  Engine& engine() { return *engine_; }
  const Engine& engine() const { return *engine_; }
  const Config& config() const { return config_; }
  const std::string& config_yaml() const { return yaml_; }
  const std::string& config_source() const { return source_; }

  const FinishedRequest* FindFinished(uint64_t id) const;
  // "granted", "queued", "ended", "rejected", or "" when unknown, with the
  // tenant path it belongs to: the cheap lookup behind the API's checks.
  std::string_view StateOf(uint64_t id, std::string* tenant_path) const;
  // How long request `id`, granted by the last command, had waited (0: at once).
  Duration TakeGrantWait(uint64_t id);
  // Requests kept in the history, live and in snapshots alike, so that a
  // restart keeps every answer (a release retried after a crash: 409 "already
  // ended", never 404). Bounded because the serving thread writes the whole
  // history into each snapshot: 10,000 entries (with their usage records) are
  // 6.8 MB and took 330 ms on a loaded 2-core machine (EngineHostHistoryTest prints it).
  static constexpr size_t kHistoryLimit = 10'000;

 private:
  EngineHost() = default;
  Status Reconfigure(const std::string& yaml);
  // The engine a Reconfigure to `yaml` would install, its configuration in
  // *config; FailedPrecondition with the reason when refused.
  Result<std::unique_ptr<Engine>> BuildReconfigured(const std::string& yaml, Config* config) const;
  // Brings the budget state of `snapshot` (taken under the ledger `before`)
  // under the ledger `after` of a new configuration (BudgetLedger::CarryOver),
  // and the leases' reservations under the budgets now on their path.
  static Status CarryBudgets(const BudgetLedger* before, const BudgetLedger* after,
                             Duration default_estimate, EngineSnapshot* snapshot);
  void Remember(FinishedRequest finished);
  void RebuildWaiting();
  // `submitted`: the request of a Submit whose answer is among `decisions`.
  void NoteDecisions(const std::vector<Decision>& decisions, const Request* submitted);
  void NoteUsage(const std::vector<UsageRecord>& usage, const Command* release);

  std::string yaml_;
  std::string source_;
  Config config_;
  std::unique_ptr<Engine> engine_;
  std::deque<uint64_t> history_order_;
  std::unordered_map<uint64_t, FinishedRequest> history_;
  // Messages of LeaseEnded decisions, until their usage record arrives.
  std::unordered_map<uint64_t, std::string> end_messages_;
  // Waiting requests' tenant path and class, for the history of those that
  // are rejected from the queue (timed out, over budget).
  struct Waiting {
    std::string tenant_path;
    std::string priority_class;
    Time enqueued_at = 0;
  };
  std::unordered_map<uint64_t, Waiting> waiting_;
  // How long requests granted by the last command had waited (metrics).
  std::unordered_map<uint64_t, Duration> grant_waits_;
};

}  // namespace allot
