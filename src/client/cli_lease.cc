// `allot lease ...`: acquire, get, list, renew, release, cancel.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "client/commands.h"
#include "client/exit_codes.h"
#include "config/quantity.h"

namespace allot {

namespace {

// The server holds a reply at most this long (docs/api.md, "wait").
constexpr double kMaxServerWaitSeconds = 300;

// A whole number of seconds goes as an integer, the rest as a float, so the
// server sees 10 rather than 10.0.
Json SecondsJson(double seconds) {
  if (seconds == std::floor(seconds)) return static_cast<int64_t>(seconds);
  return seconds;
}

// Durations go as a number when given as plain seconds ("90"), else as the
// string with its unit ("2h"), after the same syntax check the server makes.
Result<Json> DurationField(const std::string& text, std::string_view option) {
  Result<Duration> parsed = ParseDuration(text, option);
  if (!parsed.ok()) return parsed.status();
  if (std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return Json(*parsed / kMicrosPerSecond);
  }
  return Json(text);
}

std::string LeaseTarget(uint64_t id, std::string_view suffix = {}) {
  return "/v1/leases/" + std::to_string(id) + std::string(suffix);
}

}  // namespace

Result<Json> AcquireBody(const AcquireOptions& o) {
  Json body = Json::object();
  if (!o.tenant.empty()) body["tenant"] = o.tenant;
  if (!o.priority_class.empty()) body["class"] = o.priority_class;
  if (o.members) {
    if (*o.members < 1) return InvalidArgument("--members: must be >= 1");
    body["members"] = *o.members;
  }

  Json resources = Json::object();
  if (o.gpu) {
    if (*o.gpu < 0) return InvalidArgument("--gpu: must be >= 0");
    resources["gpu"] = *o.gpu;
  }
  if (o.gpu_fraction) {
    if (*o.gpu_fraction <= 0 || *o.gpu_fraction >= 1) {
      return InvalidArgument("--gpu-fraction: must be between 0 and 1 (exclusive)");
    }
    resources["gpu"] = *o.gpu_fraction;
  }
  if (!o.gpu_memory.empty()) {
    if (Result<int64_t> mib = ParseMemoryMib(o.gpu_memory, "--gpu-memory"); !mib.ok()) {
      return mib.status();
    }
    resources["gpu_memory"] = o.gpu_memory;
  }
  if (o.cpu) {
    if (*o.cpu < 0) return InvalidArgument("--cpu: must be >= 0");
    resources["cpu"] = *o.cpu;
  }
  if (!o.memory.empty()) {
    if (Result<int64_t> mib = ParseMemoryMib(o.memory, "--memory"); !mib.ok()) return mib.status();
    resources["memory"] = o.memory;
  }
  if (!resources.empty()) body["resources"] = std::move(resources);
  if (!o.mig_profile.empty()) body["mig_profile"] = o.mig_profile;
  if (!o.pool.empty()) body["pool"] = o.pool;

  for (auto [option, text, key] :
       {std::tuple("--estimate", &o.estimate, "estimate"), std::tuple("--ttl", &o.ttl, "ttl")}) {
    if (text->empty()) continue;
    Result<Json> duration = DurationField(*text, option);
    if (!duration.ok()) return duration.status();
    body[key] = std::move(duration).value();
  }

  if (!o.labels.empty()) {
    Json labels = Json::object();
    for (const std::string& label : o.labels) {
      size_t equals = label.find('=');
      if (equals == 0 || equals == std::string::npos) {
        return InvalidArgument("--label: '" + label + "' is not key=value");
      }
      std::string key = label.substr(0, equals);
      if (labels.contains(key)) return InvalidArgument("--label: '" + key + "' given twice");
      labels[key] = label.substr(equals + 1);
    }
    body["labels"] = std::move(labels);
  }
  if (!o.idempotency_key.empty()) body["idempotency_key"] = o.idempotency_key;

  if (!o.model.empty()) body["model"] = o.model;
  for (auto [option, value, key] :
       {std::tuple("--input-tokens", &o.input_tokens, "input_tokens"),
        std::tuple("--max-output-tokens", &o.max_output_tokens, "max_output_tokens")}) {
    if (!*value) continue;
    if (**value < 0) return InvalidArgument(std::string(option) + ": must be >= 0");
    body[key] = **value;
  }
  return body;
}

std::string LeaseDetail(const Json& lease) {
  std::string state = Text(lease, "state");
  if (state == "granted") {
    std::string text = FormatPlacement(lease.value("placement", Json()));
    if (std::string expires = Text(lease, "expires_at"); !expires.empty()) {
      text += ", until " + expires;
    }
    if (const Json* preempt = Field(lease, "preempt"); preempt != nullptr && !preempt->is_null()) {
      text += ", PREEMPTED by " + FormatTime(preempt->value("deadline", Json()));
    }
    return text;
  }
  if (state == "queued") {
    const Json queue = lease.value("queue", Json::object());
    std::string text = "position " + Text(queue, "position");
    if (std::string reason = Text(queue, "reason"); !reason.empty()) text += " (" + reason + ")";
    std::string eta = Text(queue, "eta");
    return text + ", eta " + (eta.empty() ? "unknown" : eta);
  }
  if (state == "ended") {
    std::string text = Text(lease, "end_reason");
    if (std::string message = Text(lease, "message"); !message.empty()) text += ": " + message;
    if (std::string code = Text(lease, "exit_code"); !code.empty()) text += " (exit " + code + ")";
    return text;
  }
  if (state == "rejected") return Text(lease, "reject_code") + ": " + Text(lease, "message");
  return "-";
}

void PrintLeases(ClientContext& ctx, const std::vector<const Json*>& leases) {
  Table table({"ID", "STATE", "TENANT", "CLASS", "DETAIL"});
  table.RightAlign(0);
  for (const Json* lease : leases) {
    table.AddRow({Text(*lease, "id"), Text(*lease, "state"), Text(*lease, "tenant"),
                  Text(*lease, "class"), LeaseDetail(*lease)});
  }
  table.Print(ctx.out);
}

namespace {

// Prints one reply's lease in ctx's format.
void PrintLeaseReply(ClientContext& ctx, const ApiReply& reply) {
  if (ctx.output == OutputFormat::kJson) {
    PrintJson(ctx.out, reply.body);
  } else {
    PrintLeases(ctx, {&reply.lease()});
  }
}

// A call whose 2xx reply is one lease (or {"lease": ...}).
int LeaseCall(ClientContext& ctx, std::string_view method, const std::string& target,
              const Json* body = nullptr) {
  Result<ApiReply> reply = CallApi(ctx.http, method, target, body);
  if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
  PrintLeaseReply(ctx, *reply);
  return kExitOk;
}

}  // namespace

int LeaseAcquire(ClientContext& ctx, const AcquireOptions& options) {
  Result<Json> body = AcquireBody(options);
  if (!body.ok()) return UsageError(ctx, body.status().message());
  double wait = options.wait_seconds.value_or(0);
  if (wait < 0) return UsageError(ctx, "--wait: must be >= 0");

  using Clock = std::chrono::steady_clock;
  const Clock::time_point give_up = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                       std::chrono::duration<double>(wait));
  if (wait > 0) (*body)["wait"] = SecondsJson(std::min(wait, kMaxServerWaitSeconds));
  Result<ApiReply> reply = [&] {
    ScopedTimeout extended(ctx.http, std::min(wait, kMaxServerWaitSeconds));
    return CallApi(ctx.http, "POST", "/v1/leases", &*body);
  }();
  if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;

