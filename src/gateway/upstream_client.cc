#include "gateway/upstream_client.h"

#include <fmt/format.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <deque>
#include <limits>
#include <optional>
#include <unordered_map>

namespace allot::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

namespace {

// A read returns what has arrived, up to this much.
constexpr size_t kReadBytes = 16 * 1024;
// Upstream response heads are small; this only bounds a broken one.
constexpr uint32_t kHeaderLimit = 64 * 1024;
// An idle pooled connection older than this is closed rather than reused:
// upstream servers drop idle keep-alive connections after a while (uvicorn
// after 5 s, others after a minute or more), and one that has done so is
// seen at reuse anyway; this only bounds how long dead ones are kept.
constexpr auto kMaxIdleAge = std::chrono::seconds(120);
// Durations above this are treated as "no limit" (avoids time_point overflow).
constexpr Duration kMaxDuration = Seconds(10LL * 365 * 24 * 3600);

Clock::time_point After(Clock::time_point from, Duration duration) {
  return from + std::chrono::microseconds(std::clamp<Duration>(duration, 0, kMaxDuration));
}

// "60s", "100ms", "1500us".
std::string FormatDuration(Duration duration) {
  if (duration % kMicrosPerSecond == 0) return fmt::format("{}s", duration / kMicrosPerSecond);
  if (duration % 1000 == 0) return fmt::format("{}ms", duration / 1000);
  return fmt::format("{}us", duration);
}

// Header values and the request line must not carry CR, LF or NUL (request
// splitting).
bool HasLineBreak(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// RFC 9110 token (method, header name).
bool IsToken(std::string_view text) {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSymbols.find(c) != kSymbols.npos;
  });
}

// An origin-form target: "/" and then visible ASCII only.
bool IsTarget(std::string_view text) {
  return !text.empty() && text.front() == '/' && std::all_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f;
  });
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

void AppendNumber(std::string& out, uint64_t value) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

// A response parser that keeps only what the gateway needs from the head
// (no per-field allocations) and appends de-chunked body bytes to `sink`.
class ResponseParser final : public http::basic_parser<false> {
 public:
  ResponseParser(UpstreamHead* head, std::string* sink) : head_(head), sink_(sink) {
    eager(true);
    header_limit(kHeaderLimit);
    // Not boost::none: Beast 1.74 treats an empty limit as exceeded.
    body_limit(std::numeric_limits<uint64_t>::max());
  }

 private:
  void on_request_impl(http::verb, beast::string_view, beast::string_view, int,
                       ErrorCode&) override {}
  void on_response_impl(int code, beast::string_view, int, ErrorCode&) override {
    head_->status = code;
  }
  void on_field_impl(http::field name, beast::string_view, beast::string_view value,
                     ErrorCode&) override {
    if (name == http::field::content_type) {
      head_->content_type.assign(value.data(), value.size());
    } else if (name == http::field::retry_after) {
      head_->retry_after.assign(value.data(), value.size());
    }
  }
  void on_header_impl(ErrorCode&) override {}
  void on_body_init_impl(const boost::optional<uint64_t>&, ErrorCode&) override {}
  size_t on_body_impl(beast::string_view body, ErrorCode&) override {
    sink_->append(body.data(), body.size());
    return body.size();
  }
  void on_chunk_header_impl(uint64_t, beast::string_view, ErrorCode&) override {}
  size_t on_chunk_body_impl(uint64_t, beast::string_view body, ErrorCode&) override {
    sink_->append(body.data(), body.size());
    return body.size();
  }
  void on_finish_impl(ErrorCode&) override {}

  UpstreamHead* head_;
  std::string* sink_;
};

// One TCP connection to an upstream, with what is reused across its calls.
struct Connection {
  explicit Connection(asio::io_context& ioc) : socket(ioc), timer(ioc) {}

  void Close() {
    ErrorCode ignored;
    socket.close(ignored);
    timer.cancel();
  }
  // False when the peer has closed (or reset) the idle connection or sent
  // something unasked: a cheap check before reuse, which avoids most retries.
  bool LooksReusable() {
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  tcp::socket socket;
  asio::steady_timer timer;   // the current call's deadline
  beast::flat_buffer buffer;  // bytes read, not yet parsed
  std::string head;           // the request head being sent
  std::string pending;        // body bytes parsed, not yet delivered
  Clock::time_point idle_since;
};

// The connections to one host:port.
struct Pool {
  std::string host;
  uint16_t port = 0;
  std::string host_port;                         // "127.0.0.1:8000", "[::1]:8000": for messages
  std::string host_header;                       // as host_port, without ":80"
  std::optional<tcp::endpoint> literal;          // when host is an IP address
  std::deque<std::shared_ptr<Connection>> idle;  // oldest first
};

}  // namespace

