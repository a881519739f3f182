#pragma once

// One gateway call in flight (internal to gateway.cc and gateway_call.cc).
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "gateway/openai_wire.h"
#include "gateway/sse_scanner.h"
#include "server/gateway.h"

namespace allot {

// Microseconds of the steady clock: a call's own timings (latency, time to
// first token, allot's added latency), never the engine's time.
inline Duration SteadyMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

enum class CallState : uint8_t { kSubmitting, kQueued, kRunning, kFinished };

struct Gateway::Call {
  uint64_t id = 0;
  CallResponder responder;
  gateway::CallRequest request;
  // The model asked for, then its fallbacks, tried in order; `failed` holds
  // (endpoint, model) pairs whose upstream failed.
  std::vector<std::string> models;
  size_t model_index = 0;
  std::vector<std::pair<std::string, std::string>> failed;
  std::string tenant;
  std::string class_name;
  Duration latency_objective = 0;
  std::string session;

  CallState state = CallState::kSubmitting;
  Candidate current;
  uint64_t lease = 0;  // the engine's request / lease id while it holds one
  size_t replica = 0;
  int64_t output_ceiling = 0;  // output tokens reserved on the current candidate
  uint64_t upstream = 0;

  // The upstream's answer.
  int status = 0;
  std::string content_type;
  bool streaming = false;  // passing an event stream through
  bool responded = false;  // the client has the reply's head
  bool client_gone = false;
  gateway::SseScanner scanner;
  std::string body;     // a whole (non-streamed) answer
  std::string pending;  // a partial SSE event held back (usage filtering)
  int last_status = 0;  // the last failed attempt's status, for the final error
  std::string last_error;
  std::string last_body;  // its error body, passed on when nothing else can serve
  std::string last_content_type;
  std::string outcome = "ok";

  // Steady-clock times (µs) and allot's own share of the call.
  Duration arrived = 0;
  Duration queued_at = 0;
  Duration first_token = 0;
  Duration upstream_done = 0;
  Duration overhead = 0;
  // Where allot's own time restarts: arrival, moved on by a wait in the
  // queue (the allocator's decision, not overhead) or to a failed attempt's end.
  Duration mark = 0;
};

}  // namespace allot