  // A wait longer than the server holds one reply continues as held GETs.
  while (Text(reply->lease(), "state") == "queued") {
    double left = std::chrono::duration<double>(give_up - Clock::now()).count();
    if (left < 1) break;
    double hold = std::min(std::floor(left), kMaxServerWaitSeconds);
    std::string id = Text(reply->lease(), "id");
    ScopedTimeout extended(ctx.http, hold);
    Result<ApiReply> next = CallApi(
        ctx.http, "GET",
        "/v1/leases/" + UrlEncode(id) + "?wait=" + std::to_string(static_cast<int64_t>(hold)));
    if (int code = ReportFailure(ctx, next); code != kExitOk) return code;
    reply = std::move(next);
  }

  PrintLeaseReply(ctx, *reply);
  std::string state = Text(reply->lease(), "state");
  if (state == "rejected") return kExitRejected;
  if (state == "queued" && wait > 0) return kExitStillQueued;
  return kExitOk;
}

int LeaseGet(ClientContext& ctx, uint64_t id) { return LeaseCall(ctx, "GET", LeaseTarget(id)); }

int LeaseList(ClientContext& ctx, const std::string& state, const std::string& tenant) {
  Result<ApiReply> reply =
      CallApi(ctx.http, "GET", "/v1/leases" + Query({{"state", state}, {"tenant", tenant}}));
  if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
  if (ctx.output == OutputFormat::kJson) {
    PrintJson(ctx.out, reply->body);
    return kExitOk;
  }
  std::vector<const Json*> leases;
  if (const Json* list = Field(reply->body, "leases"); list != nullptr && list->is_array()) {
    for (const Json& lease : *list) leases.push_back(&lease);
  }
  PrintLeases(ctx, leases);
  return kExitOk;
}

