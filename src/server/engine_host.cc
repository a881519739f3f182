#include "server/engine_host.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "metering/usage_jsonl.h"
#include "store/json_fields.h"
#include "store/json_writer.h"

namespace allot {

namespace {

using nlohmann::json;

}  // namespace

Result<std::unique_ptr<EngineHost>> EngineHost::Create(std::string yaml, std::string source) {
  Result<Config> config = ParseConfig(yaml, source);
  if (!config.ok()) return config.status();
  std::unique_ptr<EngineHost> host(new EngineHost());
  Result<std::unique_ptr<Engine>> engine = Engine::Create(config->inventory, config->engine);
  if (!engine.ok()) return engine.status();
  host->yaml_ = std::move(yaml);
  host->source_ = std::move(source);
  host->config_ = std::move(config).value();
  host->engine_ = std::move(engine).value();
  return host;
}

std::string EngineHost::SnapshotJson() const {
  // Written as text (keys in ascending order, as the nlohmann object it
  // replaces printed them): the serving thread builds it, and the DOM of
  // the history with a usage line per entry stalled it for 10-15 ms.
  std::string text;
  store::JsonWriter writer(&text);
  writer.BeginObject();
  writer.Field("config_source", source_);
  writer.Field("config_yaml", yaml_);
  writer.Key("engine");
  writer.Raw(
      store::Dump(SnapshotToJson(engine_->Snapshot(), engine_->inventory(), engine_->tenancy())));
  writer.Key("history");
  writer.BeginArray();
  UsageJsonlWriter usage_writer;
  // The whole history (Remember bounds it): a restarted server must answer
  // for an ended or rejected request exactly as the one that crashed.
  for (size_t i = 0; i < history_order_.size(); ++i) {
    auto it = history_.find(history_order_[i]);
    if (it == history_.end()) continue;
    const FinishedRequest& f = it->second;
    writer.BeginObject();
    writer.Field("at", f.at);
    writer.Field("class", f.priority_class);
    writer.Field("code",
                 f.rejected ? static_cast<int>(f.reject_code) : static_cast<int>(f.end_reason));
    if (f.has_exit) writer.Field("exit_code", f.exit_code);
    writer.Field("id", f.id);
    writer.Field("message", f.message);
    writer.Field("rejected", f.rejected);
    writer.Field("tenant", f.tenant_path);
    if (!f.rejected && f.usage.lease.valid()) {
      Result<std::string> line = usage_writer.Line(f.usage, engine_->inventory().resources);
      if (line.ok()) writer.Field("usage", *line + "\n");  // a JSONL line, as ReadUsageJsonl reads
    }
    if (f.has_exit) {
      writer.Key("wall_seconds");
      writer.Double(f.wall_seconds);
    }
    writer.EndObject();
  }
  writer.EndArray();
  writer.Field("version", 1);
  writer.EndObject();
  return text;
}

Result<std::unique_ptr<EngineHost>> EngineHost::FromSnapshot(std::string_view text) {
  json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded() || !root.is_object() || root.value("version", 0) != 1 ||
      !root.contains("config_yaml") || !root["config_yaml"].is_string() ||
      !root.contains("engine")) {
    return DataLoss("snapshot: not an allot snapshot (version 1)");
  }
  std::string yaml = root["config_yaml"].get<std::string>();
  std::string source = root.value("config_source", std::string("<snapshot>"));
  Result<Config> config = ParseConfig(yaml, source);
  if (!config.ok()) return DataLoss("snapshot: its configuration: " + config.status().message());
  // Tenancy to map names: a throwaway engine on the same configuration.
  Result<std::unique_ptr<Engine>> blank = Engine::Create(config->inventory, config->engine);
  if (!blank.ok()) return DataLoss("snapshot: its configuration: " + blank.status().message());
  Result<EngineSnapshot> snapshot =
      SnapshotFromJson(root["engine"], (*blank)->inventory(), (*blank)->tenancy());
  if (!snapshot.ok()) return DataLoss("snapshot: " + snapshot.status().message());
  Result<std::unique_ptr<Engine>> engine =
      Engine::Restore(config->inventory, config->engine, *snapshot);
  if (!engine.ok()) return DataLoss("snapshot: " + engine.status().message());

