// WebhookSender against a small HTTP receiver on 127.0.0.1 (plain sockets,
// one connection at a time, scripted answers). Backoffs are milliseconds so
// that every test ends well within a second or two.
#include "server/webhooks.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <functional>

namespace allot {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct Received {
  std::string target;
  std::string event;  // X-Allot-Event
  std::string content_type;
  std::string body;
};

// Accepts connections on 127.0.0.1:<ephemeral port>, reads one request from
// each and answers with the status `respond` returns for it (0: close without
// answering). `respond` runs on the receiver's thread and may block.
class Receiver {
 public:
  using Respond = std::function<int(const Received&, int index)>;

  explicit Receiver(Respond respond) : respond_(std::move(respond)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    ALLOT_CHECK(bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    ALLOT_CHECK(listen(listener_, 16) == 0);
    socklen_t length = sizeof(address);
    ALLOT_CHECK(getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }

  ~Receiver() {
    // shutdown() wakes the accept() the thread blocks in.
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
  }

  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  std::vector<Received> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

  // The bodies of the requests answered 2xx, in order.
  std::vector<std::string> accepted() const {
    std::lock_guard lock(mutex_);
    return accepted_;
  }

  bool WaitForRequests(size_t count, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return received_.size() >= count; });
  }

  bool WaitForAccepted(size_t count, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return accepted_.size() >= count; });
  }

 private:
  void Serve() {
    for (int index = 0;; ++index) {
      int connection = accept(listener_, nullptr, nullptr);
      if (connection < 0) return;
      timeval limit{2, 0};  // never let a test hang on a silent client
      setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
      Received request;
      if (Read(connection, &request)) {
        {
          std::lock_guard lock(mutex_);
          received_.push_back(request);
        }
        changed_.notify_all();
        int status = respond_(request, index);
        if (status / 100 == 2) {
          // Recorded before the answer leaves, so a sender that saw it
          // delivered finds it here.
          std::lock_guard lock(mutex_);
          accepted_.push_back(request.body);
        }
        changed_.notify_all();
        if (status != 0) {
          std::string answer = "HTTP/1.1 " + std::to_string(status) +
                               " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
          // MSG_NOSIGNAL: the sender may have given up and closed already.
          send(connection, answer.data(), answer.size(), MSG_NOSIGNAL);
        }
      }
      close(connection);
    }
  }

  static std::string Lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }

  // Reads the request line, headers and a Content-Length body.
  static bool Read(int connection, Received* request) {
    std::string data;
    char buffer[4096];
    size_t header_end = std::string::npos;
    size_t length = 0;
    while (true) {
      if (header_end == std::string::npos) {
        header_end = data.find("\r\n\r\n");
        if (header_end != std::string::npos) {
          std::string head = data.substr(0, header_end);
          size_t line_end = head.find("\r\n");
          std::string line = head.substr(0, line_end);
          size_t space = line.find(' ');
          request->target = line.substr(space + 1, line.rfind(' ') - space - 1);
          for (size_t at = line_end; at != std::string::npos && at < head.size();) {
            size_t next = head.find("\r\n", at + 2);
            std::string field =
                head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
            size_t colon = field.find(':');
            std::string name = Lower(field.substr(0, colon));
            std::string value = field.substr(colon + 2);
            if (name == "x-allot-event") request->event = value;
            if (name == "content-type") request->content_type = value;
            if (name == "content-length") length = std::stoul(value);
            at = next;
          }
        }
      }
      if (header_end != std::string::npos && data.size() >= header_end + 4 + length) {
        request->body = data.substr(header_end + 4, length);
        return true;
      }
      ssize_t got = recv(connection, buffer, sizeof(buffer), 0);
      if (got <= 0) return false;
      data.append(buffer, static_cast<size_t>(got));
    }
  }

  Respond respond_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Received> received_;
  std::vector<std::string> accepted_;
};

