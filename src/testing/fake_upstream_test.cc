#include "testing/fake_upstream.h"

// <utility> before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it.
#include <utility>
//
#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace allot::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Json = nlohmann::json;

// Every client operation is bounded by this (the test fails rather than hangs).
constexpr auto kIoTimeout = std::chrono::seconds(10);

struct Reply {
  int status = 0;
  std::string content_type;
  std::string transfer_encoding;
  std::string body;  // de-chunked
};

// A plain Beast client on one connection; every operation runs to completion or times out.
class Client {
 public:
  explicit Client(int port) : stream_(io_) {
    beast::error_code ec;
    stream_.expires_after(kIoTimeout);
    stream_.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)),
        [&](beast::error_code e) { ec = e; });
    Run();
    EXPECT_FALSE(ec) << ec.message();
  }

  bool WriteRaw(const std::string& bytes) {
    beast::error_code ec;
    stream_.expires_after(kIoTimeout);
    asio::async_write(stream_, asio::buffer(bytes), [&](beast::error_code e, size_t) { ec = e; });
    Run();
    return !ec;
  }

  bool Send(const std::string& method, const std::string& target, const std::string& body,
            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return WriteRaw(Request(method, target, body, headers));
  }

  static std::string Request(const std::string& method, const std::string& target,
                             const std::string& body,
                             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
    if (!body.empty() || method == "POST") {
      request +=
          "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n";
    }
    return request + "\r\n" + body;
  }

  // Reads one whole response (chunked bodies de-chunked); false on any error.
  bool Read(Reply& reply) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    beast::error_code ec;
    stream_.expires_after(kIoTimeout);
    http::async_read(stream_, buffer_, parser, [&](beast::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return false;
    const auto& message = parser.get();
    reply.status = static_cast<int>(message.result_int());
    reply.content_type = std::string(message[http::field::content_type]);
    reply.transfer_encoding = std::string(message[http::field::transfer_encoding]);
    reply.body = message.body();
    return true;
  }

  Reply Call(const std::string& method, const std::string& target, const std::string& body,
             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    Reply reply;
    EXPECT_TRUE(Send(method, target, body, headers));
    EXPECT_TRUE(Read(reply)) << method << " " << target;
    return reply;
  }

  // One read of whatever has arrived, appended to *bytes; the read's error.
  beast::error_code ReadSome(std::string* bytes) {
    std::array<char, 4096> chunk;
    beast::error_code ec;
    size_t n = 0;
    stream_.expires_after(kIoTimeout);
    stream_.async_read_some(asio::buffer(chunk), [&](beast::error_code e, size_t got) {
      ec = e;
      n = got;
    });
    Run();
    bytes->append(chunk.data(), n);
    return ec;
  }

  // Reads raw bytes until the server closes the connection (or the timeout: *closed false).
  std::string ReadUntilClosed(bool* closed) {
    std::string bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    buffer_.consume(buffer_.size());
    *closed = false;
    while (true) {
      beast::error_code ec = ReadSome(&bytes);
      if (ec) {
        *closed = ec == asio::error::eof || ec == asio::error::connection_reset;
        return bytes;
      }
    }
  }

  // Reads raw bytes until `needle` has arrived; false on error or timeout.
  bool ReadUntil(const std::string& needle, std::string* bytes) {
    while (bytes->find(needle) == std::string::npos) {
      if (ReadSome(bytes)) return false;
    }
    return true;
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// Polls `condition` every 5 ms for at most 10 s.
bool WaitFor(const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string ChatBody(const std::string& content, const std::string& extra = "") {
  Json body = {{"model", "mock-1"},
               {"messages", Json::array({{{"role", "user"}, {"content", content}}})}};
  std::string text = body.dump();
  if (!extra.empty()) text = text.substr(0, text.size() - 1) + "," + extra + "}";
  return text;
}

// The "data:" payloads of an SSE body, in order.
std::vector<std::string> SseData(const std::string& body) {
  std::vector<std::string> events;
  size_t at = 0;
  while (at < body.size()) {
    size_t end = body.find("\n\n", at);
    if (end == std::string::npos) {
      ADD_FAILURE() << "unterminated SSE event at " << at << ": " << body.substr(at);
      break;
    }
    std::string event = body.substr(at, end - at);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    events.push_back(event.substr(6));
    at = end + 2;
  }
  return events;
}

class FakeUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void Start(FakeUpstreamOptions options) {
    upstream_.reset();
    upstream_ = FakeUpstream::Start(std::move(options));
    ASSERT_NE(upstream_, nullptr);
  }
  std::unique_ptr<FakeUpstream> upstream_;
};

TEST_F(FakeUpstreamTest, ChatCompletion) {
  EXPECT_EQ(upstream_->base_url(), "http://127.0.0.1:" + std::to_string(upstream_->port()) + "/v1");
  Client client(upstream_->port());
  Json request = {
      {"model", "gpt-x"},
      {"messages", Json::array({{{"role", "system"}, {"content", "be brief"}},
                                {{"role", "user"}, {"content", "hello  there\nworld"}}})}};
  Reply reply = client.Call("POST", "/v1/chat/completions", request.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.content_type, "application/json");
  Json body = Json::parse(reply.body);
  EXPECT_EQ(body["id"], "chatcmpl-1");
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_TRUE(body["created"].is_number_integer());
  EXPECT_EQ(body["model"], "gpt-x");
  ASSERT_EQ(body["choices"].size(), 1u);
  EXPECT_EQ(body["choices"][0]["index"], 0);
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"],
            "alpha bravo charlie delta echo foxtrot golf hotel");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  // 2 + 3 words, + 1 per message.
  EXPECT_EQ(body["usage"]["prompt_tokens"], 7);
  EXPECT_EQ(body["usage"]["completion_tokens"], 8);
  EXPECT_EQ(body["usage"]["total_tokens"], 15);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  EXPECT_EQ(upstream_->last_body(), request.dump());
  EXPECT_EQ(upstream_->last_target(), "/v1/chat/completions");
}

TEST_F(FakeUpstreamTest, ChatContentPartsChoicesAndMaxTokens) {
  Client client(upstream_->port());
  Json request = {
      {"model", "m"},
      {"n", 2},
      {"max_completion_tokens", 3},
      {"messages", Json::array({{{"role", "user"},
                                 {"content", Json::array({{{"type", "text"}, {"text", "a b"}},
                                                          {{"type", "text"}, {"text", "c"}}})}}})}};
  Reply reply = client.Call("POST", "/v1/chat/completions", request.dump());
  ASSERT_EQ(reply.status, 200) << reply.body;
  Json body = Json::parse(reply.body);
  ASSERT_EQ(body["choices"].size(), 2u);
  EXPECT_EQ(body["choices"][1]["index"], 1);
  EXPECT_EQ(body["choices"][1]["message"]["content"], "alpha bravo charlie");
  EXPECT_EQ(body["choices"][1]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 4);
  EXPECT_EQ(body["usage"]["completion_tokens"], 6);
}

TEST_F(FakeUpstreamTest, Completion) {
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/completions",
                            R"({"model":"m","prompt":"one two three","max_tokens":2})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  Json body = Json::parse(reply.body);
  EXPECT_EQ(body["id"], "cmpl-1");
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["choices"][0]["text"], "alpha bravo");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 3);
  EXPECT_EQ(body["usage"]["completion_tokens"], 2);
  EXPECT_EQ(body["usage"]["total_tokens"], 5);
  EXPECT_FALSE(body["usage"].contains("prompt_tokens_details"));

  reply = client.Call("POST", "/v1/completions", R"({"model":"m","prompt":[5,6,7,8]})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(Json::parse(reply.body)["usage"]["prompt_tokens"], 4);
}

