#include "server/service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/json_input.h"
#include "metering/usage_jsonl.h"
#include "server/api_views.h"
#include "server/config_store.h"
#include "server/event_log.h"
#include "server/metrics.h"
#include "server/report_reader.h"
#include "server/webhooks.h"

namespace allot {

using nlohmann::json;

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
      return 409;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kInternal:
    case StatusCode::kDataLoss:
      return 500;
  }
  return 500;
}

std::string_view ApiCodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kUnauthenticated:
      return "unauthenticated";
    case StatusCode::kPermissionDenied:
      return "permission_denied";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kAlreadyExists:
      return "already_exists";
    case StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case StatusCode::kResourceExhausted:
      return "resource_exhausted";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kInternal:
      return "internal";
    case StatusCode::kDataLoss:
      return "data_loss";
  }
  return "internal";
}

json ErrorJson(std::string_view code, const std::string& message, std::string_view field) {
  std::string field_name(field);
  // Invalid arguments name their field first ("resources.gpu: must be >= 0").
  if (field_name.empty() && code == "invalid_argument") {
    size_t colon = message.find(": ");
    if (colon != std::string::npos && message.find(' ') > colon) {
      field_name = message.substr(0, colon);
    }
  }
  return {{"code", std::string(code)},
          {"message", message},
          {"field", field_name.empty() ? json(nullptr) : json(field_name)}};
}

ServiceReply CodedErrorReply(int http_status, std::string_view code, const std::string& message,
                             std::string_view field) {
  return ServiceReply{http_status, DumpJson(json{{"error", ErrorJson(code, message, field)}})};
}

ServiceReply ErrorReply(const Status& status, std::string_view field) {
  return CodedErrorReply(HttpStatusOf(status.code()), ApiCodeOf(status.code()), status.message(),
                         field);
}

ServiceReply RejectedReply(const Decision& decision, json lease) {
  int status = 400;
  std::string_view code = RejectHttpCode(decision.reject_code, &status);
  lease["state"] = "rejected";
  lease["reject_code"] = std::string(code);
  json body = {{"error", ErrorJson(code, decision.message)}, {"lease", std::move(lease)}};
  return ServiceReply{status, DumpJson(body)};
}

struct Service::Waiter {
  Principal principal;
  bool created = false;  // a POST: 201/202 rather than 200
  bool finished = false;
  Done done;
};

Service::Service(ServiceOptions options, ServiceLoop loop)
    : options_(std::move(options)), loop_(std::move(loop)) {}

Service::~Service() { Shutdown(); }

Result<std::unique_ptr<Service>> Service::Open(ServiceOptions options, ServiceLoop loop) {
  std::unique_ptr<Service> service(new Service(std::move(options), std::move(loop)));
  Result<std::unique_ptr<Journal>> journal =
      Journal::Open(service->options_.data_dir, service->options_.journal);
  if (!journal.ok()) return journal.status();
  service->journal_ = std::move(journal).value();
  service->metrics_ =
      std::make_unique<ServerMetrics>(service->options_.version, service->options_.commit);
  service->reports_ = std::make_unique<ReportReader>(kMaxQueuedReports);
  // Event ids continue from the journal's numbering (event_log.h); before
  // Recover, whose reload of a changed configuration publishes events.
  service->events_ = std::make_unique<EventLog>(service->journal_->last_seq());
  Status recovered = service->Recover();
  if (!recovered.ok()) return recovered;
  // Before the first request: a journaled tick at the current time, so that
  // leases whose TTL ran out while the server was down end now instead of
  // reading "granted" (and holding capacity) until the first timer tick.
  service->Tick();
  service->ready_ = true;
  service->MaybePruneUsage(service->loop_.now());
  return service;
}

Result<std::string> Service::ReadConfigText() const {
  if (options_.config_path.empty()) return std::string(DefaultConfigYaml());
  return ReadConfigFile(options_.config_path);
}

