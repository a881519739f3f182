// End-to-end tests of the OpenAI-compatible gateway (whole replies, routing,
// admission): the real `allot serve` binary in front of fake upstreams, driven
// over loopback HTTP. Streaming cases are in gateway_stream_e2e_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <vector>

#include "server/testing/gateway_fixture.h"

namespace allot::testing {
namespace {

using nlohmann::json;

constexpr char kWords8[] = "alpha bravo charlie delta echo foxtrot golf hotel";

// The OpenAI error object's shape: {"error": {"message", "type", "param", "code"}}.
void ExpectOpenAiError(const RawResponse& response, int status, std::string_view code,
                       std::string_view param = {}) {
  EXPECT_EQ(response.status, status) << response.body;
  json body = response.json();
  ASSERT_TRUE(body.is_object()) << response.body;
  ASSERT_TRUE(body.contains("error")) << response.body;
  const json& error = body["error"];
  for (const char* field : {"message", "type", "param", "code"}) {
    EXPECT_TRUE(error.contains(field)) << field << " missing: " << response.body;
  }
  EXPECT_TRUE(error["message"].is_string() && !error["message"].get<std::string>().empty());
  if (!code.empty()) {
    EXPECT_EQ(error["code"], code) << response.body;
  }
  if (!param.empty()) {
    EXPECT_EQ(error["param"], param) << response.body;
  }
}

TEST_F(GatewayE2ETest, NonStreamingChatIsPassedThroughAndMetered) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // mock-big is mock-1 upstream: the model is rewritten on the way.
  RawResponse reply = Chat(ChatBody("mock-big", "hello there friend", false, std::nullopt, 16),
                           kGatewayKeyA, {{"X-Allot-Session", "s-42"}});
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_NE(reply.header("content-type").find("application/json"), std::string::npos);
  json body = reply.json();
  EXPECT_EQ(body["object"], "chat.completion") << reply.body;
  EXPECT_EQ(body["choices"][0]["message"]["content"], kWords8);
  EXPECT_EQ(body["usage"]["prompt_tokens"], 4);  // 3 words + 1 per message
  EXPECT_EQ(body["usage"]["completion_tokens"], 8);
  EXPECT_EQ(local0_->requests() + local1_->requests(), 1);
  EXPECT_EQ(paid_->requests(), 0);
  FakeUpstream& served = local0_->requests() == 1 ? *local0_ : *local1_;
  json upstream_body = json::parse(served.last_body(), nullptr, false);
  EXPECT_EQ(upstream_body["model"], "mock-1") << served.last_body();
  EXPECT_EQ(served.last_target(), "/v1/chat/completions");
  EXPECT_EQ(served.last_authorization(), "");  // local has no api_key_env

  // The paid endpoint's own key goes upstream, never the client's.
  RawResponse paid = Chat(ChatBody("mock-2", "hi", false, std::nullopt, 4));
  ASSERT_EQ(paid.status, 200) << paid.body;
  EXPECT_EQ(paid_->requests(), 1);
  EXPECT_EQ(paid_->last_authorization(), std::string("Bearer ") + kPaidUpstreamKey);