TEST_F(FakeUpstreamTest, Embeddings) {
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/embeddings",
                            R"({"model":"emb","input":["a b c","d"],"dimensions":5})");
  ASSERT_EQ(reply.status, 200) << reply.body;
  Json body = Json::parse(reply.body);
  EXPECT_EQ(body["object"], "list");
  EXPECT_EQ(body["model"], "emb");
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][1]["object"], "embedding");
  EXPECT_EQ(body["data"][1]["index"], 1);
  ASSERT_EQ(body["data"][1]["embedding"].size(), 5u);
  EXPECT_TRUE(body["data"][1]["embedding"][0].is_number_float());
  EXPECT_NE(body["data"][0]["embedding"], body["data"][1]["embedding"]);
  EXPECT_EQ(body["usage"]["prompt_tokens"], 4);
  EXPECT_EQ(body["usage"]["total_tokens"], 4);

  // The same request gives the same vectors; the default dimension applies without one.
  reply = client.Call("POST", "/v1/embeddings",
                      R"({"model":"emb","input":["a b c","d"],"dimensions":5})");
  EXPECT_EQ(Json::parse(reply.body)["data"], body["data"]);
  reply = client.Call("POST", "/v1/embeddings", R"({"model":"emb","input":"x"})");
  EXPECT_EQ(Json::parse(reply.body)["data"][0]["embedding"].size(), 8u);
}

