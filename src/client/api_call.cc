#include "client/api_call.h"

#include <cctype>

#include "client/exit_codes.h"

namespace allot {

bool ApiReply::rejected_lease() const { return Text(lease(), "state") == "rejected"; }

const Json& ApiReply::lease() const {
  const Json* lease = Field(body, "lease");
  return lease != nullptr && lease->is_object() ? *lease : body;
}

Result<ApiReply> CallApi(HttpClient& http, std::string_view method, std::string_view target,
                         const Json* body) {
  std::string text = body == nullptr ? std::string() : body->dump();
  Result<HttpResponse> response = http.Send(method, target, text);
  if (!response.ok()) return response.status();
  ApiReply reply;
  reply.status = response->status;
  reply.content_type = response->content_type;
  reply.raw = std::move(response->body);
  if (auto next = response->headers.find("allot-next-cursor"); next != response->headers.end()) {
    reply.next_cursor = next->second;
  }
  // A reply without a Content-Type is read as JSON too, when it parses.
  if (reply.content_type.empty() || reply.content_type.starts_with("application/json")) {
    reply.body = Json::parse(reply.raw, nullptr, /*allow_exceptions=*/false);
  } else {
    reply.body = Json(Json::value_t::discarded);
  }
  return reply;
}

int ReportFailure(ClientContext& ctx, const Result<ApiReply>& reply) {
  if (!reply.ok()) {
    ctx.err << "error: unavailable: " << reply.status().message() << "\n";
    return kExitUnavailable;
  }
  if (reply->ok()) return kExitOk;

  // The server's own code name ("budget_exceeded") reads better than our
  // StatusCode for it, so it is printed as sent.
  std::string code;
  std::string message;
  if (const Json* error = Field(reply->body, "error"); error != nullptr) {
    code = Text(*error, "code");
    message = Text(*error, "message");
  }
  if (code.empty()) {
    HttpResponse response{reply->status, reply->raw, reply->content_type, {}};
    Status status = StatusFromHttpError(response);
    code = "http_" + std::to_string(reply->status);
    message = status.message();
  }
  ctx.err << "error: " << code << ": " << message << "\n";
  if (ctx.output == OutputFormat::kJson && !reply->body.is_discarded()) {
    PrintJson(ctx.out, reply->body);
  }
  if (reply->status >= 500 || reply->status < 400) return kExitUnavailable;
  // A lease request the server could not take as asked (bad input, a reused
  // idempotency key) is the same mistake as on any other call: refused, 1.
  // Exit 4 is for a well-formed request that was decided against (budget,
  // limits, infeasible, would wait, timed out).
  if (code == "invalid_argument" || code == "idempotency_conflict") return kExitRefused;
  return reply->rejected_lease() ? kExitRejected : kExitRefused;
}

int ReportStatus(ClientContext& ctx, const Status& status) {
  if (status.ok()) return kExitOk;
  // The API's snake_case names ("permission_denied"), as the server writes them.
  std::string code;
  for (char c : StatusCodeName(status.code())) {
    if (std::isupper(static_cast<unsigned char>(c)) && !code.empty()) code.push_back('_');
    code.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  ctx.err << "error: " << code << ": " << status.message() << "\n";
  switch (status.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kInternal:
    case StatusCode::kDataLoss:
      return kExitUnavailable;
    default:
      return kExitRefused;
  }
}

ScopedTimeout::ScopedTimeout(HttpClient& http, double hold_seconds)
    : http_(http), saved_(http.timeout()) {
  http_.set_timeout(saved_ + static_cast<Duration>(hold_seconds * kMicrosPerSecond));
}

ScopedTimeout::~ScopedTimeout() { http_.set_timeout(saved_); }

void PrintJson(std::ostream& out, const Json& json) { out << json.dump(2) << "\n"; }

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded.push_back('%');
      encoded.push_back(kHex[c >> 4]);
      encoded.push_back(kHex[c & 15]);
    }
  }
  return encoded;
}

std::string Query(std::initializer_list<std::pair<std::string_view, std::string>> params) {
  std::string query;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;
    query += query.empty() ? "?" : "&";
    query += std::string(name) + "=" + UrlEncode(value);
  }
  return query;
}

int UsageError(ClientContext& ctx, std::string_view message) {
  ctx.err << "allot: " << message << "\n";
  return kExitUsage;
}

}  // namespace allot