Status Service::Recover() {
  Result<Journal::Recovery> recovery = journal_->Recover();
  if (!recovery.ok()) return recovery.status();
  Result<std::string> wanted = ReadConfigText();
  if (!wanted.ok()) return wanted.status();
  std::string source = options_.config_path.empty() ? "<default>" : options_.config_path;

  size_t first = 0;
  if (!recovery->snapshot_json.empty()) {
    Result<std::unique_ptr<EngineHost>> host = EngineHost::FromSnapshot(recovery->snapshot_json);
    if (!host.ok()) return host.status();
    host_ = std::move(host).value();
    last_snapshot_seq_ = recovery->snapshot_seq;
  } else if (!recovery->commands.empty()) {
    // A journal starts with the configuration it was written under.
    Result<Command> start = CommandFromJson(recovery->commands.front().json, ResourceCatalog());
    if (!start.ok() || start->kind != Command::Kind::kReconfigure) {
      return DataLoss("journal: the first command is not the configuration");
    }
    Result<std::unique_ptr<EngineHost>> host = EngineHost::Create(start->config_yaml, source);
    if (!host.ok()) return DataLoss("journal: its configuration: " + host.status().message());
    host_ = std::move(host).value();
    first = 1;
  }
  if (host_ == nullptr) {
    Result<std::unique_ptr<EngineHost>> host = EngineHost::Create(*wanted, source);
    if (!host.ok()) return host.status();
    host_ = std::move(host).value();
    Command start;
    start.kind = Command::Kind::kReconfigure;
    start.at = loop_.now();
    start.config_yaml = *wanted;
    journal_->Append(CommandToJson(start, host_->engine().inventory().resources), {});
  }
  for (size_t i = first; i < recovery->commands.size(); ++i) {
    const JournalCommand& stored = recovery->commands[i];
    Result<Command> command = CommandFromJson(stored.json, host_->engine().inventory().resources);
    if (!command.ok()) {
      return DataLoss(
          fmt::format("journal: command {}: {}", stored.seq, command.status().message()));
    }
    host_->Apply(*command);  // usage rows were journaled with the command
    last_time_ = std::max(last_time_, command->at);
  }
  spdlog::info("recovered: snapshot at {}, {} commands replayed, {} leases, {} queued",
               recovery->snapshot_seq, recovery->commands.size() - first,
               host_->engine().lease_count(), host_->engine().queue_length());
  durable_seq_ = journal_->durable_seq();
  Status access = RebuildAccess();
  if (!access.ok()) return access;
  // The file is the source of truth: a change made while the server was
  // down comes into force now, journaled like a reload (replay stays exact).
  // One that cannot (it would drop running work, say) stops the start: the
  // server never runs on a configuration other than its file's.
  if (host_->config_yaml() != *wanted) {
    Status applied = BringIntoForce(*wanted);
    if (!applied.ok()) {
      return FailedPrecondition(fmt::format(
          "{}: changed since the configuration in force was journaled, and cannot come into "
          "force: {} (fix the file, or put back the previous one and reload once the state "
          "allows the change)",
          source, applied.message()));
    }
    spdlog::info("{}: changed since the last run; brought into force", source);
  }
  return Status::Ok();
}

Status Service::RebuildAccess() {
  const Config& config = host_->config();
  Result<KeyStore> keys = KeyStore::Create(config.server.api_keys, host_->engine().tenancy());
  if (!keys.ok()) return keys.status();
  keys_ = std::make_unique<KeyStore>(std::move(keys).value());
  if (keys_->open()) {
    spdlog::warn("no api_keys configured: every caller is admin (fine on a loopback demo only)");
  }
  if (webhooks_ != nullptr) {
    ExportWebhookStats();
    webhooks_->Stop();
  }
  webhooks_.reset();
  webhook_seen_.clear();
  if (!config.server.webhooks.empty()) {
    Result<std::unique_ptr<WebhookSender>> sender = WebhookSender::Create(config.server.webhooks);
    if (!sender.ok()) return sender.status();
    webhooks_ = std::move(sender).value();
  }
  return Status::Ok();
}

int64_t Service::Execute(const Command& command, EngineHost::Outcome* outcome) {
  *outcome = host_->Apply(command);
  return Record(command, *outcome);
}

int64_t Service::Record(const Command& command, const EngineHost::Outcome& outcome_ref) {
  const EngineHost::Outcome* outcome = &outcome_ref;
  std::vector<JournalUsage> rows;
  rows.reserve(outcome->usage.size());
  const ResourceCatalog& catalog = host_->engine().inventory().resources;
  for (const UsageRecord& record : outcome->usage) {
    Result<std::string> line = usage_writer_.Line(record, catalog);
    JournalUsage row;
    row.lease = record.lease.value;
    row.tenant_path = record.tenant_path;
    row.end = record.end;
    row.json = line.ok() ? std::move(line).value() : std::string("{}");
    if (command.kind == Command::Kind::kRelease && record.lease.value == command.id && line.ok()) {
      released_usage_ = {command.id, row.json};
    }
    rows.push_back(std::move(row));
    metrics_->ObserveUsage(record);
  }
  int64_t seq = journal_->Append(CommandToJson(command, catalog), std::move(rows), /*wake=*/false);
  ScheduleFlush();
  Publish(outcome->decisions, outcome->decision, seq);
  ResolveWaiters(outcome->decisions, seq);
  if (decision_listener_) {
    for (const Decision& decision : outcome->decisions) decision_listener_(decision);
  }
  MaybeSnapshot(seq);
  return seq;
}

