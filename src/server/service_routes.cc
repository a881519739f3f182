// Routing and the lease calls of the service (docs/api.md).
#include <fmt/format.h>

#include <charconv>

#include "common/json_input.h"
#include "metering/usage_jsonl.h"
#include "server/api_views.h"
#include "server/metrics.h"
#include "server/query.h"
#include "server/service.h"

namespace allot {

using nlohmann::json;

namespace {

constexpr std::string_view kWaitField = "wait";
constexpr double kMaxWaitSeconds = 300;

ServiceReply JsonReply(int status, const json& body) {
  return ServiceReply{status, DumpJson(body)};
}

Result<uint64_t> ParseId(std::string_view text) {
  uint64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id == 0) {
    return NotFound(fmt::format("lease '{}': no such lease", text));
  }
  return id;
}

// The body as a JSON object (empty is `{}` when allowed); else the reply
// that refuses it (400, or 415 for another media type).
std::optional<ServiceReply> ReadBody(const ServiceRequest& request, bool may_be_empty, json* out) {
  if (request.body.empty()) {
    if (may_be_empty) {
      *out = json::object();
      return std::nullopt;
    }
    return ErrorReply(InvalidArgument("body: a JSON object is required"));
  }
  if (!IsJsonMediaType(request.content_type)) {
    return CodedErrorReply(
        415, "unsupported_media_type",
        "Content-Type: must be application/json, got '" + request.content_type + "'",
        "Content-Type");
  }
  if (Status parsed = ParseJsonInput(request.body, "body", out); !parsed.ok()) {
    return ErrorReply(parsed);
  }
  if (!out->is_object()) return ErrorReply(InvalidArgument("body: must be a JSON object"));
  return std::nullopt;
}

// The API key that asked for a running or waiting request ("" when none).
std::string_view OwnerOf(const Engine& engine, uint64_t id) {
  if (const Lease* lease = engine.FindLease(LeaseId{id})) return lease->owner;
  if (std::optional<Engine::QueuedView> queued = engine.FindQueued(RequestId{id})) {
    return queued->request->owner;
  }
  return "";
}

}  // namespace

void Service::Handle(const ServiceRequest& request, Done done) {
  if (shut_down_) {
    done(ErrorReply(Unavailable("shutting down")));
    return;
  }
  Result<Target> target = ParseTarget(request.target);
  if (!target.ok()) {
    done(ErrorReply(target.status(), "target"));
    return;
  }
  const std::string& path = target->path;
  if (path == "/healthz" || path == "/readyz") {
    // A failed journal fails both: the process is about to exit and must not
    // be sent traffic meanwhile.
    if (journal_failed_) return done(ErrorReply(journal_error_));
    if (path == "/healthz") {
      return done(JsonReply(
          200, {{"status", "ok"}, {"version", options_.version}, {"commit", options_.commit}}));
    }
    done(ready() ? JsonReply(200, {{"status", "ready"}, {"durable_seq", journal_->durable_seq()}})
                 : ErrorReply(Unavailable("starting")));
    return;
  }
  if (path == "/metrics") {
    done(Metrics());
    return;
  }
  Result<Principal> principal = keys_->Authenticate(request.authorization);
  if (!principal.ok()) {
    done(ErrorReply(principal.status()));
    return;
  }
  if (!ready()) {
    done(ErrorReply(journal_failed_ ? journal_error_ : Unavailable("starting")));
    return;
  }
  Dispatch(request, *principal, std::move(done));
}

