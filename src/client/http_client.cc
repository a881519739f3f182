#include "client/http_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "client/sse_parser.h"

namespace allot {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// Sizes for reading an event stream: a read returns what has arrived, up to
// this much at a time.
constexpr size_t kStreamReadBytes = 16 * 1024;
// Replies are not capped: a usage export may be large and the caller asked
// for it. (Not boost::none: Beast 1.74 compares a Content-Length against an
// empty optional as "over the limit".)
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();

struct ParsedUrl {
  tcp::endpoint endpoint;
  std::string host_header;  // "127.0.0.1:8470" as written in the URL
  std::string base_url;     // without a trailing "/"
};

Result<ParsedUrl> ParseBaseUrl(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return InvalidArgument("server URL '" + std::string(url) + "': " + std::string(why));
  };
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return invalid("must start with http://");
  std::string_view rest = url.substr(kScheme.size());
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) return invalid("must not have a path");
  if (rest.empty()) return invalid("has no host");

  std::string_view host;
  std::string_view port_text;
  if (rest.front() == '[') {  // IPv6 literal: "[::1]:8470"
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return invalid("unterminated [IPv6 address]");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("expected :port after ]");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = rest.rfind(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }

  unsigned port = 80;
  if (!port_text.empty() || rest.back() == ':') {
    if (port_text.empty() || port_text.size() > 5 ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
      return invalid("port must be a number");
    }
    port = static_cast<unsigned>(std::stoul(std::string(port_text)));
    if (port == 0 || port > 65535) return invalid("port must be within 1..65535");
  }

  // No resolver: "localhost" is the loopback address, anything else must be
  // an address literal (a name lookup could block past the timeout).
  net::ip::address address;
  if (host == "localhost") {
    address = net::ip::address_v4::loopback();
  } else {
    boost::system::error_code ec;
    address = net::ip::make_address(std::string(host), ec);
    if (ec) return invalid("host must be an IP address or localhost");
  }
  ParsedUrl parsed;
  parsed.endpoint = tcp::endpoint(address, static_cast<unsigned short>(port));
  parsed.host_header = std::string(rest);
  parsed.base_url = std::string(kScheme) + std::string(rest);
  return parsed;
}

bool IsIdempotent(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "PUT" || method == "DELETE" ||
         method == "OPTIONS";
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

template <typename Fields>
void CopyHeaders(const Fields& fields, HttpResponse& response) {
  for (const auto& field : fields) {
    beast::string_view name = field.name_string();
    beast::string_view value = field.value();
    response.headers[Lower(std::string_view(name.data(), name.size()))] =
        std::string(value.data(), value.size());
  }
  if (auto it = response.headers.find("content-type"); it != response.headers.end()) {
    response.content_type = it->second;
  }
}

// The API's error codes and the lease reject codes (docs/api.md); nullopt
// for a code this client does not know, which then goes by the HTTP status.
std::optional<StatusCode> CodeFromName(std::string_view name) {
  if (name == "invalid_argument" || name == "payload_too_large" ||
      name == "unsupported_media_type" || name == "method_not_allowed") {
    return StatusCode::kInvalidArgument;
  }
  if (name == "unauthenticated") return StatusCode::kUnauthenticated;
  if (name == "permission_denied") return StatusCode::kPermissionDenied;
  if (name == "not_found") return StatusCode::kNotFound;
  if (name == "already_exists") return StatusCode::kAlreadyExists;
  if (name == "failed_precondition" || name == "infeasible" || name == "would_wait") {
    return StatusCode::kFailedPrecondition;
  }
  if (name == "resource_exhausted" || name == "budget_exceeded" || name == "limit_exceeded") {
    return StatusCode::kResourceExhausted;
  }
  if (name == "unavailable" || name == "timed_out") return StatusCode::kUnavailable;
  if (name == "internal") return StatusCode::kInternal;
  if (name == "data_loss") return StatusCode::kDataLoss;
  return std::nullopt;
}

StatusCode CodeFromHttp(int status) {
  switch (status) {
    case 400:
    case 405:
    case 413:
    case 415:
      return StatusCode::kInvalidArgument;
    case 401:
      return StatusCode::kUnauthenticated;
    case 403:
      return StatusCode::kPermissionDenied;
    case 404:
      return StatusCode::kNotFound;
    case 409:
      return StatusCode::kFailedPrecondition;
    case 429:
      return StatusCode::kResourceExhausted;
    case 502:
    case 503:
    case 504:
      return StatusCode::kUnavailable;
    default:
      return status >= 500 ? StatusCode::kInternal : StatusCode::kFailedPrecondition;
  }
}

}  // namespace

Status StatusFromHttpError(const HttpResponse& response) {
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const nlohmann::json& error = body["error"];
    std::string code = error.value("code", "");
    std::string message = error.value("message", "");
    if (message.empty()) message = code;
    return Status(CodeFromName(code).value_or(CodeFromHttp(response.status)), std::move(message));
  }
  std::string message = "HTTP " + std::to_string(response.status);
  if (!response.body.empty()) message += ": " + response.body.substr(0, 200);
  return Status(CodeFromHttp(response.status), std::move(message));
}

