#include "server/webhooks.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <deque>
#include <optional>
#include <set>

namespace allot {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

// One HTTP/1.1 POST at a time over a fresh connection (webhooks are rare
// enough that keep-alive would only add states to get wrong). The operations
// are asynchronous only so that beast::tcp_stream's expiry bounds them and
// Interrupt can end them; Post runs the io_context until they are done.
class WebhookSender::Client {
 public:
  // Ok for a 2xx answer; otherwise Unavailable saying what went wrong.
  Status Post(const HttpUrl& url, std::string_view event, const std::string& body,
              Duration timeout) {
    {
      // Under the lock with Interrupt: either the restart comes first and
      // Interrupt's stop ends the run below, or `interrupted_` is seen here.
      std::lock_guard lock(mutex_);
      if (interrupted_) return Unavailable("stopping");
      io_.restart();
    }
    http::request<http::string_body> request{http::verb::post, url.target, 11};
    bool v6 = url.host.find(':') != std::string::npos;
    request.set(http::field::host, v6 ? fmt::format("[{}]:{}", url.host, url.port)
                                      : fmt::format("{}:{}", url.host, url.port));
    request.set(http::field::user_agent, "allot");
    request.set(http::field::content_type, "application/json");
    request.set(http::field::connection, "close");
    request.set("X-Allot-Event", std::string(event));
    request.body() = body;
    request.prepare_payload();

    beast::tcp_stream stream(io_);
    asio::ip::tcp::resolver resolver(io_);
    beast::flat_buffer buffer;
    // Only the status line and headers are read: the answer's body does not
    // matter, and the connection is closed after it.
    http::response_parser<http::empty_body> parser;
    Status result = Unavailable("interrupted");
    auto fail = [&](std::string_view step, beast::error_code error) {
      result = Unavailable(fmt::format("{}: {}", step, error.message()));
      stream.close();
    };
    auto on_read = [&](beast::error_code error, size_t) {
      if (error) return fail("reading the answer", error);
      unsigned status = parser.get().result_int();
      result = status / 100 == 2 ? Status::Ok() : Unavailable(fmt::format("answered {}", status));
      stream.close();
    };
    auto on_write = [&](beast::error_code error, size_t) {
      if (error) return fail("sending", error);
      http::async_read_header(stream, buffer, parser, on_read);
    };
    auto on_connect = [&](beast::error_code error) {
      if (error) return fail("connecting", error);
      http::async_write(stream, request, on_write);
    };
    // One deadline for connect, send and the answer's header: set once, it
    // applies to every operation on the stream that starts before it passes.
    stream.expires_after(std::chrono::microseconds(timeout));
    beast::error_code not_literal;
    asio::ip::address address = asio::ip::make_address(url.host, not_literal);
    if (!not_literal) {
      stream.async_connect(asio::ip::tcp::endpoint(address, url.port), on_connect);
    } else {
      // A name: resolved on each attempt, so a changed address is followed.
      // The system resolver has its own timeouts, which the stream's expiry
      // does not cover (docs/config.md recommends an IP address).
      resolver.async_resolve(
          url.host, std::to_string(url.port),
          [&](beast::error_code error, const asio::ip::tcp::resolver::results_type& endpoints) {
            if (error) return fail("resolving", error);
            stream.async_connect(
                endpoints, [&](beast::error_code connect_error, const asio::ip::tcp::endpoint&) {
                  on_connect(connect_error);
                });
          });
    }
    // Returns when the chain is done, or early after Interrupt; in that case
    // the handlers left pending are never run (the io_context is not run
    // again), so their references to these locals are never used.
    io_.run();
    return result;
  }

  // Ends a Post in progress and refuses later ones. Any thread.
  void Interrupt() {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
    io_.stop();
  }

 private:
  asio::io_context io_;
  std::mutex mutex_;
  bool interrupted_ = false;
};

struct WebhookSender::Hook {
  struct Event {
    std::string kind;
    std::shared_ptr<const std::string> body;  // shared by the hooks it goes to
  };

  WebhookSpec spec;
  HttpUrl url;
  std::deque<Event> waiting;     // at most spec.queue_limit
  std::optional<Event> current;  // being sent, or waiting for its retry
  int attempts = 0;              // failed attempts of `current`
  Clock::time_point due;         // when `current` is sent next
  Stats stats;
  // Each webhook has its own sender thread and connection: a slow or dead
  // endpoint holds up only its own queue (one thread sent to all, so a hook
  // that hung for its whole timeout delayed every other).
  std::unique_ptr<Client> client;
  std::thread thread;