TEST_F(FakeUpstreamTest, Models) {
  FakeUpstreamOptions options;
  options.models = {"mock-1", "mock-2"};
  Start(options);
  Client client(upstream_->port());
  Reply reply = client.Call("GET", "/v1/models", "");
  ASSERT_EQ(reply.status, 200) << reply.body;
  Json body = Json::parse(reply.body);
  EXPECT_EQ(body["object"], "list");
  ASSERT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["data"][1]["id"], "mock-2");
  EXPECT_EQ(body["data"][1]["object"], "model");
}

TEST_F(FakeUpstreamTest, StreamFormatWithUsage) {
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/chat/completions",
                            ChatBody("say three words [[words=3]]",
                                     R"("stream":true,"stream_options":{"include_usage":true})"));
  ASSERT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/event-stream");
  EXPECT_EQ(reply.transfer_encoding, "chunked");
  std::vector<std::string> events = SseData(reply.body);
  // 3 words, the finish chunk, the usage chunk, [DONE].
  ASSERT_EQ(events.size(), 6u) << reply.body;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string content;
  for (size_t i = 0; i < 3; ++i) {
    Json chunk = Json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["id"], "chatcmpl-1");
    EXPECT_EQ(chunk["model"], "mock-1");
    EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
    EXPECT_EQ(chunk["choices"][0]["delta"].contains("role"), i == 0);
    content += chunk["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(content, "alpha bravo charlie");
  Json finish = Json::parse(events[3]);
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(finish["choices"][0]["delta"].empty());
  Json usage = Json::parse(events[4]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 5);  // 4 words + 1 message
  EXPECT_EQ(usage["usage"]["completion_tokens"], 3);
  EXPECT_EQ(usage["usage"]["total_tokens"], 8);

  // The streamed content equals the non-streamed one.
  reply = client.Call("POST", "/v1/chat/completions", ChatBody("say three words [[words=3]]"));
  EXPECT_EQ(Json::parse(reply.body)["choices"][0]["message"]["content"], content);
}

TEST_F(FakeUpstreamTest, StreamWithoutIncludeUsageOrWithNoUsage) {
  Client client(upstream_->port());
  for (const std::string& body :
       {ChatBody("hi", R"("stream":true)"),
        ChatBody("hi [[no_usage]]", R"("stream":true,"stream_options":{"include_usage":true})")}) {
    Reply reply = client.Call("POST", "/v1/chat/completions", body);
    ASSERT_EQ(reply.status, 200);
    std::vector<std::string> events = SseData(reply.body);
    ASSERT_EQ(events.size(), 10u) << reply.body;  // 8 words, finish, [DONE]
    for (size_t i = 0; i + 1 < events.size(); ++i) {
      EXPECT_FALSE(Json::parse(events[i]).contains("usage")) << events[i];
    }
  }
}

TEST_F(FakeUpstreamTest, CompletionStream) {
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/completions",
                            R"({"model":"m","prompt":"x [[words=2]]","stream":true,)"
                            R"("stream_options":{"include_usage":true}})");
  ASSERT_EQ(reply.status, 200);
  std::vector<std::string> events = SseData(reply.body);
  ASSERT_EQ(events.size(), 5u) << reply.body;
  EXPECT_EQ(Json::parse(events[0])["object"], "text_completion");
  EXPECT_EQ(Json::parse(events[1])["choices"][0]["text"], " bravo");
  EXPECT_EQ(Json::parse(events[2])["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(Json::parse(events[3])["usage"]["completion_tokens"], 2);
}

TEST_F(FakeUpstreamTest, StatusDirective) {
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/chat/completions", ChatBody("[[status=503]]"));
  EXPECT_EQ(reply.status, 503);
  Json body = Json::parse(reply.body);
  EXPECT_EQ(body["error"]["type"], "server_error");
  EXPECT_TRUE(body["error"]["message"].is_string());
  reply =
      client.Call("POST", "/v1/chat/completions", ChatBody("[[status=429]]", R"("stream":true)"));
  EXPECT_EQ(reply.status, 429);
  EXPECT_EQ(Json::parse(reply.body)["error"]["code"], "rate_limit_exceeded");
  // The connection stays usable.
  EXPECT_EQ(client.Call("POST", "/v1/chat/completions", ChatBody("ok")).status, 200);
}

TEST_F(FakeUpstreamTest, UsageDirectives) {
  Client client(upstream_->port());
  Json body = Json::parse(
      client.Call("POST", "/v1/chat/completions", ChatBody("[[no_usage]] [[words=2]]")).body);
  EXPECT_FALSE(body.contains("usage"));
  EXPECT_EQ(body["choices"][0]["message"]["content"], "alpha bravo");
  body = Json::parse(
      client.Call("POST", "/v1/chat/completions", ChatBody("a b c d [[cached=3]]")).body);
  EXPECT_EQ(body["usage"]["prompt_tokens"], 6);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 3);
  body = Json::parse(client.Call("POST", "/v1/chat/completions", ChatBody("[[cached=99]]")).body);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 2);  // capped at the prompt
  body = Json::parse(
      client.Call("POST", "/v1/completions", R"({"model":"m","prompt":"a b [[cached=1]]"})").body);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 1);
  body = Json::parse(
      client.Call("POST", "/v1/embeddings", R"({"model":"m","input":"a [[no_usage]]"})").body);
  EXPECT_FALSE(body.contains("usage"));
}