// A one-shot gate a responder can wait at, so a test decides when it answers.
class Gate {
 public:
  void Open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mutex_);
    opened_.wait_for(lock, milliseconds(2000), [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

// A URL nothing listens on: a port taken from the kernel and released.
std::string ClosedUrl() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ALLOT_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  ALLOT_CHECK(getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  close(fd);
  return "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/hook";
}

WebhookSpec Spec(std::string url, int max_attempts = 6, milliseconds backoff = milliseconds(20)) {
  WebhookSpec spec;
  spec.name = "test";
  spec.url = std::move(url);
  spec.events = {"alert", "granted"};
  spec.timeout = Seconds(1);
  spec.max_attempts = max_attempts;
  spec.backoff = std::chrono::duration_cast<std::chrono::microseconds>(backoff).count();
  return spec;
}

std::unique_ptr<WebhookSender> Start(std::vector<WebhookSpec> specs) {
  Result<std::unique_ptr<WebhookSender>> sender = WebhookSender::Create(std::move(specs));
  ALLOT_CHECK(sender.ok());
  return std::move(*sender);
}

// Polls `done` until true or `timeout` passed (for conditions nothing signals).
bool WaitFor(const std::function<bool()>& done, milliseconds timeout) {
  const Clock::time_point end = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > end) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

TEST(Webhooks, RetriesWithBackoffUntilAccepted) {
  Receiver receiver([](const Received&, int index) { return index < 2 ? 500 : 200; });
  auto sender = Start({Spec(receiver.url("/hook?x=1"))});
  const Clock::time_point start = Clock::now();
  sender->Publish("alert", R"({"kind":"alert","n":1})");
  ASSERT_TRUE(sender->Drain(milliseconds(2000)));
  // Two failures: waits of 20 ms and 40 ms before the second and third attempts.
  EXPECT_GE(Clock::now() - start, milliseconds(60));
  EXPECT_EQ(receiver.accepted(), (std::vector<std::string>{R"({"kind":"alert","n":1})"}));
  std::vector<Received> received = receiver.received();
  ASSERT_EQ(received.size(), 3u);
  for (const Received& request : received) {
    EXPECT_EQ(request.target, "/hook?x=1");
    EXPECT_EQ(request.event, "alert");
    EXPECT_EQ(request.content_type, "application/json");
    EXPECT_EQ(request.body, R"({"kind":"alert","n":1})");
  }
  WebhookSender::Stats stats = sender->stats()[0];
  EXPECT_EQ(stats.webhook, "test");
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.failed_attempts, 2u);
  EXPECT_EQ(stats.dropped, 0u);
  EXPECT_EQ(stats.queued, 0u);
  EXPECT_EQ(stats.last_error, "answered 500");
}

TEST(Webhooks, KeepsOrderAcrossRetries) {
  // The second request fails once: the events behind it wait for its retry.
  Receiver receiver([](const Received&, int index) { return index == 1 ? 503 : 204; });
  auto sender = Start({Spec(receiver.url())});
  std::vector<std::string> bodies;
  for (int i = 0; i < 5; ++i) {
    bodies.push_back("{\"n\":" + std::to_string(i) + "}");
    sender->Publish(i % 2 == 0 ? "alert" : "granted", bodies.back());
  }
  ASSERT_TRUE(sender->Drain(milliseconds(2000)));
  EXPECT_EQ(receiver.accepted(), bodies);
  std::vector<Received> received = receiver.received();
  ASSERT_EQ(received.size(), 6u);
  EXPECT_EQ(received[1].body, bodies[1]);
  EXPECT_EQ(received[2].body, bodies[1]);
  EXPECT_EQ(received[2].event, "granted");
  EXPECT_EQ(received[3].event, "alert");
  EXPECT_EQ(sender->stats()[0].delivered, 5u);
}

TEST(Webhooks, SendsOnlySubscribedEvents) {
  Receiver receiver([](const Received&, int) { return 200; });
  WebhookSpec spec = Spec(receiver.url());
  spec.events = {"lease_ended"};
  auto sender = Start({spec});
  sender->Publish("alert", "{}");
  sender->Publish("lease_ended", R"({"id":7})");
  sender->Publish("granted", "{}");
  ASSERT_TRUE(sender->Drain(milliseconds(2000)));
  std::vector<Received> received = receiver.received();
  ASSERT_EQ(received.size(), 1u);
  EXPECT_EQ(received[0].event, "lease_ended");
  EXPECT_EQ(received[0].body, R"({"id":7})");
}

TEST(Webhooks, GivesUpOnADeadUrlAfterMaxAttempts) {
  auto sender = Start({Spec(ClosedUrl(), 3, milliseconds(5))});
  sender->Publish("alert", "{\"n\":1}");
  sender->Publish("alert", "{\"n\":2}");
  ASSERT_TRUE(sender->Drain(milliseconds(2000)));
  WebhookSender::Stats stats = sender->stats()[0];
  EXPECT_EQ(stats.delivered, 0u);
  EXPECT_EQ(stats.failed_attempts, 6u);
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.last_error.rfind("connecting: ", 0), 0u) << stats.last_error;
}