void Service::Dispatch(const ServiceRequest& request, const Principal& principal, Done done) {
  Target target = ParseTarget(request.target).value();
  const std::vector<std::string>& s = target.segments;
  const std::string& method = request.method;
  auto method_not_allowed = [&](std::string_view allowed) {
    done(CodedErrorReply(
        405, "method_not_allowed",
        fmt::format("{} is not allowed on {} (allowed: {})", method, target.path, allowed)));
  };
  auto reply = [&](ServiceReply r) { ReplyDurable(std::move(r), std::move(done)); };
  if (s.size() < 2 || s[0] != "v1") {
    done(ErrorReply(NotFound(fmt::format("{}: no such path", target.path))));
    return;
  }
  const std::string& what = s[1];
  if (what == "leases") {
    if (s.size() == 2) {
      if (method == "POST") return CreateLease(request, principal, std::move(done));
      if (method == "GET") return reply(ListLeases(request, principal));
      return method_not_allowed("GET, POST");
    }
    Result<uint64_t> id = ParseId(s[2]);
    if (!id.ok()) return done(ErrorReply(id.status()));
    if (s.size() == 3) {
      if (method == "GET") return GetLease(*id, request, principal, std::move(done));
      if (method == "DELETE") {
        return LeaseCommand(Command::Kind::kCancel, *id, request, principal, std::move(done));
      }
      return method_not_allowed("GET, DELETE");
    }
    if (s.size() == 4 && (s[3] == "renew" || s[3] == "release")) {
      if (method != "POST") return method_not_allowed("POST");
      return LeaseCommand(s[3] == "renew" ? Command::Kind::kRenew : Command::Kind::kRelease, *id,
                          request, principal, std::move(done));
    }
  } else if (s.size() == 2 && what == "queue") {
    if (method != "GET") return method_not_allowed("GET");
    return reply(ListQueue(request, principal));
  } else if (what == "tenants") {
    if (method != "GET") return method_not_allowed("GET");
    std::string path;
    for (size_t i = 2; i < s.size(); ++i) path += (i > 2 ? "/" : "") + s[i];
    return reply(Tenants(path, principal));
  } else if (s.size() == 2 &&
             (what == "budgets" || what == "classes" || what == "pools" || what == "nodes")) {
    if (method != "GET") return method_not_allowed("GET");
    Status known = what == "nodes" ? CheckQuery(target, {"pool"}) : CheckQuery(target, {});
    if (!known.ok()) return done(ErrorReply(known));
    if (what == "budgets") return reply(Budgets(principal));
    if (what == "classes") return reply(Classes());
    if (what == "pools") return reply(Pools());
    return reply(Nodes(request, principal));
  } else if (what == "nodes" && s.size() == 4 && s[3] == "state") {
    if (method != "POST") return method_not_allowed("POST");
    return SetNode(s[2], request, principal, std::move(done));
  } else if (what == "reports" && s.size() == 3 && s[2] == "chargeback") {
    if (method != "GET") return method_not_allowed("GET");
    return Chargeback(request, principal, std::move(done));
  } else if (what == "usage" && s.size() == 2) {
    if (method != "GET") return method_not_allowed("GET");
    return Usage(request, principal, std::move(done));
  } else if (what == "admin" && s.size() == 3 && (s[2] == "reload" || s[2] == "snapshot")) {
    if (method != "POST") return method_not_allowed("POST");
    if (Status allowed = Allow(principal, Action::kReload); !allowed.ok()) {
      return done(ErrorReply(allowed));
    }
    if (s[2] == "snapshot") {
      Status written = WriteSnapshot();
      if (!written.ok()) return done(ErrorReply(written));
      return reply(JsonReply(200, {{"snapshot_seq", last_snapshot_seq_}}));
    }
    std::string yaml;
    if (!request.body.empty()) {
      std::string_view type =
          std::string_view(request.content_type).substr(0, request.content_type.find(';'));
      if (type != "text/yaml" && type != "application/yaml" && type != "application/x-yaml") {
        return done(CodedErrorReply(415, "unsupported_media_type",
                                    "Content-Type: a reload body must be text/yaml (the whole "
                                    "configuration)",
                                    "Content-Type"));
      }
      yaml = request.body;
    }
    Status reloaded = Reload(yaml);  // refused: failed_precondition (409) with the reasons
    if (!reloaded.ok()) return done(ErrorReply(reloaded));
    return reply(JsonReply(200, {{"reloaded", true}}));
  } else if (what == "events" && s.size() == 2) {
    // Streams are served by the HTTP layer (Subscribe); a plain request
    // reaching here used the wrong method.
    return method_not_allowed("GET (text/event-stream)");
  }
  done(ErrorReply(NotFound(fmt::format("{}: no such path", target.path))));
}

json Service::LeaseView(uint64_t id, const Principal& principal) {
  std::string tenant;
  json lease = LeaseJson(*host_, id, &tenant);
  return lease.is_null() || !Covers(principal, tenant) ? json(nullptr) : lease;
}

ServiceReply Service::LeaseReply(uint64_t id, const Principal& principal, int ok_status) {
  json lease = LeaseView(id, principal);
  if (lease.is_null()) return ErrorReply(NotFound(fmt::format("lease {}: no such lease", id)));
  int status = ok_status;
  if (ok_status == 201 && lease.value("state", "") == "queued") status = 202;
  return JsonReply(status, lease);
}

