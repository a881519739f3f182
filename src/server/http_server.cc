#include "server/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#if defined(__linux__)
#include <linux/sockios.h>
#endif

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <deque>
#include <memory>
#include <unordered_set>

#include "common/utf8.h"
#include "gateway/openai_wire.h"
#include "server/gateway.h"
#include "server/metrics.h"
#include "server/query.h"

namespace allot {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr size_t kHeaderLimit = 16 * 1024;
// An SSE client that lets this much pile up unread is cut off.
constexpr size_t kStreamBacklogLimit = 1 << 20;
constexpr auto kStreamKeepAlive = std::chrono::seconds(15);
constexpr auto kShutdownGrace = std::chrono::seconds(5);
// A client that leaves more than this unread in the kernel's send queue is
// not read from (no further pipelined request is parsed) until it catches up,
// and is closed when it has not within request_timeout of the reply: one reply
// of a usage export may exceed it, a keep-alive client that reads never
// does. Without it each such client made the server answer requests until
// the kernel's buffers (megabytes per connection) filled.
constexpr int kOutputBacklogLimit = 64 * 1024;
// How often a backed-up connection's send queue is looked at again: from
// 5 ms, doubling, at most every 200 ms.
constexpr auto kDrainPollFirst = std::chrono::milliseconds(5);
constexpr auto kDrainPollMax = std::chrono::milliseconds(200);

Time WallClock() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool IsNumber(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The request headers whose values the service or the gateway reads (and
// may echo in a reply, a journal row or a log): each must be UTF-8.
constexpr std::string_view kReadHeaders[] = {"Content-Type",   "Authorization",   "X-Allot-Class",
                                             "X-Allot-Tenant", "X-Allot-Session", "X-Session-Id"};

// InvalidArgument naming the first part of the request that is not
// well-formed UTF-8 ("query.tenant: ...", "path: ...", "header.content-type:
// ...", "body: ..."), checked once here so that no caller text that cannot be
// written as JSON reaches the service or the gateway.
Status CheckRequestUtf8(const http::request<http::string_body>& request) {
  ALLOT_RETURN_IF_ERROR(
      CheckTargetUtf8(std::string_view(request.target().data(), request.target().size())));
  for (std::string_view name : kReadHeaders) {
    auto field = request.find(beast::string_view(name.data(), name.size()));
    if (field == request.end()) continue;
    std::string_view value(field->value().data(), field->value().size());
    if (size_t bad = InvalidUtf8Offset(value); bad != kValidUtf8) {
      std::string lower(name);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      return InvalidArgument(fmt::format("header.{}: {}", lower, Utf8Problem(value, bad)));
    }
  }
  if (size_t bad = InvalidUtf8Offset(request.body()); bad != kValidUtf8) {
    return InvalidArgument("body: " + Utf8Problem(request.body(), bad));
  }
  return Status::Ok();
}

// Outlives the io_context: sessions destroyed with it still read it.
struct ServerState {
  Service* service = nullptr;  // null once the service has shut down
  Gateway* gateway = nullptr;
  size_t max_body = 1 << 20;
  int64_t max_connections = 1024;
  std::chrono::microseconds idle_timeout{60'000'000};
  std::chrono::microseconds request_timeout{10'000'000};
  int64_t connections = 0;
  int64_t closing = 0;  // closed, not yet destroyed (their handlers still run)
  int64_t in_flight = 0;
  bool draining = false;
  // Open sessions, for the deadline sweep (DeadlineSweep).
  std::unordered_set<class Session*> sessions;
};

using Clock = std::chrono::steady_clock;
constexpr Clock::time_point kNoDeadline = Clock::time_point::max();

// "HTTP/1.1 200 OK\r\n...\r\n\r\n": the header Beast's serializer wrote for
// these replies, byte for byte (the same fields in the same order), without
// building a message object per reply.
std::string ResponseHead(int status, unsigned version, const std::string& content_type,
                         bool keep_alive, size_t body_size) {
  std::string head;
  head.reserve(160);
  beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  fmt::format_to(std::back_inserter(head), "HTTP/{}.{} {} ", version / 10, version % 10, status);
  head.append(reason.data(), reason.size());
  head += "\r\nServer: allot\r\nContent-Type: ";
  head += content_type;
  head += "\r\n";
  if (status == 401) head += "WWW-Authenticate: Bearer\r\n";
  if (status == 429 || status == 503) head += "Retry-After: 1\r\n";
  // HTTP/1.1 keeps the connection unless told; 1.0 closes it unless told.
  if (version >= 11 && !keep_alive) head += "Connection: close\r\n";
  if (version < 11 && keep_alive) head += "Connection: keep-alive\r\n";
  fmt::format_to(std::back_inserter(head), "Content-Length: {}\r\n\r\n", body_size);
  return head;
}

// One connection. Deadlines are a time point per session that one sweep
// timer checks (DeadlineSweep) rather than a timer armed per read and write:
// the sweep closes the socket of a session past its deadline, and its
// pending operation then fails.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ServerState& state) : socket_(std::move(socket)), state_(state) {
    ++state_.connections;
    state_.sessions.insert(this);
    if (state_.service != nullptr) state_.service->metrics()->SetConnections(state_.connections);
  }
  ~Session() {
    if (subscription_ != 0 && state_.service != nullptr) state_.service->Unsubscribe(subscription_);
    // (A gateway call holds its session until it ends: none is left here.)
    state_.sessions.erase(this);
    --state_.connections;
    if (closed_) --state_.closing;
    if (state_.service != nullptr) state_.service->metrics()->SetConnections(state_.connections);
  }

  void Start(bool over_limit) {
    if (over_limit) {
      spdlog::warn("connection refused: {} open (server.max_connections)", state_.connections - 1);
      ServiceReply reply = ErrorReply(ResourceExhausted(fmt::format(
          "too many connections (server.max_connections = {})", state_.max_connections)));
      Write(std::move(reply), 11, /*keep_alive=*/false);
      return;
    }
    Read();
  }

  // Closes the connection when its deadline has passed (the sweep). A
  // request noticed to have started (bytes of it read, not yet complete)
  // since the last sweep moves the deadline to request_timeout from now.
  void CloseIfLate(Clock::time_point now) {
    if (waiting_ && !request_started_ &&
        (buffer_.size() > 0 || (parser_.has_value() && parser_->got_some()))) {
      request_started_ = true;
      deadline_ = std::min(deadline_, now + state_.request_timeout);
    }
    if (now >= deadline_) Close();
  }

  // Whether the server waits on this client (idle between requests, or
  // reading one): such a connection may be shed for a new one (Shed).
  bool waiting() const { return waiting_ && !closed_; }
  Clock::time_point waiting_since() const { return waiting_since_; }
  // Closed to make room for a new connection at server.max_connections.
  void Shed() {
    spdlog::debug(
        "connection shed at server.max_connections: waited on for {} ms",
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - waiting_since_)
            .count());
    Close();
  }