  std::vector<json> usage = Usage(2);
  ASSERT_EQ(usage.size(), 2u);
  const json& big = usage[0]["model"] == "mock-big" ? usage[0] : usage[1];
  EXPECT_EQ(big["model"], "mock-big");
  EXPECT_EQ(big["tenant_path"], "acme/agent-a");
  EXPECT_EQ(big["priority_class"], "default");
  EXPECT_EQ(big["pool"], "local");
  std::string location = big["location"].get<std::string>();
  std::string replica = &served == local0_.get() ? "local-0" : "local-1";
  EXPECT_TRUE(location.starts_with(replica)) << location;
  EXPECT_EQ(big["tokens_input"], 4);
  EXPECT_EQ(big["tokens_output"], 8);
  EXPECT_EQ(big["tokens_estimated"], false);
  EXPECT_GT(big["latency_us"].get<int64_t>(), 0);
  EXPECT_EQ(big["labels"]["session"], "s-42") << big.dump();
  EXPECT_EQ(big["end_reason"], "released");
  // 4 x 0.50 + 8 x 1.50 per million tokens.
  EXPECT_EQ(MicroUnits(big["cost"]), 14) << big.dump();
  const json& two = usage[0]["model"] == "mock-2" ? usage[0] : usage[1];
  EXPECT_EQ(two["pool"], "paid");
  EXPECT_FALSE(two["labels"].contains("session"));
  // 2 x 5 + 4 x 15.
  EXPECT_EQ(MicroUnits(two["cost"]), 70) << two.dump();
}

TEST_F(GatewayE2ETest, FailedUpstreamFallsBackAndIsChargedOnce) {
  FixedReplyServer failing(500, R"({"error":{"message":"boom","type":"api_error","param":null,)"
                                R"("code":"server_error"}})");
  ASSERT_GT(failing.port(), 0);
  GatewaySetup setup;
  setup.local_replicas = {failing.base_url()};
  ASSERT_NO_FATAL_FAILURE(StartServer(setup));
  RawResponse reply = Chat(ChatBody("mock-1", "fall back please", false, std::nullopt, 8));
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(failing.requests(), 1);
  EXPECT_EQ(paid_->requests(), 1);
  EXPECT_EQ(json::parse(paid_->last_body())["model"], "mock-2");

  std::vector<json> usage = Usage(2);
  ASSERT_EQ(usage.size(), 2u);
  int charged = 0;
  for (const json& record : usage) {
    if (record["model"] == "mock-1") {
      EXPECT_EQ(record["pool"], "local");
      EXPECT_EQ(MicroUnits(record["cost"]), 0) << record.dump();
      EXPECT_EQ(record["tokens_input"], 0);
      EXPECT_EQ(record["tokens_output"], 0);
    } else {
      EXPECT_EQ(record["model"], "mock-2");
      ++charged;
      // (3 words + 1) x 5 + 8 x 15.
      EXPECT_EQ(MicroUnits(record["cost"]), 140) << record.dump();
      EXPECT_EQ(record["tokens_output"], 8);
    }
  }
  EXPECT_EQ(charged, 1);
}

TEST_F(GatewayE2ETest, EveryCandidateFailingPassesTheLastUpstreamError) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // The directive reaches the fallback too: both fail.
  RawResponse reply = Chat(ChatBody("mock-1", "[[status=503]] all down", false, std::nullopt, 8));
  EXPECT_EQ(reply.status, 503) << reply.body;
  ExpectOpenAiError(reply, 503, "");
  EXPECT_EQ(local0_->requests() + local1_->requests(), 1);
  EXPECT_EQ(paid_->requests(), 1);
  std::vector<json> usage = Usage(2);
  ASSERT_EQ(usage.size(), 2u);
  for (const json& record : usage) EXPECT_EQ(MicroUnits(record["cost"]), 0) << record.dump();
}

TEST_F(GatewayE2ETest, UpstreamClientErrorIsPassedThroughUncharged) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawResponse reply = Chat(ChatBody("mock-1", "[[status=400]] bad", false, std::nullopt, 8));
  EXPECT_EQ(reply.status, 400) << reply.body;
  ExpectOpenAiError(reply, 400, "");
  // A 4xx is the caller's: not retried, no fallback.
  EXPECT_EQ(local0_->requests() + local1_->requests(), 1);
  EXPECT_EQ(paid_->requests(), 0);
  std::vector<json> usage = Usage(1);
  ASSERT_EQ(usage.size(), 1u);
  EXPECT_EQ(MicroUnits(usage[0]["cost"]), 0) << usage[0].dump();
  EXPECT_EQ(usage[0]["tokens_output"], 0);
}

TEST_F(GatewayE2ETest, ConcurrentCallsNeverExceedTheSlots) {
  GatewaySetup setup;
  setup.max_wait = "10s";
  ASSERT_NO_FATAL_FAILURE(StartServer(setup));
  constexpr int kCalls = 12;
  std::vector<int> statuses(kCalls, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      statuses[static_cast<size_t>(i)] =
          Chat(ChatBody("mock-1", "[[delay_ms=300]] slow call", false, std::nullopt, 8)).status;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(statuses[static_cast<size_t>(i)], 200) << i;
  // 2 replicas x 2 slots.
  EXPECT_LE(local0_->max_in_flight(), 2);
  EXPECT_LE(local1_->max_in_flight(), 2);
  EXPECT_GT(local0_->requests(), 0);
  EXPECT_GT(local1_->requests(), 0);
  EXPECT_EQ(local0_->requests() + local1_->requests(), kCalls);
  EXPECT_EQ(paid_->requests(), 0);  // no fallback needed
  std::vector<json> usage = Usage(kCalls);
  EXPECT_EQ(usage.size(), static_cast<size_t>(kCalls));
  std::set<std::string> replicas;
  for (const json& record : usage) {
    replicas.insert(record["location"].get<std::string>().substr(0, 7));
    EXPECT_GT(MicroUnits(record["cost"]), 0);
  }
  EXPECT_EQ(replicas, (std::set<std::string>{"local-0", "local-1"}));
}

TEST_F(GatewayE2ETest, FullQueueAnswers429AfterMaxWait) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Four calls hold every slot of `local`.
  std::vector<std::unique_ptr<RawConnection>> holders;
  for (int i = 0; i < 4; ++i) {
    auto connection = std::make_unique<RawConnection>(port(), std::chrono::seconds(20));
    ASSERT_TRUE(connection->ok());
    std::string body = ChatBody("mock-1", "[[hang]] holding", false, std::nullopt, 8);
    ASSERT_TRUE(
        connection->Send(BuildRequest("POST", "/v1/chat/completions", body,
                                      {{"Content-Type", "application/json"},
                                       {"Authorization", std::string("Bearer ") + kGatewayKeyA}})));
    holders.push_back(std::move(connection));
  }
  ASSERT_TRUE(WaitFor([&] { return local0_->in_flight() + local1_->in_flight() == 4; }));

  RawResponse reply = Chat(ChatBody("mock-1", "one more", false, std::nullopt, 8));
  ExpectOpenAiError(reply, 429, "queue_timeout");
  EXPECT_FALSE(reply.header("retry-after").empty());
  EXPECT_EQ(reply.json()["error"]["type"], "rate_limit_exceeded");
  EXPECT_EQ(local0_->requests() + local1_->requests(), 4);

  // The holders leave: their upstream calls are cancelled.
  holders.clear();
  EXPECT_TRUE(
      WaitFor([&] { return local0_->client_disconnects() + local1_->client_disconnects() == 4; }));
}

