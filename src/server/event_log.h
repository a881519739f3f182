#pragma once

// The events stream's backlog (GET /v1/events, docs/api.md): the last events
// published, kept so that a client reconnecting with Last-Event-ID gets what
// it missed before the live ones. Bounded by count and bytes; in memory only,
// so after a restart it starts empty and a client whose last id is older
// than what it holds is told it missed events.
//
// Event ids increase across restarts without being stored: an event's id is
// journal_seq * kEventIdsPerCommand + its index among the events of the
// command with that journal sequence number (the journal's numbering goes on
// after a restart), and never less than the previous id + 1.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>

namespace allot {

inline constexpr int64_t kEventIdsPerCommand = 1'000'000;
inline constexpr size_t kEventBacklogEvents = 10'000;
inline constexpr size_t kEventBacklogBytes = size_t{8} << 20;

class EventLog {
 public:
  // `start_seq`: the journal's last sequence number at start; events of
  // commands after it are the ones this log can hold.
  EventLog(int64_t start_seq, size_t max_events = kEventBacklogEvents,
           size_t max_bytes = kEventBacklogBytes);

  // The id of the next event caused by the command with journal sequence
  // number `seq`.
  int64_t NextId(int64_t seq);
  // Keeps an event (its SSE frame and the tenant it is visible under),
  // dropping the oldest past the bounds.
  void Add(int64_t id, std::string tenant, std::string frame);
  // True when every event after `last_id` is still held (none was dropped
  // or published before this process started).
  bool Covers(int64_t last_id) const;
  // The oldest id still held (0 when empty).
  int64_t oldest_id() const { return events_.empty() ? 0 : events_.front().id; }
  // Calls `fn(tenant, frame)` for each event held with id > last_id, in order.
  void ForEachAfter(int64_t last_id,
                    const std::function<void(const std::string&, const std::string&)>& fn) const;

  size_t size() const { return events_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  struct Event {
    int64_t id = 0;
    std::string tenant;
    std::string frame;
  };
  const size_t max_events_;
  const size_t max_bytes_;
  std::deque<Event> events_;
  size_t bytes_ = 0;
  int64_t last_id_ = 0;
  int64_t last_seq_ = 0;
  // Every event with an id above this is held. Starts at the first id of
  // the last command before the start (a client that saw any of its events
  // is taken to have seen them all: they are written together).
  int64_t floor_ = 0;
};

// The Last-Event-ID header as an id; -1 when absent or not a number.
int64_t ParseLastEventId(std::string_view text);

}  // namespace allot