 private:
  // Waits for the next request. Between requests the connection may stay
  // idle for idle_timeout; once a request has started, the whole request
  // (head and body) must arrive within request_timeout, so a client that
  // sends a byte a second holds a connection for request_timeout, not
  // idle_timeout. The start is noticed by the sweep (CloseIfLate), at most
  // one sweep period late, rather than by waiting for readability before
  // each read: that would put every request twice through the io_context's
  // queue, which doubled a keep-alive client's latency under load.
  void Read() {
    if (state_.draining) return Close();
    waiting_ = true;
    waiting_since_ = Clock::now();
    parser_.emplace();
    parser_->body_limit(state_.max_body);
    parser_->header_limit(kHeaderLimit);
    // Bytes of a pipelined request already read: it has started.
    request_started_ = buffer_.size() > 0;
    deadline_ = waiting_since_ + (request_started_ ? state_.request_timeout : state_.idle_timeout);
    http::async_read(socket_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  // After a reply: the next request once the client has read most of what
  // was written (kOutputBacklogLimit). The write deadline Write() set stays,
  // so a client that never reads is closed by the sweep.
  void ReadWhenDrained(std::chrono::milliseconds poll = kDrainPollFirst) {
    if (closed_) return;
    int queued = 0;
#if defined(SIOCOUTQ)
    if (::ioctl(socket_.native_handle(), SIOCOUTQ, &queued) != 0) queued = 0;
#endif
    if (queued <= kOutputBacklogLimit) return Read();
    if (drain_timer_ == nullptr) {
      drain_timer_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
    }
    drain_timer_->expires_after(poll);
    drain_timer_->async_wait([self = shared_from_this(), poll](beast::error_code ec) {
      if (ec) return;
      self->ReadWhenDrained(std::min<std::chrono::milliseconds>(poll * 2, kDrainPollMax));
    });
  }

  void OnRead(beast::error_code ec, size_t) {
    waiting_ = false;
    if (ec == http::error::end_of_stream || ec == asio::error::operation_aborted ||
        ec == asio::error::connection_reset || ec == asio::error::eof || closed_) {
      return Close();
    }
    unsigned version = 11;
    if (ec) {
      if (ec != http::error::body_limit) {
        return Write(
            CodedErrorReply(ec == http::error::header_limit ? 431 : 400, "invalid_argument",
                            "request: malformed HTTP (" + ec.message() + ")", "request"),
            version, /*keep_alive=*/false);
      }
      std::string message =
          fmt::format("body: larger than {} bytes (server.max_body_bytes)", state_.max_body);
      std::string_view target(parser_->get().target().data(), parser_->get().target().size());
      // OpenAI clients read OpenAI-shaped errors.
      bool gateway =
          state_.gateway != nullptr && state_.gateway->Serves(target.substr(0, target.find('?')));
      return Write(gateway ? ServiceReply{413, Gateway::ErrorBody(413, message, "body")}
                           : CodedErrorReply(413, "payload_too_large", message, "body"),
                   version, /*keep_alive=*/false);
    }
    http::request<http::string_body> request = parser_->release();
    version = request.version();
    bool keep_alive = request.keep_alive();
    started_ = Clock::now();
    method_ = std::string(request.method_string());
    std::string_view raw_target(request.target().data(), request.target().size());
    route_ = RouteTemplate(raw_target);
    deadline_ = kNoDeadline;
    if (state_.service == nullptr) return Close();
    std::string_view path = raw_target.substr(0, raw_target.find('?'));
    bool gateway = state_.gateway != nullptr && state_.gateway->Serves(path);
    if (Status text = CheckRequestUtf8(request); !text.ok()) {
      // OpenAI clients read OpenAI-shaped errors; `param` names the part
      // (null for the body, as the gateway's own body errors have it).
      const std::string& message = text.message();
      std::string part = message.substr(0, message.find(':'));
      return Write(gateway ? ServiceReply{400, gateway::OpenAiErrorBody(
                                                   message, "invalid_request_error",
                                                   part == "body" ? "" : part, "invalid_request")}
                           : ErrorReply(text),
                   version, keep_alive);
    }
    if (request.method() == http::verb::get && path == "/v1/events") return StartStream(request);
    if (gateway) return StartCall(request, path, keep_alive);
    ServiceRequest api;
    api.method = method_;
    api.target = std::string(raw_target);
    api.body = std::move(request.body());
    api.content_type = std::string(request[http::field::content_type]);
    api.authorization = std::string(request[http::field::authorization]);
    ++state_.in_flight;
    state_.service->Handle(api,
                           [self = shared_from_this(), version, keep_alive](ServiceReply reply) {
                             --self->state_.in_flight;
                             self->Write(std::move(reply), version, keep_alive);
                           });
  }

  void Write(ServiceReply reply, unsigned version, bool keep_alive) {
    if (closed_) return;
    keep_alive = keep_alive && !state_.draining;
    reply_head_ =
        ResponseHead(reply.status, version, reply.content_type, keep_alive, reply.body.size());
    for (const auto& [name, value] : reply.headers) {  // before the blank line
      reply_head_.insert(reply_head_.size() - 2, name + ": " + value + "\r\n");
    }
    reply_body_ = std::move(reply.body);
    if (state_.service != nullptr && !route_.empty()) {
      double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
      state_.service->metrics()->ObserveHttp(route_, method_, reply.status, seconds);
    }
    deadline_ = Clock::now() + state_.request_timeout;  // a client that will not read is cut off
    std::array<asio::const_buffer, 2> buffers = {asio::buffer(reply_head_),
                                                 asio::buffer(reply_body_)};
    asio::async_write(socket_, buffers,
                      [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->ReadWhenDrained();
                      });
  }

  // A gateway call: answered whole, or streamed with chunked encoding. The
  // responder holds the session until the call ends.
  void StartCall(http::request<http::string_body>& request, std::string_view path,
                 bool keep_alive) {
    CallInput input;
    input.method = method_;
    input.path = std::string(path);
    input.body = std::move(request.body());
    input.content_type = std::string(request[http::field::content_type]);
    input.authorization = std::string(request[http::field::authorization]);
    input.class_header = std::string(request["X-Allot-Class"]);
    input.tenant_header = std::string(request["X-Allot-Tenant"]);
    input.session_header = std::string(request["X-Allot-Session"]);
    if (input.session_header.empty()) input.session_header = std::string(request["X-Session-Id"]);
    unsigned version = request.version();
    ++state_.in_flight;
    in_call_ = true;
    ++call_generation_;
    call_keep_alive_ = keep_alive && version >= 11;
    std::shared_ptr<Session> self = shared_from_this();
    CallResponder responder;
    responder.reply = [self, version](int status, std::string_view content_type, std::string body) {
      self->EndCall();
      ServiceReply reply{status, std::move(body), std::string(content_type)};
      self->Write(std::move(reply), version, self->call_keep_alive_);
    };
    responder.start_stream = [self](int status, std::string_view content_type) {
      self->StartChunked(status, content_type);
    };
    responder.write = [self](std::string_view bytes) { return self->PushChunk(bytes); };
    responder.end_stream = [self] { self->EndChunked(); };
    uint64_t call = state_.gateway->Handle(std::move(input), std::move(responder));
    if (in_call_ && call != 0) {
      call_ = call;
      WatchClient();
    }
  }

  // Notices a client that closes while its call waits or streams: the call
  // is then cancelled upstream (Gateway::ClientGone).
  void WatchClient() {
    uint64_t generation = call_generation_;
    socket_.async_wait(
        tcp::socket::wait_read, [self = shared_from_this(), generation](beast::error_code ec) {
          if (ec || self->closed_ || !self->in_call_ || generation != self->call_generation_) {
            return;
          }
          char byte = 0;
          ssize_t n = ::recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
          if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            self->Close();
          } else if (n < 0) {
            self->WatchClient();
          }
          // n > 0: a pipelined request; it is read after this call.
        });
  }

  void EndCall() {
    if (!in_call_) return;
    in_call_ = false;
    call_ = 0;
    --state_.in_flight;
  }

  void StartChunked(int status, std::string_view content_type) {
    if (closed_) return;
    beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
    std::string head = fmt::format("HTTP/1.1 {} ", status);
    head.append(reason.data(), reason.size());
    head += "\r\nServer: allot\r\nContent-Type: ";
    head += content_type;
    head += "\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n";
    if (!call_keep_alive_ || state_.draining) head += "Connection: close\r\n";
    head += "\r\n";
    chunked_ = true;
    Push(head);
  }

  bool PushChunk(std::string_view bytes) {
    if (closed_ || !chunked_) return false;
    if (bytes.empty()) return true;
    std::string frame = fmt::format("{:x}\r\n", bytes.size());
    frame.append(bytes);
    frame += "\r\n";
    return Push(frame);
  }

  void EndChunked() {
    if (!chunked_) return;
    if (!route_.empty() && state_.service != nullptr) {
      double seconds = std::chrono::duration<double>(Clock::now() - started_).count();
      state_.service->metrics()->ObserveHttp(route_, method_, 200, seconds);
    }
    EndCall();
    if (closed_) return;
    end_after_backlog_ = true;
    Push("0\r\n\r\n");
  }

  void StartStream(const http::request<http::string_body>& request) {
    ServiceReply refused;
    std::weak_ptr<Session> weak = shared_from_this();
    subscription_ = state_.service->Subscribe(
        std::string(request[http::field::authorization]),
        [weak](const std::string& frame) {
          std::shared_ptr<Session> self = weak.lock();
          if (self == nullptr) return false;
          if (frame.empty()) return self->EndStream();  // the service ends it (a revoked key)
          return self->Push(frame);
        },
        &refused, std::string(request["Last-Event-ID"]));
    if (subscription_ == 0) return Write(std::move(refused), request.version(), false);
    std::string head = fmt::format(
        "HTTP/1.1 200 OK\r\nServer: allot\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nConnection: close\r\n\r\n: connected\n\n");
    Push(head);
    keep_alive_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
    KeepAlive();
    WatchStream();
  }

  // An event stream reads nothing from its client: this notices when the
  // client closes or resets, so that the connection is freed (and counts
  // against server.max_connections no more) at once rather than at the next
  // keep-alive write, up to 15 s later. Bytes the client sends are dropped.
  void WatchStream() {
    socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      char bytes[512];
      ssize_t n = ::recv(self->socket_.native_handle(), bytes, sizeof(bytes), MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return self->Close();
      self->WatchStream();
    });
  }

