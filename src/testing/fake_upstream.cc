#include "testing/fake_upstream.h"

// <utility> before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>
//
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

// GCC 12 reports -Wmismatched-new-delete on every coroutine frame here: Asio 1.74 allocates
// awaitable frames with its recycling allocator (a class operator new that calls
// ::operator new for a larger block) and frees them with the matching class operator delete,
// which GCC does not see through once inlined. A false positive; off for this file only.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "testing/fake_upstream_replies.h"

namespace allot::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using fake_upstream_internal::Call;
using fake_upstream_internal::CompletionBody;
using fake_upstream_internal::Directives;
using fake_upstream_internal::EmbeddingsBody;
using fake_upstream_internal::Endpoint;
using fake_upstream_internal::ErrorBody;
using fake_upstream_internal::JsonReply;
using fake_upstream_internal::kCreated;
using fake_upstream_internal::MakePlan;
using fake_upstream_internal::MakeStream;
using fake_upstream_internal::Plan;
using fake_upstream_internal::ReadCall;
using fake_upstream_internal::StreamEvents;
using fake_upstream_internal::StreamHead;

namespace {
// The server's limits.
constexpr size_t kBodyLimit = 16 << 20;
constexpr size_t kHeaderLimit = 64 << 10;
// Bytes a watched connection may send (pipelined requests) while its reply waits.
constexpr size_t kWatchLimit = 1 << 20;
}  // namespace

// ------------------------------------------------------------ the server

struct FakeUpstream::Impl {
  explicit Impl(FakeUpstreamOptions o) : options(std::move(o)) {}
  ~Impl() {
    io.stop();
    if (thread.joinable()) thread.join();
    // Members go in reverse order: the acceptor, then the io_context, whose destruction
    // destroys the suspended connection coroutines (they still touch the counters above).
  }

  FakeUpstreamOptions options;
  int port = 0;
  std::string models_body;

  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> max_in_flight{0};
  std::atomic<int64_t> client_disconnects{0};
  std::atomic<int64_t> connections{0};
  int64_t serial = 0;  // io thread only

  mutable std::mutex last_mutex;
  std::string last_body;
  std::string last_target;
  std::string last_headers;  // "Name: value\r\n" per field, as received

  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  std::thread thread;

  awaitable<void> Accept();
  awaitable<void> Serve(tcp::socket socket);
};

namespace {

// A connection: the socket, the read buffer, and the watch that notices a client going away
// while its reply waits.
struct Connection {
  explicit Connection(tcp::socket s) : socket(std::move(s)), timer(socket.get_executor()) {}

  tcp::socket socket;
  beast::flat_buffer buffer;
  asio::steady_timer timer;  // sleeps, and the wake-up when the watch completes
  bool watching = false;     // a watch read is outstanding
  bool stop_watching = false;
  bool peer_gone = false;
  std::array<char, 4096> side{};
  std::string early;  // bytes the watch read (a pipelined request), fed to the next parse

  // Starts a read that completes when the client sends more (kept, read again) or goes away.
  void Watch() {
    if (watching || peer_gone) return;
    watching = true;
    socket.async_read_some(asio::buffer(side), [this](beast::error_code ec, size_t n) {
      watching = false;
      if (!ec) {
        early.append(side.data(), n);
        if (!stop_watching && early.size() < kWatchLimit) Watch();
      } else if (ec != asio::error::operation_aborted) {
        peer_gone = true;
      }
      timer.cancel();
    });
  }