  std::unique_ptr<EngineHost> host(new EngineHost());
  host->yaml_ = std::move(yaml);
  host->source_ = std::move(source);
  host->config_ = std::move(config).value();
  host->engine_ = std::move(engine).value();
  host->RebuildWaiting();
  if (root.contains("history") && root["history"].is_array()) {
    for (const json& entry : root["history"]) {
      if (!entry.is_object()) return DataLoss("snapshot: history: not an object");
      FinishedRequest f;
      f.id = entry.value("id", uint64_t{0});
      f.rejected = entry.value("rejected", false);
      f.tenant_path = entry.value("tenant", std::string());
      f.priority_class = entry.value("class", std::string());
      f.at = entry.value("at", Time{0});
      int code = entry.value("code", 0);
      if (f.rejected) {
        f.reject_code = static_cast<RejectCode>(code);
      } else {
        f.end_reason = static_cast<EndReason>(code);
      }
      f.message = entry.value("message", std::string());
      if (entry.contains("exit_code")) {
        f.has_exit = true;
        f.exit_code = entry.value("exit_code", 0);
        f.wall_seconds = entry.value("wall_seconds", 0.0);
      }
      if (entry.contains("usage") && entry["usage"].is_string()) {
        Result<std::vector<UsageRecord>> usage =
            ReadUsageJsonl(entry["usage"].get<std::string>(), host->engine_->inventory().resources);
        if (!usage.ok() || usage->size() != 1) {
          return DataLoss(fmt::format("snapshot: history of request {}: bad usage record", f.id));
        }
        f.usage = std::move(usage->front());
      }
      host->Remember(std::move(f));
    }
  }
  return host;
}

EngineHost::Outcome EngineHost::Apply(const Command& command) {
  Outcome outcome;
  grant_waits_.clear();
  Engine& engine = *engine_;
  switch (command.kind) {
    case Command::Kind::kSubmit:
      outcome.decision = engine.Submit(command.request, command.at);
      break;
    case Command::Kind::kRelease:
      outcome.status = engine.Release(LeaseId{command.id}, command.at,
                                      command.has_usage ? &command.usage : nullptr);
      break;
    case Command::Kind::kRenew:
      outcome.status = engine.Renew(LeaseId{command.id}, command.at);
      break;
    case Command::Kind::kCancel: {
      std::optional<Engine::QueuedView> queued = engine.FindQueued(RequestId{command.id});
      FinishedRequest withdrawn;
      if (queued) {
        withdrawn.id = command.id;
        withdrawn.tenant_path = engine.tenancy().tenant(queued->tenant).path;
        withdrawn.priority_class = engine.tenancy().priority_class(queued->priority_class).name;
        withdrawn.end_reason = EndReason::kCancelled;
        withdrawn.message = "cancelled while queued";
      }
      outcome.status = engine.Cancel(RequestId{command.id}, command.at);
      if (queued && outcome.status.ok()) {
        waiting_.erase(command.id);
        withdrawn.at = engine.now();
        Remember(std::move(withdrawn));
      }
      break;
    }
    case Command::Kind::kTick:
      engine.Tick(command.at);
      break;
    case Command::Kind::kSetNodeState:
      outcome.status = engine.SetNodeState(command.node, command.state, command.at);
      break;
    case Command::Kind::kReconfigure:
      outcome.status = Reconfigure(command.config_yaml);
      break;
  }
  Engine& now_engine = *engine_;  // a reconfigure replaced it
  outcome.decisions = now_engine.TakeDecisions();
  outcome.usage = now_engine.TakeUsage();
  if (outcome.decision) {
    NoteDecisions({*outcome.decision}, &command.request);
  }
  NoteDecisions(outcome.decisions, nullptr);
  NoteUsage(outcome.usage, command.kind == Command::Kind::kRelease ? &command : nullptr);
  return outcome;
}

