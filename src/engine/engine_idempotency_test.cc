// Idempotency keys: scoped by leaf tenant, and a retry must repeat the
// request (RequestFingerprint) or it is a conflict.
#include <gtest/gtest.h>

#include "engine/engine.h"
#include "testing/test_inventory.h"

namespace allot {
namespace {

using testing::GpuRequest;

constexpr Time kNow = Seconds(1000);

class IdempotencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    inventory_ = testing::GpuCluster(1, 2);
    options_.tenants = {testing::Tenant("alpha"), testing::Tenant("beta")};
    engine_ = Engine::Create(inventory_, options_).value();
  }
  static Request Ask(const std::string& tenant, const std::string& key, int64_t gpu_milli = 1000,
                     const std::string& job = "j") {
    Request request = GpuRequest(gpu_milli);
    request.tenant = tenant;
    request.idempotency_key = key;
    request.labels = {{"job", job}};
    return request;
  }
  Inventory inventory_;
  EngineOptions options_;
  std::unique_ptr<Engine> engine_;
};

// Regression: beta's submission with a key alpha used got alpha's lease back
// and was dropped.
TEST_F(IdempotencyTest, AnotherTenantsKeyIsAnotherKey) {
  Decision alpha = engine_->Submit(Ask("alpha", "k", 1000, "a"), kNow);
  ASSERT_EQ(alpha.kind, DecisionKind::kGranted);
  Decision beta = engine_->Submit(Ask("beta", "k", 1000, "b"), kNow + 1);
  ASSERT_EQ(beta.kind, DecisionKind::kGranted);
  EXPECT_FALSE(beta.replayed);
  EXPECT_NE(beta.lease, alpha.lease);
  const Lease* lease = engine_->FindLease(beta.lease);
  ASSERT_NE(lease, nullptr);
  EXPECT_EQ(lease->tenant, engine_->tenancy().FindTenant("beta"));
  EXPECT_EQ(lease->labels, (Labels{{"job", "b"}}));
  // Each tenant's retry answers its own lease.
  EXPECT_EQ(engine_->Submit(Ask("alpha", "k", 1000, "a"), kNow + 2).lease, alpha.lease);
  EXPECT_EQ(engine_->Submit(Ask("beta", "k", 1000, "b"), kNow + 2).lease, beta.lease);
  EXPECT_EQ(engine_->lease_count(), 2u);
}

// Regression: a retry with another body was answered as a replay.
TEST_F(IdempotencyTest, SameKeyDifferentRequestIsAConflict) {
  Decision original = engine_->Submit(Ask("alpha", "k"), kNow);
  ASSERT_EQ(original.kind, DecisionKind::kGranted);
  uint64_t next = engine_->Snapshot().next_request_id;
  Decision conflict = engine_->Submit(Ask("alpha", "k", 500), kNow + 1);
  EXPECT_EQ(conflict.kind, DecisionKind::kRejected);
  EXPECT_EQ(conflict.reject_code, RejectCode::kIdempotencyConflict);
  EXPECT_FALSE(conflict.replayed);
  EXPECT_NE(conflict.message.find("different request"), std::string::npos) << conflict.message;
  EXPECT_EQ(engine_->lease_count(), 1u);  // nothing changed
  EXPECT_EQ(engine_->Snapshot().next_request_id, next);
  // The key is not the request's content: another key or another owner is
  // no conflict, and the same request is still a replay.
  Request owned = Ask("alpha", "k");
  owned.owner = "someone";
  EXPECT_TRUE(engine_->Submit(owned, kNow + 2).replayed);
  EXPECT_FALSE(engine_->Submit(Ask("alpha", "k2", 500), kNow + 3).replayed);
}

TEST_F(IdempotencyTest, AWaitingRequestsKeyConflictsToo) {
  ASSERT_EQ(engine_->Submit(Ask("alpha", "full", 2000), kNow).kind, DecisionKind::kGranted);
  Decision queued = engine_->Submit(Ask("alpha", "k"), kNow + 1);
  ASSERT_EQ(queued.kind, DecisionKind::kQueued);
  Decision replay = engine_->Submit(Ask("alpha", "k"), kNow + 2);
  EXPECT_EQ(replay.kind, DecisionKind::kQueued);
  EXPECT_TRUE(replay.replayed);
  EXPECT_EQ(replay.request, queued.request);
  Decision conflict = engine_->Submit(Ask("alpha", "k", 1000, "other"), kNow + 3);
  EXPECT_EQ(conflict.reject_code, RejectCode::kIdempotencyConflict);
  EXPECT_EQ(engine_->queue_length(), 1u);
}

// Keys, their tenants and fingerprints survive a snapshot: a restored engine
// answers retries exactly as the original does.
TEST_F(IdempotencyTest, SnapshotKeepsScopesAndFingerprints) {
  Decision granted = engine_->Submit(Ask("alpha", "k"), kNow);
  ASSERT_EQ(granted.kind, DecisionKind::kGranted);
  ASSERT_EQ(engine_->Submit(Ask("beta", "full"), kNow).kind, DecisionKind::kGranted);
  Decision queued = engine_->Submit(Ask("beta", "k"), kNow + 1);
  ASSERT_EQ(queued.kind, DecisionKind::kQueued);
  std::unique_ptr<Engine> restored =
      Engine::Restore(inventory_, options_, engine_->Snapshot()).value();
  for (Engine* engine : {engine_.get(), restored.get()}) {
    Decision alpha = engine->Submit(Ask("alpha", "k"), kNow + 2);
    EXPECT_TRUE(alpha.replayed);
    EXPECT_EQ(alpha.lease, granted.lease);
    Decision beta = engine->Submit(Ask("beta", "k"), kNow + 2);
    EXPECT_TRUE(beta.replayed);
    EXPECT_EQ(beta.request, queued.request);
    EXPECT_EQ(engine->Submit(Ask("alpha", "k", 500), kNow + 3).reject_code,
              RejectCode::kIdempotencyConflict);
    EXPECT_EQ(engine->Submit(Ask("beta", "k", 500), kNow + 3).reject_code,
              RejectCode::kIdempotencyConflict);
  }
}

TEST(RequestFingerprintTest, CoversTheContentButNotTheKeyOrOwner) {
  Request base = GpuRequest(1000);
  base.tenant = "alpha";
  uint64_t fingerprint = RequestFingerprint(base);
  EXPECT_NE(fingerprint, 0u);
  Request keyed = base;
  keyed.idempotency_key = "k";
  keyed.owner = "agent-1";
  EXPECT_EQ(RequestFingerprint(keyed), fingerprint);
  std::vector<Request> others(8, base);
  others[0].member.resources[kCpu] += 1;
  others[1].members = 2;
  others[2].pool = "gpu";
  others[3].labels = {{"job", "x"}};
  others[4].ttl = Seconds(1);
  others[5].priority_class = "batch";
  others[6].gpu_models = {"H100"};
  others[7].tenant = "beta";
  for (const Request& other : others) EXPECT_NE(RequestFingerprint(other), fingerprint);
  // Length-prefixed: moving a character between adjacent strings changes it.
  Request a = base, b = base;
  a.labels = {{"ab", "c"}};
  b.labels = {{"a", "bc"}};
  EXPECT_NE(RequestFingerprint(a), RequestFingerprint(b));
}

}  // namespace
}  // namespace allot
