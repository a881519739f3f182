// The upstream client: URLs, responses, streaming, errors, timeouts, cancel.
#include "gateway/upstream_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/testing/upstream_client_fixture.h"

namespace allot::gateway {
namespace {

using namespace upstream_testing;  // NOLINT: the fixture's helpers
using namespace std::chrono_literals;

TEST(ParseUpstreamUrlTest, AcceptsPlainHttp) {
  Result<UpstreamUrl> url = ParseUpstreamUrl("http://127.0.0.1:8000/v1");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8000);
  EXPECT_EQ(url->base_path, "/v1");
  EXPECT_EQ(url->Target("/chat/completions"), "/v1/chat/completions");
  EXPECT_EQ(url->HostPort(), "127.0.0.1:8000");

  url = ParseUpstreamUrl("http://localhost");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->base_path, "");

  url = ParseUpstreamUrl("HTTP://vllm-0.internal:8080/openai/v1/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "vllm-0.internal");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->base_path, "/openai/v1");

  url = ParseUpstreamUrl("http://[::1]:9000/");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_EQ(url->base_path, "");
  EXPECT_EQ(url->HostPort(), "[::1]:9000");
}

TEST(ParseUpstreamUrlTest, RefusesWithAReason) {
  struct Case {
    const char* url;
    const char* reason;
  };
  for (const Case& c : std::vector<Case>{
           {"https://api.openai.com/v1", "https"},
           {"ftp://host/", "http://"},
           {"127.0.0.1:8000", "http://"},
           {"http://", "no host"},
           {"http://:8000/v1", "no host"},
           {"http://user:secret@host:8000", "user info"},
           {"http://host:0", "port"},
           {"http://host:65536", "port"},
           {"http://host:80a", "port"},
           {"http://host:", "port"},
           {"http://host:-1", "port"},
           {"http://host/v1?x=1", "query"},
           {"http://host/v1#top", "fragment"},
           {"http://[::1/v1", "IPv6"},
           {"http://[nonsense]:80", "IPv6"},
           {"http://bad host/v1", "spaces"},
           {"http://bad!host/v1", "host name"},
       }) {
    Result<UpstreamUrl> url = ParseUpstreamUrl(c.url);
    ASSERT_FALSE(url.ok()) << c.url;
    EXPECT_EQ(url.status().code(), StatusCode::kInvalidArgument) << c.url;
    EXPECT_NE(url.status().message().find(c.reason), std::string::npos)
        << c.url << ": " << url.status().message();
  }
}

TEST_F(UpstreamClientTest, ContentLengthResponseAndTheRequestSent) {
  std::mutex mutex;
  std::string seen;
  LoopbackServer server([&](LoopbackConnection& connection) {
    std::optional<std::string> request = connection.ReadRequest();
    {
      std::lock_guard lock(mutex);
      seen = request.value_or("");
    }
    connection.Write(HttpReply(200, R"({"id":"x"})"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  UpstreamRequest request = Post(R"({"model":"m","stream":true})");
  request.authorization = "Bearer sk-test";
  request.accept = "text/event-stream";
  request.headers.emplace_back("OpenAI-Organization", "org-1");
  Outcome outcome;
  uint64_t id = client.Start(Url(server), std::move(request), Record(outcome));
  EXPECT_GT(id, 0u);
  EXPECT_EQ(client.in_flight(), 1u);
  ASSERT_TRUE(RunUntilDone(outcome));

  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  ASSERT_TRUE(outcome.head);
  EXPECT_EQ(outcome.head->status, 200);
  EXPECT_EQ(outcome.head->content_type, "application/json");
  EXPECT_EQ(outcome.head->content_length, 10);
  EXPECT_FALSE(outcome.head->chunked);
  EXPECT_EQ(outcome.Body(), R"({"id":"x"})");
  EXPECT_FALSE(outcome.data_before_head);
  EXPECT_EQ(outcome.done_calls, 1);
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(client.idle_connections(), 1u);

  std::lock_guard lock(mutex);
  const std::string port = std::to_string(server.port());
  EXPECT_TRUE(seen.starts_with("POST /v1/chat/completions HTTP/1.1\r\n")) << seen;
  EXPECT_NE(seen.find("\r\nHost: 127.0.0.1:" + port + "\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nContent-Type: application/json\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nContent-Length: 27\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nAuthorization: Bearer sk-test\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nAccept: text/event-stream\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nUser-Agent: allot-gateway\r\n"), std::string::npos) << seen;
  EXPECT_NE(seen.find("\r\nOpenAI-Organization: org-1\r\n"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("Connection: close"), std::string::npos) << seen;
  EXPECT_TRUE(seen.ends_with("\r\n\r\n{\"model\":\"m\",\"stream\":true}")) << seen;
}

TEST_F(UpstreamClientTest, GetHasNoBodyHeaders) {
  std::mutex mutex;
  std::string seen;
  LoopbackServer server([&](LoopbackConnection& connection) {
    std::optional<std::string> request = connection.ReadRequest();
    {
      std::lock_guard lock(mutex);
      seen = request.value_or("");
    }
    connection.Write(HttpReply(200, R"({"data":[]})"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  UpstreamRequest request;
  request.method = "GET";
  request.target = "/v1/models";
  Outcome outcome;
  client.Start(Url(server), std::move(request), Record(outcome));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  EXPECT_EQ(outcome.Body(), R"({"data":[]})");
  std::lock_guard lock(mutex);
  EXPECT_TRUE(seen.starts_with("GET /v1/models HTTP/1.1\r\n")) << seen;
  EXPECT_EQ(seen.find("Content-Length"), std::string::npos) << seen;
  EXPECT_EQ(seen.find("Content-Type"), std::string::npos) << seen;
}

TEST_F(UpstreamClientTest, HeadResponseHasNoBody) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    for (int i = 0; i < 2; ++i) {
      connection.ReadRequest();
      connection.Write(i == 0 ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
                              : HttpReply(200, "after"));
    }
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  UpstreamRequest request;
  request.method = "HEAD";
  request.target = "/health";
  Outcome head;
  client.Start(Url(server), std::move(request), Record(head));
  ASSERT_TRUE(RunUntilDone(head));
  ASSERT_TRUE(head.done->ok()) << head.done->ToString();
  EXPECT_EQ(head.head->content_length, 5);
  EXPECT_TRUE(head.chunks.empty());
  // The connection is in step for the next call.
  Outcome next;
  client.Start(Url(server), Post(), Record(next));
  ASSERT_TRUE(RunUntilDone(next));
  ASSERT_TRUE(next.done->ok()) << next.done->ToString();
  EXPECT_EQ(next.Body(), "after");
  EXPECT_EQ(client.connections_opened(), 1u);
}

// The server sends each SSE frame only after the client has handed the
// previous one to on_data: a client that waited for the end would never get
// the second frame (the server gives up after 2 s and the test fails).
TEST_F(UpstreamClientTest, ChunkedStreamArrivesFrameByFrame) {
  const std::vector<std::string> frames = {"data: {\"n\":0}\n\n", "data: {\"n\":1}\n\n",
                                           "data: [DONE]\n\n"};
  std::atomic<int> delivered{0};
  std::atomic<bool> server_waited_in_vain{false};
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(kChunkedHead);
    for (size_t i = 0; i < frames.size(); ++i) {
      connection.Write(Chunk(frames[i]));
      if (!AwaitCount(delivered, static_cast<int>(i) + 1)) server_waited_in_vain = true;
    }
    connection.Write("0\r\n\r\n");
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome outcome;
  UpstreamHandlers handlers = Record(outcome);
  handlers.on_data = [&](std::string_view data) {
    outcome.chunks.emplace_back(data);
    ++delivered;
  };
  UpstreamRequest request = Post();
  request.accept = "text/event-stream";
  client.Start(Url(server), std::move(request), std::move(handlers));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  EXPECT_FALSE(server_waited_in_vain);
  ASSERT_TRUE(outcome.head);
  EXPECT_TRUE(outcome.head->chunked);
  EXPECT_EQ(outcome.head->content_type, "text/event-stream");
  EXPECT_EQ(outcome.chunks, frames);
  EXPECT_EQ(client.idle_connections(), 1u);
}

TEST_F(UpstreamClientTest, LargeBodiesWhole) {
  std::string big(1 << 20, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(HttpReply(200, big));
    // The same body chunked, in chunks that cross TCP writes.
    connection.ReadRequest();
    std::string chunked(kChunkedHead);
    for (size_t at = 0; at < big.size(); at += 70000) chunked += Chunk(big.substr(at, 70000));
    chunked += "0\r\n\r\n";
    for (size_t at = 0; at < chunked.size(); at += 4099) {
      connection.Write(std::string_view(chunked).substr(at, 4099));
    }
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  for (int round = 0; round < 2; ++round) {
    Outcome outcome;
    client.Start(Url(server), Post(), Record(outcome));
    ASSERT_TRUE(RunUntilDone(outcome));
    ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
    EXPECT_TRUE(outcome.Body() == big) << "round " << round << ": " << outcome.Body().size();
    EXPECT_GT(outcome.chunks.size(), 1u);
  }
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(UpstreamClientTest, CloseDelimitedBody) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ");
    connection.Write("world");
  });  // returning closes the connection: the end of the body
  UpstreamClient client(ioc_);
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  EXPECT_EQ(outcome.Body(), "hello world");
  EXPECT_EQ(outcome.head->content_length, -1);
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(UpstreamClientTest, ServerErrorIsAResponseNotAFailure) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(
        "HTTP/1.1 503 Busy\r\nContent-Type: application/json\r\nRetry-After: 7\r\n"
        "Content-Length: 19\r\n\r\n{\"error\":\"loaded\"}\n");
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  EXPECT_EQ(outcome.head->status, 503);
  EXPECT_EQ(outcome.head->retry_after, "7");
  EXPECT_EQ(outcome.Body(), "{\"error\":\"loaded\"}\n");
}

TEST_F(UpstreamClientTest, InterimResponseIsSkipped) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write("HTTP/1.1 100 Continue\r\n\r\n" + HttpReply(200, "{}"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  EXPECT_EQ(outcome.head->status, 200);
  EXPECT_EQ(outcome.Body(), "{}");
}

TEST_F(UpstreamClientTest, ClosedMidBodyIsAnError) {
  std::atomic<int> connections{0};
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    if (connections++ == 0) {
      connection.Write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
    } else {
      connection.Write(std::string(kChunkedHead) + Chunk("data: 1\n\n"));
    }
  });
  UpstreamClient client(ioc_);
  for (int round = 0; round < 2; ++round) {
    Outcome outcome;
    client.Start(Url(server), Post(), Record(outcome));
    ASSERT_TRUE(RunUntilDone(outcome));
    ASSERT_FALSE(outcome.done->ok());
    EXPECT_EQ(outcome.done->code(), StatusCode::kUnavailable);
    EXPECT_NE(outcome.done->message().find("upstream 127.0.0.1:" + std::to_string(server.port())),
              std::string::npos)
        << outcome.done->message();
    EXPECT_NE(outcome.done->message().find("mid-response"), std::string::npos)
        << outcome.done->message();
    EXPECT_TRUE(outcome.head);
    EXPECT_FALSE(outcome.chunks.empty());
    EXPECT_EQ(outcome.done_calls, 1);
  }
  EXPECT_EQ(client.idle_connections(), 0u);
}

TEST_F(UpstreamClientTest, MalformedResponseIsAnError) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write("SMTP ready\r\n\r\n");
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_FALSE(outcome.done->ok());
  EXPECT_NE(outcome.done->message().find("malformed response"), std::string::npos)
      << outcome.done->message();
  EXPECT_FALSE(outcome.head);
}

TEST_F(UpstreamClientTest, NoResponseTimesOut) {
  std::atomic<bool> server_saw_close{false};
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    server_saw_close = connection.WaitForPeerClose(3000);
  });
  UpstreamClient client(ioc_);
  UpstreamTimeouts timeouts;
  timeouts.first_byte = 100'000;  // 100 ms
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome), timeouts);
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_FALSE(outcome.done->ok());
  EXPECT_EQ(outcome.done->message(),
            "upstream 127.0.0.1:" + std::to_string(server.port()) + ": no response within 100ms");
  EXPECT_FALSE(outcome.head);
  EXPECT_TRUE(RunUntil([&] { return server_saw_close.load(); }));
}

TEST_F(UpstreamClientTest, SilenceMidStreamTimesOut) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(std::string(kChunkedHead) + Chunk("data: 1\n\n"));
    connection.WaitForPeerClose(3000);
  });
  UpstreamClient client(ioc_);
  UpstreamTimeouts timeouts;
  timeouts.idle = 100'000;
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome), timeouts);
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_FALSE(outcome.done->ok());
  EXPECT_NE(outcome.done->message().find("no data for 100ms"), std::string::npos)
      << outcome.done->message();
  EXPECT_EQ(outcome.Body(), "data: 1\n\n");
}

