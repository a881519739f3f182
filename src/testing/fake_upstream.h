#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"

namespace allot::testing {

// A fast, deterministic OpenAI-style HTTP/1.1 server for the gateway's tests
// and benchmark: one thread of its own (one asio io_context), keep-alive,
// loopback only in tests. Endpoints:
//
//   POST /v1/chat/completions   chat.completion, or chat.completion.chunk events ("stream":true)
//   POST /v1/completions        text_completion (also streamed)
//   POST /v1/embeddings         list of embedding (one per input)
//   GET  /v1/models             list of model (FakeUpstreamOptions::models)
//
// Token counts are deterministic:
//   prompt_tokens     = the whitespace-separated words of every message content (chat: string
//                       or the "text" of array parts), prompt (string or strings) or input
//                       (string or strings), directives included, + 1 per chat message; an
//                       input or prompt given as token ids counts one per id.
//   completion_tokens = words generated per choice x choices ("n", default 1); words per choice =
//                       FakeUpstreamOptions::words or [[words=N]], capped by "max_tokens" /
//                       "max_completion_tokens" (finish_reason "length" when capped, else "stop").
//   cached_tokens     = 0, or [[cached=N]] capped at prompt_tokens (chat always carries
//                       usage.prompt_tokens_details.cached_tokens; completions only when > 0).
// The generated text is the words "alpha bravo charlie ..." (cycling through 26), joined
// by single spaces; a stream sends one word per chunk (" word" after the first), so the
// concatenated deltas equal the non-streamed content.
//
// Directives, anywhere in the request's text (message contents, prompt, input), steer one
// request (tests through the gateway use them):
//   [[delay_ms=N]]        wait N ms before the reply's head (replaces options.delay)
//   [[chunk_delay_ms=N]]  wait N ms between stream chunks (replaces options.chunk_delay)
//   [[status=N]]          answer HTTP N with an OpenAI error body ({"error":{...}})
//   [[no_usage]]          no usage, neither in the JSON reply nor in the stream
//   [[cut_after=N]]       stream: N content chunks, then close the connection (no final chunk,
//                         no [DONE], no terminating zero-length chunk); non-stream: the head
//                         (full Content-Length) and half the body, then close
//   [[words=N]]           N generated words per choice
//   [[cached=N]]          N cached prompt tokens
//   [[hang]]              send nothing until the client disconnects (counted in
//                         client_disconnects)
//
// While a reply waits (delay, chunk delay, hang) the connection is watched: a client that
// closes it is counted in client_disconnects and the reply is abandoned; so is one whose
// write fails mid-reply.
struct FakeUpstreamOptions {
  std::string listen = "127.0.0.1:0";  // host:port (IPv4 or a name that resolves)
  Duration delay = 0;                  // before each reply's head (µs)
  Duration chunk_delay = 0;            // between stream chunks (µs)
  int words = 8;                       // generated words per choice
  // When set, requests must carry "Authorization: Bearer <api_key>", else 401 with an
  // OpenAI error body (code "invalid_api_key").
  std::string api_key;
  std::vector<std::string> models = {"mock-1"};  // what GET /v1/models lists
  int embedding_dimensions = 8;                  // unless the request names "dimensions"
};

class FakeUpstream {
 public:
  // Listening when it returns; null (with a line on stderr) when the address cannot be
  // bound or parsed.
  static std::unique_ptr<FakeUpstream> Start(FakeUpstreamOptions options);
  ~FakeUpstream();  // stops the thread, closes every connection
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  int port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>/v1"

  // Counters, thread-safe. requests: calls answered or in progress (every request read,
  // whatever its answer); in_flight: read and not yet fully answered; max_in_flight: the most
  // in flight at once since Start or ResetCounters; client_disconnects: calls whose client
  // went away before the reply was complete; connections: accepted since start.
  int64_t requests() const;
  int64_t in_flight() const;
  int64_t max_in_flight() const;
  int64_t client_disconnects() const;
  int64_t connections() const;
  void ResetCounters();  // all but in_flight (max_in_flight restarts from in_flight)

  // The last request read (thread-safe copies): its body, Authorization header value,
  // request target ("/v1/chat/completions"), and any header by name ("" when absent).
  std::string last_body() const;
  std::string last_authorization() const;
  std::string last_target() const;
  std::string last_header(std::string_view name) const;

  struct Impl;

 private:
  explicit FakeUpstream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace allot::testing