Result<Principal> Service::Authenticate(std::string_view authorization) const {
  return keys_->Authenticate(authorization);
}

Decision Service::SubmitNow(Request request) {
  Command command;
  command.kind = Command::Kind::kSubmit;
  command.at = last_time_ = std::max(last_time_, loop_.now());
  command.request = std::move(request);
  EngineHost::Outcome outcome;
  Execute(command, &outcome);
  return *outcome.decision;
}

std::optional<UsageRecord> Service::ReleaseNow(uint64_t lease, const UsageReport& usage) {
  if (host_->engine().FindLease(LeaseId{lease}) == nullptr) return std::nullopt;
  Command command;
  command.kind = Command::Kind::kRelease;
  command.at = last_time_ = std::max(last_time_, loop_.now());
  command.id = lease;
  command.has_usage = true;
  command.usage = usage;
  EngineHost::Outcome outcome;
  Execute(command, &outcome);
  for (UsageRecord& record : outcome.usage) {
    if (record.lease.value == lease) return std::move(record);
  }
  return std::nullopt;
}

void Service::CancelNow(uint64_t request) {
  Command command;
  command.kind = Command::Kind::kCancel;
  command.at = last_time_ = std::max(last_time_, loop_.now());
  command.id = request;
  EngineHost::Outcome outcome;
  Execute(command, &outcome);
}

void Service::AfterDurable(int64_t seq, std::function<void(const Status&)> fn) {
  if (journal_failed_) {
    fn(journal_error_);
    return;
  }
  if (seq <= durable_seq_ && after_durable_.empty()) {
    fn(Status::Ok());
    return;
  }
  // Sequence numbers only grow, so the queue stays in order. The journal is
  // asked to report once per flush, for the newest entry (Flush).
  after_durable_.emplace_back(seq, std::move(fn));
  ScheduleFlush();
}

void Service::ScheduleFlush() {
  if (flush_posted_) return;
  flush_posted_ = true;
  // Posted behind the handlers already ready on the loop: the commands and
  // replies of one pass of the event loop share one wake-up of the writer
  // and one durability report.
  loop_.post([this] { Flush(); });
}

void Service::Flush() {
  flush_posted_ = false;
  journal_->Flush();
  if (after_durable_.empty() || after_durable_.back().first <= watched_seq_) return;
  int64_t seq = watched_seq_ = after_durable_.back().first;
  journal_->WhenDurable(seq, [this, seq](const Status& status) {
    loop_.post([this, seq, status] { OnDurable(seq, status); });
  });
}

void Service::OnDurable(int64_t seq, const Status& status) {
  if (!status.ok()) {
    OnJournalFailed(status);
    return;
  }
  durable_seq_ = std::max(durable_seq_, seq);
  while (!after_durable_.empty() && after_durable_.front().first <= durable_seq_) {
    std::function<void(const Status&)> fn = std::move(after_durable_.front().second);
    after_durable_.pop_front();
    fn(Status::Ok());
  }
  Journal::CommitStats stats = journal_->TakeStats();
  for (size_t i = 0; i < stats.commit_seconds.size(); ++i) {
    metrics_->ObserveJournalCommit(stats.commit_seconds[i],
                                   i < stats.batch_sizes.size() ? stats.batch_sizes[i] : 0);
  }
}

void Service::OnJournalFailed(const Status& status) {
  bool first = !journal_failed_;
  if (first) {
    spdlog::error("journal commit failed: {}", status.message());
    journal_failed_ = true;
    // Fail-stop (docs/operations.md): the engine in memory holds commands
    // the journal lost, so nothing more is answered from it; every waiting
    // client hears why, and the process exits for its supervisor to restart
    // it from what the journal holds.
    journal_error_ = Unavailable(fmt::format(
        "journal write failed: {}; the server accepts nothing more and restarts from its "
        "journal",
        status.message()));
  }
  std::deque<std::pair<int64_t, std::function<void(const Status&)>>> waiting;
  waiting.swap(after_durable_);
  for (auto& [seq, fn] : waiting) fn(journal_error_);
  if (first && loop_.fail_stop) loop_.fail_stop(kJournalFailedExitCode);
}

