#pragma once

// Shared fixture of the gateway's end-to-end tests: fake OpenAI upstreams in
// the test process, the real `allot serve` binary configured to route to them,
// and a raw HTTP/1.1 client (any header, chunked replies read piece by piece,
// the socket closed at will) to drive it. Loopback only; every wait bounded.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "client/http_client.h"
#include "server/auth.h"
#include "testing/fake_upstream.h"
#include "testing/server_process.h"

namespace allot::testing {

inline constexpr char kGatewayAdminKey[] = "allot_gw_test_admin";
inline constexpr char kGatewayKeyA[] = "allot_gw_test_agent_a";
inline constexpr char kGatewayKeyB[] = "allot_gw_test_agent_b";
inline constexpr char kPaidUpstreamKey[] = "sk-paid-upstream-secret";

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP reply as read off the wire (chunked bodies decoded).
struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  bool complete = false;  // the whole body arrived (its length, or the last chunk)

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

// The request's bytes: Host, Content-Length and `headers` added.
inline std::string BuildRequest(std::string_view method, std::string_view target,
                                std::string_view body, const Headers& headers) {
  std::string out = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  out += "Host: 127.0.0.1\r\n";
  for (const auto& [name, value] : headers) out += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST")
    out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  out.append(body);
  return out;
}

// One blocking loopback connection; every read waits at most until the
// deadline set at construction (then fails).
class RawConnection {
 public:
  explicit RawConnection(int port, std::chrono::milliseconds timeout = std::chrono::seconds(15))
      : deadline_(std::chrono::steady_clock::now() + timeout) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) Close();
  }
  ~RawConnection() { Close(); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  bool ok() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view bytes) {
    while (!bytes.empty() && fd_ >= 0) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return bytes.empty();
  }

  // The status line and headers.
  bool ReadHead(RawResponse* out) {
    size_t end = std::string::npos;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return false;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    size_t space = status_line.find(' ');
    if (space == std::string::npos) return false;
    out->status = std::atoi(status_line.c_str() + space + 1);
    size_t at = line_end == std::string::npos ? head.size() : line_end + 2;
    while (at < head.size()) {
      size_t next = head.find("\r\n", at);
      if (next == std::string::npos) next = head.size();
      std::string line = head.substr(at, next - at);
      size_t colon = line.find(':');
      if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        size_t value = line.find_first_not_of(' ', colon + 1);
        out->headers[name] = value == std::string::npos ? "" : line.substr(value);
      }
      at = next + 2;
    }
    return true;
  }

  // The body after ReadHead: Content-Length bytes, or chunks until the last
  // one (on_piece sees each chunk's data as it arrives; returning false stops
  // reading there). False when the connection ends or the deadline passes
  // first.
  bool ReadBody(RawResponse* out, const std::function<bool(std::string_view)>& on_piece = {}) {
    if (out->header("transfer-encoding").find("chunked") == std::string::npos) {
      std::string length = out->header("content-length");
      size_t want = length.empty() ? 0 : std::stoul(length);
      while (buffer_.size() < want) {
        if (!Fill()) return false;
      }
      out->body = buffer_.substr(0, want);
      buffer_.erase(0, want);
      out->complete = true;
      return true;
    }
    while (true) {
      size_t line_end = std::string::npos;
      while ((line_end = buffer_.find("\r\n")) == std::string::npos) {
        if (!Fill()) return false;
      }
      size_t size = std::stoul(buffer_.substr(0, line_end), nullptr, 16);
      while (buffer_.size() < line_end + 2 + size + 2) {
        if (!Fill()) return false;
      }
      std::string data = buffer_.substr(line_end + 2, size);
      buffer_.erase(0, line_end + 2 + size + 2);
      if (size == 0) {
        out->complete = true;
        return true;
      }
      out->body += data;
      if (on_piece && !on_piece(data)) return false;
    }
  }

 private:
  bool Fill() {
    if (fd_ < 0) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char chunk[16384];
    ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  std::string buffer_;
  std::chrono::steady_clock::time_point deadline_;
};

// One request on a fresh connection; the whole reply.
inline RawResponse Exchange(int port, std::string_view method, std::string_view target,
                            std::string_view body, const Headers& headers,
                            std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  RawResponse response;
  RawConnection connection(port, timeout);
  Headers all = headers;
  all.emplace_back("Connection", "close");
  if (!connection.ok() || !connection.Send(BuildRequest(method, target, body, all))) {
    return response;
  }
  if (connection.ReadHead(&response)) connection.ReadBody(&response);
  return response;
}