  void KeepAlive() {
    keep_alive_->expires_after(kStreamKeepAlive);
    keep_alive_->async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      self->Push(": keep-alive\n\n");
      self->KeepAlive();
    });
  }

  // Closes the stream once the frames queued so far are out.
  bool EndStream() {
    if (closed_) return false;
    end_after_backlog_ = true;
    call_keep_alive_ = false;
    if (!writing_) WriteNext();
    return false;
  }

  // Queues a stream frame; false when the client is too far behind (cut off).
  bool Push(const std::string& frame) {
    if (closed_) return false;
    backlog_bytes_ += frame.size();
    if (backlog_bytes_ > kStreamBacklogLimit) {
      Close();
      return false;
    }
    backlog_.push_back(frame);
    if (!writing_) WriteNext();
    return true;
  }

  void WriteNext() {
    if (backlog_.empty() || closed_) {
      writing_ = false;
      deadline_ = kNoDeadline;  // a stream waits for events as long as it likes
      if (end_after_backlog_ && !closed_) {
        // A streamed call's last chunk is out: the next request, or close.
        end_after_backlog_ = false;
        chunked_ = false;
        if (call_keep_alive_ && !state_.draining) {
          deadline_ = Clock::now() + state_.request_timeout;
          return ReadWhenDrained();
        }
        return Close();
      }
      return;
    }
    writing_ = true;
    deadline_ = Clock::now() + state_.request_timeout;
    asio::async_write(socket_, asio::buffer(backlog_.front()),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->backlog_bytes_ -= self->backlog_.front().size();
                        self->backlog_.pop_front();
                        self->WriteNext();
                      });
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    ++state_.closing;
    if (in_call_ && call_ != 0 && state_.gateway != nullptr) {
      // Not from inside the gateway's own call into the session.
      uint64_t call = call_;
      Gateway* gateway = state_.gateway;
      asio::post(socket_.get_executor(), [gateway, call] { gateway->ClientGone(call); });
    }
    EndCall();
    if (keep_alive_ != nullptr) keep_alive_->cancel();
    if (drain_timer_ != nullptr) drain_timer_->cancel();
    deadline_ = kNoDeadline;
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  tcp::socket socket_;
  ServerState& state_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Clock::time_point deadline_ = kNoDeadline;
  std::string reply_head_;
  std::string reply_body_;
  Clock::time_point started_;
  std::string method_;
  std::string route_;
  int64_t subscription_ = 0;
  std::unique_ptr<asio::steady_timer> keep_alive_;
  std::unique_ptr<asio::steady_timer> drain_timer_;  // ReadWhenDrained's poll
  bool waiting_ = false;                             // Read() until OnRead
  bool request_started_ = false;                     // while waiting_: bytes of the request read
  Clock::time_point waiting_since_;
  std::deque<std::string> backlog_;
  size_t backlog_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  // A gateway call in progress (StartCall).
  bool in_call_ = false;
  uint64_t call_ = 0;
  uint64_t call_generation_ = 0;
  bool call_keep_alive_ = false;
  bool chunked_ = false;
  bool end_after_backlog_ = false;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& ioc, tcp::endpoint endpoint, ServerState& state)
      : acceptor_(ioc), state_(state) {
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(asio::socket_base::max_listen_connections);
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  void Accept() {
    // One thread runs the io_context: sessions need no strands.
    acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        bool over = self->MakeRoom();
        std::make_shared<Session>(std::move(socket), self->state_)->Start(over);
      }
      if (self->acceptor_.is_open()) self->Accept();
    });
  }
  void Stop() {
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  // At server.max_connections, the connection the server has waited on the
  // longest (idle keep-alive, or a request still arriving) is closed so that
  // the new one gets in: a thousand clients trickling a byte a second no
  // longer lock new clients out. Only when every connection is busy (a reply
  // being computed or written, a gateway call, an event stream) is the new
  // one refused (429). True when it must be refused. O(connections), only
  // at the limit.
  bool MakeRoom() {
    if (state_.connections - state_.closing < state_.max_connections) return false;
    Session* oldest = nullptr;
    for (Session* session : state_.sessions) {
      if (session->waiting() &&
          (oldest == nullptr || session->waiting_since() < oldest->waiting_since())) {
        oldest = session;
      }
    }
    if (oldest == nullptr) return true;
    oldest->Shed();
    return false;
  }

  tcp::acceptor acceptor_;
  ServerState& state_;
};