void Service::ReplyDurable(ServiceReply reply, Done done) {
  AfterDurable(journal_->last_seq(),
               [reply = std::move(reply), done = std::move(done)](const Status& status) mutable {
                 done(status.ok() ? std::move(reply) : ErrorReply(status));
               });
}

void Service::Publish(const std::vector<Decision>& decisions, const std::optional<Decision>& answer,
                      int64_t seq) {
  Engine& engine = host_->engine();
  auto one = [&](const Decision& decision) {
    Duration waited =
        decision.kind == DecisionKind::kGranted ? host_->TakeGrantWait(decision.request.value) : 0;
    metrics_->ObserveDecision(decision, engine, waited);
    std::string tenant;
    json event = DecisionEventJson(*host_, decision, &tenant);
    // Every event gets an id and goes to the backlog, subscribers or not:
    // a client reconnecting later resumes from it.
    int64_t id = events_->NextId(seq);
    event["seq"] = id;
    std::string kind(DecisionKindName(decision.kind));
    std::string data = DumpJson(event);
    AfterDurable(seq, [this, kind, tenant, data, id](const Status& status) {
      if (!status.ok()) return;  // never durable: never published
      std::string frame = fmt::format("event: {}\nid: {}\ndata: {}\n\n", kind, id, data);
      events_->Add(id, tenant, frame);
      for (auto it = subscribers_.begin(); it != subscribers_.end();) {
        bool visible = Covers(it->second.principal, tenant) && !it->second.replaying;
        if (visible && !it->second.write(frame)) {
          it = subscribers_.erase(it);
        } else {
          ++it;
        }
      }
      if (webhooks_ != nullptr) webhooks_->Publish(kind, data);
    });
  };
  if (answer) one(*answer);
  for (const Decision& decision : decisions) one(decision);
}

void Service::ResolveWaiters(const std::vector<Decision>& decisions, int64_t seq) {
  if (waiters_.empty()) return;
  for (const Decision& decision : decisions) {
    if (decision.kind != DecisionKind::kGranted && decision.kind != DecisionKind::kRejected &&
        decision.kind != DecisionKind::kLeaseEnded) {
      continue;
    }
    auto it = waiters_.find(decision.request.value);
    if (it == waiters_.end()) continue;
    std::vector<std::shared_ptr<Waiter>> waiting = std::move(it->second);
    waiters_.erase(it);
    for (std::shared_ptr<Waiter>& waiter : waiting) {
      if (waiter->finished) continue;
      waiter->finished = true;
      --waiter_count_;
      ServiceReply reply =
          decision.kind == DecisionKind::kRejected
              ? RejectedReply(decision, LeaseView(decision.request.value, waiter->principal))
              : LeaseReply(decision.request.value, waiter->principal, waiter->created ? 201 : 200);
      AfterDurable(seq, [reply = std::move(reply),
                         done = std::move(waiter->done)](const Status& status) mutable {
        done(status.ok() ? std::move(reply) : ErrorReply(status));
      });
    }
  }
}

void Service::AddWaiter(uint64_t id, const Principal& principal, Duration wait, bool created,
                        Done done) {
  auto waiter = std::make_shared<Waiter>();
  waiter->principal = principal;
  waiter->created = created;
  waiter->done = std::move(done);
  waiters_[id].push_back(waiter);
  ++waiter_count_;
  loop_.schedule(wait, [this, id, waiter] {
    if (waiter->finished) return;
    waiter->finished = true;
    --waiter_count_;
    auto it = waiters_.find(id);
    if (it != waiters_.end()) {
      std::erase(it->second, waiter);
      if (it->second.empty()) waiters_.erase(it);
    }
    ServiceReply reply = LeaseReply(id, waiter->principal, waiter->created ? 202 : 200);
    ReplyDurable(std::move(reply), std::move(waiter->done));
  });
}

void Service::MaybeSnapshot(int64_t seq) {
  int64_t every = host_->config().server.snapshot_every;
  if (every <= 0 || seq - last_snapshot_seq_ < every) return;
  last_snapshot_seq_ = seq;
  journal_->Snapshot(seq, host_->SnapshotJson());
}