// The data of each SSE event in a stream body, in order.
inline std::vector<std::string> SseData(std::string_view body) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find("\n\n", at);
    std::string_view event =
        body.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
    at = end == std::string_view::npos ? body.size() : end + 2;
    std::string data;
    size_t line_at = 0;
    while (line_at < event.size()) {
      size_t line_end = event.find('\n', line_at);
      if (line_end == std::string_view::npos) line_end = event.size();
      std::string_view line = event.substr(line_at, line_end - line_at);
      line_at = line_end + 1;
      if (line.starts_with("data:")) {
        line.remove_prefix(5);
        if (line.starts_with(' ')) line.remove_prefix(1);
        if (!data.empty()) data += "\n";
        data.append(line);
      }
    }
    if (!data.empty()) out.push_back(std::move(data));
  }
  return out;
}

// A chat body: one user message.
inline std::string ChatBody(std::string_view model, std::string_view content, bool stream = false,
                            std::optional<bool> include_usage = std::nullopt,
                            std::optional<int> max_tokens = std::nullopt) {
  nlohmann::json body = {{"model", model},
                         {"messages", {{{"role", "user"}, {"content", content}}}}};
  if (stream) body["stream"] = true;
  if (include_usage.has_value()) body["stream_options"] = {{"include_usage", *include_usage}};
  if (max_tokens.has_value()) body["max_tokens"] = *max_tokens;
  return body.dump();
}

// A loopback server that answers every request with one fixed reply (an
// upstream that always fails, for fallbacks). Thread of its own; stops in
// the destructor.
class FixedReplyServer {
 public:
  FixedReplyServer(int status, std::string body) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = 0;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      return;
    }
    port_ = ntohs(address.sin_port);
    std::string reply = "HTTP/1.1 " + std::to_string(status) +
                        " Error\r\nContent-Type: application/json\r\nConnection: close\r\n"
                        "Content-Length: " +
                        std::to_string(body.size()) + "\r\n\r\n" + body;
    thread_ = std::thread([this, reply] { Serve(reply); });
  }
  ~FixedReplyServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  FixedReplyServer(const FixedReplyServer&) = delete;
  FixedReplyServer& operator=(const FixedReplyServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/v1"; }
  int64_t requests() const { return requests_; }

 private:
  void Serve(const std::string& reply) {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) continue;
      // Reads the head and its Content-Length body (bounded), then answers.
      std::string in;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      size_t need = std::string::npos;
      while (!stop_ && std::chrono::steady_clock::now() < deadline) {
        size_t head_end = in.find("\r\n\r\n");
        if (head_end != std::string::npos && need == std::string::npos) {
          size_t length_at = in.find("ontent-Length:");
          if (length_at == std::string::npos) length_at = in.find("ontent-length:");
          size_t length = length_at != std::string::npos && length_at < head_end
                              ? std::strtoul(in.c_str() + length_at + 14, nullptr, 10)
                              : 0;
          need = head_end + 4 + length;
        }
        if (need != std::string::npos && in.size() >= need) break;
        pollfd c{client, POLLIN, 0};
        if (::poll(&c, 1, 50) <= 0) continue;
        char chunk[8192];
        ssize_t n = ::recv(client, chunk, sizeof(chunk), 0);
        if (n <= 0) break;
        in.append(chunk, static_cast<size_t>(n));
      }
      ++requests_;
      ::send(client, reply.data(), reply.size(), MSG_NOSIGNAL);
      ::shutdown(client, SHUT_WR);
      ::close(client);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> requests_{0};
  std::thread thread_;
};

// What a test's configuration may change.
struct GatewaySetup {
  std::string max_wait = "1s";
  // Replica base URLs of endpoint `local`; empty: the two fake upstreams.
  std::vector<std::string> local_replicas;
  std::string budget_money = "0.001";  // agent-b's budget
  std::string max_body = "64Ki";
  std::string gateway_extra;  // more `gateway:` lines ("  first_byte_timeout: 1s\n")
};

