#pragma once

// A small synchronous HTTP/1.1 client for allot's own API (docs/api.md): the
// CLI, `allot run` and the end-to-end tests talk to `allot serve` through it.
// Plain http to a loopback or IP-literal host only: allot's API is served on
// a trusted network or behind a TLS proxy, so no DNS, TLS or redirects here.
// Boost.Beast stays in http_client.cc (it is a heavy header).

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"
#include "common/status.h"
#include "common/time.h"

namespace allot {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;  // "" when the server sent none
  // Every header, names lower-cased ("retry-after"); the last value wins.
  std::map<std::string, std::string> headers;
};

// One client holds at most one kept-alive connection to one server and reuses
// it for successive requests. Not thread-safe: one thread uses it at a time
// (`allot run` hands it from the main thread to its heartbeat and back).
//
// Errors: Send and Stream return Unavailable when the server cannot be
// reached, the connection breaks, or the timeout passes; an HTTP error status
// (4xx, 5xx) is a response, not an error, for the caller to interpret.
class HttpClient {
 public:
  // base_url: "http://127.0.0.1:8470", "http://localhost:8470",
  // "http://[::1]:8470" (port 80 when absent, an optional trailing "/").
  // InvalidArgument for any other scheme, a host name that needs DNS, a path,
  // or a timeout <= 0. `timeout` bounds each Send (connect, write and read
  // together).
  static Result<std::unique_ptr<HttpClient>> Create(std::string_view base_url, Duration timeout);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sent as "Authorization: Bearer <key>" on every request; "" sends none.
  void set_api_key(std::string key);
  void set_timeout(Duration timeout);
  Duration timeout() const;
  // "http://127.0.0.1:8470" as given to Create (without a trailing "/").
  const std::string& base_url() const;

  // While `fd` >= 0, a Send or Stream in progress is abandoned as soon as
  // `fd` becomes readable, and returns Unavailable("interrupted"); the
  // connection is closed. The descriptor is only watched, never read, so a
  // byte left in it interrupts every later call until this is reset with -1.
  // `allot run` points it at its signal pipe so Ctrl-C ends a long poll at
  // once. The client keeps a duplicate of `fd`.
  void set_interrupt_fd(int fd);

  // One request on the kept-alive connection; connects lazily. A reused
  // connection that the server has closed while idle is detected before the
  // request is written and replaced by a new one. If the server closes it
  // just as the request goes out (no byte of reply came back), the request
  // is sent again on a fresh connection only when the method is idempotent
  // (GET, HEAD, PUT, DELETE, OPTIONS): a POST may have been applied.
  // `target` is the path and query ("/v1/leases/42?wait=5"); `body` is sent
  // with `content_type` when not empty.
  Result<HttpResponse> Send(std::string_view method, std::string_view target,
                            std::string_view body = {},
                            std::string_view content_type = "application/json");

  // Server-Sent Events (text/event-stream) from GET `target` on a connection
  // of its own: calls on_event(event, data) for each event, with event
  // "message" when the server named none and multi-line data joined by
  // "\n"; comments are skipped. Returns Ok when on_event returns false or
  // `timeout` passes (<= 0: no limit); Unavailable when the server cannot be
  // reached or ends the stream; for an HTTP error status, the Status its
  // JSON error body names (StatusFromHttpError).
  Status Stream(std::string_view target,
                const std::function<bool(std::string_view event, std::string_view data)>& on_event,
                Duration timeout);

  // Connections opened so far (tests check keep-alive reuse with it).
  int connections_opened() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The Status an API error reply stands for: the code from its JSON error body
// ({"error": {"code": "not_found", "message": ...}}) when it has one, else a
// code chosen from the HTTP status; the message is the server's message, or
// "HTTP <status>" with the start of the body.
Status StatusFromHttpError(const HttpResponse& response);

}  // namespace allot
