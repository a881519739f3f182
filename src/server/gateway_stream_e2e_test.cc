// End-to-end tests of the gateway's streamed calls and of usage that has to be
// estimated: the real `allot serve` in front of fake upstreams (see
// server/testing/gateway_fixture.h).
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/testing/gateway_fixture.h"

namespace allot::testing {
namespace {

using nlohmann::json;

constexpr char kWords8[] = "alpha bravo charlie delta echo foxtrot golf hotel";

// The concatenated delta contents of a chat stream's events.
std::string StreamedText(const std::vector<std::string>& events) {
  std::string text;
  for (const std::string& data : events) {
    json event = json::parse(data, nullptr, false);
    if (!event.is_object() || !event.contains("choices")) continue;
    for (const json& choice : event["choices"]) {
      if (choice.contains("delta") && choice["delta"].contains("content")) {
        text += choice["delta"]["content"].get<std::string>();
      }
    }
  }
  return text;
}

bool IsUsageOnly(const std::string& data) {
  json event = json::parse(data, nullptr, false);
  return event.is_object() && event.contains("choices") && event["choices"].empty() &&
         event.contains("usage") && event["usage"].is_object();
}

class GatewayStreamE2ETest : public GatewayE2ETest {
 protected:
  // A streamed chat call read chunk by chunk; `pieces` counts the chunks.
  RawResponse Stream(const std::string& body, int* pieces = nullptr,
                     std::string* first_piece = nullptr) {
    RawConnection connection(port());
    RawResponse response;
    EXPECT_TRUE(connection.ok());
    EXPECT_TRUE(
        connection.Send(BuildRequest("POST", "/v1/chat/completions", body,
                                     {{"Content-Type", "application/json"},
                                      {"Authorization", std::string("Bearer ") + kGatewayKeyA},
                                      {"Connection", "close"}})));
    if (!connection.ReadHead(&response)) return response;
    int count = 0;
    connection.ReadBody(&response, [&](std::string_view piece) {
      if (count == 0 && first_piece != nullptr) *first_piece = std::string(piece);
      ++count;
      return true;
    });
    if (pieces != nullptr) *pieces = count;
    return response;
  }
};

TEST_F(GatewayStreamE2ETest, ChunksPassThroughAndUsageOnlyWhenAsked) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  int pieces = 0;
  std::string first;
  RawResponse plain =
      Stream(ChatBody("mock-1", "[[chunk_delay_ms=40]] stream it", true, std::nullopt, 8), &pieces,
             &first);
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_TRUE(plain.complete);
  EXPECT_NE(plain.header("content-type").find("text/event-stream"), std::string::npos);
  // Passed through as they come, not gathered into one reply.
  EXPECT_GT(pieces, 1);
  EXPECT_EQ(first.find("[DONE]"), std::string::npos) << first;
  std::vector<std::string> events = SseData(plain.body);
  ASSERT_FALSE(events.empty()) << plain.body;
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(StreamedText(events), kWords8);
  for (const std::string& data : events) EXPECT_FALSE(IsUsageOnly(data)) << data;
  EXPECT_EQ(events.size(), 10u);  // 8 words, the finish chunk, [DONE]
  // The gateway asked the upstream for usage all the same.
  FakeUpstream& served = local0_->requests() == 1 ? *local0_ : *local1_;
  json upstream = json::parse(served.last_body(), nullptr, false);
  EXPECT_EQ(upstream["stream_options"]["include_usage"], true) << served.last_body();
  EXPECT_EQ(upstream["stream"], true);

  std::vector<json> usage = Usage(1);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0]["tokens_input"], 4);  // 3 words (directive included) + 1
  EXPECT_EQ(usage[0]["tokens_output"], 8);
  EXPECT_EQ(usage[0]["tokens_estimated"], false);
  EXPECT_GT(usage[0]["ttft_us"].get<int64_t>(), 0) << usage[0].dump();
  EXPECT_GE(usage[0]["latency_us"].get<int64_t>(), usage[0]["ttft_us"].get<int64_t>());

  // Asked for: the usage-only chunk comes before [DONE].
  RawResponse asked = Stream(ChatBody("mock-1", "with usage", true, true, 8));
  ASSERT_EQ(asked.status, 200) << asked.body;
  events = SseData(asked.body);
  ASSERT_GE(events.size(), 2u) << asked.body;
  EXPECT_EQ(events.back(), "[DONE]");
  const std::string& last = events[events.size() - 2];
  ASSERT_TRUE(IsUsageOnly(last)) << last;
  json reported = json::parse(last)["usage"];
  EXPECT_EQ(reported["prompt_tokens"], 3);
  EXPECT_EQ(reported["completion_tokens"], 8);
  usage = Usage(2);
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[1]["tokens_input"], 3);
  EXPECT_EQ(usage[1]["tokens_output"], 8);
}

