#include "gateway/sse_scanner.h"

#include "common/sse_line.h"

namespace allot::gateway {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

SseScanner::SseScanner(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

bool SseScanner::Feed(std::string_view bytes) {
  flipped_ = false;
  size_t i = 0;
  const size_t n = bytes.size();
  if (skip_lf_ && n > 0) {
    skip_lf_ = false;
    if (bytes[0] == '\n') i = 1;
  }
  while (i < n) {
    size_t end = i;
    while (end < n && bytes[end] != '\n' && bytes[end] != '\r') ++end;
    std::string_view piece = bytes.substr(i, end - i);
    if (end == n) {  // no line end yet: carry the piece over
      if (discard_line_) break;
      if (!Fits(line_.size() + piece.size())) {
        line_.clear();
        discard_line_ = true;
        break;
      }
      line_.append(piece);
      break;
    }
    if (discard_line_) {
      discard_line_ = false;  // the overlong line ends here; it is dropped
    } else if (line_.empty()) {
      // Measured like a carried line (data so far + the whole line <= limit),
      // so that where the stream was cut changes nothing.
      if (Fits(piece.size())) Line(piece, /*in_input=*/true);
    } else if (Fits(line_.size() + piece.size())) {
      line_.append(piece);
      Line(line_, /*in_input=*/false);
      line_.clear();
    } else {
      line_.clear();
    }
    if (bytes[end] == '\r') {
      if (end + 1 < n) {
        if (bytes[end + 1] == '\n') ++end;
      } else {
        skip_lf_ = true;
      }
    }
    i = end + 1;
  }
  // The input is gone after this call: keep the pending data line.
  MaterializePending();
  return flipped_;
}

bool SseScanner::Finish() {
  flipped_ = false;
  if (!line_.empty() && !discard_line_) {
    std::string last = std::move(line_);
    Line(last, /*in_input=*/false);
  }
  line_.clear();
  discard_line_ = false;
  Dispatch();
  return flipped_;
}

bool SseScanner::Fits(size_t more) {
  if (data_.size() + pending_.size() + more <= max_event_bytes_) return true;
  overflow_ = true;
  drop_event_ = true;
  return false;
}

void SseScanner::MaterializePending() {
  if (!pending_active_) return;
  data_.assign(pending_.data(), pending_.size());
  pending_ = {};
  pending_active_ = false;
}

void SseScanner::Line(std::string_view line, bool in_input) {
  if (line.empty()) {
    Dispatch();
    return;
  }
  if (line.front() == ':') return;  // a comment (": keep-alive")
  auto [field, value] = SplitSseLine(line);
  if (field == "data") {
    if (drop_event_) return;
    if (!has_data_ && in_input) {
      pending_ = value;
      pending_active_ = true;
      has_data_ = true;
      return;
    }
    MaterializePending();
    if (!Fits(value.size() + 1)) {
      data_.clear();
      return;
    }
    if (has_data_) data_.push_back('\n');
    data_.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_error_ = value == "error";
  }
  // "id", "retry" and unknown fields are ignored.
}

void SseScanner::Dispatch() {
  if (event_error_) error_ = true;
  if (has_data_ && !drop_event_) {
    std::string_view payload = pending_active_ ? pending_ : std::string_view(data_);
    ++events_;
    if (Trim(payload) == "[DONE]") {
      done_ = true;
    } else {
      ChunkSummary chunk = SummarizeChunk(payload);
      if (!chunk.valid) {
        ++malformed_;
      } else {
        if (chunk.error) error_ = true;
        if (chunk.has_usage) usage_ = chunk.usage;
        output_text_bytes_ += chunk.output_text_bytes;
        if (chunk.content && !first_content_) {
          first_content_ = true;
          flipped_ = true;
        }
      }
    }
  }
  data_.clear();
  pending_ = {};
  pending_active_ = false;
  has_data_ = false;
  drop_event_ = false;
  event_error_ = false;
}

}  // namespace allot::gateway