  // Sleeps `d` (µs) while watching; false when the client went away meanwhile.
  awaitable<bool> Sleep(Duration d) {
    Watch();
    auto deadline = Clock::now() + std::chrono::microseconds(d);
    timer.expires_at(deadline);
    while (!peer_gone && Clock::now() < deadline) {
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    co_return !peer_gone;
  }

  // Waits until the client goes away (true) or sends too much meanwhile (false).
  awaitable<void> WaitForPeerGone() {
    Watch();
    while (!peer_gone && watching) {
      timer.expires_at(Clock::time_point::max());
      beast::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  // Ends the watch before the next read: cancels it, waits for its handler, and moves what it
  // read into the parse buffer.
  awaitable<void> EndWatch() {
    if (watching) {
      stop_watching = true;
      beast::error_code ignored;
      socket.cancel(ignored);
      while (watching) {
        timer.expires_at(Clock::time_point::max());
        beast::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      }
      stop_watching = false;
    }
    if (!early.empty()) {
      auto space = buffer.prepare(early.size());
      asio::buffer_copy(space, asio::buffer(early));
      buffer.commit(early.size());
      early.clear();
    }
  }

  // Writes `bytes`; false (the client went away) when it fails.
  awaitable<bool> Write(std::string_view bytes) {
    beast::error_code ec;
    co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()),
                               asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  void Close() {
    beast::error_code ignored;
    socket.close(ignored);
  }
};

// Keeps in_flight right whichever way a reply ends (the coroutine may be destroyed suspended).
struct InFlight {
  explicit InFlight(FakeUpstream::Impl& impl) : impl(impl) {
    int64_t now = ++impl.in_flight;
    if (now > impl.max_in_flight.load()) impl.max_in_flight.store(now);
  }
  ~InFlight() { --impl.in_flight; }
  FakeUpstream::Impl& impl;
};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

awaitable<void> FakeUpstream::Impl::Accept() {
  asio::steady_timer backoff(io);
  while (true) {
    beast::error_code ec;
    tcp::socket socket =
        co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {  // e.g. out of descriptors: try again shortly
      backoff.expires_after(std::chrono::milliseconds(10));
      co_await backoff.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    ++connections;
    asio::co_spawn(io, Serve(std::move(socket)), [](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "fake upstream: connection failed: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "fake upstream: connection failed\n");
      }
    });
  }
}

awaitable<void> FakeUpstream::Impl::Serve(tcp::socket socket) {
  Connection c(std::move(socket));
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    parser.header_limit(kHeaderLimit);
    beast::error_code ec;
    co_await http::async_read(c.socket, c.buffer, parser,
                              asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec != http::error::end_of_stream && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
        std::string reply =
            JsonReply(ec == http::error::body_limit ? 413 : 400,
                      ErrorBody(400, "malformed HTTP request: " + ec.message(), ""), false);
        co_await c.Write(reply);
      }
      break;
    }
    http::request<http::string_body>& request = parser.get();
    ++requests;
    InFlight in_flight_guard(*this);
    int64_t id = ++serial;
    std::string_view target(request.target().data(), request.target().size());
    std::string_view path = target.substr(0, target.find('?'));
    {
      std::lock_guard lock(last_mutex);
      last_body = request.body();
      last_target = std::string(target);
      last_headers.clear();
      for (const auto& field : request) {
        last_headers.append(field.name_string().data(), field.name_string().size());
        last_headers += ": ";
        last_headers.append(field.value().data(), field.value().size());
        last_headers += "\r\n";
      }
    }
    bool keep_alive = request.keep_alive();

    // Route and read the request.
    int status = 200;
    std::string error_message;
    std::string error_code;
    Call call;
    bool is_models = false;
    Duration delay = options.delay;
    std::optional<Endpoint> endpoint;
    if (path == "/v1/chat/completions") {
      endpoint = Endpoint::kChat;
    } else if (path == "/v1/completions") {
      endpoint = Endpoint::kCompletions;
    } else if (path == "/v1/embeddings") {
      endpoint = Endpoint::kEmbeddings;
    }
    auto authorization = request.find(http::field::authorization);
    std::string_view given_key;
    if (authorization != request.end()) {
      given_key = std::string_view(authorization->value().data(), authorization->value().size());
    }
    if (!options.api_key.empty() && given_key != "Bearer " + options.api_key) {
      status = 401;
      error_message = "Incorrect API key provided.";
      error_code = "invalid_api_key";
    } else if (path == "/v1/models") {
      if (request.method() == http::verb::get) {
        is_models = true;
      } else {
        status = 405;
        error_message = "Method not allowed.";
      }
    } else if (!endpoint) {
      status = 404;
      error_message = fmt::format(
          "Invalid URL ({} {})",
          std::string_view(request.method_string().data(), request.method_string().size()), path);
      error_code = "unknown_url";
    } else if (request.method() != http::verb::post) {
      status = 405;
      error_message = "Method not allowed.";
    } else if (auto problem =
                   ReadCall(request.body(), *endpoint, options.embedding_dimensions, call)) {
      status = 400;
      error_message = *problem;
    } else {
      const Directives& d = call.directives;
      if (d.delay_ms >= 0) delay = d.delay_ms * 1000;
      if (d.status != 0) {
        status = d.status;
        error_message = fmt::format("fake upstream: status {} as directed", status);
        error_code = status == 429 ? "rate_limit_exceeded" : "";
      }
    }

    if (call.directives.hang) {
      co_await c.WaitForPeerGone();
      if (c.peer_gone) ++client_disconnects;
      break;
    }
    if (delay > 0 && !co_await c.Sleep(delay)) {
      ++client_disconnects;
      break;
    }

    bool keep_connection = keep_alive;
    if (status != 200) {
      if (!co_await c.Write(
              JsonReply(status, ErrorBody(status, error_message, error_code), keep_alive))) {
        ++client_disconnects;
        break;
      }
    } else if (is_models) {
      if (!co_await c.Write(JsonReply(200, models_body, keep_alive))) {
        ++client_disconnects;
        break;
      }
    } else if (!call.stream) {
      Plan plan = MakePlan(call, options, id);
      std::string body = call.endpoint == Endpoint::kEmbeddings ? EmbeddingsBody(call, plan)
                                                                : CompletionBody(call, plan);
      std::string reply = JsonReply(200, body, keep_alive);
      if (call.directives.cut_after >= 0) {
        // The head promises the whole body; half of it comes, then the connection closes.
        reply.resize(reply.size() - body.size() + body.size() / 2);
        keep_connection = false;
      }
      if (!co_await c.Write(reply)) {
        ++client_disconnects;
        break;
      }
    } else {
      Plan plan = MakePlan(call, options, id);
      StreamEvents events = MakeStream(call, plan);
      Duration chunk_delay = call.directives.chunk_delay_ms >= 0
                                 ? call.directives.chunk_delay_ms * 1000
                                 : options.chunk_delay;
      size_t limit = events.chunks.size();
      if (call.directives.cut_after >= 0) {
        limit = std::min(events.content_chunks, static_cast<size_t>(call.directives.cut_after));
        keep_connection = false;
      }
      bool gone = !co_await c.Write(StreamHead(keep_connection));
      for (size_t i = 0; i < limit && !gone; ++i) {
        // The delay goes between events; the final zero-length chunk follows [DONE] at once.
        if (i > 0 && chunk_delay > 0 && i + 1 < events.chunks.size()) {
          gone = !co_await c.Sleep(chunk_delay);
        }
        if (!gone) gone = !co_await c.Write(events.chunks[i]);
      }
      if (gone) {
        ++client_disconnects;
        break;
      }
    }
    co_await c.EndWatch();
    if (c.peer_gone) break;
    if (!keep_connection) break;
  }
  // Close without waiting for the client; a watch still outstanding is cancelled first (its
  // handler refers to this frame).
  c.stop_watching = true;
  c.Close();
  while (c.watching) {
    c.timer.expires_at(Clock::time_point::max());
    beast::error_code ec;
    co_await c.timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// ------------------------------------------------------------ FakeUpstream

std::unique_ptr<FakeUpstream> FakeUpstream::Start(FakeUpstreamOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  const std::string& listen = impl->options.listen;
  size_t colon = listen.rfind(':');
  auto fail = [&](const std::string& why) {
    std::fprintf(stderr, "fake upstream: cannot listen on '%s': %s\n", listen.c_str(), why.c_str());
    return nullptr;
  };
  if (colon == std::string::npos) return fail("expected host:port");
  std::string host = listen.substr(0, colon);
  std::string port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  beast::error_code ec;
  tcp::resolver resolver(impl->io);
  auto endpoints = resolver.resolve(host, port, asio::ip::resolver_base::numeric_service, ec);
  if (ec || endpoints.empty()) return fail(ec ? ec.message() : "no address");
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail(ec.message());
  impl->port = impl->acceptor.local_endpoint(ec).port();
  if (ec) return fail(ec.message());

  Json models = {{"object", "list"}, {"data", Json::array()}};
  for (const std::string& model : impl->options.models) {
    models["data"].push_back(
        {{"id", model}, {"object", "model"}, {"created", kCreated}, {"owned_by", "allot-fake"}});
  }
  impl->models_body = models.dump();

  Impl* raw = impl.get();
  asio::co_spawn(raw->io, raw->Accept(), asio::detached);
  raw->thread = std::thread([raw] { raw->io.run(); });
  return std::unique_ptr<FakeUpstream>(new FakeUpstream(std::move(impl)));
}

FakeUpstream::FakeUpstream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeUpstream::~FakeUpstream() = default;

int FakeUpstream::port() const { return impl_->port; }
std::string FakeUpstream::base_url() const {
  return fmt::format("http://127.0.0.1:{}/v1", impl_->port);
}
int64_t FakeUpstream::requests() const { return impl_->requests.load(); }
int64_t FakeUpstream::in_flight() const { return impl_->in_flight.load(); }
int64_t FakeUpstream::max_in_flight() const { return impl_->max_in_flight.load(); }
int64_t FakeUpstream::client_disconnects() const { return impl_->client_disconnects.load(); }
int64_t FakeUpstream::connections() const { return impl_->connections.load(); }
void FakeUpstream::ResetCounters() {
  impl_->requests.store(0);
  impl_->client_disconnects.store(0);
  impl_->max_in_flight.store(impl_->in_flight.load());
}

std::string FakeUpstream::last_body() const {
  std::lock_guard lock(impl_->last_mutex);
  return impl_->last_body;
}
std::string FakeUpstream::last_target() const {
  std::lock_guard lock(impl_->last_mutex);
  return impl_->last_target;
}
std::string FakeUpstream::last_authorization() const { return last_header("authorization"); }
std::string FakeUpstream::last_header(std::string_view name) const {
  std::string lower = Lower(name);
  std::lock_guard lock(impl_->last_mutex);
  std::string_view rest = impl_->last_headers;
  while (!rest.empty()) {
    size_t end = rest.find("\r\n");
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 2);
    size_t colon = line.find(": ");
    if (colon != std::string_view::npos && Lower(line.substr(0, colon)) == lower) {
      return std::string(line.substr(colon + 2));
    }
  }
  return "";
}

}  // namespace allot::testing