TEST_F(GatewayE2ETest, BudgetIsNeverOvershot) {
  GatewaySetup setup;
  setup.max_wait = "10s";
  ASSERT_NO_FATAL_FAILURE(StartServer(setup));
  constexpr int kCalls = 16;
  std::vector<RawResponse> replies(kCalls);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCalls; ++i) {
    threads.emplace_back([&, i] {
      replies[static_cast<size_t>(i)] =
          Chat(ChatBody("mock-2", "[[delay_ms=100]] hello budget", false, std::nullopt, 8),
               kGatewayKeyB);
    });
  }
  for (std::thread& thread : threads) thread.join();
  int64_t expected = 0;  // the settled cost of the answered calls, from their usage
  int ok = 0;
  int refused = 0;
  for (const RawResponse& reply : replies) {
    if (reply.status == 200) {
      ++ok;
      json usage = reply.json()["usage"];
      expected += usage["prompt_tokens"].get<int64_t>() * 5 +
                  usage["completion_tokens"].get<int64_t>() * 15;
    } else {
      ++refused;
      ExpectOpenAiError(reply, 402, "budget_exceeded");
      EXPECT_EQ(reply.json()["error"]["type"], "insufficient_quota");
    }
  }
  EXPECT_GT(ok, 0);
  EXPECT_GT(refused, 0);
  EXPECT_EQ(paid_->requests(), ok);  // refused calls never went upstream
  int64_t spent = 0;
  int charged = 0;
  for (const json& record : Usage(static_cast<size_t>(ok))) {
    EXPECT_EQ(record["tenant_path"], "acme/agent-b");
    EXPECT_EQ(record["overrun"], false) << record.dump();
    int64_t cost = MicroUnits(record["cost"]);
    if (cost > 0) ++charged;
    spent += cost;
  }
  EXPECT_EQ(charged, ok);
  EXPECT_EQ(spent, expected);
  EXPECT_LE(spent, 1000);  // the budget: 0.001
}

TEST_F(GatewayE2ETest, BadInputIsRefusedBeforeTheUpstream) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  ExpectOpenAiError(Chat("{not json"), 400, "");
  ExpectOpenAiError(Chat(R"({"model": "mock-1"})"), 400, "", "messages");
  ExpectOpenAiError(Chat(ChatBody("no-such-model", "hi")), 404, "model_not_found", "model");
  ExpectOpenAiError(Chat(ChatBody("mock-1", "hi"), ""), 401, "");
  ExpectOpenAiError(Chat(ChatBody("mock-1", "hi"), "allot_not_a_key"), 401, "");
  ExpectOpenAiError(Exchange(port(), "POST", "/v1/chat/completions", ChatBody("mock-1", "hi"),
                             {{"Content-Type", "text/plain"},
                              {"Authorization", std::string("Bearer ") + kGatewayKeyA}}),
                    415, "");
  {
    // Refused on its declared length (64 KiB allowed): the head suffices.
    RawConnection connection(port());
    ASSERT_TRUE(connection.ok());
    ASSERT_TRUE(connection.Send(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "application/json\r\nAuthorization: Bearer " +
        std::string(kGatewayKeyA) + "\r\nContent-Length: 70000\r\n\r\n{\"model\":"));
    RawResponse too_big;
    ASSERT_TRUE(connection.ReadHead(&too_big));
    connection.ReadBody(&too_big);
    ExpectOpenAiError(too_big, 413, "");
  }
  // mock-big's context is 100 tokens.
  std::string long_prompt;
  for (int i = 0; i < 100; ++i) long_prompt += "word ";
  ExpectOpenAiError(Chat(ChatBody("mock-big", long_prompt, false, std::nullopt, 16)), 400,
                    "context_length_exceeded");
  ExpectOpenAiError(Chat(ChatBody("mock-1", "hi"), kGatewayKeyA, {{"X-Allot-Class", "vip"}}), 400,
                    "", "X-Allot-Class");

  EXPECT_EQ(local0_->requests() + local1_->requests() + paid_->requests(), 0);
  // A good call last: once its record is in, none of the above left one.
  ASSERT_EQ(Chat(ChatBody("mock-1", "fine", false, std::nullopt, 8)).status, 200);
  std::vector<json> usage = Usage(1);
  EXPECT_EQ(usage.size(), 1u);
  EXPECT_EQ(local0_->requests() + local1_->requests(), 1);
}

