#pragma once

#include <array>
#include <deque>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "metering/usage_jsonl.h"
#include "server/auth.h"
#include "server/engine_host.h"
#include "server/query.h"
#include "store/journal.h"

namespace allot {

class EventLog;
class ReportReader;
class ServerMetrics;
class WebhookSender;

// One HTTP request as the service sees it (the transport is http_server.h's).
struct ServiceRequest {
  std::string method;
  std::string target;  // path and query, as sent
  std::string body;
  std::string content_type;
  std::string authorization;
};

struct ServiceReply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  // Extra response headers (name, value), e.g. Allot-Next-Cursor.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// An error reply in the API's one shape: {"error": {"code", "message", "field"}}.
ServiceReply ErrorReply(const Status& status, std::string_view field = {});
// The same with an API code of the transport's own (405, 413, 415, ...).
ServiceReply CodedErrorReply(int http_status, std::string_view code, const std::string& message,
                             std::string_view field = {});
// The error object; an invalid argument's field is read from its message.
nlohmann::json ErrorJson(std::string_view code, const std::string& message,
                         std::string_view field = {});
// A refused lease request: the error and the lease (state "rejected"), with
// the reject code's HTTP status (docs/api.md).
ServiceReply RejectedReply(const Decision& decision, nlohmann::json lease);
// The HTTP status and API code of a status code (one mapping, docs/api.md).
int HttpStatusOf(StatusCode code);
std::string_view ApiCodeOf(StatusCode code);

// What the service needs from the thread that runs it: a way to run a
// function on that thread later (from any thread), a timer, and the clock.
struct ServiceLoop {
  std::function<void(std::function<void()>)> post;
  std::function<void(Duration, std::function<void()>)> schedule;
  std::function<Time()> now;  // wall clock, microseconds since the epoch
  // Called once when the journal fails (after every waiting client got its
  // 503): the server drains and exits with `exit_code`. Empty: nothing.
  std::function<void(int exit_code)> fail_stop;
};

// The exit status of a server stopped by a journal failure (EX_TEMPFAIL).
inline constexpr int kJournalFailedExitCode = 75;

struct ServiceOptions {
  std::string data_dir = "allot-data";
  std::string config_path;  // empty: the embedded default configuration
  JournalOptions journal;
  std::string version = "dev";
  std::string commit = "unknown";  // reported by /healthz and allot_build_info
};

// The allocator as a service: owns the engine (through EngineHost), the
// journal, API keys, metrics and webhooks, and answers API requests. Every
// call runs on the loop's one thread; only the journal's writer and the
// webhook sender have threads of their own, and they report back through
// `post`. A command's reply, and every event it causes, is released only once
// the journal has committed it.
class Service {
 public:
  // Opens the journal under data_dir, replays snapshot + journal, and brings
  // the configuration file (or the embedded default) into force.
  static Result<std::unique_ptr<Service>> Open(ServiceOptions options, ServiceLoop loop);
  ~Service();

  using Done = std::function<void(ServiceReply)>;
  // Answers one request; `done` runs on the loop thread, now or later.
  void Handle(const ServiceRequest& request, Done done);

  // Server-Sent Events: authenticates, then calls `write` with each event's
  // text (already framed) until it returns false. Returns the subscription id,
  // or an error reply (via *error) when refused. With `last_event_id` (the
  // Last-Event-ID header; "" for none) the events after it still in the
  // backlog come first, on a later pass of the loop (after the caller wrote
  // its response head), preceded by a `missed` event when some are gone.
  int64_t Subscribe(const std::string& authorization, std::function<bool(const std::string&)> write,
                    ServiceReply* error, const std::string& last_event_id = {});
  void Unsubscribe(int64_t id);