std::string UpstreamUrl::Target(std::string_view suffix) const {
  std::string target = base_path;
  target += suffix;
  return target;
}

std::string UpstreamUrl::HostPort() const {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                             : fmt::format("{}:{}", host, port);
}

Result<UpstreamUrl> ParseUpstreamUrl(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return InvalidArgument(fmt::format("upstream URL '{}': {}", url, why));
  };
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return invalid("must start with http://");
  std::string scheme = Lower(url.substr(0, scheme_end));
  if (scheme == "https") {
    return invalid("https:// is not supported (no TLS yet); use http://, e.g. via a local proxy");
  }
  if (scheme != "http") return invalid("must start with http://");
  std::string_view rest = url.substr(scheme_end + 3);
  if (std::any_of(rest.begin(), rest.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u >= 0x7f;
      })) {
    return invalid("must not contain spaces or control characters");
  }
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return invalid("must not have a query or a fragment");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("must not contain user info (user:password@); configure the API key instead");
  }
  if (authority.empty()) return invalid("has no host");

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (authority.front() == '[') {  // "[::1]:8000"
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unterminated [IPv6 address]");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("expected :port after ]");
      has_port = true;
      port_text = after.substr(1);
    }
    ErrorCode error;
    asio::ip::make_address_v6(std::string(host), error);
    if (error) return invalid("bad IPv6 address in []");
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) return invalid("has no host");
    if (!std::all_of(host.begin(), host.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
        })) {
      return invalid("bad host name");
    }
  }

  UpstreamUrl parsed;
  parsed.host = std::string(host);
  if (has_port) {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port_text.front() == '+' || port == 0 || port > 65535) {
      return invalid("port must be a number within 1..65535");
    }
    parsed.port = static_cast<uint16_t>(port);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  parsed.base_path = std::string(path);
  return parsed;
}

// ---------------------------------------------------------------------------

namespace {

struct Call;

// The client's state; UpstreamClient::Impl is this (calls reach it through
// a plain pointer, see Call).
struct ClientState {
  ClientState(asio::io_context& io, size_t max_idle) : ioc(io), max_idle_per_host(max_idle) {}
  ~ClientState();

  Pool& PoolFor(const UpstreamUrl& url);
  std::shared_ptr<Connection> TakeIdle(Pool& pool);
  void Release(Pool& pool, std::shared_ptr<Connection> connection);

  asio::io_context& ioc;
  size_t max_idle_per_host;
  uint64_t next_id = 1;
  uint64_t opened = 0;
  std::unordered_map<uint64_t, std::shared_ptr<Call>> calls;
  // Pools are never removed while the client lives: calls keep Pool pointers.
  std::unordered_map<std::string, std::unique_ptr<Pool>> pools;
  std::string key;  // scratch for PoolFor (no allocation once warm)
};

}  // namespace

namespace {

// One call. Its asynchronous operations hold it by shared_ptr; each of their
// handlers first checks `finished` (set by Finish, Cancel and the client's
// destructor) and then does nothing, so a finished call never touches the
// client again.
struct Call : std::enable_shared_from_this<Call> {
  enum class Phase { kConnect, kFirstByte, kBody };

  void Begin();
  void Connect();
  void OnConnected(const ErrorCode& error);
  void Send();
  void OnSent(const ErrorCode& error);
  void Read();
  void OnRead(const ErrorCode& error, size_t bytes);
  void Parse();
  void SetPhase(Phase next, Duration limit);
  void Arm();
  void OnTimer(uint64_t generation);
  void Retry();
  void DropConnection();
  void Finish(const Status& status, bool reusable);
  void Stop();
  Status Error(std::string_view what) const {
    return Unavailable(fmt::format("upstream {}: {}", pool->host_port, what));
  }
  Status Error(std::string_view what, const ErrorCode& error) const {
    return Unavailable(fmt::format("upstream {}: {}: {}", pool->host_port, what, error.message()));
  }
  // A stale pooled connection is retried once, on a fresh one, as long as
  // no byte of the response has arrived.
  bool CanRetry() const { return reused && !retried && !received; }

  ClientState* client = nullptr;
  Pool* pool = nullptr;
  uint64_t id = 0;
  UpstreamRequest request;
  UpstreamHandlers handlers;
  UpstreamTimeouts timeouts;