TEST(Webhooks, ATimeoutIsAFailedAttempt) {
  Gate gate;
  Receiver receiver([&](const Received&, int index) {
    if (index == 0) gate.Wait();  // no answer until the sender gave up on it
    return 200;
  });
  WebhookSpec spec = Spec(receiver.url(), 2, milliseconds(5));
  spec.timeout = 100'000;  // 100 ms
  auto sender = Start({spec});
  sender->Publish("alert", "{}");
  ASSERT_TRUE(WaitFor([&] { return sender->stats()[0].failed_attempts == 1; }, milliseconds(2000)));
  gate.Open();
  ASSERT_TRUE(sender->Drain(milliseconds(2000)));
  WebhookSender::Stats stats = sender->stats()[0];
  EXPECT_EQ(stats.delivered, 1u);
  EXPECT_EQ(stats.failed_attempts, 1u);
  EXPECT_NE(stats.last_error.find("timeout"), std::string::npos) << stats.last_error;
}

TEST(Webhooks, AFullQueueDropsTheOldestWaiting) {
  Gate gate;
  Receiver receiver([&](const Received&, int index) {
    if (index == 0) gate.Wait();
    return 200;
  });
  WebhookSpec spec = Spec(receiver.url());
  spec.queue_limit = 3;
  auto sender = Start({spec});
  sender->Publish("alert", "0");
  ASSERT_TRUE(receiver.WaitForRequests(1, milliseconds(2000)));
  // "0" is being sent; of the five behind it, the queue keeps the last three.
  for (std::string body : {"1", "2", "3", "4", "5"}) sender->Publish("alert", body);
  WebhookSender::Stats stats = sender->stats()[0];
  EXPECT_EQ(stats.dropped, 2u);
  EXPECT_EQ(stats.queued, 4u);
  gate.Open();
  ASSERT_TRUE(sender->Drain(milliseconds(2000)));
  EXPECT_EQ(receiver.accepted(), (std::vector<std::string>{"0", "3", "4", "5"}));
}

