#include "client/sse_parser.h"

#include "common/sse_line.h"

namespace allot {

bool SseParser::Feed(std::string_view bytes, const Callback& on_event) {
  for (char c : bytes) {
    // A line ends at "\r\n", "\n" or a lone "\r"; the "\n" of a "\r\n" split
    // across two reads must not end a second (empty) line, which would
    // dispatch the event early.
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = c == '\r';
      std::string line = std::move(line_);
      line_.clear();
      if (!ProcessLine(line, on_event)) return false;
      continue;
    }
    line_.push_back(c);
  }
  return true;
}

bool SseParser::ProcessLine(std::string_view line, const Callback& on_event) {
  if (line.empty()) {
    // A blank line dispatches the event read so far; one without data is
    // dropped (the format's rule), which also ignores stray blank lines.
    bool keep_going = true;
    if (has_data_) {
      std::string_view data = data_;
      data.remove_suffix(1);  // the "\n" after the last data line
      keep_going = on_event(event_.empty() ? "message" : std::string_view(event_), data);
    }
    event_.clear();
    data_.clear();
    has_data_ = false;
    return keep_going;
  }
  if (line.front() == ':') return true;  // a comment, e.g. ": keep-alive"

  auto [field, value] = SplitSseLine(line);
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
    has_data_ = true;
  } else if (field == "event") {
    event_.assign(value);
  } else if (field == "id") {
    // The format ignores an id holding NUL.
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  }
  // "retry" and unknown fields: nothing to do for a client that does not
  // reconnect by itself.
  return true;
}

}  // namespace allot
