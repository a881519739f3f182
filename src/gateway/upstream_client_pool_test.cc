// The upstream client's keep-alive pool and its stale-connection retry.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway/testing/upstream_client_fixture.h"
#include "gateway/upstream_client.h"

namespace allot::gateway {
namespace {

using namespace upstream_testing;  // NOLINT: the fixture's helpers
using namespace std::chrono_literals;

TEST_F(UpstreamClientTest, KeepAliveReusesOneConnection) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    for (int i = 0; i < 3; ++i) {
      if (!connection.ReadRequest()) return;
      connection.Write(HttpReply(200, fmt::format("{{\"n\":{}}}", i)));
    }
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  for (int i = 0; i < 3; ++i) {
    Outcome outcome;
    client.Start(Url(server), Post(), Record(outcome));
    ASSERT_TRUE(RunUntilDone(outcome));
    ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
    EXPECT_EQ(outcome.Body(), fmt::format("{{\"n\":{}}}", i));
    EXPECT_EQ(client.idle_connections(), 1u);
  }
  EXPECT_EQ(server.accepted(), 1);
  EXPECT_EQ(client.connections_opened(), 1u);
}

TEST_F(UpstreamClientTest, ConnectionCloseIsNotPooled) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(HttpReply(200, "{}", /*keep_alive=*/false));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  for (int i = 0; i < 2; ++i) {
    Outcome outcome;
    client.Start(Url(server), Post(), Record(outcome));
    ASSERT_TRUE(RunUntilDone(outcome));
    ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
    EXPECT_EQ(client.idle_connections(), 0u);
  }
  EXPECT_EQ(client.connections_opened(), 2u);
}

TEST_F(UpstreamClientTest, NoIdlePoolWhenMaxIdleIsZero) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(HttpReply(200, "{}"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_, /*max_idle_per_host=*/0);
  Outcome outcome;
  client.Start(Url(server), Post(), Record(outcome));
  ASSERT_TRUE(RunUntilDone(outcome));
  ASSERT_TRUE(outcome.done->ok()) << outcome.done->ToString();
  EXPECT_EQ(client.idle_connections(), 0u);
}

// The keep-alive race: the server drops the pooled connection as the next
// request arrives on it. The call is retried once on a fresh connection.
TEST_F(UpstreamClientTest, StaleConnectionIsRetriedOnce) {
  std::atomic<int> connections{0};
  LoopbackServer server([&](LoopbackConnection& connection) {
    int index = connections++;
    connection.ReadRequest();
    if (index == 0) {
      connection.Write(HttpReply(200, R"({"first":true})"));
      connection.ReadRequest();  // the second call's request: dropped unanswered
      return;
    }
    connection.Write(HttpReply(200, R"({"second":true})"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome first;
  client.Start(Url(server), Post(), Record(first));
  ASSERT_TRUE(RunUntilDone(first));
  ASSERT_TRUE(first.done->ok());
  EXPECT_EQ(client.idle_connections(), 1u);

  Outcome second;
  client.Start(Url(server), Post(), Record(second));
  ASSERT_TRUE(RunUntilDone(second));
  ASSERT_TRUE(second.done->ok()) << second.done->ToString();
  EXPECT_EQ(second.Body(), R"({"second":true})");
  EXPECT_EQ(second.done_calls, 1);
  EXPECT_EQ(server.accepted(), 2);
  EXPECT_EQ(client.connections_opened(), 2u);
}

// The server closes an idle pooled connection well before the next call:
// that call still succeeds (the closed connection is noticed or retried).
TEST_F(UpstreamClientTest, IdleConnectionClosedByTheServer) {
  std::atomic<int> connections{0};
  std::atomic<bool> first_closed{false};
  LoopbackServer server([&](LoopbackConnection& connection) {
    int index = connections++;
    connection.ReadRequest();
    connection.Write(HttpReply(200, fmt::format("{{\"connection\":{}}}", index)));
    if (index == 0) {
      ::shutdown(connection.fd(), SHUT_RDWR);
      first_closed = true;
      return;
    }
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome first;
  client.Start(Url(server), Post(), Record(first));
  ASSERT_TRUE(RunUntilDone(first));
  ASSERT_TRUE(RunUntil([&] { return first_closed.load(); }));
  Outcome second;
  client.Start(Url(server), Post(), Record(second));
  ASSERT_TRUE(RunUntilDone(second));
  ASSERT_TRUE(second.done->ok()) << second.done->ToString();
  EXPECT_EQ(second.Body(), R"({"connection":1})");
}

// Never a second retry, and never one on a connection that was fresh.
TEST_F(UpstreamClientTest, RetryOnlyOnce) {
  std::atomic<int> connections{0};
  LoopbackServer server([&](LoopbackConnection& connection) {
    int index = connections++;
    connection.ReadRequest();
    if (index == 0) {
      connection.Write(HttpReply(200, "{}"));
      connection.ReadRequest();
    }
  });  // every other request is dropped unanswered
  UpstreamClient client(ioc_);
  Outcome first;
  client.Start(Url(server), Post(), Record(first));
  ASSERT_TRUE(RunUntilDone(first));
  ASSERT_TRUE(first.done->ok());
  Outcome second;
  client.Start(Url(server), Post(), Record(second));
  ASSERT_TRUE(RunUntilDone(second));
  ASSERT_FALSE(second.done->ok());
  EXPECT_NE(second.done->message().find("closed the connection before responding"),
            std::string::npos)
      << second.done->message();
  EXPECT_EQ(client.connections_opened(), 2u);
}

// Once a byte of the response has arrived the request may have been acted
// on: no retry.
TEST_F(UpstreamClientTest, NoRetryAfterAResponseByte) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(HttpReply(200, "{}"));
    connection.ReadRequest();
    connection.Write("HTTP/1.1 200 OK\r\nContent-Le");
  });
  UpstreamClient client(ioc_);
  Outcome first;
  client.Start(Url(server), Post(), Record(first));
  ASSERT_TRUE(RunUntilDone(first));
  ASSERT_TRUE(first.done->ok());
  Outcome second;
  client.Start(Url(server), Post(), Record(second));
  ASSERT_TRUE(RunUntilDone(second));
  ASSERT_FALSE(second.done->ok());
  EXPECT_NE(second.done->message().find("mid-response"), std::string::npos)
      << second.done->message();
  EXPECT_EQ(client.connections_opened(), 1u);
}

// A fallback started from on_done (re-entrant Start) runs normally.
TEST_F(UpstreamClientTest, StartFromOnDone) {
  LoopbackServer server([&](LoopbackConnection& connection) {
    connection.ReadRequest();
    connection.Write(HttpReply(200, R"({"fallback":true})"));
    connection.WaitForPeerClose(2000);
  });
  UpstreamClient client(ioc_);
  Outcome first;
  Outcome fallback;
  UpstreamHandlers handlers = Record(first);
  handlers.on_done = [&](const Status& status) {
    first.done = status;
    EXPECT_EQ(client.in_flight(), 0u);
    client.Start(Url(server), Post(), Record(fallback));
  };
  client.Start(UpstreamUrl{"127.0.0.1", ClosedPort(), ""}, Post(), std::move(handlers));
  ASSERT_TRUE(RunUntilDone(fallback));
  EXPECT_FALSE(first.done->ok());
  ASSERT_TRUE(fallback.done->ok()) << fallback.done->ToString();
  EXPECT_EQ(fallback.Body(), R"({"fallback":true})");
}

}  // namespace
}  // namespace allot::gateway