  // Advances the engine clock (TTL expiry, budget periods, queued requests).
  void Tick();
  // How long until the next Tick should run: the engine's next wakeup,
  // at least 1 ms and at most server.tick_interval away.
  Duration NextTickDelay() const;
  // Re-reads the configuration file (SIGHUP), or with a text (a pushed
  // YAML) checks it, writes it to the file of record (config_store.h) and
  // brings it into force. The error says why it was refused; then nothing
  // changed. FailedPrecondition for a pushed text when the server runs on
  // the embedded default.
  Status Reload(std::string yaml_override = {});
  Status WriteSnapshot();
  // Commits what is pending and writes a final snapshot (SIGTERM).
  void Shutdown();

  // The gateway's access (server/gateway.h): the commands of the lease API,
  // applied now and journaled, without an HTTP reply of their own. A call's
  // answer reaches its client before the journal commits it (nothing is
  // acknowledged that a crash could take back: the upstream's answer is not
  // the allocator's; a lost release is settled at its reservation).
  Result<Principal> Authenticate(std::string_view authorization) const;
  const EngineHost& host() const { return *host_; }
  const ServiceLoop& loop() const { return loop_; }
  Decision SubmitNow(Request request);
  // The usage record of the lease it ended (std::nullopt when it was not
  // running: ended by the engine meanwhile).
  std::optional<UsageRecord> ReleaseNow(uint64_t lease, const UsageReport& usage);
  void CancelNow(uint64_t request);
  // Every decision the engine makes for requests other than the one a
  // command submitted (grants from the queue, rejections, lease ends).
  void set_decision_listener(std::function<void(const Decision&)> listener) {
    decision_listener_ = std::move(listener);
  }
  // Text appended to GET /metrics (the gateway's metrics).
  void set_extra_metrics(std::function<std::string()> extra) { extra_metrics_ = std::move(extra); }
  // Called after a successful reload (the gateway rebuilds its routes).
  void set_on_reload(std::function<void()> on_reload) { on_reload_ = std::move(on_reload); }

  const ServerConfig& server_config() const { return host_->config().server; }
  ServerMetrics* metrics() { return metrics_.get(); }
  bool ready() const { return ready_ && !journal_failed_; }

 private:
  struct Waiter;
  struct Route;

  Service(ServiceOptions options, ServiceLoop loop);
  Status Recover();
  Result<std::string> ReadConfigText() const;
  Status RebuildAccess();
  // Applies and journals a configuration text; then access, streams and
  // long polls follow it.
  Status BringIntoForce(const std::string& yaml);
  // After a reload: ends the event streams and long polls whose key was
  // revoked (or may no longer read), and updates the others' principals.
  void RecheckListeners();

  // Applies a command, journals it, and queues its events behind its commit.
  // Returns the journal sequence number.
  int64_t Execute(const Command& command, EngineHost::Outcome* outcome);
  // Journals a command already applied, with its usage rows.
  int64_t Record(const Command& command, const EngineHost::Outcome& outcome);
  // Runs `fn(Ok)` once the journal holds everything up to `seq`, or
  // fn(journal_error_) when the journal failed first.
  void AfterDurable(int64_t seq, std::function<void(const Status&)> fn);
  // A failed commit: answers every waiter 503 and stops (fail_stop).
  void OnJournalFailed(const Status& status);
  // Posts Flush once per pass of the loop.
  void ScheduleFlush();
  // Wakes the journal's writer for the commands appended since the last
  // flush and asks it to report when the newest waiting reply is durable.
  void Flush();
  void OnDurable(int64_t seq, const Status& status);
  void Publish(const std::vector<Decision>& decisions, const std::optional<Decision>& answer,
               int64_t seq);
  void ResolveWaiters(const std::vector<Decision>& decisions, int64_t seq);
  void AddWaiter(uint64_t id, const Principal& principal, Duration wait, bool created, Done done);
  void MaybeSnapshot(int64_t seq);
  // Webhook delivery counters into the metrics (they count per sender).
  void ExportWebhookStats();

