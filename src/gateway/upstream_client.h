#pragma once

// The gateway's HTTP/1.1 client for OpenAI-style upstreams (vLLM, llama.cpp,
// a paid API over plain http://). Asynchronous: it runs on the server's one
// io_context thread, streams response bodies to the caller as they arrive and
// keeps a pool of keep-alive connections per host:port. Boost stays in the .cc.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/status.h"
#include "common/time.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace allot::gateway {

// Where an upstream listens: "http://127.0.0.1:8000/v1" -> {"127.0.0.1", 8000,
// "/v1"}. `host` is a name or an IP address (IPv6 without its brackets).
struct UpstreamUrl {
  std::string host;
  uint16_t port = 80;
  std::string base_path;  // "" or "/v1": no trailing '/'

  // base_path + suffix: Target("/chat/completions") = "/v1/chat/completions".
  std::string Target(std::string_view suffix) const;
  // "127.0.0.1:8000", "[::1]:8000": how messages name the upstream.
  std::string HostPort() const;
};

// Parses an upstream base URL. InvalidArgument saying why for https:// (no
// TLS yet), another scheme, user info, a bad or missing host, a bad port, a
// query or a fragment.
Result<UpstreamUrl> ParseUpstreamUrl(std::string_view url);

struct UpstreamRequest {
  std::string method = "POST";  // "POST" or "GET" (or another token)
  std::string target;           // sent as is, e.g. "/v1/chat/completions" (see Target)
  std::string body;             // JSON; with a body: Content-Type application/json
  std::string authorization;    // the full header value ("Bearer sk-..."); empty: none
  std::string accept;           // e.g. "text/event-stream"; empty: none
  // More header fields, sent as given (no CR/LF allowed, as in the above);
  // not Host, User-Agent, Content-Type or Content-Length, which are set here.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct UpstreamHead {
  int status = 0;
  std::string content_type;
  std::string retry_after;      // the upstream's Retry-After header, if any
  bool chunked = false;         // Transfer-Encoding: chunked
  int64_t content_length = -1;  // -1: not given
};

// All called on the io_context thread, never from inside Start or Cancel.
struct UpstreamHandlers {
  // Once, when the response head has arrived.
  std::function<void(const UpstreamHead&)> on_head;
  // Body bytes (de-chunked) as they arrive, in order; never empty. The view is
  // valid only during the call.
  std::function<void(std::string_view)> on_data;
  // Exactly once unless the call was Cancel()ed or the client destroyed:
  // OK after the whole body (whatever the HTTP status), else the error
  // (Unavailable for connect failures, timeouts, a connection closed or reset
  // mid-response, a malformed response; InvalidArgument for a request that
  // cannot be sent). The message starts with "upstream host:port: ".
  std::function<void(const Status&)> on_done;
};

struct UpstreamTimeouts {
  Duration connect = Seconds(5);      // TCP connect (and name resolution)
  Duration first_byte = Seconds(60);  // from sending the request to the response's first byte
  Duration total = Seconds(600);      // the whole call, from Start
  Duration idle = Seconds(60);        // between reads once the response has started
};

// One per io_context; not thread-safe: use it on the io_context's thread only
// (Start may also be called before the io_context runs). Destroy it before
// the io_context.
class UpstreamClient {
 public:
  explicit UpstreamClient(boost::asio::io_context& ioc, size_t max_idle_per_host = 256);
  // Cancels everything in flight and closes idle connections; no handler is
  // called afterwards. Not from inside one of its handlers.
  ~UpstreamClient();

  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // Starts a call; returns its id (> 0). Handlers are only called later, from
  // the io_context. A request that cannot be sent (CR/LF in a header, a bad
  // target) ends with on_done(InvalidArgument).
  uint64_t Start(const UpstreamUrl& url, UpstreamRequest request, UpstreamHandlers handlers,
                 const UpstreamTimeouts& timeouts = {});
  // Stops a call: closes its connection (it is not reused) and calls no
  // handler of it afterwards. Safe for unknown or finished ids, and from the
  // call's own handlers.
  void Cancel(uint64_t call);

  size_t in_flight() const;         // calls started, not yet done or cancelled
  size_t idle_connections() const;  // pooled keep-alive connections, all hosts
  // Connections opened so far (tests and metrics: pooling at work).
  uint64_t connections_opened() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace allot::gateway
