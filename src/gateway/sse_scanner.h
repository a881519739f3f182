#pragma once

// Watches an upstream's server-sent-event stream (an OpenAI streamed
// completion) as its bytes pass through the gateway: when the first generated
// content arrived, the usage the upstream reported, how much text it generated,
// whether it finished with [DONE] or sent an error. Observes only: the gateway
// forwards the bytes unchanged. No I/O, no clock.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/openai_wire.h"

namespace allot::gateway {

// Feed it the stream's bytes in any split (an event, a line or a "\r\n" may be
// split anywhere); lines end with "\n", "\r\n" or "\r". Keeps only the current
// partial line and event, never the whole stream; an event whose data arrives
// in one Feed call is scanned in place, without a copy. Events follow the SSE
// rules: "data:" lines of one event are joined with "\n", lines starting with
// ':' are comments, an event ends at a blank line. Each data event is one
// chunk's JSON (see SummarizeChunk) or "[DONE]".
// Not thread-safe (one per stream).
class SseScanner {
 public:
  // Events (or lines) longer than `max_event_bytes` are dropped (overflow()).
  explicit SseScanner(size_t max_event_bytes = size_t{8} << 20);

  // Scans the next bytes. Returns true when first_content_seen() became true
  // during this call: the moment to stamp the time to first token.
  bool Feed(std::string_view bytes);
  // The stream ended: an unterminated last line is taken and a pending event
  // is dispatched as if the blank line had arrived (lenient; a truncated JSON
  // chunk is then counted malformed). Returns what Feed returns. Call once.
  bool Finish();

  // An event carrying generated content arrived (choices[].delta.content,
  // .text, .refusal, .reasoning_content, non-empty tool_calls...).
  bool first_content_seen() const { return first_content_; }
  // The usage of the last event with a non-null "usage" (OpenAI sends it in a
  // final chunk with empty choices when stream_options.include_usage is true);
  // absent when none came or the last one was malformed.
  const ParsedUsage& usage() const { return usage_; }
  // Bytes (UTF-8, unescaped) of generated text seen, for estimating output
  // tokens when usage never arrives (EstimateTokens on this many bytes).
  int64_t output_text_bytes() const { return output_text_bytes_; }
  // "data: [DONE]" arrived.
  bool done() const { return done_; }
  // An event carrying an "error" object (or an "event: error" event).
  bool error_seen() const { return error_; }
  // Data events dispatched ([DONE] included), those whose data was neither
  // [DONE] nor a JSON object, and whether an event overflowed the limit.
  int64_t events() const { return events_; }
  int64_t malformed_events() const { return malformed_; }
  bool overflow() const { return overflow_; }

 private:
  // One whole line; `in_input` when it points into the bytes of this Feed call.
  void Line(std::string_view line, bool in_input);
  void Dispatch();
  void MaterializePending();
  bool Fits(size_t more);

  size_t max_event_bytes_;
  std::string line_;           // the partial line carried over from the last Feed
  bool skip_lf_ = false;       // the last byte fed was '\r': drop a '\n' that follows
  bool discard_line_ = false;  // the current line overflowed: drop it to its end
  std::string data_;           // the current event's data
  std::string_view pending_;   // or its single data line, in place in the input
  bool pending_active_ = false;
  bool has_data_ = false;
  bool drop_event_ = false;
  bool event_error_ = false;
  bool flipped_ = false;

  bool first_content_ = false;
  ParsedUsage usage_;
  int64_t output_text_bytes_ = 0;
  bool done_ = false;
  bool error_ = false;
  int64_t events_ = 0;
  int64_t malformed_ = 0;
  bool overflow_ = false;
};

}  // namespace allot::gateway