TEST_F(UpstreamClientTest, TotalTimeoutEndsAStreamThatKeepsTalking) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(kChunkedHead);
    Clock::time_point give_up = Clock::now() + 3s;
    while (Clock::now() < give_up && connection.Write(Chunk("data: tick\n\n"))) {
      std::this_thread::sleep_for(10ms);
    }
  });
  UpstreamClient client(ioc_);
  UpstreamTimeouts timeouts;
  timeouts.total = 200'000;
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome), timeouts);
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_FALSE(outcome.done->ok());
  EXPECT_NE(outcome.done->message().find("not finished within 200ms"), std::string::npos)
      << outcome.done->message();
}

TEST_F(UpstreamClientTest, ConnectionRefused) {
  uint16_t port = ClosedPort();
  UpstreamClient client(ioc_);
  Outcome outcome;
  client.Start(UpstreamUrl{"127.0.0.1", port, ""}, Post(), Record(outcome));
  EXPECT_FALSE(outcome.done);  // never from inside Start
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_FALSE(outcome.done->ok());
  EXPECT_EQ(outcome.done->code(), StatusCode::kUnavailable);
  EXPECT_NE(
      outcome.done->message().find(fmt::format("upstream 127.0.0.1:{}: connect failed", port)),
      std::string::npos)
      << outcome.done->message();
  EXPECT_EQ(client.in_flight(), 0u);
}