Result<std::unique_ptr<Engine>> EngineHost::BuildReconfigured(const std::string& yaml,
                                                              Config* config) const {
  Result<Config> parsed = ParseConfig(yaml, "<reload>");
  if (!parsed.ok()) return FailedPrecondition(parsed.status().message());
  Result<std::unique_ptr<Engine>> blank = Engine::Create(parsed->inventory, parsed->engine);
  if (!blank.ok()) return FailedPrecondition(blank.status().message());
  // No tick first: a refused reconfiguration must leave the engine exactly
  // as it was (it is not journaled). Work due by now is done by the new
  // engine at the next command, the same way on replay.
  EngineSnapshot old_snapshot = engine_->Snapshot();
  // Through names: tenants, classes, nodes and MIG profiles may have moved.
  json named = SnapshotToJson(old_snapshot, engine_->inventory(), engine_->tenancy());
  Result<EngineSnapshot> mapped =
      SnapshotFromJson(named, (*blank)->inventory(), (*blank)->tenancy());
  if (!mapped.ok()) {
    return FailedPrecondition("the new configuration cannot keep the current state: " +
                              mapped.status().message());
  }
  Status carried = CarryBudgets(engine_->budgets(), (*blank)->budgets(),
                                parsed->engine.budgets.default_estimate, &*mapped);
  if (!carried.ok()) return carried;
  Result<std::unique_ptr<Engine>> engine =
      Engine::Restore(parsed->inventory, parsed->engine, *mapped);
  if (!engine.ok()) {
    return FailedPrecondition("the new configuration cannot keep the current state: " +
                              engine.status().message());
  }
  *config = std::move(parsed).value();
  return engine;
}

Status EngineHost::CheckReconfigure(const std::string& yaml) const {
  Config config;
  Result<std::unique_ptr<Engine>> engine = BuildReconfigured(yaml, &config);
  return engine.ok() ? Status::Ok() : engine.status();
}

Status EngineHost::Reconfigure(const std::string& yaml) {
  Config config;
  Result<std::unique_ptr<Engine>> engine = BuildReconfigured(yaml, &config);
  if (!engine.ok()) return engine.status();
  yaml_ = yaml;
  source_ = "<reload>";
  config_ = std::move(config);
  engine_ = std::move(engine).value();
  RebuildWaiting();
  return Status::Ok();
}

Status EngineHost::CarryBudgets(const BudgetLedger* before, const BudgetLedger* after,
                                Duration default_estimate, EngineSnapshot* snapshot) {
  if (after == nullptr) {
    snapshot->budgets.clear();
  } else {
    Result<std::vector<BudgetLedger::Entry>> entries =
        after->CarryOver(before, snapshot->budgets, snapshot->now);
    if (!entries.ok()) return FailedPrecondition(entries.status().message());
    snapshot->budgets = std::move(entries).value();
  }
  // A lease holds a reservation exactly when budgets are on its tenant's
  // path (Restore rebuilds the reservations from the leases). One that now
  // has budgets reserves its first chunk from now, as at grant; reserving
  // never refuses, so a budget added or lowered over running work shows as
  // committed and refuses new work, and cancels nothing.
  for (Lease& lease : snapshot->leases) {
    bool budgeted = after != nullptr && after->HasBudgets(lease.tenant);
    if (!budgeted) {
      lease.reserved_until = 0;
      lease.overrun = false;
    } else if (lease.reserved_until == 0) {
      Duration chunk = lease.estimate > 0 ? lease.estimate : default_estimate;
      lease.reserved_until = std::max(lease.granted_at, snapshot->now) + chunk;
    }
  }
  return Status::Ok();
}

void EngineHost::RebuildWaiting() {
  waiting_.clear();
  const Tenancy& tenancy = engine_->tenancy();
  for (const Engine::QueuedView& queued : engine_->QueuedRequests()) {
    waiting_[queued.id.value] = {tenancy.tenant(queued.tenant).path,
                                 tenancy.priority_class(queued.priority_class).name,
                                 queued.enqueued_at};
  }
}

