// `allot run`: the HTTP side (acquire, wait in the queue, renew, release)
// around the process side in run_command.cc.

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <optional>

#include "budget/calendar.h"
#include "client/commands.h"
#include "client/exit_codes.h"
#include "client/lease_heartbeat.h"
#include "client/run_command.h"
#include "config/quantity.h"

namespace allot {

namespace {

using Clock = std::chrono::steady_clock;

// Used when neither the lease's times nor --ttl tell the TTL.
constexpr Duration kFallbackTtl = Seconds(60);
// Renewing more often than this gains nothing and loads the server.
constexpr Duration kShortestBeat = Seconds(1) / 5;
// How long `allot run` keeps retrying an unreachable server while queued.
constexpr auto kGiveUpUnreachable = std::chrono::seconds(60);

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

// The lease's TTL: expires_at - granted_at, both the server's clock (no
// skew with ours); else --ttl; else kFallbackTtl.
Duration LeaseTtl(const Json& lease, const std::string& ttl_option) {
  Result<Time> granted = ParseTimestamp(Text(lease, "granted_at"), TimeZone::Utc(), "granted_at");
  Result<Time> expires = ParseTimestamp(Text(lease, "expires_at"), TimeZone::Utc(), "expires_at");
  if (granted.ok() && expires.ok() && *expires > *granted) return *expires - *granted;
  if (!ttl_option.empty()) {
    if (Result<Duration> ttl = ParseDuration(ttl_option, "--ttl"); ttl.ok() && *ttl > 0) {
      return *ttl;
    }
  }
  return kFallbackTtl;
}

// One `allot run`: state shared by its phases.
class RunSession {
 public:
  RunSession(ClientContext& ctx, const RunOptions& options, SignalPipe& signals)
      : ctx_(ctx), options_(options), signals_(signals) {}

  int Run(const Json& body) {
    std::optional<Json> lease = Acquire(body);
    if (!lease) return exit_code_;
    return Supervise(*lease);
  }

 private:
  // The first stop signal (Ctrl-C, SIGTERM, ...) among the pending records;
  // `any` says whether there were records at all.
  std::optional<int> TakeStopSignal(bool* any = nullptr) {
    std::vector<SignalPipe::Caught> caught = signals_.Drain();
    if (any != nullptr) *any = !caught.empty();
    for (const SignalPipe::Caught& c : caught) {
      if (std::find(std::begin(kStopSignals), std::end(kStopSignals), c.signal) !=
          std::end(kStopSignals)) {
        return c.signal;
      }
    }
    return std::nullopt;
  }

  // DELETE the lease (queued or granted), saying so; failures are warnings:
  // the lease then ends at its TTL or its class's max_wait.
  void Cancel(const std::string& why) {
    Result<ApiReply> reply = CallApi(ctx_.http, "DELETE", "/v1/leases/" + id_);
    if (reply.ok() && reply->ok()) {
      ctx_.err << "allot: cancelled lease " << id_ << " (" << why << ")\n";
    } else {
      ctx_.err << "allot: warning: could not cancel lease " << id_ << " ("
               << (reply.ok() ? reply->raw : reply.status().message()) << ")\n";
    }
  }

