#include "client/http_client.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <utility>
#include <vector>

#include "client/testing/loopback_server.h"

namespace allot {
namespace {

using testing::HttpReply;
using testing::LoopbackConnection;
using testing::LoopbackServer;
using Clock = std::chrono::steady_clock;

std::unique_ptr<HttpClient> Client(const std::string& url, Duration timeout = Seconds(2)) {
  Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(url, timeout);
  EXPECT_TRUE(client.ok()) << client.status().ToString();
  return std::move(client).value();
}

// The request line ("GET /a HTTP/1.1") of a raw request.
std::string RequestLine(const std::string& request) {
  return request.substr(0, request.find("\r\n"));
}

// Waits (bounded) for a flag the server thread sets.
void AwaitFlag(const std::atomic<bool>& flag) {
  Clock::time_point give_up = Clock::now() + std::chrono::seconds(2);
  while (!flag && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(flag);
}

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

TEST(HttpClientTest, CreateAcceptsOnlyPlainHttpToAddresses) {
  EXPECT_TRUE(HttpClient::Create("http://127.0.0.1:8470", Seconds(1)).ok());
  EXPECT_TRUE(HttpClient::Create("http://localhost:8470/", Seconds(1)).ok());
  EXPECT_TRUE(HttpClient::Create("http://[::1]:8470", Seconds(1)).ok());
  EXPECT_TRUE(HttpClient::Create("http://10.0.0.7", Seconds(1)).ok());
  for (const char* bad : {"https://127.0.0.1:8470", "127.0.0.1:8470", "http://allot.example:8470",
                          "http://127.0.0.1:8470/v1", "http://127.0.0.1:0", "http://127.0.0.1:x",
                          "http://127.0.0.1:", "http://[::1", "http://"}) {
    Result<std::unique_ptr<HttpClient>> client = HttpClient::Create(bad, Seconds(1));
    ASSERT_FALSE(client.ok()) << bad;
    EXPECT_EQ(client.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_FALSE(HttpClient::Create("http://127.0.0.1:8470", 0).ok());
}

TEST(HttpClientTest, KeepAliveReusesOneConnection) {
  std::vector<std::string> requests;  // written by the server thread, read after it is idle
  LoopbackServer server([&](LoopbackConnection& connection) {
    while (std::optional<std::string> request = connection.ReadRequest()) {
      requests.push_back(*request);
      connection.Write(HttpReply(200, "{\"line\": \"" + RequestLine(*request) + "\"}"));
    }
  });
  std::unique_ptr<HttpClient> client = Client(server.url());
  client->set_api_key("secret-key");

  Result<HttpResponse> first = client->Send("GET", "/v1/leases/1");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->body, "{\"line\": \"GET /v1/leases/1 HTTP/1.1\"}");
  EXPECT_EQ(first->content_type, "application/json");
  EXPECT_EQ(first->headers.at("content-length"), std::to_string(first->body.size()));

  Result<HttpResponse> second = client->Send("POST", "/v1/leases", "{\"gpu\": 1}");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->body, "{\"line\": \"POST /v1/leases HTTP/1.1\"}");

  EXPECT_EQ(client->connections_opened(), 1);
  client.reset();  // ends the server's read loop
  EXPECT_EQ(server.accepted(), 1);
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[0].find("Authorization: Bearer secret-key\r\n"), std::string::npos);
  EXPECT_NE(requests[1].find("Content-Type: application/json\r\n"), std::string::npos);
  EXPECT_TRUE(requests[1].ends_with("\r\n\r\n{\"gpu\": 1}"));
}

TEST(HttpClientTest, ReadsRepliesLargerThanBeastsDefaultLimit) {
  const std::string export_body(9 << 20, 'x');  // over Beast's 8 MiB default
  LoopbackServer server([&](LoopbackConnection& connection) {
    if (connection.ReadRequest()) connection.Write(HttpReply(200, export_body));
  });
  std::unique_ptr<HttpClient> client = Client(server.url());
  Result<HttpResponse> response = client->Send("GET", "/v1/usage?format=csv");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->body.size(), export_body.size());
}

TEST(HttpClientTest, ReconnectsWhenServerClosedIdleConnection) {
  std::atomic<bool> closed{false};
  LoopbackServer server([&](LoopbackConnection& connection) {
    if (!connection.ReadRequest()) return;
    connection.Write(HttpReply(200, "{}"));
    // An idle timeout on the server: it drops the kept-alive connection.
    ::shutdown(connection.fd(), SHUT_RDWR);
    closed = true;
  });
  std::unique_ptr<HttpClient> client = Client(server.url());
  ASSERT_TRUE(client->Send("GET", "/a").ok());
  AwaitFlag(closed);

  // A POST: safe only because the closed connection is seen before sending.
  Result<HttpResponse> again = client->Send("POST", "/v1/leases/1/renew");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(client->connections_opened(), 2);
  EXPECT_EQ(server.accepted(), 2);
}

// The race the check before sending cannot see: the server closes the
// connection just as the request arrives, without answering.
class CloseOnSecondRequest {
 public:
  void operator()(LoopbackConnection& connection) {
    int connection_number = ++connections_;
    while (connection.ReadRequest()) {
      if (connection_number == 1 && ++requests_on_first_ == 2) return;  // dropped unanswered
      connection.Write(
          HttpReply(200, "{\"connection\": " + std::to_string(connection_number) + "}"));
    }
  }

