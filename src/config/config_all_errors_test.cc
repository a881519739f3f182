// allot check-config reports every independent error of a file in one run,
// in file order, each positioned; a check that needs a broken part (the
// tenant tree, the budgets against it) adds no echo of its error.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "testing/server_process.h"
#include "testing/test_paths.h"

namespace allot {
namespace {

// Errors in nine places: two at the top level, a GPU model, a pool (the
// second pool is fine), a class, a tenant, a budget, the server block and a
// webhook.
constexpr char kBroken[] = R"(placement: best_fastest
colour: blue
gpu_models:
  - {name: H100-80GB, memory: 12 GB}
pools:
  - name: gpu
    gpu_model: H100-80GB
    tier: cheap
    nodes:
      - {name_prefix: gpu-, count: 2, cpu: 64, memory: 512Gi, gpus: 4}
  - name: cpu
    nodes:
      - {name_prefix: cpu-, count: 2, cpu: 64, memory: 256Gi}
classes:
  - {name: default, value: 100}
  - {name: batch, value: 0, max_wait: soon}
tenants:
  - {name: org}
  - {name: team, parent: org, weight: -2}
currency: USD
budgets:
  - {name: daily, tenant: org, money: "10", period: fortnightly}
server:
  listen: example.com:80
webhooks:
  - {name: hook, url: "https://127.0.0.1/x", events: [alert]}
)";

// One line per error, in file order; none for the tenant tree's rules, the
// budgets against the tree or the API keys, which need the broken parts.
constexpr char kExpected[] =
    "b.yaml:1:12: placement: must be first_fit, best_fit or frag_aware\n"
    "b.yaml:2:1: config.colour: unknown key\n"
    "b.yaml:4:31: gpu_models[0].memory: must be a number of MiB or a whole number with one of "
    "the suffixes Mi, Gi, Ti (binary: 1Gi = 1024Mi; such as 512Gi), got '12 GB'\n"
    "b.yaml:8:11: pools[0].tier: must be reserved, on_demand or spot\n"
    "b.yaml:16:39: classes[1].max_wait: 'soon' is not a duration such as 250ms, 30s, 10m, 6h, "
    "1d or 2w (a number with one of the units us, ms, s, m, h, d, w; a plain number is "
    "seconds; at most ten years)\n"
    "b.yaml:19:39: tenants[1].weight: must be a number > 0\n"
    "b.yaml:22:53: budgets[0].period: must be none, daily, weekly, monthly or a duration such "
    "as 14d\n"
    "b.yaml:24:11: server.listen: 'example.com' is not an IP address or localhost (names are "
    "not resolved; IPv6 goes in brackets)\n"
    "b.yaml:26:23: webhooks[0].url: https is not supported: webhooks are sent over plain HTTP "
    "(use a local relay for TLS)";

TEST(ConfigAllErrorsTest, EveryIndependentErrorInFileOrder) {
  Result<Config> config = ParseConfig(kBroken, "b.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(), kExpected);
}

// Two bad entries in each of budgets, api_keys and webhooks: each listed.
constexpr char kBadEntries[] = R"(pools:
  - name: cpu
    nodes:
      - {name_prefix: cpu-, count: 2, cpu: 64, memory: 256Gi}
tenants:
  - {name: org}
budgets:
  - {name: a, tenant: org, money: "10", period: fortnightly}
  - {name: b, tenant: org, money: "ten", period: daily}
api_keys:
  - {name: k1, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef,
     tenant: "", role: root}
  - {name: k2, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdee,
     tenant: nobody, role: agent}
webhooks:
  - {name: h1, url: "http://127.0.0.1:9/x", events: [alert], max_attempts: 99}
  - {name: h2, url: "http://127.0.0.1:9/x", events: [sometimes]}
)";

TEST(ConfigAllErrorsTest, EachBadEntryOfAListIsListed) {
  Result<Config> config = ParseConfig(kBadEntries, "e.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "e.yaml:8:49: budgets[0].period: must be none, daily, weekly, monthly or a duration "
            "such as 14d\n"
            "e.yaml:9:35: budgets[1].money: 'ten' is not a plain decimal amount such as 2.50\n"
            "e.yaml:12:24: api_keys[0].role: must be agent, tenant_admin or admin\n"
            "e.yaml:14:14: api_keys[1].tenant: unknown tenant 'nobody' (a path, a unique name, or "
            "\"\" for the root)\n"
            "e.yaml:16:76: webhooks[0].max_attempts: must be at most 20\n"
            "e.yaml:17:54: webhooks[1].events[0]: must be alert, granted, queued, rejected, "
            "lease_ended, preempt or preempt_withdrawn");
}

TEST(ConfigAllErrorsTest, CheckConfigPrintsEveryErrorAndExitsOne) {
  std::string dir = testing::MakeTempDir("allot-check-config");
  ASSERT_FALSE(dir.empty());
  std::string path = dir + "/b.yaml";
  testing::WriteFile(path, kBroken);
  std::string out;
  FILE* pipe = popen((testing::AllotBinary() + " check-config " + path + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buffer[512];
  while (fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  int status = pclose(pipe);
  testing::RemoveTree(dir);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  // The library's lines, under the file's name.
  Result<Config> config = ParseConfig(kBroken, path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(out, config.status().message() + "\n");
  size_t lines = 0;
  for (size_t at = 0; (at = out.find(path + ":", at)) != std::string::npos; at += path.size()) {
    ++lines;
  }
  EXPECT_GE(lines, 3u) << out;
}

}  // namespace
}  // namespace allot
