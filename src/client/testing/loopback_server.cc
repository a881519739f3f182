#include "client/testing/loopback_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "common/check.h"

namespace allot::testing {

namespace {

// Waits up to `timeout_ms` for `fd` to be readable.
bool Readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) > 0;
}

}  // namespace

std::optional<std::string> LoopbackConnection::ReadRequest() {
  char chunk[4096];
  while (true) {
    size_t head_end = pending_.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t length = 0;
      // Header names are matched case-insensitively by lower-casing a copy.
      std::string head = pending_.substr(0, head_end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (size_t at = head.find("content-length:"); at != std::string::npos) {
        length = std::strtoul(head.c_str() + at + 15, nullptr, 10);
      }
      size_t total = head_end + 4 + length;
      if (pending_.size() >= total) {
        std::string request = pending_.substr(0, total);
        pending_.erase(0, total);
        return request;
      }
    }
    if (!Readable(fd_, 2000)) return std::nullopt;
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n <= 0) return std::nullopt;
    pending_.append(chunk, static_cast<size_t>(n));
  }
}

bool LoopbackConnection::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool LoopbackConnection::WaitForPeerClose(int timeout_ms) {
  char byte;
  return Readable(fd_, timeout_ms) && ::read(fd_, &byte, 1) == 0;
}

std::string HttpReply(int status, std::string_view body, bool keep_alive) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n" + (keep_alive ? "" : "Connection: close\r\n") + "\r\n" + std::string(body);
}

LoopbackServer::LoopbackServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ALLOT_CHECK(listen_fd_ >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // the kernel picks a free port
  ALLOT_CHECK(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  ALLOT_CHECK(::listen(listen_fd_, 8) == 0);
  socklen_t length = sizeof address;
  ALLOT_CHECK(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Loop(); });
}

LoopbackServer::~LoopbackServer() {
  stop_ = true;
  thread_.join();
  ::close(listen_fd_);
}

void LoopbackServer::Loop() {
  // Polls in short steps so the destructor's stop is seen promptly.
  while (!stop_) {
    if (!Readable(listen_fd_, 20)) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++accepted_;
    LoopbackConnection connection(fd);
    handler_(connection);
    ::close(fd);
  }
}

}  // namespace allot::testing