void Service::CreateLease(const ServiceRequest& request, const Principal& principal, Done done) {
  if (Status allowed = Allow(principal, Action::kLeaseWrite); !allowed.ok()) {
    return done(ErrorReply(allowed));
  }
  json body;
  if (std::optional<ServiceReply> refused = ReadBody(request, /*may_be_empty=*/false, &body)) {
    return done(std::move(*refused));
  }
  Duration wait = 0;
  if (auto it = body.find(kWaitField); it != body.end()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > kMaxWaitSeconds) {
      return done(ErrorReply(InvalidArgument(
          fmt::format("wait: must be a number of seconds from 0 to {}", kMaxWaitSeconds))));
    }
    wait = static_cast<Duration>(it->get<double>() * kMicrosPerSecond);
  }
  static constexpr std::string_view kExtra[] = {kWaitField};
  Result<Request> parsed = RequestFromJson(body, host_->engine().inventory().resources, kExtra);
  if (!parsed.ok()) return done(ErrorReply(parsed.status()));
  // The tenant must lie inside the key's subtree (a sole leaf may be implied).
  const Tenancy& tenancy = host_->engine().tenancy();
  int tenant = parsed->tenant.empty() ? tenancy.sole_leaf() : tenancy.FindTenant(parsed->tenant);
  if (tenant < 0) {
    return done(ErrorReply(InvalidArgument(
        parsed->tenant.empty() ? "tenant: required (there are several leaf tenants)"
                               : fmt::format("tenant: unknown tenant '{}'", parsed->tenant))));
  }
  if (!Covers(principal, tenancy.tenant(tenant).path)) {
    return done(ErrorReply(
        PermissionDenied(fmt::format("tenant: '{}' is outside this key's subtree '{}'",
                                     tenancy.tenant(tenant).path, principal.tenant_path))));
  }
  if (wait > 0 && waiter_count_ >= host_->config().server.max_waiters) {
    return done(ErrorReply(ResourceExhausted("wait: too many requests are waiting; retry later")));
  }
  Command command;
  command.kind = Command::Kind::kSubmit;
  command.at = last_time_ = std::max(last_time_, loop_.now());
  command.request = std::move(parsed).value();
  command.request.owner = principal.key_name;  // never what the body says
  EngineHost::Outcome outcome;
  Execute(command, &outcome);
  const Decision& answer = *outcome.decision;
  if (answer.kind == DecisionKind::kGranted) {
    // The common answer, written straight to text (SubmitAnswerJson's shape).
    if (const Lease* granted = host_->engine().FindLease(LeaseId{answer.request.value})) {
      return ReplyDurable(
          ServiceReply{201, GrantedLeaseText(host_->engine(), *granted, &answer.replayed)},
          std::move(done));
    }
  }
  json lease = SubmitAnswerJson(*host_, answer);
  if (answer.kind == DecisionKind::kRejected) {
    return ReplyDurable(RejectedReply(answer, std::move(lease)), std::move(done));
  }
  if (answer.kind == DecisionKind::kQueued && wait > 0 && !answer.replayed) {
    return AddWaiter(answer.request.value, principal, wait, /*created=*/true, std::move(done));
  }
  ReplyDurable(JsonReply(answer.kind == DecisionKind::kGranted ? 201 : 202, lease),
               std::move(done));
}

void Service::GetLease(uint64_t id, const ServiceRequest& request, const Principal& principal,
                       Done done) {
  Target target = ParseTarget(request.target).value();
  if (Status known = CheckQuery(target, {"wait"}); !known.ok()) return done(ErrorReply(known));
  Result<Duration> wait = QuerySeconds(target, "wait", kMaxWaitSeconds);
  if (!wait.ok()) return done(ErrorReply(wait.status()));
  ServiceReply reply = LeaseReply(id, principal, 200);
  if (*wait > 0 && reply.status == 200 && host_->engine().FindQueued(RequestId{id})) {
    if (waiter_count_ >= host_->config().server.max_waiters) {
      return done(
          ErrorReply(ResourceExhausted("wait: too many requests are waiting; retry later")));
    }
    return AddWaiter(id, principal, *wait, /*created=*/false, std::move(done));
  }
  ReplyDurable(std::move(reply), std::move(done));
}

