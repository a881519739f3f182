// Connection hygiene of `allot serve` (the real binary on loopback): slow
// clients are held for request_timeout from a request's first byte, not
// idle_timeout; at max_connections the longest-waited-on connection makes
// room for a new client; a client that pipelines requests without reading
// the replies stops being read and is cut.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "testing/server_process.h"

namespace allot::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Slow connections the first test opens; ALLOT_SLOW_CLIENTS overrides it
// (bench/slow_clients/run.sh has the 1,100-connection version).
int SlowClients() {
  const char* text = std::getenv("ALLOT_SLOW_CLIENTS");
  int n = text == nullptr ? 0 : std::atoi(text);
  return n > 0 ? n : 200;
}

int Connect(int port, int receive_buffer = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  if (receive_buffer > 0) {
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Whether the server has closed `fd` (a FIN or a reset), without reading:
// a client that reads would let the server go on. Waits at most `timeout`.
bool ClosedByServer(int fd, milliseconds timeout) {
  Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    pollfd p{fd, POLLRDHUP, 0};
    int left =
        static_cast<int>(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
    if (::poll(&p, 1, std::max(left, 0)) > 0 &&
        (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0) {
      return true;
    }
    if (Clock::now() >= deadline) return false;
  }
}

// One request on a fresh connection: the reply's status line and body.
std::string Exchange(int port, std::string_view target, milliseconds timeout) {
  int fd = Connect(port);
  if (fd < 0) return "connect failed";
  std::string request =
      "GET " + std::string(target) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  std::string reply;
  if (SendAll(fd, request)) {
    Clock::time_point deadline = Clock::now() + timeout;
    char buffer[16384];
    while (Clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      reply.append(buffer, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return reply;
}

class HttpServerConnectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("allot-connections");
    ASSERT_FALSE(dir_.empty());
    std::string config = dir_ + "/allot.yaml";
    // idle_timeout far longer than the test: whatever closes a connection
    // here is request_timeout (or shedding).
    WriteFile(config, R"yaml(
pools:
  - name: cpu
    nodes:
      - {name_prefix: c-, count: 1, cpu: 8, memory: 16Gi}
tenants:
  - {name: team}
server:
  idle_timeout: 60s
  request_timeout: 1s
  max_connections: 32
)yaml");
    server_ = std::make_unique<ServerProcess>();
    std::string error;
    ASSERT_TRUE(server_->Start(config, dir_ + "/data", &error)) << error;
  }
  void TearDown() override {
    for (int fd : fds_) ::close(fd);
    server_.reset();
    RemoveTree(dir_);
  }

  int port() const { return server_->port(); }

  std::string dir_;
  std::unique_ptr<ServerProcess> server_;
  std::vector<int> fds_;
};

TEST_F(HttpServerConnectionsTest, SlowClientsAreCutAndDoNotLockOutNewOnes) {
  // Each slow client starts a request and then sends a byte every 100 ms:
  // never idle for idle_timeout, never finishing within request_timeout.
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
  for (int i = 0; i < SlowClients(); ++i) {
    int fd = Connect(port());
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(SendAll(fd, request.substr(0, 1)));
    fds_.push_back(fd);
  }
  // The server is at its limit with slow connections: a new client is
  // answered at once (the longest-waited-on connection makes room).
  Clock::time_point asked = Clock::now();
  std::string reply = Exchange(port(), "/healthz", milliseconds(2500));
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200")) << reply.substr(0, 200);
  EXPECT_LT(Clock::now() - asked, milliseconds(1000 + 1000));  // request_timeout + margin

  // Trickle for 2 s: the slow connections are closed by request_timeout
  // (1 s from their first byte, plus the sweep), not idle_timeout (60 s).
  Clock::time_point started = Clock::now();
  size_t at = 1;
  while (Clock::now() - started < milliseconds(2000)) {
    for (int fd : fds_) {
      ::send(fd, request.data() + at, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    }
    at = std::min(at + 1, request.size() - 5);  // never the end of the head
    std::this_thread::sleep_for(milliseconds(100));
  }
  int open = 0;
  for (int fd : fds_) open += ClosedByServer(fd, milliseconds(20)) ? 0 : 1;
  EXPECT_EQ(open, 0) << "of " << fds_.size() << " slow connections";
  EXPECT_TRUE(Exchange(port(), "/healthz", milliseconds(2000)).starts_with("HTTP/1.1 200"));
}

TEST_F(HttpServerConnectionsTest, PipeliningWithoutReadingIsBoundedAndCut) {
  // A small receive window: the replies back up into the server at once.
  int fd = Connect(port(), /*receive_buffer=*/4096);
  ASSERT_GE(fd, 0);
  fds_.push_back(fd);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string batch;
  for (int i = 0; i < 256; ++i) batch += "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  // Send until the server stops reading (the send blocks for 300 ms), at
  // most 16 MB (~400,000 requests) or 3 s.
  size_t sent = 0;
  Clock::time_point started = Clock::now();
  Clock::time_point last_progress = started;
  size_t offset = 0;
  while (sent < (16u << 20) && Clock::now() - started < milliseconds(3000) &&
         Clock::now() - last_progress < milliseconds(300)) {
    ssize_t n = ::send(fd, batch.data() + offset, batch.size() - offset, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      offset = (offset + static_cast<size_t>(n)) % batch.size();
      last_progress = Clock::now();
    } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      break;
    } else {
      std::this_thread::sleep_for(milliseconds(5));
    }
  }
  // How many it answered: each reply is ~150 bytes, so the 64 KiB output
  // bound plus the kernel's small buffers allow a few hundred; without the
  // bound it answered until megabytes of kernel buffer filled (tens of
  // thousands).
  std::string metrics = Exchange(port(), "/metrics", milliseconds(2000));
  int64_t answered = 0;
  size_t line = 0;
  while ((line = metrics.find("allot_http_request_duration_seconds_count{", line)) !=
         std::string::npos) {
    size_t end = metrics.find('\n', line);
    std::string_view text(metrics.data() + line, end - line);
    if (text.find("route=\"/readyz\"") != std::string_view::npos) {
      answered += std::atoll(std::string(text.substr(text.rfind(' ') + 1)).c_str());
    }
    line = end;
  }
  EXPECT_GT(answered, 0);
  EXPECT_LT(answered, 3000) << "requests answered to a client that reads nothing; sent " << sent
                            << " bytes";
  // And it is cut within request_timeout (the write deadline) + margin.
  EXPECT_TRUE(ClosedByServer(fd, milliseconds(2500)));
}

}  // namespace
}  // namespace allot::testing
