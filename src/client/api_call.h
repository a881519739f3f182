#pragma once

// What every client subcommand shares: the context it runs in (an HttpClient,
// the output format, the streams) and one way to call the API and turn the
// outcome into output and an exit code (exit_codes.h). Subcommands are plain
// functions over a ClientContext, so tests drive them in-process against a
// real server with string streams.

#include <initializer_list>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "client/format.h"
#include "client/http_client.h"
#include "common/result.h"

namespace allot {

enum class OutputFormat { kTable, kJson };

// Borrowed references; the caller keeps them alive for the call.
struct ClientContext {
  HttpClient& http;
  OutputFormat output;
  std::ostream& out;  // results
  std::ostream& err;  // errors and progress ("allot: queued, ...")
};

// One API reply: the HTTP status and the body, parsed when it is JSON (a
// discarded value otherwise, e.g. a CSV export).
struct ApiReply {
  int status = 0;
  std::string raw;
  std::string content_type;
  Json body;
  // The Allot-Next-Cursor header of a paged reply ("" on the last page).
  std::string next_cursor;

  bool ok() const { return status >= 200 && status < 300; }
  // A refused lease request: the body holds a lease in state "rejected"
  // (either as "lease" beside "error", or merged into the top level).
  bool rejected_lease() const;
  // The lease object in the body: "lease" when present, else the body.
  const Json& lease() const;
};

// Sends one request (a JSON body when `body` is given). Unavailable when the
// server cannot be reached or times out.
Result<ApiReply> CallApi(HttpClient& http, std::string_view method, std::string_view target,
                         const Json* body = nullptr);

// For a failed call, prints "error: <code>: <message>" to ctx.err (and, with
// --output json, the error body to ctx.out) and returns the exit code:
// kExitUnavailable for a transport failure or 5xx, kExitRejected for a
// rejected lease, kExitRefused for other 4xx. Returns kExitOk, printing
// nothing, for a 2xx reply.
int ReportFailure(ClientContext& ctx, const Result<ApiReply>& reply);

// For a call that returned a Status rather than a reply (an event stream):
// prints "error: <code>: <message>" with the API's code name and returns
// kExitUnavailable for Unavailable, Internal and DataLoss, else
// kExitRefused; kExitOk for an ok status.
int ReportStatus(ClientContext& ctx, const Status& status);

// Lets calls that the server may hold for up to `hold_seconds` (a lease
// request's "wait", GET ?wait=) outlive that hold by the client's own
// timeout; restores the timeout when it goes out of scope.
class ScopedTimeout {
 public:
  ScopedTimeout(HttpClient& http, double hold_seconds);
  ~ScopedTimeout();
  ScopedTimeout(const ScopedTimeout&) = delete;
  ScopedTimeout& operator=(const ScopedTimeout&) = delete;

 private:
  HttpClient& http_;
  Duration saved_;
};

// Prints `json` as --output json does: two-space indents, the server's order.
void PrintJson(std::ostream& out, const Json& json);

// Percent-encodes a path segment or query value (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view text);
// "?a=1&b=x" from the pairs whose value is not empty; "" when none is.
std::string Query(std::initializer_list<std::pair<std::string_view, std::string>> params);

// Usage errors found after CLI11 parsed the line: "allot: <message>" to
// ctx.err, kExitUsage.
int UsageError(ClientContext& ctx, std::string_view message);

}  // namespace allot
