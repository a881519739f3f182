#include "client/lease_heartbeat.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "common/check.h"

namespace allot {

LeaseHeartbeat::LeaseHeartbeat(Duration interval, std::function<Beat()> beat)
    : interval_(interval), beat_(std::move(beat)) {
  ALLOT_CHECK(interval_ > 0);
  int fds[2];
  ALLOT_CHECK(::pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0);
  stop_read_ = fds[0];
  stop_write_ = fds[1];
}

LeaseHeartbeat::~LeaseHeartbeat() {
  Stop();
  ::close(stop_read_);
  ::close(stop_write_);
}

void LeaseHeartbeat::Start() {
  ALLOT_CHECK(!thread_.joinable());
  thread_ = std::thread([this] { Loop(); });
}

void LeaseHeartbeat::Stop() {
  (void)!::write(stop_write_, "s", 1);
  if (thread_.joinable()) thread_.join();
}

void LeaseHeartbeat::Loop() {
  using Clock = std::chrono::steady_clock;
  // Beats keep to a fixed schedule from the start, so a slow renewal does
  // not push every later one back.
  Clock::time_point next = Clock::now() + std::chrono::microseconds(interval_);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - Clock::now());
    pollfd stop{stop_read_, POLLIN, 0};
    int ready = ::poll(&stop, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
    if (ready > 0) return;
    if (ready < 0 && errno != EINTR) return;
    if (Clock::now() < next) continue;  // woken early by a signal
    ++beats_;
    if (beat_() == Beat::kEnded) {
      ended_ = true;
      return;
    }
    next += std::chrono::microseconds(interval_);
    // After a long stall (a renewal that hung until its timeout) renew now
    // once rather than in a burst for every missed beat.
    if (next < Clock::now()) next = Clock::now();
  }
}

}  // namespace allot