TEST_F(UpstreamClientTest, HostNameIsResolved) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(HttpReply(200, "{}"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome outcome;
  client.Start(UpstreamUrl{"localhost", static_cast<uint16_t>(server.port()), ""}, Post(),
               Record(outcome));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  EXPECT_EQ(outcome.Body(), "{}");
}

TEST_F(UpstreamClientTest, BadRequestFailsLaterNotInsideStart) {
  UpstreamClient client(ioc_);
  UpstreamRequest request = Post();
  request.authorization = "Bearer x\r\nX-Evil: 1";
  Outcome outcome;
  client.Start(UpstreamUrl{"127.0.0.1", ClosedPort(), ""}, std::move(request), Record(outcome));
  EXPECT_FALSE(outcome.done);
  ASSERT_TRUE(RunUntilDone(outcome));
  EXPECT_EQ(outcome.done->code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.connections_opened(), 0u);

  UpstreamRequest no_target = Post();
  no_target.target = "v1/chat completions";
  Outcome second;
  client.Start(UpstreamUrl{"127.0.0.1", 80, ""}, std::move(no_target), Record(second));
  ASSERT_TRUE(RunUntilDone(second));
  EXPECT_EQ(second.done->code(), StatusCode::kInvalidArgument);
}

TEST_F(UpstreamClientTest, CancelMidStreamClosesAndCallsNothing) {
  std::atomic<bool> server_saw_close{false};
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(std::string(kChunkedHead) + Chunk("data: 1\n\n"));
    server_saw_close = connection.WaitForPeerClose(3000);
  });
  UpstreamClient client(ioc_);
  Outcome outcome;
  UpstreamHandlers handlers = Record(outcome);
  uint64_t id = 0;
  int data_calls = 0;
  handlers.on_data = [&](std::string_view) {
    ++data_calls;
    client.Cancel(id);  // from inside the call's own handler
    client.Cancel(id);  // twice: harmless
  };
  id = client.Start(Url(server), Post(), std::move(handlers));
  ASSERT_TRUE(RunUntil([&] { return server_saw_close.load(); }));
  RunReady();
  EXPECT_EQ(data_calls, 1);
  EXPECT_TRUE(outcome.head);
  EXPECT_FALSE(outcome.done);
  EXPECT_EQ(client.in_flight(), 0u);
  EXPECT_EQ(client.idle_connections(), 0u);
  client.Cancel(id + 100);  // unknown: harmless
}