TEST_F(FakeUpstreamTest, CutAfterInStream) {
  Client client(upstream_->port());
  ASSERT_TRUE(
      client.Send("POST", "/v1/chat/completions", ChatBody("[[cut_after=2]]", R"("stream":true)")));
  bool closed = false;
  std::string raw = client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  EXPECT_NE(raw.find("Transfer-Encoding: chunked"), std::string::npos);
  size_t events = 0;
  for (size_t at = 0; (at = raw.find("data: ", at)) != std::string::npos; ++at) ++events;
  EXPECT_EQ(events, 2u) << raw;
  EXPECT_EQ(raw.find("[DONE]"), std::string::npos);
  EXPECT_EQ(raw.find("\r\n0\r\n\r\n"), std::string::npos);  // no last chunk
  EXPECT_EQ(upstream_->client_disconnects(), 0);
}

TEST_F(FakeUpstreamTest, CutAfterWithoutStream) {
  Client client(upstream_->port());
  ASSERT_TRUE(client.Send("POST", "/v1/chat/completions", ChatBody("[[cut_after=0]]")));
  bool closed = false;
  std::string raw = client.ReadUntilClosed(&closed);
  EXPECT_TRUE(closed);
  size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  size_t length_at = raw.find("Content-Length: ");
  ASSERT_NE(length_at, std::string::npos);
  size_t promised = std::stoul(raw.substr(length_at + 16));
  size_t got = raw.size() - head_end - 4;
  EXPECT_GT(got, 0u);
  EXPECT_LT(got, promised);
}

TEST_F(FakeUpstreamTest, DelayThenClientGoesAway) {
  Client client(upstream_->port());
  ASSERT_TRUE(client.Send("POST", "/v1/chat/completions", ChatBody("[[delay_ms=60000]]")));
  ASSERT_TRUE(WaitFor([&] { return upstream_->in_flight() == 1; }));
  EXPECT_EQ(upstream_->requests(), 1);
  client.Close();
  ASSERT_TRUE(WaitFor([&] { return upstream_->client_disconnects() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return upstream_->in_flight() == 0; }));
}

TEST_F(FakeUpstreamTest, DelayedReplyArrives) {
  FakeUpstreamOptions options;
  options.delay = 20'000;  // µs
  Start(options);
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/chat/completions", ChatBody("x [[delay_ms=30]]"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(client.Call("GET", "/v1/models", "").status, 200);
  EXPECT_EQ(upstream_->client_disconnects(), 0);
}

TEST_F(FakeUpstreamTest, HangUntilClientGoesAway) {
  Client client(upstream_->port());
  ASSERT_TRUE(client.Send("POST", "/v1/chat/completions", ChatBody("[[hang]]")));
  ASSERT_TRUE(WaitFor([&] { return upstream_->in_flight() == 1; }));
  client.Close();
  ASSERT_TRUE(WaitFor([&] { return upstream_->client_disconnects() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return upstream_->in_flight() == 0; }));
}

TEST_F(FakeUpstreamTest, ClientGoesAwayMidStream) {
  Client client(upstream_->port());
  ASSERT_TRUE(client.Send("POST", "/v1/chat/completions",
                          ChatBody("[[words=1000]] [[chunk_delay_ms=20]]", R"("stream":true)")));
  std::string raw;
  ASSERT_TRUE(client.ReadUntil(" bravo", &raw));  // the second event
  client.Close();
  ASSERT_TRUE(WaitFor([&] { return upstream_->client_disconnects() == 1; }));
  EXPECT_TRUE(WaitFor([&] { return upstream_->in_flight() == 0; }));
}