  std::shared_ptr<Connection> connection;
  std::unique_ptr<tcp::resolver> resolver;
  std::optional<ResponseParser> parser;
  UpstreamHead head;

  Phase phase = Phase::kConnect;
  Clock::time_point total_deadline;
  Clock::time_point phase_deadline;
  Clock::time_point armed_deadline;  // when the pending timer wait fires
  uint64_t timer_generation = 0;     // a wait of an older generation is stale
  bool timer_armed = false;

  bool finished = false;
  bool reused = false;    // the connection came from the pool
  bool retried = false;   // the one retry is spent
  bool received = false;  // a byte of the response arrived (this attempt)
  bool head_delivered = false;
};

void Call::Begin() {
  total_deadline = After(Clock::now(), timeouts.total);
  if (std::shared_ptr<Connection> idle = client->TakeIdle(*pool)) {
    connection = std::move(idle);
    reused = true;
    Send();
  } else {
    Connect();
  }
}

void Call::Connect() {
  connection = std::make_shared<Connection>(client->ioc);
  ++client->opened;
  reused = false;
  SetPhase(Phase::kConnect, timeouts.connect);
  auto self = shared_from_this();
  if (pool->literal) {
    connection->socket.async_connect(*pool->literal,
                                     [self](const ErrorCode& error) { self->OnConnected(error); });
    return;
  }
  // A name: resolved for each new connection (connections are pooled, so
  // this is rare), which follows a changed address.
  if (!resolver) resolver = std::make_unique<tcp::resolver>(client->ioc);
  resolver->async_resolve(
      pool->host, std::to_string(pool->port),
      [self](const ErrorCode& error, const tcp::resolver::results_type& endpoints) {
        if (self->finished) return;
        if (error) return self->Finish(self->Error("resolving the host name", error), false);
        asio::async_connect(self->connection->socket, endpoints,
                            [self](const ErrorCode& connect_error, const tcp::endpoint&) {
                              self->OnConnected(connect_error);
                            });
      });
}

void Call::OnConnected(const ErrorCode& error) {
  if (finished) return;
  if (error) return Finish(Error("connect failed", error), false);
  ErrorCode ignored;
  connection->socket.set_option(tcp::no_delay(true), ignored);
  Send();
}

void Call::Send() {
  Connection& c = *connection;
  head = UpstreamHead();
  parser.emplace(&head, &c.pending);
  if (request.method == "HEAD") parser->skip(true);  // a head only, whatever it says
  c.pending.clear();
  c.buffer.clear();
  received = false;
  head_delivered = false;

  std::string& h = c.head;
  h.clear();
  h += request.method;
  h += ' ';
  h += request.target;
  h += " HTTP/1.1\r\nHost: ";
  h += pool->host_header;
  h += "\r\nUser-Agent: allot-gateway\r\n";
  if (!request.body.empty()) h += "Content-Type: application/json\r\n";
  if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD")) {
    h += "Content-Length: ";
    AppendNumber(h, request.body.size());
    h += "\r\n";
  }
  if (!request.authorization.empty()) {
    h += "Authorization: ";
    h += request.authorization;
    h += "\r\n";
  }
  if (!request.accept.empty()) {
    h += "Accept: ";
    h += request.accept;
    h += "\r\n";
  }
  for (const auto& [name, value] : request.headers) {
    h += name;
    h += ": ";
    h += value;
    h += "\r\n";
  }
  h += "\r\n";

  SetPhase(Phase::kFirstByte, timeouts.first_byte);
  // Head and body in one gathered write.
  std::array<asio::const_buffer, 2> buffers{asio::buffer(c.head), asio::buffer(request.body)};
  asio::async_write(c.socket, buffers, [self = shared_from_this()](const ErrorCode& error, size_t) {
    self->OnSent(error);
  });
}

void Call::OnSent(const ErrorCode& error) {
  if (finished) return;
  if (error) {
    if (CanRetry()) return Retry();
    return Finish(Error("sending the request", error), false);
  }
  Read();
}

void Call::Read() {
  connection->socket.async_read_some(
      connection->buffer.prepare(kReadBytes),
      [self = shared_from_this()](const ErrorCode& error, size_t bytes) {
        self->OnRead(error, bytes);
      });
}