TEST_F(UpstreamClientTest, CancelBeforeAnythingHappens) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(HttpReply(200, "{}"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome outcome;
  uint64_t id = client.Start(Url(server), Post(), Record(outcome));
  client.Cancel(id);
  EXPECT_EQ(client.in_flight(), 0u);
  // A later call still works (the cancelled call's connection is gone).
  Outcome later;
  client.Start(Url(server), Post(), Record(later));
  ASSERT_TRUE(RunUntilDone(later));
  RunReady();
  EXPECT_TRUE(later.done->ok()) << later.done->ToString();
  EXPECT_FALSE(outcome.done);
  EXPECT_FALSE(outcome.head);
}

TEST_F(UpstreamClientTest, DestroyingTheClientCallsNothing) {
  std::atomic<bool> got_request{false};
  std::atomic<bool> server_saw_close{false};
  LoopbackServer server([&](LoopbackConnection& connection) {
    got_request = connection.ReadRequest().has_value();
    server_saw_close = connection.WaitForPeerClose(3000);
  });
  auto client = std::make_unique<UpstreamClient>(ioc_);
  Outcome outcome;
  client->Start(Url(server), Post(), Record(outcome));
  ASSERT_TRUE(RunUntil([&] { return got_request.load(); }));
  client.reset();
  RunReady();
  ASSERT_TRUE(RunUntil([&] { return server_saw_close.load(); }));
  RunReady();
  EXPECT_FALSE(outcome.done);
}

}  // namespace
}  // namespace allot::gateway