Result<tcp::endpoint> ParseListen(const std::string& listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos)
    return InvalidArgument("listen: must be host:port, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  int port = -1;
  std::string_view port_text = std::string_view(listen).substr(colon + 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return InvalidArgument("listen: bad port in '" + listen + "'");
  }
  beast::error_code error;
  asio::ip::address address = asio::ip::make_address(host, error);
  if (error) return InvalidArgument("listen: '" + host + "' is not an IP address");
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

}  // namespace

std::string RouteTemplate(std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  std::vector<std::string_view> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view part =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.empty()) return "/";
  if (parts[0] != "v1") {
    if (parts.size() == 1 &&
        (parts[0] == "healthz" || parts[0] == "readyz" || parts[0] == "metrics")) {
      return "/" + std::string(parts[0]);
    }
    return "other";
  }
  if (parts.size() >= 2 && parts[1] == "tenants")
    return parts.size() > 2 ? "/v1/tenants/{path}" : "/v1/tenants";
  std::string route;
  for (size_t i = 0; i < parts.size() && i < 4; ++i) {
    bool variable = (i == 2 && (parts[1] == "leases" || parts[1] == "nodes")) || IsNumber(parts[i]);
    route += "/";
    route += variable ? (parts[1] == "nodes" ? "{name}" : "{id}") : std::string(parts[i]);
  }
  static constexpr std::string_view kKnown[] = {"/v1/leases",
                                                "/v1/leases/{id}",
                                                "/v1/leases/{id}/renew",
                                                "/v1/leases/{id}/release",
                                                "/v1/queue",
                                                "/v1/budgets",
                                                "/v1/classes",
                                                "/v1/pools",
                                                "/v1/nodes",
                                                "/v1/nodes/{name}/state",
                                                "/v1/reports/chargeback",
                                                "/v1/usage",
                                                "/v1/events",
                                                "/v1/admin/reload",
                                                "/v1/admin/snapshot",
                                                "/v1/chat/completions",
                                                "/v1/completions",
                                                "/v1/embeddings",
                                                "/v1/models"};
  for (std::string_view known : kKnown) {
    if (route == known) return route;
  }
  return "other";  // bounded label values: unknown paths share one
}