TEST_F(FakeUpstreamTest, PipelinedRequestDuringDelay) {
  // The second request arrives while the first waits; both are answered, in order.
  Client client(upstream_->port());
  ASSERT_TRUE(
      client.WriteRaw(Client::Request("POST", "/v1/chat/completions", ChatBody("[[delay_ms=50]]")) +
                      Client::Request("POST", "/v1/completions", R"({"model":"m","prompt":"p"})")));
  Reply first;
  Reply second;
  ASSERT_TRUE(client.Read(first));
  ASSERT_TRUE(client.Read(second));
  EXPECT_EQ(Json::parse(first.body)["id"], "chatcmpl-1");
  EXPECT_EQ(Json::parse(second.body)["id"], "cmpl-2");
  EXPECT_EQ(upstream_->requests(), 2);
  EXPECT_EQ(upstream_->client_disconnects(), 0);
}

TEST_F(FakeUpstreamTest, CountersAndKeepAlive) {
  Client slow1(upstream_->port());
  Client slow2(upstream_->port());
  ASSERT_TRUE(slow1.Send("POST", "/v1/chat/completions", ChatBody("[[delay_ms=200]]")));
  ASSERT_TRUE(slow2.Send("POST", "/v1/chat/completions", ChatBody("[[delay_ms=200]]")));
  ASSERT_TRUE(WaitFor([&] { return upstream_->in_flight() == 2; }));
  EXPECT_EQ(upstream_->max_in_flight(), 2);
  Reply reply;
  ASSERT_TRUE(slow1.Read(reply));
  ASSERT_TRUE(slow2.Read(reply));
  EXPECT_TRUE(WaitFor([&] { return upstream_->in_flight() == 0; }));
  EXPECT_EQ(upstream_->requests(), 2);
  EXPECT_EQ(upstream_->max_in_flight(), 2);
  EXPECT_EQ(upstream_->connections(), 2);

  upstream_->ResetCounters();
  EXPECT_EQ(upstream_->requests(), 0);
  EXPECT_EQ(upstream_->max_in_flight(), 0);
  Client client(upstream_->port());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(client.Call("POST", "/v1/chat/completions", ChatBody("again")).status, 200);
  }
  EXPECT_EQ(upstream_->requests(), 3);
  EXPECT_EQ(upstream_->max_in_flight(), 1);
  EXPECT_EQ(upstream_->connections(), 3);  // one more connection for three requests
}

TEST_F(FakeUpstreamTest, ApiKey) {
  FakeUpstreamOptions options;
  options.api_key = "sk-test";
  Start(options);
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/chat/completions", ChatBody("hi"));
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(Json::parse(reply.body)["error"]["code"], "invalid_api_key");
  reply = client.Call("POST", "/v1/chat/completions", ChatBody("hi"),
                      {{"Authorization", "Bearer sk-wrong"}});
  EXPECT_EQ(reply.status, 401);
  EXPECT_EQ(upstream_->last_authorization(), "Bearer sk-wrong");
  reply = client.Call("POST", "/v1/chat/completions", ChatBody("hi"),
                      {{"Authorization", "Bearer sk-test"}, {"X-Request-Id", "r-7"}});
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(upstream_->last_authorization(), "Bearer sk-test");
  EXPECT_EQ(upstream_->last_header("x-request-id"), "r-7");
  EXPECT_EQ(upstream_->last_header("X-Missing"), "");
  EXPECT_EQ(client.Call("GET", "/v1/models", "").status, 401);
}

TEST_F(FakeUpstreamTest, BadRequests) {
  Client client(upstream_->port());
  Reply reply = client.Call("POST", "/v1/chat/completions", "{not json");
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(Json::parse(reply.body)["error"]["type"], "invalid_request_error");
  EXPECT_EQ(client.Call("POST", "/v1/chat/completions", R"({"model":"m"})").status, 400);
  EXPECT_EQ(client.Call("POST", "/v1/nowhere", "{}").status, 404);
  EXPECT_EQ(client.Call("GET", "/v1/chat/completions", "").status, 405);
  EXPECT_EQ(upstream_->requests(), 4);
}

TEST(FakeUpstreamStartTest, RefusesABadAddress) {
  FakeUpstreamOptions options;
  options.listen = "no-port-here";
  EXPECT_EQ(FakeUpstream::Start(options), nullptr);
  auto first = FakeUpstream::Start({});
  ASSERT_NE(first, nullptr);
  options.listen = "127.0.0.1:" + std::to_string(first->port());
  EXPECT_EQ(FakeUpstream::Start(options), nullptr);  // in use
}

}  // namespace
}  // namespace allot::testing