void Call::OnRead(const ErrorCode& error, size_t bytes) {
  if (finished) return;
  if (bytes > 0) {
    connection->buffer.commit(bytes);
    received = true;
    SetPhase(Phase::kBody, timeouts.idle);
  }
  if (error == asio::error::eof) {
    if (!received) {
      if (CanRetry()) return Retry();
      return Finish(Error("closed the connection before responding"), false);
    }
    if (!parser->got_some()) return Finish(Error("connection closed mid-response"), false);
    // A body delimited by the end of the connection ends here; any other
    // response is cut short.
    ErrorCode eof_error;
    parser->put_eof(eof_error);
    if (eof_error || !parser->is_done()) {
      return Finish(Error("connection closed mid-response"), false);
    }
    return Finish(Status::Ok(), false);
  }
  if (error) {
    if (CanRetry()) return Retry();
    return Finish(Error(received ? "reading the response body" : "reading the response", error),
                  false);
  }
  Parse();
}

void Call::Parse() {
  // Held here: a handler may Cancel this call, which drops `connection`.
  std::shared_ptr<Connection> c = connection;
  while (c->buffer.size() > 0 && !parser->is_done()) {
    ErrorCode error;
    size_t used = parser->put(c->buffer.data(), error);
    c->buffer.consume(used);
    if (error == http::error::need_more) break;
    if (error) return Finish(Error("malformed response", error), false);
    if (parser->is_done() && head.status / 100 == 1 && head.status != 101) {
      // An interim response (100 Continue, 103 Early Hints): the real one follows.
      head = UpstreamHead();
      parser.emplace(&head, &c->pending);
      continue;
    }
    if (used == 0) break;
  }
  if (!head_delivered && parser->is_header_done()) {
    head_delivered = true;
    head.chunked = parser->chunked();
    if (auto length = parser->content_length()) head.content_length = static_cast<int64_t>(*length);
    if (handlers.on_head) handlers.on_head(head);
    if (finished) return;
  }
  if (!c->pending.empty()) {
    if (handlers.on_data) handlers.on_data(c->pending);
    if (finished) return;
    c->pending.clear();
  }
  if (parser->is_done()) {
    // Bytes after the response (unasked for) make the connection unusable.
    bool reusable = parser->keep_alive() && !parser->upgrade() && c->buffer.size() == 0;
    return Finish(Status::Ok(), reusable);
  }
  Read();
}

void Call::SetPhase(Phase next, Duration limit) {
  phase = next;
  phase_deadline = After(Clock::now(), limit);
  Arm();
}

// Lazy: a deadline that moved later (each body read moves the idle one) is
// not re-armed; the wait fires at the old time and re-arms for the rest.
void Call::Arm() {
  Clock::time_point deadline = std::min(phase_deadline, total_deadline);
  if (timer_armed && armed_deadline <= deadline) return;
  timer_armed = true;
  armed_deadline = deadline;
  uint64_t generation = ++timer_generation;
  connection->timer.expires_at(deadline);
  connection->timer.async_wait(
      [self = shared_from_this(), generation](const ErrorCode&) { self->OnTimer(generation); });
}

void Call::OnTimer(uint64_t generation) {
  if (finished || generation != timer_generation) return;
  timer_armed = false;
  if (Clock::now() < std::min(phase_deadline, total_deadline)) return Arm();
  std::string what;
  if (total_deadline <= phase_deadline) {
    what = fmt::format("not finished within {} (total timeout)", FormatDuration(timeouts.total));
  } else if (phase == Phase::kConnect) {
    what = fmt::format("connect timed out after {}", FormatDuration(timeouts.connect));
  } else if (phase == Phase::kFirstByte) {
    what = fmt::format("no response within {}", FormatDuration(timeouts.first_byte));
  } else {
    what = fmt::format("no data for {} (idle timeout)", FormatDuration(timeouts.idle));
  }
  Finish(Error(what), false);
}

void Call::Retry() {
  retried = true;
  DropConnection();
  Connect();
}

void Call::DropConnection() {
  ++timer_generation;
  timer_armed = false;
  if (connection) {
    connection->Close();
    connection.reset();
  }
}

void Call::Finish(const Status& status, bool reusable) {
  finished = true;
  client->calls.erase(id);  // the running handler still holds this call
  ++timer_generation;
  timer_armed = false;
  if (connection) {
    if (reusable) {
      connection->timer.cancel();
      client->Release(*pool, std::move(connection));
    } else {
      connection->Close();
    }
    connection.reset();
  }
  if (resolver) resolver->cancel();
  // Not inside on_head / on_data here, so they can go now; on_done is moved
  // out so that it may Start or Cancel anything.
  handlers.on_head = nullptr;
  handlers.on_data = nullptr;
  auto on_done = std::move(handlers.on_done);
  if (on_done) on_done(status);
}

// Cancel and the destructor: no handler is called, nothing is reused. The
// handlers stay (one of them may be running this).
void Call::Stop() {
  finished = true;
  DropConnection();
  if (resolver) resolver->cancel();
}