struct HttpClient::Impl {
  net::io_context io;
  ParsedUrl url;
  Duration timeout = 0;
  std::string api_key;
  std::optional<beast::tcp_stream> stream;  // the kept-alive connection, if any
  beast::flat_buffer buffer;                // bytes read past the last response
  std::optional<net::posix::stream_descriptor> interrupt;
  bool interrupted = false;
  int connections_opened = 0;

  Clock::time_point Deadline(Duration span) const {
    return Clock::now() + std::chrono::microseconds(span);
  }

  void Close() {
    if (stream) {
      beast::error_code ignored;
      stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->socket().close(ignored);
    }
    stream.reset();
    buffer.clear();
  }

  // Runs one asynchronous operation on `s` to completion on this thread. The
  // stream's expiry (set by the caller) bounds it; a readable interrupt
  // descriptor cancels it. `start` receives the completion handler.
  template <typename Start>
  beast::error_code Run(beast::tcp_stream& s, Start&& start) {
    beast::error_code result;
    bool done = false;
    if (interrupt) {
      interrupt->async_wait(net::posix::descriptor_base::wait_read, [&](beast::error_code ec) {
        if (ec || done) return;
        interrupted = true;
        s.cancel();
      });
    }
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
      // The interrupt watch must end too, or io.run() would wait for it.
      if (interrupt) interrupt->cancel();
    });
    io.restart();
    io.run();
    if (interrupted) return net::error::operation_aborted;
    return result;
  }

  Status ConnectionError(std::string_view what, const beast::error_code& ec) const {
    if (interrupted) return Unavailable("interrupted");
    if (ec == beast::error::timeout) {
      return Unavailable(std::string(what) + " " + url.base_url + ": timed out");
    }
    return Unavailable(std::string(what) + " " + url.base_url + ": " + ec.message());
  }

  // A kept-alive socket the server has closed reads as end-of-file (or has
  // an error pending); one that is still open has nothing to read, since
  // the server speaks only when asked.
  bool IdleConnectionAlive() {
    pollfd p{stream->socket().native_handle(), POLLIN, 0};
    if (::poll(&p, 1, 0) < 0) return false;
    return (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0 && buffer.size() == 0;
  }

  beast::error_code Connect(beast::tcp_stream& s, Clock::time_point deadline) {
    s.expires_at(deadline);
    beast::error_code ec = Run(s, [&](auto handler) { s.async_connect(url.endpoint, handler); });
    if (!ec) {
      ++connections_opened;
      s.socket().set_option(tcp::no_delay(true), ec);
    }
    return ec;
  }

  http::request<http::string_body> MakeRequest(std::string_view method, std::string_view target,
                                               std::string_view body,
                                               std::string_view content_type) const {
    http::request<http::string_body> request;
    request.method_string(beast::string_view(method.data(), method.size()));
    request.target(beast::string_view(target.data(), target.size()));
    request.version(11);
    request.set(http::field::host, url.host_header);
    request.set(http::field::user_agent, "allot-cli");
    if (!api_key.empty()) request.set(http::field::authorization, "Bearer " + api_key);
    if (!body.empty()) {
      request.set(http::field::content_type,
                  beast::string_view(content_type.data(), content_type.size()));
      request.body() = std::string(body);
    }
    request.keep_alive(true);
    request.prepare_payload();
    return request;
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() { impl_->Close(); }

Result<std::unique_ptr<HttpClient>> HttpClient::Create(std::string_view base_url,
                                                       Duration timeout) {
  if (timeout <= 0) return InvalidArgument("timeout: must be > 0");
  Result<ParsedUrl> url = ParseBaseUrl(base_url);
  if (!url.ok()) return url.status();
  auto impl = std::make_unique<Impl>();
  impl->url = std::move(url).value();
  impl->timeout = timeout;
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

void HttpClient::set_api_key(std::string key) { impl_->api_key = std::move(key); }
void HttpClient::set_timeout(Duration timeout) { impl_->timeout = timeout; }
Duration HttpClient::timeout() const { return impl_->timeout; }
const std::string& HttpClient::base_url() const { return impl_->url.base_url; }
int HttpClient::connections_opened() const { return impl_->connections_opened; }

void HttpClient::set_interrupt_fd(int fd) {
  impl_->interrupt.reset();  // closes the previous duplicate
  if (fd < 0) return;
  int copy = ::dup(fd);
  ALLOT_CHECK(copy >= 0);
  impl_->interrupt.emplace(impl_->io, copy);
}

Result<HttpResponse> HttpClient::Send(std::string_view method, std::string_view target,
                                      std::string_view body, std::string_view content_type) {
  Impl& impl = *impl_;
  impl.interrupted = false;
  const Clock::time_point deadline = impl.Deadline(impl.timeout);
  http::request<http::string_body> request = impl.MakeRequest(method, target, body, content_type);

  // At most two tries: the second only on a fresh connection after a reused
  // one turned out closed (see the header for when that is safe).
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = impl.stream.has_value();
    if (reused && !impl.IdleConnectionAlive()) {
      impl.Close();
      reused = false;
    }
    if (!impl.stream) {
      impl.stream.emplace(impl.io);
      if (beast::error_code ec = impl.Connect(*impl.stream, deadline)) {
        impl.Close();
        return impl.ConnectionError("cannot connect to", ec);
      }
    }
    beast::tcp_stream& stream = *impl.stream;

    stream.expires_at(deadline);
    beast::error_code ec = impl.Run(
        stream, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
    if (ec) {
      impl.Close();
      // A write that fails on a reused connection never reached a live
      // server: the request was not applied.
      if (reused && !impl.interrupted && ec != beast::error::timeout) continue;
      return impl.ConnectionError("cannot send to", ec);
    }

    http::response_parser<http::string_body> parser;
    parser.body_limit(kNoBodyLimit);
    ec = impl.Run(stream, [&](auto handler) {
      http::async_read(stream, impl.buffer, parser, std::move(handler));
    });
    if (ec) {
      bool nothing_back =
          !parser.got_some() && (ec == http::error::end_of_stream ||
                                 ec == net::error::connection_reset || ec == net::error::eof);
      impl.Close();
      if (reused && nothing_back && !impl.interrupted && IsIdempotent(method)) continue;
      return impl.ConnectionError("no reply from", ec);
    }

    http::response<http::string_body> message = parser.release();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    CopyHeaders(message, response);
    response.body = std::move(message.body());
    if (!message.keep_alive()) impl.Close();
    return response;
  }
  return Unavailable("no reply from " + impl.url.base_url + ": the connection closed twice");
}

Status HttpClient::Stream(
    std::string_view target,
    const std::function<bool(std::string_view event, std::string_view data)>& on_event,
    Duration timeout) {
  Impl& impl = *impl_;
  impl.interrupted = false;
  // The reply's head must come within the client's timeout; the events then
  // flow until `timeout` (the caller's choice of how long to listen).
  const Clock::time_point head_deadline = impl.Deadline(impl.timeout);
  const std::optional<Clock::time_point> stream_deadline =
      timeout > 0 ? std::optional(impl.Deadline(timeout)) : std::nullopt;
  auto bounded = [&](Clock::time_point t) {
    return stream_deadline ? std::min(t, *stream_deadline) : t;
  };

  beast::tcp_stream stream(impl.io);
  beast::flat_buffer buffer;
  auto close = [&] {
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.socket().close(ignored);
  };
  auto timed_out = [&](const beast::error_code& ec) {
    return ec == beast::error::timeout && stream_deadline && Clock::now() >= *stream_deadline;
  };

  if (beast::error_code ec = impl.Connect(stream, bounded(head_deadline))) {
    if (timed_out(ec)) return Status::Ok();
    return impl.ConnectionError("cannot connect to", ec);
  }
  http::request<http::string_body> request = impl.MakeRequest("GET", target, {}, {});
  request.set(http::field::accept, "text/event-stream");
  request.set(http::field::cache_control, "no-cache");
  stream.expires_at(bounded(head_deadline));
  beast::error_code ec = impl.Run(
      stream, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(kNoBodyLimit);
  if (!ec) {
    ec = impl.Run(stream, [&](auto handler) {
      http::async_read_header(stream, buffer, parser, std::move(handler));
    });
  }
  if (ec) {
    close();
    if (timed_out(ec)) return Status::Ok();
    return impl.ConnectionError("no reply from", ec);
  }

  if (parser.get().result_int() != 200) {
    // An error reply: read its (small) body to say why.
    http::response_parser<http::string_body> error_parser(std::move(parser));
    ec = impl.Run(stream, [&](auto handler) {
      http::async_read(stream, buffer, error_parser, std::move(handler));
    });
    close();
    HttpResponse response;
    response.status = static_cast<int>(error_parser.get().result_int());
    if (!ec) response.body = error_parser.get().body();
    return StatusFromHttpError(response);
  }

  SseParser sse;
  std::string chunk(kStreamReadBytes, '\0');
  stream.expires_never();
  if (stream_deadline) stream.expires_at(*stream_deadline);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    ec = impl.Run(stream, [&](auto handler) {
      http::async_read_some(stream, buffer, parser, std::move(handler));
    });
    // need_buffer only says the chunk is full: what it holds is good.
    if (ec == http::error::need_buffer) ec = {};
    size_t got = chunk.size() - parser.get().body().size;
    if (got > 0 && !sse.Feed(std::string_view(chunk.data(), got), on_event)) {
      close();
      return Status::Ok();
    }
    if (ec) {
      close();
      if (timed_out(ec)) return Status::Ok();
      return impl.ConnectionError("event stream from", ec);
    }
  }
  close();
  return Unavailable("the server " + impl.url.base_url + " ended the event stream");
}

}  // namespace allot