int Serve(ServeOptions options) {
  // Declared before the io_context, so that they outlive the handlers (and
  // sessions) it destroys; the service is shut down explicitly first.
  ServerState state;
  std::unique_ptr<Service> service;
  asio::io_context ioc{1};
  ServiceLoop loop;
  loop.post = [&ioc](std::function<void()> fn) { asio::post(ioc, std::move(fn)); };
  loop.schedule = [&ioc](Duration delay, std::function<void()> fn) {
    auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::microseconds(delay));
    timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
      if (!ec) fn();
    });
  };
  loop.now = WallClock;
  // Set once the listener runs (below); a journal failure stops the server.
  std::function<void(int)> stop_serving;
  int exit_code = 0;
  loop.fail_stop = [&stop_serving](int code) {
    if (stop_serving) stop_serving(code);
  };
  Result<std::unique_ptr<Service>> opened = Service::Open(options.service, loop);
  if (!opened.ok()) {
    spdlog::error("cannot start: {}", opened.status().message());
    return 1;
  }
  service = std::move(opened).value();
  auto fail = [&](int code) {
    service->Shutdown();
    state.service = nullptr;
    state.gateway = nullptr;
    return code;
  };
  const ServerConfig& config = service->server_config();
  std::string listen = options.listen.empty()
                           ? fmt::format("{}:{}", config.listen_host, config.listen_port)
                           : options.listen;
  Result<tcp::endpoint> endpoint = ParseListen(listen);
  if (!endpoint.ok()) {
    spdlog::error("cannot start: {}", endpoint.status().message());
    return fail(2);
  }
  state.service = service.get();
  // Declared after the io_context: destroyed (its upstream calls cancelled)
  // while the io_context still exists.
  auto gateway = std::make_unique<Gateway>(*service, ioc);
  state.gateway = gateway.get();
  state.max_body = static_cast<size_t>(config.max_body_bytes);
  state.max_connections = config.max_connections;
  state.idle_timeout = std::chrono::microseconds(config.idle_timeout);
  state.request_timeout = std::chrono::microseconds(config.request_timeout);
  std::shared_ptr<Listener> listener;
  try {
    listener = std::make_shared<Listener>(ioc, *endpoint, state);
  } catch (const boost::system::system_error& e) {
    spdlog::error("cannot listen on {}: {}", listen, e.what());
    return fail(1);
  }
  listener->Accept();
  int port = listener->port();
  spdlog::info("allot serve {} (commit {}): listening on {}:{}, data in {}",
               options.service.version, options.service.commit, endpoint->address().to_string(),
               port, options.service.data_dir);
  if (options.on_listening) options.on_listening(port);

  // Connection deadlines (idle, request, slow readers): one sweep at a
  // quarter of the shorter timeout, at most every second.
  asio::steady_timer sweeper(ioc);
  auto sweep_every =
      std::clamp<std::chrono::microseconds>(std::min(state.idle_timeout, state.request_timeout) / 4,
                                            std::chrono::milliseconds(10), std::chrono::seconds(1));
  std::function<void()> sweep = [&] {
    sweeper.expires_after(sweep_every);
    sweeper.async_wait([&](beast::error_code ec) {
      if (ec) return;
      Clock::time_point now = Clock::now();
      // Close does not destroy a session (its handlers hold it), so the set
      // does not change while it is walked.
      for (Session* session : state.sessions) session->CloseIfLate(now);
      sweep();
    });
  };
  sweep();

  asio::steady_timer ticker(ioc);
  std::function<void()> tick = [&] {
    ticker.expires_after(std::chrono::microseconds(service->NextTickDelay()));
    ticker.async_wait([&](beast::error_code ec) {
      if (ec || state.draining || state.service == nullptr) return;
      service->Tick();
      tick();
    });
  };
  tick();

  asio::steady_timer drain_timer(ioc);
  auto deadline = std::chrono::steady_clock::now();
  std::function<void()> finish = [&] {
    if (state.in_flight > 0 && std::chrono::steady_clock::now() < deadline) {
      drain_timer.expires_after(std::chrono::milliseconds(20));
      drain_timer.async_wait([&](beast::error_code) { finish(); });
      return;
    }
    service->Shutdown();
    state.service = nullptr;
    state.gateway = nullptr;
    ioc.stop();
  };
  stop_serving = [&](int code) {
    if (state.draining) return;
    exit_code = code;
    state.draining = true;
    listener->Stop();
    ticker.cancel();
    deadline = std::chrono::steady_clock::now() + kShutdownGrace;
    finish();
  };
  asio::signal_set signals(ioc, SIGTERM, SIGINT, SIGHUP);
  std::function<void()> on_signal = [&] {
    signals.async_wait([&](beast::error_code ec, int signal) {
      if (ec) return;
      if (signal == SIGHUP) {
        Status reloaded = service->Reload();
        if (reloaded.ok()) {
          spdlog::info("SIGHUP: configuration reloaded");
        } else {
          spdlog::error("SIGHUP: configuration refused: {}", reloaded.message());
        }
        on_signal();
        return;
      }
      spdlog::info("signal {}: finishing replies in flight, then stopping", signal);
      stop_serving(0);
    });
  };
  on_signal();
  ioc.run();
  if (state.service != nullptr) fail(0);
  if (exit_code != 0) {
    spdlog::error("allot serve: stopped after a journal failure (exit {})", exit_code);
  } else {
    spdlog::info("allot serve: stopped");
  }
  return exit_code;
}

}  // namespace allot