  // Route handlers (service_routes.cc, service_views.cc).
  void Dispatch(const ServiceRequest& request, const Principal& principal, Done done);
  void CreateLease(const ServiceRequest& request, const Principal& principal, Done done);
  void GetLease(uint64_t id, const ServiceRequest& request, const Principal& principal, Done done);
  void LeaseCommand(Command::Kind kind, uint64_t id, const ServiceRequest& request,
                    const Principal& principal, Done done);
  ServiceReply ListLeases(const ServiceRequest& request, const Principal& principal);
  ServiceReply ListQueue(const ServiceRequest& request, const Principal& principal);
  ServiceReply Tenants(std::string_view path, const Principal& principal);
  ServiceReply Budgets(const Principal& principal);
  ServiceReply Classes();
  ServiceReply Pools();
  ServiceReply Nodes(const ServiceRequest& request, const Principal& principal);
  void SetNode(std::string_view node, const ServiceRequest& request, const Principal& principal,
               Done done);
  // The checks both report calls start with: role, known query parameters
  // and the [from, to) window.
  Status ReportScope(const ServiceRequest& request, const Principal& principal,
                     std::initializer_list<std::string_view> known, Target* target, Time* from,
                     Time* to);
  void Chargeback(const ServiceRequest& request, const Principal& principal, Done done);
  void Usage(const ServiceRequest& request, const Principal& principal, Done done);
  // Runs `job` on the report thread and answers its reply on the loop
  // (429 when too many reports wait).
  void RunReport(std::function<ServiceReply()> job, Done done);
  // Retention of usage rows (server.usage_retention), at most once a minute.
  void MaybePruneUsage(Time now);
  ServiceReply Metrics();

  // Reply only once the journal holds what the reply shows.
  void ReplyDurable(ServiceReply reply, Done done);
  // The lease object of `id` if the principal may see it, else null.
  nlohmann::json LeaseView(uint64_t id, const Principal& principal);
  // LeaseView as a reply (202 for a queued request when `ok_status` is 201), else 404.
  ServiceReply LeaseReply(uint64_t id, const Principal& principal, int ok_status);

  ServiceOptions options_;
  ServiceLoop loop_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<EngineHost> host_;
  std::unique_ptr<KeyStore> keys_;
  std::unique_ptr<ServerMetrics> metrics_;
  std::unique_ptr<WebhookSender> webhooks_;
  std::unique_ptr<ReportReader> reports_;
  Time last_usage_prune_ = 0;
  Time last_time_ = 0;
  int64_t durable_seq_ = 0;
  int64_t last_snapshot_seq_ = 0;
  bool flush_posted_ = false;
  int64_t watched_seq_ = 0;  // the journal reports durability up to here
  // The usage line Record journaled for the lease a Release command ended,
  // for the release reply (lease id 0: none).
  std::pair<uint64_t, std::string> released_usage_;
  UsageJsonlWriter usage_writer_;
  bool ready_ = false;
  bool journal_failed_ = false;
  bool shut_down_ = false;
  std::deque<std::pair<int64_t, std::function<void(const Status&)>>> after_durable_;
  Status journal_error_;  // what every request hears once journal_failed_
  std::unordered_map<uint64_t, std::vector<std::shared_ptr<Waiter>>> waiters_;
  int64_t waiter_count_ = 0;
  struct Subscriber {
    Principal principal;
    std::function<bool(const std::string&)> write;
    bool replaying = false;  // live events wait: the replay includes them
  };
  // Sends a resuming subscriber the backlog after `last_id`.
  void Replay(int64_t subscriber, int64_t last_id);
  std::unordered_map<int64_t, Subscriber> subscribers_;
  int64_t next_subscriber_ = 1;
  std::unique_ptr<EventLog> events_;  // the events backlog (event ids, resume)
  std::unordered_map<std::string, std::array<uint64_t, 3>>
      webhook_seen_;  // delivered, failed, dropped
  std::function<void(const Decision&)> decision_listener_;
  std::function<std::string()> extra_metrics_;
  std::function<void()> on_reload_;
};

}  // namespace allot