TEST_F(GatewayStreamE2ETest, MissingUsageIsEstimated) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawResponse whole = Chat(ChatBody("mock-1", "[[no_usage]] whole", false, std::nullopt, 8));
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_FALSE(whole.json().contains("usage")) << whole.body;
  RawResponse streamed = Stream(ChatBody("mock-1", "[[no_usage]] streamed", true, true, 8));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(StreamedText(SseData(streamed.body)), kWords8);

  std::vector<json> usage = Usage(2);
  ASSERT_EQ(usage.size(), 2u);
  for (const json& record : usage) {
    EXPECT_EQ(record["tokens_estimated"], true) << record.dump();
    // ceil(49 bytes of generated text / 4).
    EXPECT_EQ(record["tokens_output"], 13) << record.dump();
    EXPECT_GT(record["tokens_input"].get<int64_t>(), 0);
    EXPECT_GT(MicroUnits(record["cost"]), 0);
  }
}

TEST_F(GatewayStreamE2ETest, InterruptedStreamEndsWithAnErrorEvent) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawResponse cut = Stream(ChatBody("mock-1", "[[cut_after=3]] cut me", true, std::nullopt, 8));
  ASSERT_EQ(cut.status, 200) << cut.body;
  EXPECT_TRUE(cut.complete);  // the gateway ends its own stream properly
  std::vector<std::string> events = SseData(cut.body);
  ASSERT_EQ(events.size(), 4u) << cut.body;
  EXPECT_EQ(StreamedText(events), "alpha bravo charlie");
  json error = json::parse(events.back(), nullptr, false);
  ASSERT_TRUE(error.is_object()) << events.back();
  ASSERT_TRUE(error.contains("error")) << events.back();
  EXPECT_EQ(error["error"]["code"], "upstream_interrupted");
  EXPECT_EQ(cut.body.find("[DONE]"), std::string::npos);

  std::vector<json> usage = Usage(1);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0]["tokens_estimated"], true);
  EXPECT_EQ(usage[0]["tokens_output"], 5);  // ceil(19 / 4)
}

TEST_F(GatewayStreamE2ETest, ClientDisconnectCancelsTheUpstreamCall) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  {
    RawConnection connection(port());
    ASSERT_TRUE(connection.ok());
    ASSERT_TRUE(connection.Send(BuildRequest(
        "POST", "/v1/chat/completions",
        ChatBody("mock-1", "[[chunk_delay_ms=200]] leave early", true, std::nullopt, 8),
        {{"Content-Type", "application/json"},
         {"Authorization", std::string("Bearer ") + kGatewayKeyA}})));
    RawResponse response;
    ASSERT_TRUE(connection.ReadHead(&response));
    ASSERT_EQ(response.status, 200);
    // The first chunk, then the client leaves.
    connection.ReadBody(&response, [](std::string_view) { return false; });
    EXPECT_FALSE(response.complete);
    EXPECT_NE(response.body.find("alpha"), std::string::npos) << response.body;
  }
  EXPECT_TRUE(
      WaitFor([&] { return local0_->client_disconnects() + local1_->client_disconnects() == 1; }));
  std::vector<json> usage = Usage(1);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(usage[0]["tokens_estimated"], true);
  EXPECT_EQ(usage[0]["end_reason"], "released");
  EXPECT_GT(usage[0]["tokens_output"].get<int64_t>(), 0);
  EXPECT_LT(usage[0]["tokens_output"].get<int64_t>(), 13);  // not all 8 words were generated
}

TEST_F(GatewayStreamE2ETest, ClientLeavingWhileQueuedNeverReachesTheUpstream) {
  GatewaySetup setup;
  setup.max_wait = "20s";
  ASSERT_NO_FATAL_FAILURE(StartServer(setup));
  Headers headers = {{"Content-Type", "application/json"},
                     {"Authorization", std::string("Bearer ") + kGatewayKeyA}};
  std::vector<std::unique_ptr<RawConnection>> holders;
  for (int i = 0; i < 4; ++i) {
    holders.push_back(std::make_unique<RawConnection>(port(), std::chrono::seconds(20)));
    ASSERT_TRUE(holders.back()->Send(
        BuildRequest("POST", "/v1/chat/completions",
                     ChatBody("mock-1", "[[hang]] holding", false, std::nullopt, 8), headers)));
  }
  ASSERT_TRUE(WaitFor([&] { return local0_->in_flight() + local1_->in_flight() == 4; }));
  {
    // Queued behind them, then gone.
    RawConnection waiter(port());
    ASSERT_TRUE(
        waiter.Send(BuildRequest("POST", "/v1/chat/completions",
                                 ChatBody("mock-1", "waiting", false, std::nullopt, 8), headers)));
    ASSERT_TRUE(WaitFor([&] {
      RawResponse leases = Get("/v1/leases?state=queued");
      return leases.status == 200 && leases.body.find("\"queued\"") != std::string::npos;
    }));
  }
  holders.clear();  // the slots come free
  ASSERT_TRUE(
      WaitFor([&] { return local0_->client_disconnects() + local1_->client_disconnects() == 4; }));
  // A later call is served at once; the one that left was never sent.
  ASSERT_EQ(Chat(ChatBody("mock-1", "after", false, std::nullopt, 8)).status, 200);
  EXPECT_EQ(local0_->requests() + local1_->requests(), 5);
  std::vector<json> usage = Usage(5);
  EXPECT_EQ(usage.size(), 5u);  // the four held and the last, none for the one that left
}

