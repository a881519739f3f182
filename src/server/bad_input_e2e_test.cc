// Caller text that cannot be written as JSON (invalid UTF-8) or that is
// nested too deep to write again: refused with a 400 naming the part, never a
// crash. The real `allot serve` with the gateway in front of fake upstreams.
#include <gtest/gtest.h>

#include <string>

#include "server/testing/gateway_fixture.h"

namespace allot::testing {
namespace {

class BadInputE2ETest : public GatewayE2ETest {
 protected:
  void SetUp() override {
    GatewayE2ETest::SetUp();
    GatewaySetup setup;
    setup.max_body = "1Mi";  // room for a body nested 100,000 levels deep
    StartServer(setup);
  }

  // The server still answers (and so did not exit).
  void ExpectAlive() {
    RawResponse health = Get("/healthz", "");
    EXPECT_EQ(health.status, 200) << server_->LogTail();
    EXPECT_TRUE(server_->running());
  }

  // An API error: 400 invalid_argument naming `field`.
  static void ExpectApiError(const RawResponse& response, const std::string& field) {
    EXPECT_EQ(response.status, 400) << response.body;
    nlohmann::json body = response.json();
    ASSERT_TRUE(body.is_object()) << response.body;
    EXPECT_EQ(body["error"]["code"], "invalid_argument") << response.body;
    EXPECT_EQ(body["error"]["field"], field) << response.body;
  }

  // An OpenAI-shaped error: 400 invalid_request_error with `param`.
  static void ExpectOpenAiError(const RawResponse& response, const nlohmann::json& param) {
    EXPECT_EQ(response.status, 400) << response.body;
    nlohmann::json body = response.json();
    ASSERT_TRUE(body.is_object()) << response.body;
    EXPECT_EQ(body["error"]["type"], "invalid_request_error") << response.body;
    EXPECT_EQ(body["error"]["param"], param) << response.body;
    EXPECT_EQ(body["error"]["code"], "invalid_request") << response.body;
  }
};

TEST_F(BadInputE2ETest, InvalidUtf8InTheTargetIsRefused) {
  ExpectApiError(Get("/v1/leases?tenant=%ff%fe"), "query.tenant");
  ExpectAlive();
  ExpectApiError(Get("/v1/leases/%ff"), "path");
  ExpectAlive();
  ExpectApiError(Get("/v1/events?x=%ff"), "query.x");
  ExpectAlive();
}

TEST_F(BadInputE2ETest, InvalidUtf8InAHeaderIsRefused) {
  RawResponse response = Exchange(port(), "POST", "/v1/leases", "{}",
                                  {{"Authorization", std::string("Bearer ") + kGatewayAdminKey},
                                   {"Content-Type", "\xff"},
                                   {"Connection", "close"}});
  ExpectApiError(response, "header.content-type");
  ExpectAlive();
  RawResponse tenant = Chat(R"({"model":"mock-1","messages":[{"role":"user","content":"hi"}]})",
                            kGatewayAdminKey, {{"X-Allot-Tenant", "acme/\xc0\xaf"}});
  ExpectOpenAiError(tenant, "header.x-allot-tenant");
  ExpectAlive();
}

TEST_F(BadInputE2ETest, InvalidUtf8InABodyIsRefused) {
  ExpectApiError(Post("/v1/leases", "{\"tenant\":\"acme/\xff\"}", kGatewayAdminKey), "body");
  ExpectAlive();
  RawResponse chat =
      Chat("{\"model\":\"mock-\xff\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  ExpectOpenAiError(chat, nullptr);
  ExpectAlive();
}

TEST_F(BadInputE2ETest, DeeplyNestedBodiesAreRefused) {
  std::string deep = std::string(100000, '[') + "1" + std::string(100000, ']');
  RawResponse chat = Chat(R"({"model":"mock-1","messages":[{"role":"user","content":"hi"}],)"
                          R"("temperature":)" +
                          deep + "}");
  ExpectOpenAiError(chat, nullptr);
  EXPECT_NE(chat.json()["error"]["message"].get<std::string>().find("nested deeper"),
            std::string::npos);
  ExpectAlive();
  ExpectApiError(Post("/v1/leases", R"({"labels":)" + deep + "}", kGatewayAdminKey), "body");
  ExpectAlive();
}

TEST_F(BadInputE2ETest, TypedOpenAiParametersAreChecked) {
  auto chat_with = [&](const std::string& extra) {
    return Chat(R"({"model":"mock-1","messages":[{"role":"user","content":"hi"}],)" + extra + "}");
  };
  ExpectOpenAiError(chat_with(R"("temperature":"hot")"), "temperature");
  ExpectOpenAiError(chat_with(R"("temperature":[1])"), "temperature");
  ExpectOpenAiError(chat_with(R"("temperature":3)"), "temperature");
  ExpectOpenAiError(chat_with(R"("top_p":1.5)"), "top_p");
  ExpectOpenAiError(chat_with(R"("presence_penalty":{"a":1})"), "presence_penalty");
  ExpectOpenAiError(chat_with(R"("frequency_penalty":-3)"), "frequency_penalty");
  ExpectOpenAiError(chat_with(R"("seed":1.5)"), "seed");
  ExpectOpenAiError(chat_with(R"("stop":[1])"), "stop");
  ExpectOpenAiError(chat_with(R"("stop":["a","b","c","d","e"])"), "stop");
  ExpectOpenAiError(chat_with(R"("n":"2")"), "n");
  ExpectOpenAiError(chat_with(R"("stream":"yes")"), "stream");
  RawResponse good = chat_with(R"("temperature":0.5,"top_p":1,"seed":7,"stop":"x")");
  EXPECT_EQ(good.status, 200) << good.body;
  ExpectAlive();
}

}  // namespace
}  // namespace allot::testing