int LeaseRenew(ClientContext& ctx, uint64_t id) {
  return LeaseCall(ctx, "POST", LeaseTarget(id, "/renew"));
}

Json ReleaseBody(const ReleaseOptions& options) {
  Json body = Json::object();
  Json usage = Json::object();
  if (options.input_tokens) usage["input_tokens"] = *options.input_tokens;
  if (options.cached_input_tokens) usage["cached_input_tokens"] = *options.cached_input_tokens;
  if (options.output_tokens) usage["output_tokens"] = *options.output_tokens;
  if (!usage.empty()) body["usage"] = std::move(usage);
  if (options.exit_code) body["exit_code"] = *options.exit_code;
  if (options.wall_seconds) body["wall_seconds"] = *options.wall_seconds;
  return body;
}

int LeaseRelease(ClientContext& ctx, uint64_t id, const ReleaseOptions& options) {
  for (const std::optional<int64_t>* tokens :
       {&options.input_tokens, &options.cached_input_tokens, &options.output_tokens}) {
    if (*tokens && **tokens < 0) return UsageError(ctx, "token counts must be >= 0");
  }
  if (options.wall_seconds && *options.wall_seconds < 0) {
    return UsageError(ctx, "--wall-seconds: must be >= 0");
  }
  Json body = ReleaseBody(options);
  Result<ApiReply> reply =
      CallApi(ctx.http, "POST", LeaseTarget(id, "/release"), body.empty() ? nullptr : &body);
  if (int code = ReportFailure(ctx, reply); code != kExitOk) return code;
  PrintLeaseReply(ctx, *reply);
  if (ctx.output == OutputFormat::kTable) {
    // The usage record of the ended lease: what it cost, in one line.
    if (const Json* usage = Field(reply->body, "usage"); usage != nullptr && usage->is_object()) {
      std::string line =
          "usage: cost " + FormatMoney(usage->value("cost", Json()), Text(*usage, "currency"));
      for (auto [key, name] : {std::pair("tokens_input", "input tokens"),
                               std::pair("tokens_output", "output tokens")}) {
        if (std::string count = Text(*usage, key); !count.empty() && count != "0") {
          line += ", " + count + " " + name;
        }
      }
      ctx.out << line << "\n";
    }
  }
  return kExitOk;
}

int LeaseCancel(ClientContext& ctx, uint64_t id) {
  return LeaseCall(ctx, "DELETE", LeaseTarget(id));
}

}  // namespace allot