TEST_F(GatewayStreamE2ETest, KeptAliveConnectionServesCallsInTurn) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawConnection connection(port());
  ASSERT_TRUE(connection.ok());
  Headers headers = {{"Content-Type", "application/json"},
                     {"Authorization", std::string("Bearer ") + kGatewayKeyA}};
  for (bool stream : {true, false, true}) {
    ASSERT_TRUE(connection.Send(BuildRequest("POST", "/v1/chat/completions",
                                             ChatBody("mock-1", "again", stream, std::nullopt, 8),
                                             headers)));
    RawResponse response;
    ASSERT_TRUE(connection.ReadHead(&response)) << stream;
    ASSERT_TRUE(connection.ReadBody(&response)) << stream;
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.header("connection"), "");
    if (stream) {
      EXPECT_EQ(StreamedText(SseData(response.body)), kWords8);
    } else {
      EXPECT_EQ(response.json()["choices"][0]["message"]["content"], kWords8);
    }
  }
  ASSERT_TRUE(connection.Send(BuildRequest("GET", "/v1/models", {}, headers)));
  RawResponse models;
  ASSERT_TRUE(connection.ReadHead(&models));
  ASSERT_TRUE(connection.ReadBody(&models));
  EXPECT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(Usage(3).size(), 3u);
}

TEST_F(GatewayStreamE2ETest, CompletionsAndEmbeddingsArePassedThrough) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawResponse completion =
      Post("/v1/completions", R"({"model": "mock-1", "prompt": "say it", "max_tokens": 4})",
           kGatewayKeyA);
  ASSERT_EQ(completion.status, 200) << completion.body;
  EXPECT_EQ(completion.json()["object"], "text_completion");
  EXPECT_EQ(completion.json()["choices"][0]["text"], "alpha bravo charlie delta");
  RawResponse streamed = Post(
      "/v1/completions",
      R"({"model": "mock-1", "prompt": "say it", "max_tokens": 4, "stream": true})", kGatewayKeyA);
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  std::vector<std::string> events = SseData(streamed.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  RawResponse embedding =
      Post("/v1/embeddings", R"({"model": "mock-1", "input": ["one two", "three"]})", kGatewayKeyA);
  ASSERT_EQ(embedding.status, 200) << embedding.body;
  EXPECT_EQ(embedding.json()["data"].size(), 2u);
  EXPECT_EQ(local0_->requests() + local1_->requests(), 3);

  std::vector<json> usage = Usage(3);
  ASSERT_EQ(usage.size(), 3u);
  EXPECT_EQ(usage[0]["labels"]["api"], "completions");
  EXPECT_EQ(usage[0]["tokens_input"], 2);
  EXPECT_EQ(usage[0]["tokens_output"], 4);
  EXPECT_EQ(usage[1]["labels"]["api"], "completions");
  EXPECT_EQ(usage[1]["tokens_output"], 4);
  EXPECT_EQ(usage[1]["tokens_estimated"], false);
  EXPECT_EQ(usage[2]["labels"]["api"], "embeddings");
  EXPECT_EQ(usage[2]["tokens_input"], 3);
  EXPECT_EQ(usage[2]["tokens_output"], 0);
}

TEST_F(GatewayStreamE2ETest, TenantHeaderStaysInsideTheKeysSubtree) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawResponse outside = Chat(ChatBody("mock-1", "hi", false, std::nullopt, 8), kGatewayKeyB,
                             {{"X-Allot-Tenant", "acme/agent-a"}});
  EXPECT_EQ(outside.status, 403) << outside.body;
  EXPECT_EQ(outside.json()["error"]["code"], "permission_denied");
  EXPECT_EQ(outside.json()["error"]["type"], "permission_error");
  RawResponse unknown = Chat(ChatBody("mock-1", "hi", false, std::nullopt, 8), kGatewayKeyB,
                             {{"X-Allot-Tenant", "acme/nobody"}});
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_EQ(local0_->requests() + local1_->requests() + paid_->requests(), 0);
}

// OpenAI lets a call without max_tokens generate up to the context left; the
// gateway reserves gateway.default_max_tokens (4096) for it, which alone is
// over mock-big's 100-token context, so every such call is refused.
TEST_F(GatewayStreamE2ETest, CallWithoutMaxTokensFitsASmallContext) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawResponse reply = Chat(ChatBody("mock-big", "short prompt"));
  EXPECT_EQ(reply.status, 200) << reply.body;
}

}  // namespace
}  // namespace allot::testing
