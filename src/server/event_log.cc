#include "server/event_log.h"

#include <algorithm>
#include <charconv>

namespace allot {

EventLog::EventLog(int64_t start_seq, size_t max_events, size_t max_bytes)
    : max_events_(std::max<size_t>(max_events, 1)),
      max_bytes_(max_bytes),
      last_id_(start_seq * kEventIdsPerCommand),
      last_seq_(start_seq),
      floor_(start_seq * kEventIdsPerCommand) {}

int64_t EventLog::NextId(int64_t seq) {
  // A new command starts a new block; its events count up within it.
  int64_t id = seq > last_seq_ ? seq * kEventIdsPerCommand : last_id_ + 1;
  id = std::max(id, last_id_ + 1);
  last_seq_ = std::max(last_seq_, seq);
  last_id_ = id;
  return id;
}

void EventLog::Add(int64_t id, std::string tenant, std::string frame) {
  bytes_ += frame.size() + tenant.size();
  events_.push_back({id, std::move(tenant), std::move(frame)});
  while (events_.size() > max_events_ || (bytes_ > max_bytes_ && events_.size() > 1)) {
    floor_ = std::max(floor_, events_.front().id);
    bytes_ -= events_.front().frame.size() + events_.front().tenant.size();
    events_.pop_front();
  }
}

bool EventLog::Covers(int64_t last_id) const { return last_id >= floor_; }

void EventLog::ForEachAfter(
    int64_t last_id, const std::function<void(const std::string&, const std::string&)>& fn) const {
  auto first = std::upper_bound(events_.begin(), events_.end(), last_id,
                                [](int64_t id, const Event& event) { return id < event.id; });
  for (auto it = first; it != events_.end(); ++it) fn(it->tenant, it->frame);
}

int64_t ParseLastEventId(std::string_view text) {
  int64_t id = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id < 0) return -1;
  return id;
}

}  // namespace allot
