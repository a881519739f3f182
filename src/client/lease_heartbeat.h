#pragma once

// Keeps a lease alive: calls `beat` (a renewal) every `interval` on a thread
// of its own, until Stop() or until a beat reports the lease over.

#include <atomic>
#include <functional>
#include <thread>

#include "common/time.h"

namespace allot {

class LeaseHeartbeat {
 public:
  enum class Beat { kAlive, kEnded };

  // `beat` runs on the heartbeat's thread only, first after one interval.
  LeaseHeartbeat(Duration interval, std::function<Beat()> beat);
  ~LeaseHeartbeat();  // Stop()
  LeaseHeartbeat(const LeaseHeartbeat&) = delete;
  LeaseHeartbeat& operator=(const LeaseHeartbeat&) = delete;

  void Start();
  // Wakes the thread and joins it; idempotent. A beat in progress finishes
  // first; pass stop_fd() to HttpClient::set_interrupt_fd so that a renewal
  // in flight is abandoned at once instead.
  void Stop();
  // Becomes readable when Stop() is called.
  int stop_fd() const { return stop_read_; }
  // Whether a beat reported the lease over (the thread then ended).
  bool ended() const { return ended_.load(); }
  int beats() const { return beats_.load(); }

 private:
  void Loop();

  Duration interval_;
  std::function<Beat()> beat_;
  int stop_read_ = -1;
  int stop_write_ = -1;
  std::atomic<bool> ended_{false};
  std::atomic<int> beats_{0};
  std::thread thread_;
};

}  // namespace allot
