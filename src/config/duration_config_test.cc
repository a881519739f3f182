// Every duration field of the configuration takes one form (ParseDuration):
// a class's max_wait like the gateway's, milliseconds and decimals anywhere,
// and a plain number still seconds.
#include <gtest/gtest.h>

#include <string>

#include "config/config_loader.h"

namespace allot {
namespace {

constexpr char kConfig[] = R"(classes:
  - {name: realtime, value: 1000, latency_objective: 250ms, wait_objective: 0.5, grace: 1.5m}
  - {name: batch, value: 0, max_wait: 10m, aging: 1d}
  - {name: legacy, value: 50, max_wait: 86400, grace: 120, aging: 3600, wait_objective: 0.25}
tenants:
  - {name: acme}
prices:
  models:
    small: {input: "0.10", output: "0.40"}
default_estimate: 90m
server:
  idle_timeout: 1.5s
  tick_interval: 250ms
webhooks:
  - {name: hook, url: "http://127.0.0.1:9/x", events: [alert], timeout: 500ms, backoff: 0.25}
gateway:
  max_wait: 30s
  first_byte_timeout: 2m
  endpoints:
    - {name: local, base_url: "http://127.0.0.1:8000/v1", slots: 4, latency: 800ms,
       models: [small]}
)";

const PriorityClass& Class(const Config& config, const std::string& name) {
  for (const PriorityClass& c : config.engine.classes) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no class " << name;
  return config.engine.classes.front();
}

TEST(DurationConfigTest, ClassDurationsTakeTheFormOfTheGatewaysAndServers) {
  Result<Config> config = ParseConfig(kConfig, "d.yaml");
  ASSERT_TRUE(config.ok()) << config.status().message();
  // max_wait: 10m on a class reads as gateway.max_wait: 30s does.
  EXPECT_EQ(Class(*config, "batch").max_wait, Seconds(600));
  EXPECT_EQ(config->gateway.max_wait, Seconds(30));
  EXPECT_EQ(Class(*config, "batch").aging, Seconds(86400));
  EXPECT_EQ(Class(*config, "realtime").latency_objective, 250'000);
  EXPECT_EQ(Class(*config, "realtime").wait_objective, 500'000);
  EXPECT_EQ(Class(*config, "realtime").preemption_grace, Seconds(90));
  // Plain numbers keep their documented unit, seconds.
  EXPECT_EQ(Class(*config, "legacy").max_wait, Seconds(86400));
  EXPECT_EQ(Class(*config, "legacy").preemption_grace, Seconds(120));
  EXPECT_EQ(Class(*config, "legacy").aging, Seconds(3600));
  EXPECT_EQ(Class(*config, "legacy").wait_objective, 250'000);
  EXPECT_EQ(config->engine.budgets.default_estimate, Seconds(5400));
  EXPECT_EQ(config->server.idle_timeout, 1'500'000);
  EXPECT_EQ(config->server.tick_interval, 250'000);
  ASSERT_EQ(config->server.webhooks.size(), 1u);
  EXPECT_EQ(config->server.webhooks[0].timeout, 500'000);
  EXPECT_EQ(config->server.webhooks[0].backoff, 250'000);
  EXPECT_EQ(config->gateway.first_byte_timeout, Seconds(120));
  ASSERT_FALSE(config->gateway.endpoints.empty());
  EXPECT_EQ(config->gateway.endpoints[0].latency, 800'000);
}

std::string ErrorOf(const std::string& from, const std::string& to) {
  std::string text = kConfig;
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  Result<Config> config = ParseConfig(text, "d.yaml");
  return config.ok() ? "(parsed)" : config.status().message();
}

TEST(DurationConfigTest, ClassDurationErrorsNameTheFieldAndTheForms) {
  EXPECT_EQ(ErrorOf("max_wait: 10m", "max_wait: soon"),
            "d.yaml:3:39: classes[1].max_wait: 'soon' is not a duration such as 250ms, 30s, 10m, "
            "6h, 1d or 2w (a number with one of the units us, ms, s, m, h, d, w; a plain number "
            "is seconds; at most ten years)");
  EXPECT_EQ(ErrorOf("aging: 1d", "aging: 400d"),
            "d.yaml:3:51: classes[1].aging: must be at most 366d");
  EXPECT_EQ(ErrorOf("wait_objective: 0.5", "wait_objective: -1"),
            "d.yaml:2:77: classes[0].wait_objective: '-1' is not a duration such as 250ms, 30s, "
            "10m, 6h, 1d or 2w (a number with one of the units us, ms, s, m, h, d, w; a plain "
            "number is seconds; at most ten years)");
}

}  // namespace
}  // namespace allot