Status CheckRequest(const UpstreamRequest& request) {
  if (!IsToken(request.method)) return InvalidArgument("bad request method");
  if (!IsTarget(request.target)) return InvalidArgument("bad request target");
  if (HasLineBreak(request.authorization) || HasLineBreak(request.accept)) {
    return InvalidArgument("line break in a header value");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name) || HasLineBreak(value)) {
      return InvalidArgument(fmt::format("bad header '{}'", name));
    }
  }
  return Status::Ok();
}

ClientState::~ClientState() {
  for (auto& [id, call] : calls) call->Stop();
  calls.clear();
  for (auto& [key, pool] : pools) {
    for (auto& connection : pool->idle) connection->Close();
  }
}

Pool& ClientState::PoolFor(const UpstreamUrl& url) {
  key.assign(url.host);
  key += ':';
  AppendNumber(key, url.port);
  auto it = pools.find(key);
  if (it != pools.end()) return *it->second;
  auto pool = std::make_unique<Pool>();
  pool->host = url.host;
  pool->port = url.port;
  pool->host_port = url.HostPort();
  pool->host_header =
      url.port == 80
          ? (url.host.find(':') != std::string::npos ? fmt::format("[{}]", url.host) : url.host)
          : pool->host_port;
  ErrorCode not_literal;
  asio::ip::address address = asio::ip::make_address(url.host, not_literal);
  if (!not_literal) pool->literal = tcp::endpoint(address, url.port);
  return *pools.emplace(key, std::move(pool)).first->second;
}

std::shared_ptr<Connection> ClientState::TakeIdle(Pool& pool) {
  const Clock::time_point now = Clock::now();
  while (!pool.idle.empty()) {
    std::shared_ptr<Connection> connection = std::move(pool.idle.back());
    pool.idle.pop_back();
    if (now - connection->idle_since < kMaxIdleAge && connection->LooksReusable()) {
      return connection;
    }
    connection->Close();
  }
  return nullptr;
}

void ClientState::Release(Pool& pool, std::shared_ptr<Connection> connection) {
  const Clock::time_point now = Clock::now();
  connection->idle_since = now;
  while (!pool.idle.empty() && (pool.idle.size() >= max_idle_per_host ||
                                now - pool.idle.front()->idle_since >= kMaxIdleAge)) {
    pool.idle.front()->Close();
    pool.idle.pop_front();
  }
  if (max_idle_per_host == 0) {
    connection->Close();
    return;
  }
  pool.idle.push_back(std::move(connection));
}

}  // namespace

struct UpstreamClient::Impl : ClientState {
  using ClientState::ClientState;
};

UpstreamClient::UpstreamClient(asio::io_context& ioc, size_t max_idle_per_host)
    : impl_(std::make_unique<Impl>(ioc, max_idle_per_host)) {}

UpstreamClient::~UpstreamClient() = default;

uint64_t UpstreamClient::Start(const UpstreamUrl& url, UpstreamRequest request,
                               UpstreamHandlers handlers, const UpstreamTimeouts& timeouts) {
  const uint64_t id = impl_->next_id++;
  auto call = std::make_shared<Call>();
  call->client = impl_.get();
  call->pool = &impl_->PoolFor(url);
  call->id = id;
  call->request = std::move(request);
  call->handlers = std::move(handlers);
  call->timeouts = timeouts;
  impl_->calls.emplace(id, call);
  Status valid = url.host.empty() ? InvalidArgument("no host") : CheckRequest(call->request);
  if (!valid.ok()) {
    // Reported like any other outcome: later, from the io_context.
    asio::post(impl_->ioc, [call, message = valid.message()] {
      if (call->finished) return;
      call->Finish(InvalidArgument(fmt::format("upstream {}: {}", call->pool->host_port, message)),
                   false);
    });
    return id;
  }
  call->Begin();
  return id;
}

void UpstreamClient::Cancel(uint64_t id) {
  auto it = impl_->calls.find(id);
  if (it == impl_->calls.end()) return;
  std::shared_ptr<Call> call = std::move(it->second);
  impl_->calls.erase(it);
  call->Stop();
}

size_t UpstreamClient::in_flight() const { return impl_->calls.size(); }

size_t UpstreamClient::idle_connections() const {
  size_t idle = 0;
  for (const auto& [key, pool] : impl_->pools) idle += pool->idle.size();
  return idle;
}

uint64_t UpstreamClient::connections_opened() const { return impl_->opened; }

}  // namespace allot::gateway
