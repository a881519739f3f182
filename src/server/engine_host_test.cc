// EngineHost's reconfiguration: what a reload accepts takes effect at once,
// budgets included, and what it refuses changes nothing.
#include "server/engine_host.h"

#include <gtest/gtest.h>

#include <string>

#include "server/api_views.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

constexpr Time kStart = 1'796'000'000'000'000;  // 2026-11-30T00:53:20Z

// One pool of 2 x 4 GPUs at 3.60 a GPU-hour; `budgets` is the budgets block.
std::string Config(const std::string& budgets, const std::string& currency = "USD") {
  return R"yaml(
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
pools:
  - name: gpu
    gpu_model: H100-80GB
    nodes:
      - {name_prefix: gpu-, count: 2, cpu: 64, memory: 512Gi, gpus: 4, gpu_mode: whole}
classes:
  - {name: default, value: 100}
tenants:
  - {name: org}
  - {name: team-a, parent: org}
  - {name: team-b, parent: org}
currency: )yaml" +
         currency + R"yaml(
prices:
  pools:
    gpu: {gpu: "3.60", cpu: "0", memory: "0"}
)yaml" + budgets;
}

class EngineHostReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<EngineHost>> host = EngineHost::Create(
        Config("budgets:\n  - {name: b-daily, tenant: team-b, money: \"10\", period: daily}\n"),
        "test.yaml");
    ASSERT_TRUE(host.ok()) << host.status().message();
    host_ = std::move(host).value();
  }

  // Submits one GPU for an hour (3.60 reserved) for `tenant`.
  Decision Submit(const std::string& tenant, Time at) {
    Command command;
    command.kind = Command::Kind::kSubmit;
    command.at = at;
    command.request = testing::GpuRequest(1000);
    command.request.tenant = tenant;
    command.request.estimate = Seconds(3600);
    EngineHost::Outcome outcome = host_->Apply(command);
    EXPECT_TRUE(outcome.decision.has_value());
    return outcome.decision.value_or(Decision{});
  }

  Status Reload(const std::string& yaml, Time at) {
    Command command;
    command.kind = Command::Kind::kReconfigure;
    command.at = at;
    command.config_yaml = yaml;
    return host_->Apply(command).status;
  }

  const BudgetLedger& ledger() { return *host_->engine().budgets(); }

  std::unique_ptr<EngineHost> host_;
};

TEST_F(EngineHostReloadTest, RaisedAndLoweredLimitsTakeEffectMidPeriod) {
  ASSERT_EQ(Submit("org/team-b", kStart).kind, DecisionKind::kGranted);
  ASSERT_EQ(Submit("org/team-b", kStart + 1).kind, DecisionKind::kGranted);
  // 7.20 reserved of 10: a third hour does not fit.
  EXPECT_EQ(Submit("org/team-b", kStart + 2).kind, DecisionKind::kRejected);

  ASSERT_TRUE(
      Reload(
          Config("budgets:\n  - {name: b-daily, tenant: team-b, money: \"100\", period: daily}\n"),
          kStart + 3)
          .ok());
  int b = ledger().Find("b-daily");
  ASSERT_GE(b, 0);
  EXPECT_EQ(ledger().entry(b).limit, ledger().spec(b).limit);
  EXPECT_EQ(ledger().entry(b).limit, int64_t{100'000'000});
  EXPECT_EQ(Submit("org/team-b", kStart + 4).kind, DecisionKind::kGranted);

  // Lowered below what is reserved: new work is refused, the leases run on.
  ASSERT_TRUE(
      Reload(Config("budgets:\n  - {name: b-daily, tenant: team-b, money: \"5\", period: daily}\n"),
             kStart + 5)
          .ok());
  EXPECT_EQ(ledger().entry(ledger().Find("b-daily")).limit, int64_t{5'000'000});
  EXPECT_EQ(Submit("org/team-b", kStart + 6).kind, DecisionKind::kRejected);
  EXPECT_EQ(host_->engine().lease_count(), 3u);
}

TEST_F(EngineHostReloadTest, BudgetsAddedAndRemovedOnceStarted) {
  ASSERT_EQ(Submit("org/team-a", kStart).kind, DecisionKind::kGranted);
  ASSERT_EQ(Submit("org/team-b", kStart + 1).kind, DecisionKind::kGranted);
  // A budget over team-a, whose lease ran unbudgeted until now.
  ASSERT_TRUE(
      Reload(Config("budgets:\n  - {name: b-daily, tenant: team-b, money: \"10\", period: daily}\n"
                    "  - {name: a-daily, tenant: team-a, money: \"5\", period: daily}\n"),
             kStart + 2)
          .ok());
  int a = ledger().Find("a-daily");
  ASSERT_GE(a, 0);
  EXPECT_EQ(ledger().entry(a).settled, 0);
  // The running lease's time so far (1 µs) and its first hour, from now.
  EXPECT_NEAR(ledger().reserved(a), 3'600'000, 10);
  EXPECT_LE(ledger().entry(a).period.start, kStart + 2);
  EXPECT_EQ(Submit("org/team-a", kStart + 3).kind, DecisionKind::kRejected);  // 7.20 > 5
  // b-daily keeps its reservation.
  EXPECT_EQ(ledger().reserved(ledger().Find("b-daily")), int64_t{3'600'000});

  // All budgets removed: team-b is unbudgeted, its lease runs on.
  ASSERT_TRUE(Reload(Config(""), kStart + 4).ok());
  EXPECT_EQ(host_->engine().budgets(), nullptr);
  EXPECT_EQ(Submit("org/team-b", kStart + 5).kind, DecisionKind::kGranted);
  // And one back again.
  ASSERT_TRUE(
      Reload(
          Config("budgets:\n  - {name: b-daily, tenant: team-b, money: \"10\", period: daily}\n"),
          kStart + 6)
          .ok());
  EXPECT_NEAR(ledger().reserved(ledger().Find("b-daily")), 7'200'000, 20);
}

TEST_F(EngineHostReloadTest, MeterOrCurrencyChangeIsRefusedAndChangesNothing) {
  ASSERT_EQ(Submit("org/team-b", kStart).kind, DecisionKind::kGranted);
  std::string before = host_->config_yaml();
  Status refused =
      Reload(Config("budgets:\n  - {name: b-daily, tenant: team-b, money: \"10\", period: daily}\n",
                    "EUR"),
             kStart + 1);
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("b-daily"), std::string::npos) << refused.message();
  EXPECT_EQ(host_->config_yaml(), before);
  EXPECT_EQ(ledger().reserved(ledger().Find("b-daily")), int64_t{3'600'000});
}

TEST_F(EngineHostReloadTest, BudgetWithoutPeriodShowsNoStart) {
  ASSERT_TRUE(
      Reload(Config("budgets:\n  - {name: b-ever, tenant: team-b, money: \"10\", period: none}\n"),
             kStart)
          .ok());
  ASSERT_EQ(Submit("org/team-b", kStart + 1).kind, DecisionKind::kGranted);
  nlohmann::json view = BudgetJson(host_->engine(), ledger().Find("b-ever"));
  EXPECT_TRUE(view["period"]["start"].is_null()) << view.dump();
  EXPECT_TRUE(view["period"]["end"].is_null()) << view.dump();
  EXPECT_TRUE(view["burn_per_hour"].is_null()) << view.dump();
}

}  // namespace
}  // namespace allot