// Three fake upstreams (`local` replicas 0 and 1, and `paid`, which wants
// kPaidUpstreamKey) and `allot serve` in front of them.
class GatewayE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* fake : {&local0_, &local1_}) {
      *fake = FakeUpstream::Start({});
      ASSERT_NE(*fake, nullptr);
    }
    FakeUpstreamOptions paid;
    paid.api_key = kPaidUpstreamKey;
    paid.models = {"mock-2"};
    paid_ = FakeUpstream::Start(paid);
    ASSERT_NE(paid_, nullptr);
    ::setenv("FAKE_PAID_KEY", kPaidUpstreamKey, 1);
    dir_ = MakeTempDir("allot-gw-e2e");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    server_.reset();  // before the upstreams: no call outlives them
    local0_.reset();
    local1_.reset();
    paid_.reset();
    RemoveTree(dir_);
  }

  std::string ConfigYaml(const GatewaySetup& setup) const {
    std::vector<std::string> local = setup.local_replicas;
    if (local.empty()) local = {local0_->base_url(), local1_->base_url()};
    std::string replicas;
    for (const std::string& url : local) {
      replicas += (replicas.empty() ? "\"" : ", \"") + url + "\"";
    }
    std::string yaml = R"yaml(
classes:
  - {name: realtime, value: 1000, latency_objective: 1}
  - {name: default, value: 100}
  - {name: batch, value: 0}
tenants:
  - {name: acme}
  - {name: agent-a, parent: acme}
  - {name: agent-b, parent: acme}
prices:
  models:
    mock-1: {input: "0.50", output: "1.50"}
    mock-big: {input: "0.50", output: "1.50"}
    mock-2: {input: "5", output: "15"}
)yaml";
    yaml += "budgets:\n  - {name: b-cap, tenant: acme/agent-b, money: \"" + setup.budget_money +
            "\"}\n";
    yaml += "server:\n  max_body_bytes: " + setup.max_body + "\n";
    yaml += "api_keys:\n";
    yaml += "  - {name: admin, sha256: " + Sha256Hex(kGatewayAdminKey) +
            ", tenant: \"\", role: admin}\n";
    yaml += "  - {name: a, sha256: " + Sha256Hex(kGatewayKeyA) +
            ", tenant: acme/agent-a, role: agent, class: default}\n";
    yaml += "  - {name: b, sha256: " + Sha256Hex(kGatewayKeyB) +
            ", tenant: acme/agent-b, role: agent}\n";
    yaml += "gateway:\n  max_wait: " + setup.max_wait + "\n" + setup.gateway_extra;
    yaml += "  endpoints:\n";
    yaml += "    - name: local\n      replicas: [" + replicas + "]\n";
    yaml += "      slots: 2\n      latency: 2s\n";
    yaml += "      models: [mock-1, {name: mock-big, upstream: mock-1, context: 100}]\n";
    yaml += "    - name: paid\n      base_url: " + paid_->base_url() + "\n";
    yaml += "      slots: 4\n      latency: 1s\n      api_key_env: FAKE_PAID_KEY\n";
    yaml += "      models: [mock-2]\n";
    yaml += "  routes:\n    - {name: chat, models: [mock-1, mock-2], policy: cheapest}\n";
    yaml += "  fallbacks:\n    mock-1: [mock-2]\n";
    return yaml;
  }

  void StartServer(const GatewaySetup& setup = {}) {
    std::string config = dir_ + "/allot.yaml";
    WriteFile(config, ConfigYaml(setup));
    server_ = std::make_unique<ServerProcess>();
    std::string error;
    ASSERT_TRUE(server_->Start(config, dir_ + "/data", &error)) << error;
  }

  int port() const { return server_->port(); }

  // A POST with a key (and any extra headers) on a fresh connection.
  RawResponse Post(std::string_view target, std::string_view body, std::string_view key,
                   Headers extra = {}) {
    Headers headers = {{"Content-Type", "application/json"}};
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(key));
    headers.insert(headers.end(), extra.begin(), extra.end());
    return Exchange(port(), "POST", target, body, headers);
  }
  RawResponse Chat(std::string_view body, std::string_view key = kGatewayKeyA, Headers extra = {}) {
    return Post("/v1/chat/completions", body, key, std::move(extra));
  }
  RawResponse Get(std::string_view target, std::string_view key = kGatewayAdminKey) {
    Headers headers;
    if (!key.empty()) headers.emplace_back("Authorization", "Bearer " + std::string(key));
    return Exchange(port(), "GET", target, {}, headers);
  }

  // Every usage record so far (admin key), one JSON object each, once there
  // are at least `at_least` (at most 10 s): a call's record is journaled
  // after its reply went out.
  std::vector<nlohmann::json> Usage(size_t at_least = 0) {
    std::vector<nlohmann::json> records;
    WaitFor([&] {
      records = UsageNow();
      return records.size() >= at_least;
    });
    return records;
  }
  std::vector<nlohmann::json> UsageNow() {
    RawResponse response = Get("/v1/usage?format=jsonl");
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<nlohmann::json> records;
    size_t at = 0;
    while (at < response.body.size()) {
      size_t end = response.body.find('\n', at);
      if (end == std::string::npos) end = response.body.size();
      std::string line = response.body.substr(at, end - at);
      at = end + 1;
      if (line.empty()) continue;
      nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(record.is_discarded()) << line;
      records.push_back(record);
    }
    return records;
  }

  // Waits (at most `timeout`) until `done` holds.
  static bool WaitFor(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  std::unique_ptr<FakeUpstream> local0_;
  std::unique_ptr<FakeUpstream> local1_;
  std::unique_ptr<FakeUpstream> paid_;
  std::string dir_;
  std::unique_ptr<ServerProcess> server_;
};

// Money text ("0.000135") in micro-units, for exact sums.
inline int64_t MicroUnits(const nlohmann::json& money) {
  std::string text = money.is_string() ? money.get<std::string>() : money.dump();
  bool negative = !text.empty() && text.front() == '-';
  if (negative) text.erase(0, 1);
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  fraction.resize(6, '0');
  int64_t value = std::stoll(whole.empty() ? "0" : whole) * 1000000 + std::stoll(fraction);
  return negative ? -value : value;
}

}  // namespace allot::testing