  bool Subscribed(std::string_view kind) const {
    return std::find(spec.events.begin(), spec.events.end(), kind) != spec.events.end();
  }
};

namespace {

// The delay before retry `attempt` (1 = the first retry): backoff x 2^(attempt-1),
// at most kMaxWebhookBackoff.
Duration RetryDelay(Duration backoff, int attempt) {
  Duration delay = std::min(backoff, kMaxWebhookBackoff);
  for (int i = 1; i < attempt && delay < kMaxWebhookBackoff; ++i) {
    delay = std::min(delay * 2, kMaxWebhookBackoff);
  }
  return delay;
}

Status CheckSpec(const WebhookSpec& spec, const std::string& where) {
  if (spec.name.empty()) return InvalidArgument(where + ".name: must not be empty");
  if (Result<HttpUrl> url = ParseHttpUrl(spec.url); !url.ok()) {
    return InvalidArgument(where + ".url: " + url.status().message());
  }
  if (spec.events.empty()) return InvalidArgument(where + ".events: must not be empty");
  for (const std::string& event : spec.events) {
    if (std::find(std::begin(kWebhookEvents), std::end(kWebhookEvents), event) ==
        std::end(kWebhookEvents)) {
      return InvalidArgument(where + ".events: unknown event kind '" + event + "'");
    }
  }
  if (spec.max_attempts < 1 || spec.max_attempts > 20) {
    return InvalidArgument(where + ".max_attempts: must be 1..20");
  }
  if (spec.timeout <= 0) return InvalidArgument(where + ".timeout: must be > 0");
  if (spec.backoff <= 0) return InvalidArgument(where + ".backoff: must be > 0");
  if (spec.queue_limit == 0) return InvalidArgument(where + ".queue_limit: must be > 0");
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<WebhookSender>> WebhookSender::Create(std::vector<WebhookSpec> specs) {
  std::vector<std::unique_ptr<Hook>> hooks;
  std::set<std::string> names;
  for (size_t i = 0; i < specs.size(); ++i) {
    const std::string where = fmt::format("webhooks[{}] ({})", i, specs[i].name);
    ALLOT_RETURN_IF_ERROR(CheckSpec(specs[i], where));
    if (!names.insert(specs[i].name).second) {
      return InvalidArgument(where + ".name: duplicate webhook");
    }
    auto hook = std::make_unique<Hook>();
    hook->url = *ParseHttpUrl(specs[i].url);
    hook->stats.webhook = specs[i].name;
    hook->spec = std::move(specs[i]);
    hooks.push_back(std::move(hook));
  }
  return std::unique_ptr<WebhookSender>(new WebhookSender(std::move(hooks)));
}

WebhookSender::WebhookSender(std::vector<std::unique_ptr<Hook>> hooks) : hooks_(std::move(hooks)) {
  for (auto& hook : hooks_) hook->client = std::make_unique<Client>();
  for (auto& hook : hooks_) hook->thread = std::thread([this, h = hook.get()] { Run(h); });
}

WebhookSender::~WebhookSender() { Stop(); }

void WebhookSender::Publish(std::string_view event, std::string json_body) {
  // The specs never change, so who subscribes is known without the lock,
  // and the body is moved into shared storage before taking it.
  bool any = false;
  for (const auto& hook : hooks_) any = any || hook->Subscribed(event);
  if (!any) return;
  auto body = std::make_shared<const std::string>(std::move(json_body));
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    for (const auto& hook : hooks_) {
      if (!hook->Subscribed(event)) continue;
      if (hook->waiting.size() >= hook->spec.queue_limit) {
        // Newer events matter more to whoever watches (an alert now rather
        // than a grant from minutes ago), and memory stays bounded.
        hook->waiting.pop_front();
        ++hook->stats.dropped;
      }
      hook->waiting.push_back({std::string(event), body});
    }
  }
  wake_.notify_all();  // the senders share one condition variable
}

void WebhookSender::Run(Hook* hook) {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!hook->current) {
      if (hook->waiting.empty()) {
        wake_.wait(lock);
        continue;
      }
      hook->current = std::move(hook->waiting.front());
      hook->waiting.pop_front();
      hook->attempts = 0;
      hook->due = Clock::now();
    }
    if (hook->due > Clock::now()) {
      // A backoff: Stop wakes it early; it then re-evaluates.
      wake_.wait_until(lock, hook->due);
      continue;
    }
    Hook::Event event = *hook->current;
    lock.unlock();
    // The spec and URL never change, so they are read without the lock.
    Status sent = hook->client->Post(hook->url, event.kind, *event.body, hook->spec.timeout);
    lock.lock();
    if (stopping_) break;
    if (sent.ok()) {
      ++hook->stats.delivered;
    } else {
      ++hook->stats.failed_attempts;
      hook->stats.last_error = sent.message();
      if (++hook->attempts < hook->spec.max_attempts) {
        hook->due = Clock::now() +
                    std::chrono::microseconds(RetryDelay(hook->spec.backoff, hook->attempts));
        continue;
      }
      ++hook->stats.dropped;
    }
    hook->current.reset();
    drained_.notify_all();
  }
}

bool WebhookSender::Idle() const {
  for (const auto& hook : hooks_) {
    if (hook->current || !hook->waiting.empty()) return false;
  }
  return true;
}

bool WebhookSender::Drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  drained_.wait_for(lock, timeout, [this] { return stopping_ || Idle(); });
  return Idle();
}

void WebhookSender::Stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& hook : hooks_) threads.push_back(std::move(hook->thread));
  }
  for (auto& hook : hooks_) hook->client->Interrupt();
  wake_.notify_all();
  drained_.notify_all();
  for (std::thread& thread : threads) {
    if (thread.joinable()) thread.join();
  }
}

std::vector<WebhookSender::Stats> WebhookSender::stats() const {
  std::lock_guard lock(mutex_);
  std::vector<Stats> out;
  for (const auto& hook : hooks_) {
    Stats stats = hook->stats;
    stats.queued = hook->waiting.size() + (hook->current ? 1 : 0);
    out.push_back(std::move(stats));
  }
  return out;
}

}  // namespace allot
