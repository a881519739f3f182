// End-to-end tests of the gateway's streamed calls and of usage that has to be
// estimated: the real `allot serve` in front of fake upstreams (see
// server/testing/gateway_fixture.h).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace allot::testing
