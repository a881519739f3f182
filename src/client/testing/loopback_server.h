#pragma once

// A tiny HTTP server for client tests: plain sockets on 127.0.0.1, an
// ephemeral port, one thread that accepts connections one after another and
// hands each to the test's handler. Bounded: every blocking call has a
// timeout, so a test whose client misbehaves fails instead of hanging.

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace allot::testing {

// One accepted connection as the handler sees it.
class LoopbackConnection {
 public:
  explicit LoopbackConnection(int fd) : fd_(fd) {}
  // Reads one request (head and Content-Length body); nullopt on EOF, error
  // or 2 s of silence.
  std::optional<std::string> ReadRequest();
  // Writes all of `bytes`; false when the peer is gone.
  bool Write(std::string_view bytes);
  // True once the peer has closed (read returns EOF) within `timeout_ms`.
  bool WaitForPeerClose(int timeout_ms);
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string pending_;  // bytes read past the last request
};

// "HTTP/1.1 <status> X\r\nContent-Type: application/json\r\nContent-Length..."
std::string HttpReply(int status, std::string_view body, bool keep_alive = true);

class LoopbackServer {
 public:
  // Called once per accepted connection on the server thread; the connection
  // is closed when it returns.
  using Handler = std::function<void(LoopbackConnection&)>;
  explicit LoopbackServer(Handler handler);
  ~LoopbackServer();  // stops accepting and joins the thread

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }

 private:
  void Loop();

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace allot::testing