TEST(Webhooks, ADeadWebhookDoesNotHoldUpAnother) {
  Receiver receiver([](const Received&, int) { return 200; });
  WebhookSpec dead = Spec(ClosedUrl(), 20, milliseconds(10'000));
  dead.name = "dead";
  auto sender = Start({dead, Spec(receiver.url())});
  for (int i = 0; i < 3; ++i) sender->Publish("alert", std::to_string(i));
  ASSERT_TRUE(receiver.WaitForAccepted(3, milliseconds(2000)));
  EXPECT_EQ(receiver.accepted(), (std::vector<std::string>{"0", "1", "2"}));
  std::vector<WebhookSender::Stats> stats = sender->stats();
  EXPECT_EQ(stats[0].webhook, "dead");
  EXPECT_EQ(stats[0].failed_attempts, 1u);
  EXPECT_EQ(stats[0].queued, 3u);
  EXPECT_FALSE(sender->Drain(milliseconds(1)));
}

TEST(Webhooks, AHangingWebhookDoesNotDelayAnother) {
  Gate gate;
  Receiver hanging([&](const Received&, int) {
    gate.Wait();  // accepts, reads, never answers (until the test ends)
    return 200;
  });
  Receiver fast([](const Received&, int) { return 200; });
  WebhookSpec slow = Spec(hanging.url());
  slow.name = "hanging";
  slow.timeout = Seconds(10);
  auto sender = Start({slow, Spec(fast.url())});
  for (int i = 0; i < 3; ++i) sender->Publish("alert", std::to_string(i));
  ASSERT_TRUE(hanging.WaitForRequests(1, milliseconds(2000)));
  // One sender for all waited for the hanging answer (2 s here) first.
  ASSERT_TRUE(fast.WaitForAccepted(3, milliseconds(1000)));
  EXPECT_EQ(fast.accepted(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(sender->stats()[0].queued, 3u);
  gate.Open();
  sender->Stop();
}

TEST(Webhooks, StopIsPromptDuringABackoff) {
  auto sender = Start({Spec(ClosedUrl(), 20, milliseconds(10'000))});
  sender->Publish("alert", "{}");
  ASSERT_TRUE(WaitFor([&] { return sender->stats()[0].failed_attempts == 1; }, milliseconds(2000)));
  const Clock::time_point start = Clock::now();
  sender->Stop();
  EXPECT_LT(Clock::now() - start, milliseconds(500));
  sender->Publish("alert", "{}");  // after Stop: ignored
  EXPECT_EQ(sender->stats()[0].queued, 1u);
  sender->Stop();  // idempotent
}

TEST(Webhooks, StopInterruptsARequestInFlight) {
  Gate gate;
  Receiver receiver([&](const Received&, int) {
    gate.Wait();
    return 200;
  });
  WebhookSpec spec = Spec(receiver.url());
  spec.timeout = Seconds(10);
  auto sender = Start({spec});
  sender->Publish("alert", "{}");
  ASSERT_TRUE(receiver.WaitForRequests(1, milliseconds(2000)));
  const Clock::time_point start = Clock::now();
  sender->Stop();
  EXPECT_LT(Clock::now() - start, milliseconds(500));
  gate.Open();
  EXPECT_EQ(sender->stats()[0].delivered, 0u);
}

TEST(Webhooks, CreateRefusesBadSpecs) {
  auto error = [](WebhookSpec spec) {
    Result<std::unique_ptr<WebhookSender>> sender = WebhookSender::Create({std::move(spec)});
    return sender.ok() ? std::string("(ok)") : sender.status().message();
  };
  WebhookSpec spec = Spec("http://127.0.0.1:1/x");
  EXPECT_EQ(error(spec), "(ok)");
  spec.url = "https://127.0.0.1/x";
  EXPECT_EQ(error(spec).rfind("webhooks[0] (test).url: https is not supported", 0), 0u);
  spec = Spec("http://127.0.0.1:1/x");
  spec.events = {"alert", "paged"};
  EXPECT_EQ(error(spec), "webhooks[0] (test).events: unknown event kind 'paged'");
  spec = Spec("http://127.0.0.1:1/x", 21);
  EXPECT_EQ(error(spec), "webhooks[0] (test).max_attempts: must be 1..20");
  spec = Spec("http://127.0.0.1:1/x");
  spec.queue_limit = 0;
  EXPECT_EQ(error(spec), "webhooks[0] (test).queue_limit: must be > 0");
  Result<std::unique_ptr<WebhookSender>> twice =
      WebhookSender::Create({Spec("http://127.0.0.1:1/a"), Spec("http://127.0.0.1:1/b")});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.status().message(), "webhooks[1] (test).name: duplicate webhook");
  // No webhooks: publishing is a no-op and there is nothing to drain.
  auto none = Start({});
  none->Publish("alert", "{}");
  EXPECT_TRUE(none->Drain(milliseconds(0)));
}

}  // namespace
}  // namespace allot