 private:
  int connections_ = 0;
  int requests_on_first_ = 0;
};

TEST(HttpClientTest, ResendsIdempotentRequestAfterCloseWithoutReply) {
  LoopbackServer server(CloseOnSecondRequest{});
  std::unique_ptr<HttpClient> client = Client(server.url());
  ASSERT_TRUE(client->Send("GET", "/a").ok());
  Result<HttpResponse> again = client->Send("GET", "/b");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->body, "{\"connection\": 2}");
}

TEST(HttpClientTest, DoesNotResendPostAfterCloseWithoutReply) {
  LoopbackServer server(CloseOnSecondRequest{});
  std::unique_ptr<HttpClient> client = Client(server.url());
  ASSERT_TRUE(client->Send("GET", "/a").ok());
  Result<HttpResponse> again = client->Send("POST", "/v1/leases", "{}");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client->connections_opened(), 1);
}

TEST(HttpClientTest, TimesOutOnServerThatNeverAnswers) {
  LoopbackServer server([](LoopbackConnection& connection) {
    (void)connection.ReadRequest();
    (void)connection.WaitForPeerClose(3000);
  });
  std::unique_ptr<HttpClient> client = Client(server.url(), Seconds(1) / 4);
  Clock::time_point start = Clock::now();
  Result<HttpResponse> response = client->Send("GET", "/v1/queue");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("timed out"), std::string::npos)
      << response.status().message();
  EXPECT_GE(SecondsSince(start), 0.2);
  EXPECT_LT(SecondsSince(start), 2.0);
}

TEST(HttpClientTest, UnreachableServerIsUnavailable) {
  // A port that was just free: bound by a listener that then closed.
  std::string url;
  {
    url = LoopbackServer([](LoopbackConnection&) {}).url();
  }
  std::unique_ptr<HttpClient> client = Client(url);
  Result<HttpResponse> response = client->Send("GET", "/healthz");
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(response.status().message().find("cannot connect to " + url), std::string::npos);
}

TEST(HttpClientTest, InterruptDescriptorAbandonsTheRequest) {
  LoopbackServer server([](LoopbackConnection& connection) {
    (void)connection.ReadRequest();
    (void)connection.WaitForPeerClose(3000);
  });
  std::unique_ptr<HttpClient> client = Client(server.url(), Seconds(5));
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  client->set_interrupt_fd(pipe_fds[0]);
  std::thread interrupter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_EQ(::write(pipe_fds[1], "x", 1), 1);
  });
  Clock::time_point start = Clock::now();
  Result<HttpResponse> response = client->Send("GET", "/v1/leases/7?wait=5");
  interrupter.join();
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status(), Unavailable("interrupted"));
  EXPECT_LT(SecondsSince(start), 2.0);
  client.reset();
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

std::string Chunk(std::string_view bytes) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", bytes.size());
  return size + std::string(bytes) + "\r\n";
}

