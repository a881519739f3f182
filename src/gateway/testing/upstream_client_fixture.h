#pragma once

// What the upstream client's tests share: a recorder of a call's handlers,
// request and URL builders, and a fixture that runs the io_context on the
// test thread against a LoopbackServer.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "client/testing/loopback_server.h"
#include "gateway/upstream_client.h"

namespace allot::gateway::upstream_testing {

using allot::testing::HttpReply;
using allot::testing::LoopbackConnection;
using allot::testing::LoopbackServer;
using Clock = std::chrono::steady_clock;

// What one call's handlers saw.
struct Outcome {
  std::optional<UpstreamHead> head;
  std::vector<std::string> chunks;  // one per on_data call
  std::optional<Status> done;
  int done_calls = 0;
  bool data_before_head = false;

  std::string Body() const {
    std::string body;
    for (const std::string& chunk : chunks) body += chunk;
    return body;
  }
};

inline UpstreamHandlers Record(Outcome& outcome) {
  UpstreamHandlers handlers;
  handlers.on_head = [&outcome](const UpstreamHead& head) { outcome.head = head; };
  handlers.on_data = [&outcome](std::string_view data) {
    if (!outcome.head) outcome.data_before_head = true;
    outcome.chunks.emplace_back(data);
  };
  handlers.on_done = [&outcome](const Status& status) {
    outcome.done = status;
    ++outcome.done_calls;
  };
  return handlers;
}

inline UpstreamUrl Url(const LoopbackServer& server, std::string base_path = "/v1") {
  return UpstreamUrl{"127.0.0.1", static_cast<uint16_t>(server.port()), std::move(base_path)};
}

inline UpstreamRequest Post(std::string body = R"({"model":"m"})") {
  UpstreamRequest request;
  request.target = "/v1/chat/completions";
  request.body = std::move(body);
  return request;
}

// A port nothing listens on: bound once by the kernel, then released.
inline uint16_t ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

// Waits (bounded) on the server thread for the test thread to reach `count`.
inline bool AwaitCount(const std::atomic<int>& value, int count) {
  Clock::time_point give_up = Clock::now() + std::chrono::seconds(2);
  while (value.load() < count) {
    if (Clock::now() > give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

inline std::string Chunk(std::string_view data) {
  return fmt::format("{:x}\r\n{}\r\n", data.size(), data);
}

inline constexpr std::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

class UpstreamClientTest : public ::testing::Test {
 protected:
  // Runs the io_context on this thread until `done` holds; false after 5 s.
  bool RunUntil(const std::function<bool()>& done) {
    if (ioc_.stopped()) ioc_.restart();
    auto guard = boost::asio::make_work_guard(ioc_);
    Clock::time_point give_up = Clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (Clock::now() > give_up) return false;
      ioc_.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }
  bool RunUntilDone(const Outcome& outcome) {
    return RunUntil([&] { return outcome.done.has_value(); });
  }
  // Runs what is ready now (handlers of closed sockets, posted work).
  void RunReady() {
    if (ioc_.stopped()) ioc_.restart();
    ioc_.poll();
  }

  boost::asio::io_context ioc_;
};

}  // namespace allot::gateway::upstream_testing