  // Submits the request and waits while it is queued. The granted lease, or
  // nullopt with exit_code_ set.
  std::optional<Json> Acquire(const Json& body) {
    // The POST is not held ("wait" 0) and not interruptible: a held POST cut
    // short by Ctrl-C would leave a request whose id we never learned, and
    // so could not cancel. The waiting is done by the GETs below.
    Result<ApiReply> reply = CallApi(ctx_.http, "POST", "/v1/leases", &body);
    if (int code = ReportFailure(ctx_, reply); code != kExitOk) return Stop(code);
    Json lease = reply->lease();
    id_ = Text(lease, "id");
    if (id_.empty()) {
      ctx_.err << "error: internal: the server's reply names no lease id\n";
      return Stop(kExitUnavailable);
    }

    std::string last_line;
    bool unreachable = false;
    Clock::time_point unreachable_since;
    while (Text(lease, "state") == "queued") {
      if (std::string line = LeaseDetail(lease); line != last_line) {
        ctx_.err << "allot: queued, " << line << "\n";
        last_line = line;
      }
      Result<ApiReply> next = [&] {
        ScopedTimeout hold(ctx_.http, options_.poll_wait_seconds);
        ctx_.http.set_interrupt_fd(signals_.read_fd());
        Result<ApiReply> r =
            CallApi(ctx_.http, "GET",
                    "/v1/leases/" + id_ + "?wait=" + std::to_string(options_.poll_wait_seconds));
        ctx_.http.set_interrupt_fd(-1);
        return r;
      }();
      bool any_signal = false;
      if (std::optional<int> stop = TakeStopSignal(&any_signal)) {
        Cancel("stopped by signal " + std::to_string(*stop) + " while queued");
        return Stop(kExitSignalBase + *stop);
      }
      if (!next.ok()) {
        if (any_signal) continue;  // a stray signal (SIGCHLD) cut the poll short
        // The server may be restarting: keep asking for a while.
        if (!unreachable) {
          unreachable = true;
          unreachable_since = Clock::now();
          ctx_.err << "allot: warning: " << next.status().message() << "; retrying\n";
        } else if (Clock::now() - unreachable_since > kGiveUpUnreachable) {
          return Stop(ReportFailure(ctx_, next));
        }
        pollfd wake{signals_.read_fd(), POLLIN, 0};
        (void)::poll(&wake, 1, 1000);
        continue;
      }
      unreachable = false;
      if (int code = ReportFailure(ctx_, next); code != kExitOk) return Stop(code);
      lease = next->lease();
    }

    std::string state = Text(lease, "state");
    if (state == "rejected") {
      ctx_.err << "error: " << LeaseDetail(lease) << "\n";
      return Stop(kExitRejected);
    }
    if (state != "granted") {
      ctx_.err << "error: lease " << id_ << " is " << state << ": " << LeaseDetail(lease) << "\n";
      return Stop(kExitRefused);
    }
    if (std::optional<int> stop = TakeStopSignal()) {
      Cancel("stopped by signal " + std::to_string(*stop) + " before the command started");
      return Stop(kExitSignalBase + *stop);
    }
    return lease;
  }

  std::nullopt_t Stop(int exit_code) {
    exit_code_ = exit_code;
    return std::nullopt;
  }

  // One renewal, on the heartbeat's thread (the main thread is in the
  // supervisor meanwhile, so the HttpClient is used by one thread at a time).
  LeaseHeartbeat::Beat Renew(ChildSupervisor& supervisor) {
    Result<ApiReply> reply = CallApi(ctx_.http, "POST", "/v1/leases/" + id_ + "/renew");
    if (stopping_) return LeaseHeartbeat::Beat::kAlive;  // the command is over anyway
    if (!reply.ok()) {
      ctx_.err << "allot: warning: renewing lease " << id_ << ": " << reply.status().message()
               << "; retrying\n";
      return LeaseHeartbeat::Beat::kAlive;
    }
    const Json& lease = reply->lease();
    std::string error_code;
    std::string error_message;
    if (const Json* error = Field(reply->body, "error"); error != nullptr) {
      error_code = Text(*error, "code");
      error_message = Text(*error, "message");
    }
    // Over: the server forgot it (404), ended it (preempted, expired,
    // budget_exhausted, node_down), or refuses to renew an ended lease.
    bool ended = reply->status == 404 || Text(lease, "state") == "ended" ||
                 error_code == "failed_precondition";
    if (ended) {
      std::string why = Text(lease, "state") == "ended" ? LeaseDetail(lease)
                        : error_message.empty()         ? "HTTP " + std::to_string(reply->status)
                                                        : error_message;
      ctx_.err << "allot: lease " << id_ << " ended (" << why
               << "); stopping the command: SIGTERM, then SIGKILL after "
               << FormatNumber(Json(static_cast<double>(options_.kill_grace) / kMicrosPerSecond))
               << "s\n";
      supervisor.Terminate();
      return LeaseHeartbeat::Beat::kEnded;
    }
    if (!reply->ok()) {
      ctx_.err << "allot: warning: renewing lease " << id_ << ": "
               << (error_code.empty() ? "HTTP " + std::to_string(reply->status) : error_code)
               << ": " << error_message << "; retrying\n";
      return LeaseHeartbeat::Beat::kAlive;
    }
    if (const Json* preempt = Field(lease, "preempt");
        preempt != nullptr && !preempt->is_null() && !warned_preempt_) {
      warned_preempt_ = true;
      ctx_.err << "allot: lease " << id_ << " is being preempted, deadline "
               << FormatTime(preempt->value("deadline", Json())) << "\n";
    }
    return LeaseHeartbeat::Beat::kAlive;
  }