TEST_F(GatewayE2ETest, ModelsAndMetricsAreListed) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  RawResponse models = Get("/v1/models", kGatewayKeyA);
  ASSERT_EQ(models.status, 200) << models.body;
  json list = models.json();
  EXPECT_EQ(list["object"], "list");
  std::set<std::string> ids;
  for (const json& model : list["data"]) ids.insert(model["id"].get<std::string>());
  EXPECT_EQ(ids, (std::set<std::string>{"mock-1", "mock-big", "mock-2", "chat"}));
  EXPECT_EQ(Get("/v1/models", "").status, 401);

  ASSERT_EQ(Chat(ChatBody("mock-1", "count me", false, std::nullopt, 8)).status, 200);
  ASSERT_EQ(Chat(ChatBody("mock-1", "stream me", true, std::nullopt, 8)).status, 200);
  RawResponse metrics = Get("/metrics", "");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  for (const char* name :
       {"allot_gateway_requests_total", "allot_gateway_tokens_total",
        "allot_gateway_time_to_first_token_seconds", "allot_gateway_added_latency_seconds"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }
}

TEST_F(GatewayE2ETest, CheapestRouteHonoursTheClassLatencyObjective) {
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // realtime wants 1 s: only `paid` (1 s) meets it, though mock-1 is cheaper.
  RawResponse fast = Chat(ChatBody("chat", "quick answer", false, std::nullopt, 8), kGatewayKeyA,
                          {{"X-Allot-Class", "realtime"}});
  ASSERT_EQ(fast.status, 200) << fast.body;
  EXPECT_EQ(paid_->requests(), 1);
  EXPECT_EQ(local0_->requests() + local1_->requests(), 0);
  EXPECT_EQ(json::parse(paid_->last_body())["model"], "mock-2");

  // default has no objective: the cheapest, mock-1 on `local`.
  RawResponse cheap = Chat(ChatBody("chat", "cheap answer", false, std::nullopt, 8));
  ASSERT_EQ(cheap.status, 200) << cheap.body;
  EXPECT_EQ(paid_->requests(), 1);
  EXPECT_EQ(local0_->requests() + local1_->requests(), 1);

  std::vector<json> usage = Usage(2);
  ASSERT_EQ(usage.size(), 2u);
  std::multiset<std::string> seen;
  for (const json& record : usage) {
    seen.insert(record["priority_class"].get<std::string>() + ":" +
                record["model"].get<std::string>());
  }
  EXPECT_EQ(seen, (std::multiset<std::string>{"realtime:mock-2", "default:mock-1"}));
}

TEST_F(GatewayE2ETest, SilentUpstreamTimesOutUncharged) {
  GatewaySetup setup;
  setup.gateway_extra = "  first_byte_timeout: 1s\n";
  ASSERT_NO_FATAL_FAILURE(StartServer(setup));
  // Both mock-1 and its fallback hang: each times out in turn.
  RawResponse reply = Chat(ChatBody("mock-1", "[[hang]] silent", false, std::nullopt, 8));
  ExpectOpenAiError(reply, 502, "");
  EXPECT_EQ(local0_->requests() + local1_->requests(), 1);
  EXPECT_EQ(paid_->requests(), 1);
  // The gateway hung up on both.
  EXPECT_TRUE(WaitFor([&] {
    return local0_->client_disconnects() + local1_->client_disconnects() +
               paid_->client_disconnects() ==
           2;
  }));
  std::vector<json> usage = Usage(2);
  ASSERT_EQ(usage.size(), 2u);
  for (const json& record : usage) EXPECT_EQ(MicroUnits(record["cost"]), 0) << record.dump();
}

}  // namespace
}  // namespace allot::testing