TEST(HttpClientTest, StreamParsesEventsAcrossChunks) {
  std::string request;
  LoopbackServer server([&](LoopbackConnection& connection) {
    request = connection.ReadRequest().value_or("");
    connection.Write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        "Transfer-Encoding: chunked\r\n\r\n");
    // Lines split across chunks, CRLF line ends, a comment, multi-line data.
    connection.Write(Chunk(": keep-alive\n\nevent: gran"));
    connection.Write(Chunk("ted\r\nid: 1042\r\ndata: {\"seq\": 1042,\r"));
    connection.Write(Chunk("\ndata:  \"lease\": 7}\r\n\r\n"));
    connection.Write(Chunk("data: plain\n\nevent: alert\ndata: {}\n\nevent: never\ndata: x\n\n"));
    (void)connection.WaitForPeerClose(3000);
  });
  std::unique_ptr<HttpClient> client = Client(server.url());
  std::vector<std::pair<std::string, std::string>> events;
  Status status = client->Stream(
      "/v1/events",
      [&](std::string_view event, std::string_view data) {
        events.emplace_back(event, data);
        return events.size() < 3;
      },
      Seconds(2));
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::vector<std::pair<std::string, std::string>> expected = {
      {"granted", "{\"seq\": 1042,\n \"lease\": 7}"}, {"message", "plain"}, {"alert", "{}"}};
  EXPECT_EQ(events, expected);
  EXPECT_TRUE(request.starts_with("GET /v1/events HTTP/1.1\r\n"));
  EXPECT_NE(request.find("Accept: text/event-stream\r\n"), std::string::npos);
}

TEST(HttpClientTest, StreamEndsOkWhenTimeoutPasses) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    (void)connection.ReadRequest();
    connection.Write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n: hello\n\n");
    (void)connection.WaitForPeerClose(3000);
  });
  std::unique_ptr<HttpClient> client = Client(server.url());
  int calls = 0;
  Clock::time_point start = Clock::now();
  Status status = client->Stream(
      "/v1/events", [&](std::string_view, std::string_view) { return ++calls > 0; },
      Seconds(1) / 5);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(calls, 0);
  EXPECT_GE(SecondsSince(start), 0.15);
  EXPECT_LT(SecondsSince(start), 2.0);
}

TEST(HttpClientTest, StreamReportsServerEndAndErrors) {
  LoopbackServer ends([&](LoopbackConnection& connection) {
    (void)connection.ReadRequest();
    connection.Write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        "data: last\n\n");
  });
  std::unique_ptr<HttpClient> client = Client(ends.url());
  std::vector<std::string> data;
  Status status = client->Stream(
      "/v1/events",
      [&](std::string_view, std::string_view d) {
        data.emplace_back(d);
        return true;
      },
      Seconds(2));
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  EXPECT_EQ(data, std::vector<std::string>{"last"});

  LoopbackServer refuses([&](LoopbackConnection& connection) {
    (void)connection.ReadRequest();
    connection.Write(HttpReply(
        403, R"({"error": {"code": "permission_denied", "message": "role agent"}})", false));
  });
  client = Client(refuses.url());
  status = client->Stream(
      "/v1/events", [](std::string_view, std::string_view) { return true; }, Seconds(2));
  EXPECT_EQ(status.ToString(), PermissionDenied("role agent").ToString());
}

TEST(HttpClientTest, StatusFromHttpErrorReadsTheErrorShape) {
  HttpResponse response;
  response.status = 404;
  response.body = R"({"error": {"code": "not_found", "message": "lease 9"}})";
  EXPECT_EQ(StatusFromHttpError(response), NotFound("lease 9"));
  response.status = 402;
  response.body =
      R"({"error": {"code": "budget_exceeded", "message": "team-a"}, "state": "rejected"})";
  EXPECT_EQ(StatusFromHttpError(response), ResourceExhausted("team-a"));
  response.status = 418;
  response.body = R"({"error": {"code": "teapot", "message": "short and stout"}})";
  EXPECT_EQ(StatusFromHttpError(response), FailedPrecondition("short and stout"));
  response.status = 503;
  response.body = "starting";
  EXPECT_EQ(StatusFromHttpError(response), Unavailable("HTTP 503: starting"));
  response.status = 401;
  response.body = "";
  EXPECT_EQ(StatusFromHttpError(response), Unauthenticated("HTTP 401"));
}

}  // namespace
}  // namespace allot