  int Supervise(const Json& lease) {
    ctx_.err << "allot: lease " << id_ << " granted: " << LeaseDetail(lease) << "\n";
    ChildSpec spec;
    spec.argv = options_.command;
    spec.environment["ALLOT_LEASE_ID"] = id_;
    // A lease whose members share one node names its devices; otherwise the
    // variable is removed, so a value inherited from the shell cannot hand
    // the command devices that another lease holds.
    const Json* devices = Field(lease, "cuda_visible_devices");
    spec.environment["CUDA_VISIBLE_DEVICES"] = devices != nullptr && devices->is_string()
                                                   ? std::optional(devices->get<std::string>())
                                                   : std::nullopt;

    ChildSupervisor supervisor(signals_, options_.kill_grace);
    Duration beat = std::max(LeaseTtl(lease, options_.acquire.ttl) / 3, kShortestBeat);
    LeaseHeartbeat heartbeat(beat, [&] { return Renew(supervisor); });
    ctx_.http.set_interrupt_fd(heartbeat.stop_fd());
    heartbeat.Start();
    ChildExit exit = supervisor.Run(spec);
    stopping_ = true;
    heartbeat.Stop();
    ctx_.http.set_interrupt_fd(-1);

    if (exit.exec_failed) {
      ctx_.err << "allot: cannot execute '" << spec.argv[0] << "': " << exit.exec_error << "\n";
      Cancel("the command could not be executed");
      return kExitCannotExecute;
    }
    if (heartbeat.ended()) return exit.exit_code;  // nothing left to release

    Json body = {{"exit_code", exit.exit_code}, {"wall_seconds", exit.wall_seconds}};
    Result<ApiReply> reply = CallApi(ctx_.http, "POST", "/v1/leases/" + id_ + "/release", &body);
    if (!reply.ok() || !reply->ok()) {
      ctx_.err << "allot: warning: could not release lease " << id_ << " ("
               << (reply.ok() ? reply->raw : reply.status().message())
               << "); it ends when its TTL runs out\n";
    }
    return exit.exit_code;
  }

  ClientContext& ctx_;
  const RunOptions& options_;
  SignalPipe& signals_;
  std::string id_;
  int exit_code_ = kExitOk;
  std::atomic<bool> stopping_{false};
  bool warned_preempt_ = false;  // heartbeat thread only
};

}  // namespace

int RunUnderLease(ClientContext& ctx, const RunOptions& options) {
  if (options.command.empty()) return UsageError(ctx, "run: give the command after --");
  Result<Json> body = AcquireBody(options.acquire);
  if (!body.ok()) return UsageError(ctx, body.status().message());
  if (options.poll_wait_seconds < 1) return UsageError(ctx, "run: poll wait must be >= 1 s");
  // Caught from before the request goes out, so Ctrl-C while queued cancels
  // the request instead of killing allot and leaving it in the queue.
  SignalPipe signals({SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD});
  RunSession session(ctx, options, signals);
  return session.Run(*body);
}

}  // namespace allot
