// Lease requests and usage reports in the API's JSON: the documented body,
// exact quantities, strict errors naming the field, and exact round trips.
#include <gtest/gtest.h>

#include <array>
#include <random>

#include "store/codec.h"

namespace allot {
namespace {

using nlohmann::json;

constexpr int kRdma = kBuiltinResources;

class RequestJsonTest : public ::testing::Test {
 protected:
  ResourceCatalog catalog_ = ResourceCatalog::Create({"rdma"}).value();

  Request Read(const json& body) {
    Result<Request> request = RequestFromJson(body, catalog_);
    EXPECT_TRUE(request.ok()) << body.dump() << ": " << request.status().ToString();
    return request.ok() ? *request : Request{};
  }
  // The body must be refused with InvalidArgument, message starting with `prefix`.
  void ExpectError(const json& body, const std::string& prefix) {
    Result<Request> request = RequestFromJson(body, catalog_);
    ASSERT_FALSE(request.ok()) << body.dump() << " was accepted";
    EXPECT_EQ(request.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(request.status().message().rfind(prefix, 0), 0u)
        << body.dump() << ": " << request.status().message();
  }
  int64_t Gpu(const json& amount) {
    return Read({{"resources", {{"gpu", amount}}}}).member.resources[kGpu];
  }
  Duration Estimate(const json& duration) { return Read({{"estimate", duration}}).estimate; }
};

TEST_F(RequestJsonTest, ReadsTheDocumentedBody) {
  // docs/api.md, POST /v1/leases.
  json body = json::parse(R"({
    "tenant": "acme/research/agent-7", "class": "batch", "members": 1,
    "resources": {"gpu": 0.5, "gpu_memory": "20Gi", "cpu": 4, "memory": "16Gi"},
    "mig_profile": "3g.40gb", "gpu_models": ["H100"], "pool": "h100-reserved",
    "node_selector": {"zone": "a"}, "estimate": "2h", "ttl": "60s",
    "labels": {"job": "eval-17"}, "idempotency_key": "eval-17-try-1",
    "model": "llama-70b", "input_tokens": 1200, "max_output_tokens": 800, "wait": 10})");
  constexpr std::array<std::string_view, 1> kWait = {"wait"};
  Result<Request> read = RequestFromJson(body, catalog_, kWait);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  const Request& r = *read;
  EXPECT_EQ(r.tenant, "acme/research/agent-7");
  EXPECT_EQ(r.priority_class, "batch");
  EXPECT_EQ(r.members, 1);
  EXPECT_EQ(r.member.resources[kGpu], 500);
  EXPECT_EQ(r.member.resources[kGpuMemory], 20480);
  EXPECT_EQ(r.member.resources[kCpu], 4000);
  EXPECT_EQ(r.member.resources[kMemory], 16384);
  EXPECT_EQ(r.member.mig_profile, "3g.40gb");
  EXPECT_EQ(r.gpu_models, std::vector<std::string>{"H100"});
  EXPECT_EQ(r.pool, "h100-reserved");
  EXPECT_EQ(r.node_selector, (Labels{{"zone", "a"}}));
  EXPECT_EQ(r.estimate, Seconds(7200));
  EXPECT_EQ(r.ttl, Seconds(60));
  EXPECT_EQ(r.labels, (Labels{{"job", "eval-17"}}));
  EXPECT_EQ(r.idempotency_key, "eval-17-try-1");
  EXPECT_EQ(r.model, "llama-70b");
  EXPECT_EQ(r.input_tokens, 1200);
  EXPECT_EQ(r.max_output_tokens, 800);
  // "wait" is the caller's: without extra_allowed it is an unknown field.
  ExpectError(body, "wait: unknown field");
}

TEST_F(RequestJsonTest, EmptyBodyIsTheDefaultRequest) {
  EXPECT_EQ(Read(json::object()), Request{});
}

TEST_F(RequestJsonTest, GpuAndCpuAreExactDecimals) {
  EXPECT_EQ(Gpu(0.5), 500);
  EXPECT_EQ(Gpu(0.1), 100);
  EXPECT_EQ(Gpu(0.3), 300);  // 0.1 + 0.2 != 0.3 in binary; the decimal text is exact
  EXPECT_EQ(Gpu(1.005), 1005);
  EXPECT_EQ(Gpu(0.001), 1);
  EXPECT_EQ(Gpu(1e-3), 1);
  EXPECT_EQ(Gpu(2.0), 2000);
  EXPECT_EQ(Gpu(8), 8000);
  EXPECT_EQ(Gpu("0.25"), 250);
  EXPECT_EQ(Gpu("3"), 3000);
  EXPECT_EQ(Gpu(-0.0), 0);
  EXPECT_EQ(Read({{"resources", {{"cpu", 0.125}}}}).member.resources[kCpu], 125);
  ExpectError({{"resources", {{"gpu", 0.0005}}}}, "resources.gpu: has more decimals");
  ExpectError({{"resources", {{"gpu", 1.0001}}}}, "resources.gpu: has more decimals");
  ExpectError({{"resources", {{"gpu", -1}}}}, "resources.gpu: must be >= 0");
  ExpectError({{"resources", {{"gpu", -0.5}}}}, "resources.gpu: must be >= 0");
  ExpectError({{"resources", {{"gpu", 1e300}}}}, "resources.gpu: is too large");
  ExpectError({{"resources", {{"gpu", "half"}}}}, "resources.gpu: must be a number");
  ExpectError({{"resources", {{"gpu", true}}}}, "resources.gpu: must be a number");
  ExpectError({{"resources", {{"cpu", "1.2345"}}}}, "resources.cpu: has more decimals");
}

TEST_F(RequestJsonTest, MemoryCountsAndCustomResources) {
  auto resources = [&](const json& amounts) { return Read({{"resources", amounts}}).member; };
  EXPECT_EQ(resources({{"memory", 1024}}).resources[kMemory], 1024);
  EXPECT_EQ(resources({{"memory", "512Mi"}}).resources[kMemory], 512);
  EXPECT_EQ(resources({{"gpu_memory", "1Ti"}}).resources[kGpuMemory], 1024 * 1024);
  EXPECT_EQ(resources({{"slots", 3}}).resources[kSlots], 3);
  EXPECT_EQ(resources({{"rdma", 2}}).resources[kRdma], 2);
  ExpectError({{"resources", {{"memory", 1.5}}}}, "resources.memory: has more decimals");
  ExpectError({{"resources", {{"memory", "-2Gi"}}}}, "resources.memory: must be >= 0");
  ExpectError({{"resources", {{"memory", "2GB"}}}}, "resources.memory: must be a number");
  ExpectError({{"resources", {{"slots", 2.5}}}}, "resources.slots: must be an integer");
  ExpectError({{"resources", {{"slots", "2"}}}}, "resources.slots: must be an integer");
  ExpectError({{"resources", {{"rdma", -1}}}}, "resources.rdma: must be >= 0");
  ExpectError({{"resources", {{"rdma", 1ull << 60}}}}, "resources.rdma: must be <=");
  ExpectError({{"resources", {{"tpu", 1}}}}, "resources.tpu: unknown field");
  ExpectError({{"resources", json::array()}}, "resources: must be a JSON object");
}

TEST_F(RequestJsonTest, Durations) {
  EXPECT_EQ(Estimate(90), Seconds(90));
  EXPECT_EQ(Estimate(1.5), 1'500'000);
  EXPECT_EQ(Estimate(0.000001), 1);
  EXPECT_EQ(Estimate("90"), Seconds(90));
  EXPECT_EQ(Estimate("15m"), Seconds(900));
  EXPECT_EQ(Estimate("3d"), Seconds(3 * 86400));
  EXPECT_EQ(Estimate("1500ms"), 1'500'000);
  EXPECT_EQ(Estimate("1.5ms"), 1500);
  EXPECT_EQ(Estimate("250us"), 250);
  ExpectError({{"estimate", -1}}, "estimate: must be >= 0");
  ExpectError({{"estimate", 0.0000001}}, "estimate: has more decimals");
  ExpectError({{"ttl", "5x"}}, "ttl: '5x' is not a duration");
  ExpectError({{"ttl", "-5us"}}, "ttl: must be >= 0");
  ExpectError({{"ttl", 400000000}}, "ttl: must be at most ten years");
  ExpectError({{"ttl", json::array()}}, "ttl: must be seconds");
}

TEST_F(RequestJsonTest, StrictFieldsAndLimits) {
  ExpectError(json::array(), "body: must be a JSON object");
  ExpectError({{"tenat", "a"}}, "tenat: unknown field");
  ExpectError({{"tenant", 7}}, "tenant: must be a string");
  ExpectError({{"tenant", nullptr}}, "tenant: must be a string");
  ExpectError({{"pool", std::string(257, 'p')}}, "pool: must be at most 256 bytes");
  ExpectError({{"members", 0}}, "members: must be >= 1");
  ExpectError({{"members", 10001}}, "members: must be <= 10000");
  ExpectError({{"members", "2"}}, "members: must be an integer");
  ExpectError({{"members", 2.0}}, "members: must be an integer");
  ExpectError({{"input_tokens", 1'000'000'001}}, "input_tokens: must be <= 1000000000");
  ExpectError({{"max_output_tokens", -1}}, "max_output_tokens: must be >= 0");
  ExpectError({{"gpu_models", "H100"}}, "gpu_models: must be an array");
  ExpectError({{"gpu_models", {"H100", 3}}}, "gpu_models[1]: must be a string");
  ExpectError({{"labels", {{"job", 17}}}}, "labels.job: must be a string");
  ExpectError({{"labels", {{"", "x"}}}}, "labels: label keys must not be empty");
  ExpectError({{"node_selector", "zone=a"}}, "node_selector: must be an object");
  json many = json::object();
  for (int i = 0; i < 65; ++i) many["k" + std::to_string(i)] = "v";
  ExpectError({{"labels", many}}, "labels: at most 64 labels");
}

// Weeks, and the largest duration allowed.
TEST_F(RequestJsonTest, LongDurationsWithinTenYearsPass) {
  EXPECT_EQ(Read({{"ttl", "11w"}}).ttl, Seconds(11 * 7 * 86400));
  EXPECT_EQ(Read({{"ttl", "3660d"}}).ttl, Seconds(int64_t{3660} * 86400));
  ExpectError({{"ttl", "3661d"}}, "ttl:");
}

TEST_F(RequestJsonTest, CanonicalFormIsShortAndExact) {
  Request request;
  request.member.resources[kGpu] = 1500;
  request.member.resources[kCpu] = 2000;
  request.member.resources[kMemory] = 4096;
  request.estimate = 1'500'000;
  request.ttl = Seconds(60);
  json body = RequestToJson(request, catalog_);
  EXPECT_EQ(body, json::parse(R"({"resources": {"gpu": "1.5", "cpu": 2, "memory": 4096},
                                  "estimate": "1500000us", "ttl": 60})"));
  EXPECT_EQ(RequestToJson(Request{}, catalog_), json::object());
}

TEST_F(RequestJsonTest, RandomRequestsRoundTripExactly) {
  std::mt19937_64 random(7);
  auto pick = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(random);
  };
  for (int i = 0; i < 500; ++i) {
    Request request;
    request.members = pick(1, 10000);
    for (int r = 0; r < catalog_.size(); ++r) {
      if (pick(0, 2) == 0) request.member.resources[r] = pick(0, kMaxQuantity);
    }
    if (pick(0, 1)) request.member.mig_profile = "1g.10gb";
    for (int m = pick(0, 2); m > 0; --m) request.gpu_models.push_back("model-" + std::to_string(m));
    if (pick(0, 1)) request.pool = "p";
    if (pick(0, 1)) request.node_selector = {{"a", "1"}, {"zone", std::to_string(pick(0, 9))}};
    request.estimate = pick(0, 3) == 0 ? 0 : pick(0, Seconds(int64_t{10} * 366 * 86400));
    request.ttl = pick(0, 1) ? Seconds(pick(0, 100000)) : pick(0, 10'000'000);
    if (pick(0, 1)) request.labels = {{"job", "eval-" + std::to_string(i)}};
    if (pick(0, 1)) request.idempotency_key = "key-" + std::to_string(i);
    if (pick(0, 1)) request.owner = "agent-" + std::to_string(i);  // the key that asked
    request.tenant = pick(0, 1) ? "acme/research" : "";
    request.priority_class = pick(0, 1) ? "batch" : "";
    request.model = pick(0, 1) ? "llm" : "";
    request.input_tokens = pick(0, 1'000'000'000);
    request.max_output_tokens = pick(0, 1'000'000'000);
    std::string text = RequestToJson(request, catalog_).dump();
    Result<Request> back = RequestFromJson(json::parse(text), catalog_);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().ToString();
    ASSERT_EQ(*back, request) << text;
  }
}

TEST(UsageReportJsonTest, ReadsWritesAndRefuses) {
  Result<UsageReport> usage = UsageReportFromJson(
      json::parse(R"({"input_tokens": 1000, "cached_input_tokens": 200, "output_tokens": 250})"),
      "usage");
  ASSERT_TRUE(usage.ok()) << usage.status().ToString();
  EXPECT_EQ(usage->tokens, (TokenCounts{1000, 200, 250}));
  EXPECT_EQ(UsageReportToJson(*usage),
            json::parse(R"({"input_tokens":1000,"cached_input_tokens":200,"output_tokens":250})"));
  EXPECT_EQ(UsageReportFromJson(json::object(), "usage")->tokens, TokenCounts{});
  auto error = [](const json& body) {
    Result<UsageReport> read = UsageReportFromJson(body, "usage");
    EXPECT_FALSE(read.ok()) << body.dump();
    return read.ok() ? std::string() : read.status().message();
  };
  EXPECT_EQ(error({{"input_tokens", -1}}), "usage.input_tokens: must be >= 0");
  EXPECT_EQ(error({{"output_tokens", 1.5}}), "usage.output_tokens: must be an integer");
  EXPECT_EQ(error({{"tokens", 1}}), "usage.tokens: unknown field");
  EXPECT_EQ(error("1000"), "usage: must be a JSON object");
  EXPECT_EQ(error({{"input_tokens", 10}, {"cached_input_tokens", 20}})
                .rfind("usage.cached_input_tokens: must be <= input_tokens", 0),
            0u);
}

}  // namespace
}  // namespace allot