void EngineHost::NoteDecisions(const std::vector<Decision>& decisions, const Request* submitted) {
  const Tenancy& tenancy = engine_->tenancy();
  for (const Decision& decision : decisions) {
    uint64_t id = decision.request.value;
    if (decision.kind == DecisionKind::kQueued && !decision.replayed) {
      if (std::optional<Engine::QueuedView> queued = engine_->FindQueued(decision.request)) {
        waiting_[id] = {tenancy.tenant(queued->tenant).path,
                        tenancy.priority_class(queued->priority_class).name, queued->enqueued_at};
      }
    } else if (decision.kind == DecisionKind::kGranted) {
      if (auto it = waiting_.find(id); it != waiting_.end()) {
        grant_waits_[id] = decision.at - it->second.enqueued_at;
        waiting_.erase(it);
      }
    } else if (decision.kind == DecisionKind::kLeaseEnded) {
      end_messages_[decision.lease.value] = decision.message;
    } else if (decision.kind == DecisionKind::kRejected && !decision.replayed) {
      FinishedRequest f;
      f.id = id;
      if (auto it = waiting_.find(id); it != waiting_.end()) {
        f.tenant_path = it->second.tenant_path;
        f.priority_class = it->second.priority_class;
        waiting_.erase(it);
      } else if (submitted != nullptr) {
        int tenant =
            submitted->tenant.empty() ? tenancy.sole_leaf() : tenancy.FindTenant(submitted->tenant);
        int cls = submitted->priority_class.empty() ? tenancy.default_class()
                                                    : tenancy.FindClass(submitted->priority_class);
        if (tenant >= 0) f.tenant_path = tenancy.tenant(tenant).path;
        if (cls >= 0) f.priority_class = tenancy.priority_class(cls).name;
      }
      f.rejected = true;
      f.at = decision.at;
      f.reject_code = decision.reject_code;
      f.message = decision.message;
      Remember(std::move(f));
    }
  }
}

void EngineHost::NoteUsage(const std::vector<UsageRecord>& usage, const Command* release) {
  for (const UsageRecord& record : usage) {
    FinishedRequest f;
    f.id = record.lease.value;
    f.tenant_path = record.tenant_path;
    f.priority_class = record.priority_class;
    f.at = record.end;
    f.usage = record;
    static constexpr EndReason kReasons[] = {EndReason::kReleased,  EndReason::kCancelled,
                                             EndReason::kExpired,   EndReason::kNodeDown,
                                             EndReason::kPreempted, EndReason::kBudgetExhausted};
    for (EndReason reason : kReasons) {
      if (EndReasonName(reason) == record.end_reason) f.end_reason = reason;
    }
    if (auto it = end_messages_.find(f.id); it != end_messages_.end()) {
      f.message = std::move(it->second);
      end_messages_.erase(it);
    }
    if (release != nullptr && release->id == f.id && release->has_exit) {
      f.has_exit = true;
      f.exit_code = release->exit_code;
      f.wall_seconds = release->wall_seconds;
    }
    Remember(std::move(f));
  }
  end_messages_.clear();
}

void EngineHost::Remember(FinishedRequest finished) {
  uint64_t id = finished.id;
  auto [it, inserted] = history_.insert_or_assign(id, std::move(finished));
  (void)it;
  if (inserted) history_order_.push_back(id);
  while (history_order_.size() > kHistoryLimit) {
    history_.erase(history_order_.front());
    history_order_.pop_front();
  }
}

Duration EngineHost::TakeGrantWait(uint64_t id) {
  auto it = grant_waits_.find(id);
  if (it == grant_waits_.end()) return 0;
  Duration waited = it->second;
  grant_waits_.erase(it);
  return waited;
}

std::string_view EngineHost::StateOf(uint64_t id, std::string* tenant_path) const {
  if (const Lease* lease = engine_->FindLease(LeaseId{id}); lease != nullptr) {
    *tenant_path = engine_->tenancy().tenant(lease->tenant).path;
    return "granted";
  }
  if (std::optional<Engine::QueuedView> queued = engine_->FindQueued(RequestId{id})) {
    *tenant_path = engine_->tenancy().tenant(queued->tenant).path;
    return "queued";
  }
  if (const FinishedRequest* finished = FindFinished(id); finished != nullptr) {
    *tenant_path = finished->tenant_path;
    return finished->rejected ? "rejected" : "ended";
  }
  return {};
}

const FinishedRequest* EngineHost::FindFinished(uint64_t id) const {
  auto it = history_.find(id);
  return it == history_.end() ? nullptr : &it->second;
}

}  // namespace allot