void Service::ExportWebhookStats() {
  if (webhooks_ == nullptr) return;
  for (const WebhookSender::Stats& stats : webhooks_->stats()) {
    std::array<uint64_t, 3>& seen = webhook_seen_[stats.webhook];
    const uint64_t now[3] = {stats.delivered, stats.failed_attempts, stats.dropped};
    static constexpr std::string_view kResults[3] = {"delivered", "failed_attempt", "dropped"};
    for (size_t i = 0; i < 3; ++i) {
      if (now[i] > seen[i]) {
        metrics_->ObserveWebhook(stats.webhook, kResults[i],
                                 static_cast<int64_t>(now[i] - seen[i]));
      }
      seen[i] = now[i];
    }
  }
}

Status Service::WriteSnapshot() {
  if (journal_failed_) return Unavailable("the journal cannot be written");
  int64_t seq = journal_->last_seq();
  last_snapshot_seq_ = seq;
  journal_->Snapshot(seq, host_->SnapshotJson());
  return Status::Ok();
}

void Service::MaybePruneUsage(Time now) {
  if (now - last_usage_prune_ < Seconds(60)) return;
  last_usage_prune_ = now;
  // The journal's writer deletes them in chunks between commits.
  journal_->PruneUsage(now - host_->config().server.usage_retention);
}

void Service::Tick() {
  if (shut_down_ || journal_failed_) return;
  Time now = std::max(last_time_, loop_.now());
  MaybePruneUsage(now);
  ExportWebhookStats();
  // Nothing due: nothing to journal. A Tick command every second cost an
  // idle server ~86,400 commits (and fsyncs) a day that changed nothing.
  if (host_->engine().NextWakeup() > now) return;
  Command command;
  command.kind = Command::Kind::kTick;
  command.at = last_time_ = now;
  EngineHost::Outcome outcome;
  Execute(command, &outcome);
}

Duration Service::NextTickDelay() const {
  Duration interval = host_->config().server.tick_interval;
  Time wakeup = host_->engine().NextWakeup();
  Time now = std::max(last_time_, loop_.now());
  if (wakeup <= now) return 1000;  // due now: the next pass of the loop (1 ms)
  // At most tick_interval away, so budgets and retention see the clock move
  // even when the engine has no deadline.
  return std::clamp<Duration>(wakeup - now, 1000, interval);
}

Status Service::Reload(std::string yaml_override) {
  std::string yaml = std::move(yaml_override);
  if (yaml.empty()) {
    Result<std::string> text = ReadConfigText();
    if (!text.ok()) return FailedPrecondition(text.status().message());
    yaml = std::move(text).value();
  } else {
    // A pushed configuration becomes the file of record first, so that the
    // next start (or SIGHUP) reads what is in force: checked, then written,
    // then applied; a refusal at either step changes nothing.
    if (options_.config_path.empty()) {
      return FailedPrecondition(
          "the server runs on the embedded default configuration, which cannot be replaced: "
          "start it with --config FILE to push configurations; nothing changed");
    }
    Status checked = host_->CheckReconfigure(yaml);
    if (!checked.ok()) return checked;
    Status written = WriteConfigFile(options_.config_path, yaml);
    if (!written.ok()) return written;
  }
  return BringIntoForce(yaml);
}

Status Service::BringIntoForce(const std::string& yaml) {
  // Parsed and checked by the engine host; a refused one changes nothing.
  Command command;
  command.kind = Command::Kind::kReconfigure;
  command.at = last_time_ = std::max(last_time_, loop_.now());
  command.config_yaml = yaml;
  EngineHost::Outcome outcome = host_->Apply(command);
  if (!outcome.status.ok()) return outcome.status;  // nothing changed: not journaled
  Record(command, outcome);
  Status access = RebuildAccess();
  if (!access.ok()) spdlog::error("after reload: {}", access.message());
  RecheckListeners();
  spdlog::info("configuration reloaded: {} pools, {} nodes, {} leases kept",
               host_->config().inventory.pools.size(), host_->config().inventory.nodes.size(),
               host_->engine().lease_count());
  if (on_reload_) on_reload_();
  return Status::Ok();
}

