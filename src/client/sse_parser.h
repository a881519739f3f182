#pragma once

// An incremental parser for the Server-Sent Events wire format (the HTML
// "event stream" interpretation): bytes in as they arrive, whole events out.
// Value type; not thread-safe.

#include <functional>
#include <string>
#include <string_view>

namespace allot {

class SseParser {
 public:
  // Returns false to stop: Feed returns at once and drops the rest.
  using Callback = std::function<bool(std::string_view event, std::string_view data)>;

  // Feeds the next bytes of the stream, which may split lines and events
  // anywhere (even between the "\r" and "\n" of a line end). Calls on_event
  // for each event completed by a blank line: `event` is the last "event:"
  // field or "message", `data` the "data:" lines joined by "\n". Comment
  // lines (":...") and unknown fields are skipped; an event with no data
  // line is not dispatched. Returns false when on_event returned false.
  bool Feed(std::string_view bytes, const Callback& on_event);

  // The last "id:" field seen (for a reconnect's Last-Event-ID).
  const std::string& last_event_id() const { return last_event_id_; }

 private:
  // Handles one line without its terminator; false when on_event said stop.
  bool ProcessLine(std::string_view line, const Callback& on_event);

  std::string line_;      // the line read so far
  bool skip_lf_ = false;  // the last byte was "\r": a "\n" after it ends nothing
  std::string event_;     // "event:" of the event being read
  std::string data_;      // "data:" values, each followed by "\n"
  bool has_data_ = false;
  std::string last_event_id_;
};

}  // namespace allot
