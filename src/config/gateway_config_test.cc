// The gateway block: endpoints become pools of replica nodes; routes,
// fallbacks, prices and errors that name the field.
#include "config/gateway_config.h"

#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"
#include "engine/engine.h"

namespace allot {
namespace {

constexpr std::string_view kBase = R"(classes:
  - {name: realtime, value: 1000, latency_objective: 0.5}
  - {name: default, value: 100}
tenants:
  - {name: acme}
prices:
  models:
    small: {input: "0.10", output: "0.40"}
    large: {input: "3", output: "15"}
)";

constexpr std::string_view kGateway = R"(gateway:
  max_wait: 2m
  policy: cheapest
  endpoints:
    - name: local
      replicas: ["http://127.0.0.1:8000/v1", "http://127.0.0.1:8001/v1"]
      slots: 4
      latency: 2s
      models: [small, {name: large, upstream: org/Large-v2, context: 8192}]
    - name: paid
      base_url: http://127.0.0.1:9000/v1
      slots: 16
      api_key_env: PAID_KEY
      models: [large]
  routes:
    - {name: chat, models: [small, large], policy: least_loaded}
  fallbacks:
    small: [large]
)";

Result<Config> Parse(std::string_view text) { return ParseConfig(text, "gw.yaml"); }

std::string ErrorOf(std::string text) {
  Result<Config> config = Parse(text);
  return config.ok() ? "(parsed)" : config.status().message();
}

std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(GatewayConfigTest, EndpointsBecomeSpreadPoolsOfReplicaNodes) {
  Result<Config> config = Parse(std::string(kBase) + std::string(kGateway));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  const GatewayConfig& gateway = config->gateway;
  ASSERT_TRUE(gateway.enabled());
  EXPECT_EQ(gateway.max_wait, Seconds(120));
  EXPECT_EQ(gateway.policy, RoutePolicy::kCheapest);
  ASSERT_EQ(gateway.endpoints.size(), 2u);
  EXPECT_EQ(gateway.endpoints[0].latency, Seconds(2));
  EXPECT_EQ(gateway.endpoints[0].models[1].upstream_name, "org/Large-v2");
  EXPECT_EQ(gateway.endpoints[0].models[1].context_tokens, 8192);
  EXPECT_EQ(gateway.endpoints[0].models[0].upstream_name, "small");
  EXPECT_EQ(gateway.endpoints[1].api_key_env, "PAID_KEY");
  const Inventory& inventory = config->inventory;
  ASSERT_EQ(inventory.pools.size(), 2u);  // no `pools:` at all
  EXPECT_TRUE(inventory.pools[0].spread);
  ASSERT_EQ(inventory.nodes.size(), 3u);
  EXPECT_EQ(inventory.nodes[1].name, "local-1");
  EXPECT_EQ(inventory.nodes[1].capacity[kSlots], 4);
  EXPECT_EQ(inventory.nodes[2].name, "paid-0");
  EXPECT_EQ(gateway.Serving("large").size(), 2u);
  ASSERT_NE(gateway.FindRoute("chat"), nullptr);
  EXPECT_EQ(gateway.FindRoute("chat")->policy, RoutePolicy::kLeastLoaded);
  ASSERT_NE(gateway.FallbacksOf("small"), nullptr);
  EXPECT_EQ(config->engine.classes[0].latency_objective, 500'000);
}

TEST(GatewayConfigTest, ErrorsNameTheField) {
  std::string good = std::string(kBase) + std::string(kGateway);
  EXPECT_EQ(ErrorOf(Replace(good, "    large: {input: \"3\", output: \"15\"}\n", "")),
            "gw.yaml:17:23: gateway.endpoints[0].models[1]: model 'large' has no price under "
            "prices.models (give it one; \"0\" for a model whose cost is its GPUs')");
  EXPECT_EQ(ErrorOf(Replace(good, "slots: 4", "slots: 0")),
            "gw.yaml:16:14: gateway.endpoints[0].slots: must be at least 1");
  EXPECT_EQ(ErrorOf(Replace(good, "base_url: http://127.0.0.1:9000/v1",
                            "base_url: https://api.example.com/v1")),
            "gw.yaml:20:17: gateway.endpoints[1].base_url: https is not supported yet: the gateway "
            "calls upstreams over http:// (put a local TLS proxy in front)");
  EXPECT_EQ(
      ErrorOf(Replace(good, "models: [small, large], policy", "models: [small, huge], policy")),
      "gw.yaml:25:36: gateway.routes[0].models[1]: 'huge' is not served by any gateway "
      "endpoint");
  EXPECT_EQ(ErrorOf(Replace(good, "small: [large]", "small: [small]")),
            "gw.yaml:27:13: gateway.fallbacks.small[0]: 'small' is not another served model or "
            "route");
  EXPECT_EQ(ErrorOf(Replace(good, "{name: chat,", "{name: small,")),
            "gw.yaml:25:14: gateway.routes[0].name: 'small' is already a model or route name");
  EXPECT_EQ(ErrorOf(Replace(good, "policy: cheapest", "policy: random")),
            "gw.yaml:12:11: gateway.policy: must be least_loaded or cheapest");
  EXPECT_EQ(ErrorOf(Replace(good, "    - name: paid", "    - name: local")),
            "gw.yaml:19:13: gateway.endpoints[1].name: 'local' is already a pool or endpoint "
            "name");
  EXPECT_EQ(ErrorOf(Replace(good, "max_wait: 2m", "max_wait: soon")),
            "gw.yaml:11:13: gateway.max_wait: 'soon' is not a duration such as 250ms, 30s, "
            "10m, 6h, 1d or 2w (a number with one of the units us, ms, s, m, h, d, w; a "
            "plain number is seconds; at most ten years)");
}

TEST(GatewayConfigTest, EngineSpreadsCallsOverReplicas) {
  Result<Config> config = Parse(std::string(kBase) + std::string(kGateway));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  Result<std::unique_ptr<Engine>> engine = Engine::Create(config->inventory, config->engine);
  ASSERT_TRUE(engine.ok()) << engine.status().ToString();
  // Four calls on `local` (2 replicas x 4 slots) alternate between its nodes
  // (most free slots first), where best fit alone would fill local-0 first.
  std::vector<std::string> nodes;
  for (int i = 0; i < 4; ++i) {
    Request call;
    call.member.resources[kSlots] = 1;
    call.pool = "local";
    call.model = "small";
    call.input_tokens = 10;
    call.max_output_tokens = 10;
    Decision decision = (*engine)->Submit(call, Seconds(1));
    ASSERT_EQ(decision.kind, DecisionKind::kGranted) << decision.message;
    nodes.push_back(config->inventory.nodes[decision.placement.front().node].name);
  }
  EXPECT_EQ(nodes, (std::vector<std::string>{"local-0", "local-1", "local-0", "local-1"}));
}

}  // namespace
}  // namespace allot