void Service::RecheckListeners() {
  // Event streams: a key that is gone, or no longer may read, or is now
  // bound to another tenant, ends its stream with a last `error` event.
  // Written after the scan: a write may close its session, which
  // unsubscribes.
  std::vector<std::pair<Subscriber, Status>> ended;
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    Subscriber& subscriber = it->second;
    Result<Principal> now = keys_->Reauthenticate(subscriber.principal);
    Status allowed = now.ok() ? Allow(*now, Action::kRead) : now.status();
    if (allowed.ok() && now->tenant_path != subscriber.principal.tenant_path) {
      allowed = PermissionDenied("API key '" + now->key_name + "' is now bound to tenant '" +
                                 now->tenant_path + "': reconnect to follow its events");
    }
    if (allowed.ok()) {
      subscriber.principal = std::move(now).value();
      ++it;
      continue;
    }
    ended.emplace_back(std::move(subscriber), allowed);
    it = subscribers_.erase(it);
  }
  for (auto& [subscriber, why] : ended) {
    json error = ErrorJson(ApiCodeOf(why.code()), why.message());
    subscriber.write("event: error\ndata: " + DumpJson(error) + "\n\n");
    subscriber.write(std::string());  // the end of the stream
  }
  // Long polls of a revoked key answer 401 now rather than at their end.
  std::vector<std::pair<std::shared_ptr<Waiter>, Status>> refused;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    std::vector<std::shared_ptr<Waiter>>& waiting = it->second;
    for (auto w = waiting.begin(); w != waiting.end();) {
      Result<Principal> now = keys_->Reauthenticate((*w)->principal);
      if ((*w)->finished || now.ok()) {
        if (now.ok()) (*w)->principal = std::move(now).value();
        ++w;
        continue;
      }
      (*w)->finished = true;
      --waiter_count_;
      refused.emplace_back(*w, now.status());
      w = waiting.erase(w);
    }
    it = waiting.empty() ? waiters_.erase(it) : std::next(it);
  }
  for (auto& [waiter, why] : refused) waiter->done(ErrorReply(why));
}

void Service::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  // Reports read the journal: they stop before it closes.
  if (reports_ != nullptr) reports_->Stop();
  if (journal_ == nullptr) return;
  if (!journal_failed_ && host_ != nullptr) {
    journal_->Snapshot(journal_->last_seq(), host_->SnapshotJson());
  }
  journal_->Close();
  if (webhooks_ != nullptr) {
    webhooks_->Drain(std::chrono::seconds(2));  // the last alerts go out if they can
    webhooks_->Stop();
  }
}

int64_t Service::Subscribe(const std::string& authorization,
                           std::function<bool(const std::string&)> write, ServiceReply* error,
                           const std::string& last_event_id) {
  Result<Principal> principal = keys_->Authenticate(authorization);
  if (!principal.ok()) {
    *error = ErrorReply(principal.status());
    return 0;
  }
  Status allowed = Allow(*principal, Action::kRead);
  if (!allowed.ok()) {
    *error = ErrorReply(allowed);
    return 0;
  }
  int64_t id = next_subscriber_++;
  bool resume = !last_event_id.empty();
  subscribers_[id] = Subscriber{*principal, std::move(write), resume};
  if (resume) {
    loop_.post([this, id, last = ParseLastEventId(last_event_id)] { Replay(id, last); });
  }
  return id;
}

void Service::Replay(int64_t subscriber, int64_t last_id) {
  // Looked up before each write: a write that ends the session may remove
  // the subscriber (its destructor unsubscribes).
  auto write = [&](const std::string& tenant, const std::string& frame) {
    auto it = subscribers_.find(subscriber);
    if (it == subscribers_.end() || !Covers(it->second.principal, tenant)) return;
    if (!it->second.write(frame)) subscribers_.erase(subscriber);
  };
  auto it = subscribers_.find(subscriber);
  if (it == subscribers_.end()) return;
  it->second.replaying = false;
  if (last_id < 0 || !events_->Covers(last_id)) {
    // Gone from the backlog, from before a restart, or not an id of ours:
    // the client must re-read state (GET /v1/leases) rather than trust the
    // stream to be complete.
    json missed = {{"kind", "missed"},
                   {"last_event_id", last_id < 0 ? json(nullptr) : json(last_id)},
                   {"oldest_event_id", events_->oldest_id()}};
    write(it->second.principal.tenant_path,
          fmt::format("event: missed\ndata: {}\n\n", DumpJson(missed)));
  }
  events_->ForEachAfter(std::max<int64_t>(last_id, 0), write);
}

void Service::Unsubscribe(int64_t id) { subscribers_.erase(id); }

}  // namespace allot