void Service::LeaseCommand(Command::Kind kind, uint64_t id, const ServiceRequest& request,
                           const Principal& principal, Done done) {
  if (Status allowed = Allow(principal, Action::kLeaseWrite); !allowed.ok()) {
    return done(ErrorReply(allowed));
  }
  // A lease outside the key's subtree does not exist for it.
  std::string tenant;
  std::string_view state = host_->StateOf(id, &tenant);
  if (state.empty() || !Covers(principal, tenant)) {
    return done(ErrorReply(NotFound(fmt::format("lease {}: no such lease", id))));
  }
  // An agent key ends or renews only what it asked for itself (an ended
  // lease answers "already ended" below, whoever asks).
  if (state == "granted" || state == "queued") {
    if (Status allowed = AllowOnLease(principal, id, OwnerOf(host_->engine(), id)); !allowed.ok()) {
      return done(ErrorReply(allowed));
    }
  }
  Command command;
  command.kind = kind;
  command.id = id;
  if (kind == Command::Kind::kRelease) {
    json body;
    if (std::optional<ServiceReply> refused = ReadBody(request, /*may_be_empty=*/true, &body)) {
      return done(std::move(*refused));
    }
    for (const auto& [key, value] : body.items()) {
      if (key == "usage") {
        Result<UsageReport> usage = UsageReportFromJson(value, "usage");
        if (!usage.ok()) return done(ErrorReply(usage.status()));
        command.has_usage = true;
        command.usage = *usage;
      } else if (key == "exit_code") {
        if (!value.is_number_integer() || value.get<int64_t>() < -1000 ||
            value.get<int64_t>() > 1000) {
          return done(ErrorReply(InvalidArgument("exit_code: must be an integer")));
        }
        command.has_exit = true;
        command.exit_code = value.get<int>();
      } else if (key == "wall_seconds") {
        if (!value.is_number() || value.get<double>() < 0 || value.get<double>() > 1e9) {
          return done(ErrorReply(InvalidArgument("wall_seconds: must be a number >= 0")));
        }
        command.has_exit = true;
        command.wall_seconds = value.get<double>();
      } else {
        return done(ErrorReply(InvalidArgument(
            fmt::format("{}: unknown field (known: usage, exit_code, wall_seconds)", key))));
      }
    }
    if (state == "queued") {
      return done(ErrorReply(FailedPrecondition(
          fmt::format("lease {0}: still queued, so there is nothing to release; cancel the "
                      "request instead (DELETE /v1/leases/{0}, or allot lease cancel {0})",
                      id))));
    }
  } else if (!request.body.empty()) {
    json body;
    if (std::optional<ServiceReply> refused = ReadBody(request, /*may_be_empty=*/true, &body)) {
      return done(std::move(*refused));
    }
    if (!body.empty()) {
      return done(ErrorReply(InvalidArgument(
          fmt::format("{}: unknown field (this call takes no body)", body.begin().key()))));
    }
  }
  if (state == "ended" || state == "rejected") {
    return done(ErrorReply(FailedPrecondition(fmt::format("lease {}: already {}", id, state))));
  }
  command.at = last_time_ = std::max(last_time_, loop_.now());
  EngineHost::Outcome outcome;
  Execute(command, &outcome);
  if (!outcome.status.ok()) return ReplyDurable(ErrorReply(outcome.status), std::move(done));
  if (kind != Command::Kind::kRelease) {
    return ReplyDurable(LeaseReply(id, principal, 200), std::move(done));
  }
  // {"lease": ..., "usage": <the usage record's JSON line>}, spliced as text;
  // the line is the one Record journaled.
  const FinishedRequest* finished = host_->FindFinished(id);
  std::string body = "{\"lease\":";
  body += finished != nullptr ? FinishedLeaseText(*finished) : DumpJson(LeaseView(id, principal));
  if (finished != nullptr && finished->usage.lease.valid() && released_usage_.first == id) {
    body += ",\"usage\":";
    body += released_usage_.second;
  }
  body += "}";
  released_usage_ = {};
  ReplyDurable(ServiceReply{200, std::move(body)}, std::move(done));
}

void Service::SetNode(std::string_view node, const ServiceRequest& request,
                      const Principal& principal, Done done) {
  if (Status allowed = Allow(principal, Action::kNodeAdmin); !allowed.ok()) {
    return done(ErrorReply(allowed));
  }
  int index = host_->engine().inventory().FindNode(node);
  if (index < 0) return done(ErrorReply(NotFound(fmt::format("node '{}': no such node", node))));
  json body;
  if (std::optional<ServiceReply> refused = ReadBody(request, /*may_be_empty=*/false, &body)) {
    return done(std::move(*refused));
  }
  Command command;
  command.kind = Command::Kind::kSetNodeState;
  command.node = std::string(node);
  for (const auto& [key, value] : body.items()) {
    if (key != "state") {
      return done(
          ErrorReply(InvalidArgument(fmt::format("{}: unknown field (known: state)", key))));
    }
    if (!value.is_string() || !ParseNodeState(value.get<std::string>(), &command.state)) {
      return done(ErrorReply(InvalidArgument("state: must be \"up\", \"draining\" or \"down\"")));
    }
  }
  if (!body.contains("state")) return done(ErrorReply(InvalidArgument("state: required")));
  command.at = last_time_ = std::max(last_time_, loop_.now());
  EngineHost::Outcome outcome;
  Execute(command, &outcome);
  if (!outcome.status.ok()) return ReplyDurable(ErrorReply(outcome.status), std::move(done));
  // Only admin keys set a node's state, and they see every lease.
  ReplyDurable(JsonReply(200, NodeJson(host_->engine(), index,
                                       LeasesByNode(host_->engine())[static_cast<size_t>(index)])),
               std::move(done));
}

}  // namespace allot
