#pragma once

#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "budget/budget_ledger.h"
#include "budget/price_catalog.h"
#include "common/result.h"
#include "engine/decision.h"
#include "engine/lease.h"
#include "engine/snapshot.h"
#include "engine/workload_model.h"
#include "metering/usage_record.h"
#include "model/inventory.h"
#include "policy/cluster_state.h"
#include "policy/placement_policy.h"
#include "tenancy/fair_queue.h"
#include "tenancy/quota_ledger.h"
#include "tenancy/tenants.h"

namespace allot {

struct EngineOptions {
  PlacementOptions placement;
  // The tenant tree and priority classes; empty: one tenant and one class,
  // both named "default".
  std::vector<TenantSpec> tenants;
  std::vector<PriorityClass> classes;
  // How waiting requests are ordered (tenancy/tenants.h).
  QueueOrdering ordering = QueueOrdering::kFairShare;
  // Prices and budgets; none: leases are metered but cost nothing.
  BudgetOptions budgets;
};

// A stable 64-bit fingerprint of what a request asks for: every field but
// its idempotency key and owner, in a fixed order (FNV-1a over a length-
// prefixed encoding), so it is the same on every build and after a restart.
// Two submissions with one idempotency key and different fingerprints are a
// conflict (RejectCode::kIdempotencyConflict).
uint64_t RequestFingerprint(const Request& request);

// The allocator's deterministic core: a single-threaded state machine over an
// inventory. Commands carry the time (`now`, microseconds); the engine never
// reads a clock, does no I/O and draws no randomness, so the same commands give
// the same decisions (the simulator and crash recovery rely on it).
//
// Each command returns its own answer. Decisions it causes for *other*
// requests or leases (queued requests granted after a release, leases ended
// by expiry or a node going down) are appended to an outbox that the caller
// drains with TakeDecisions().
//
// Admission: a request belongs to a leaf tenant and a priority class. It is
// granted when its tenants' quotas allow it (tenancy/quota_ledger.h) and a
// placement exists. Waiting requests are ordered by class, then hierarchical
// fair share, then FIFO (tenancy/fair_queue.h); a request that cannot be
// placed blocks its pools for the requests after it, so nothing is overtaken
// on capacity it waits for, while requests for disjoint pools, or waiting only
// on their own tenant's quota, do not block others.
//
// Time only moves forward: a command with an earlier `now` than the last one
// is applied at the last one. Not thread-safe; the server owns it on one strand.
class Engine {
 public:
  static constexpr Time kNever = std::numeric_limits<Time>::max();

  static Result<std::unique_ptr<Engine>> Create(Inventory inventory, EngineOptions options);
  // Rebuilds an engine from a snapshot; DataLoss when the snapshot does not
  // fit the inventory (unknown node, oversubscribed device, ...).
  static Result<std::unique_ptr<Engine>> Restore(Inventory inventory, EngineOptions options,
                                                 const EngineSnapshot& snapshot);

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Grants, queues or rejects. Rejections leave the state unchanged.
  Decision Submit(const Request& request, Time now);
  // Ends a lease and frees its capacity, settling its cost. `usage` reports
  // the tokens a model call used (InvalidArgument, changing nothing, when
  // negative or impossible). NotFound for an unknown lease.
  Status Release(LeaseId lease, Time now, const UsageReport* usage = nullptr);
  // Extends a lease's TTL to now + ttl, and its budget reservation when the
  // TTL reaches past it. NotFound for an unknown lease; ResourceExhausted
  // when no budget was left and its class preempts it (the lease has ended).
  Status Renew(LeaseId lease, Time now);
  // Withdraws a queued request, or ends a granted one as cancelled.
  Status Cancel(RequestId request, Time now);
  // Expires leases whose TTL has passed and places what then fits.
  void Tick(Time now);
  // up / draining (no new work, leases stay) / down (leases on it end).
  Status SetNodeState(std::string_view node, NodeState state, Time now);

  // The earliest time at which Tick has work: a TTL, a preemption grace, a
  // max_wait or an aging deadline, a budget period or signal, a reservation
  // running out; kNever when none. A driver with a virtual clock (allot sim)
  // ticks exactly then instead of polling.
  Time NextWakeup() const;

  std::vector<Decision> TakeDecisions();
  // Usage records of the leases ended since the last call, in end order.
  std::vector<UsageRecord> TakeUsage();
  void DiscardUsage() { usage_.clear(); }
  // Provisional records of the running leases, as if they ended now
  // (end_reason "running"), in lease id order.
  std::vector<UsageRecord> OpenUsage() const;
  // Clears the outbox without moving it out (benchmarks).
  void DiscardDecisions() { outbox_.clear(); }

  EngineSnapshot Snapshot() const;

  const Inventory& inventory() const { return inventory_; }
  const ClusterState& cluster() const { return *cluster_; }
  const Lease* FindLease(LeaseId lease) const;
  // Every running lease, in id order (O(n log n): listings, not hot paths).
  std::vector<const Lease*> Leases() const;
  // A waiting request, for the API's views (the request is owned by the engine
  // and valid until the next command).
  struct QueuedView {
    RequestId id;
    const Request* request = nullptr;
    int tenant = 0;  // leaf tenant index
    int priority_class = 0;
    Time enqueued_at = 0;
    QueueReason reason = QueueReason::kNoCapacity;
  };
  std::optional<QueuedView> FindQueued(RequestId id) const;
  // Every waiting request, in id (submission) order.
  std::vector<QueuedView> QueuedRequests() const;
  // 0-based place of a waiting request in the queue's order; -1 when not waiting.
  int64_t QueuePosition(RequestId id) const;
  // When a waiting request would start if running leases ended at their
  // estimates (the backfill shadow time); kNever when unknown. Probes
  // placement and puts everything back: no state changes.
  Time EstimatedStart(RequestId id);
  size_t lease_count() const { return leases_.size(); }
  size_t queue_length() const { return queue_.size(); }
  // Requests waiting / leases running of class `priority_class` in the subtree
  // of `tenant` (0, the root: the whole cluster). O(1).
  int64_t queued(int tenant, int priority_class) const {
    return queued_[static_cast<size_t>(tenant) * tenancy_->class_count() +
                   static_cast<size_t>(priority_class)];
  }
  int64_t running(int tenant, int priority_class) const {
    return running_[static_cast<size_t>(tenant) * tenancy_->class_count() +
                    static_cast<size_t>(priority_class)];
  }
  Time now() const { return now_; }
  PlacementKind placement_kind() const { return policy_->kind(); }
  const Tenancy& tenancy() const { return *tenancy_; }
  const QuotaLedger& quota() const { return *ledger_; }
  const PriceCatalog& prices() const { return prices_; }
  // nullptr when no budget is configured.
  const BudgetLedger* budgets() const { return budgets_.get(); }

 private:
  // A validated request, resolved against the inventory and tenancy.
  struct Resolved {
    MemberDemand demand;
    int tenant = 0;
    int priority_class = 0;
    ResourceVector charge;  // counted against the tenant path's quotas
    int model = -1;         // priced model of a model call
    // The cost rate of the placement CheckBudget last judged (-1: none), so
    // the grant that follows need not compute it again.
    int64_t placed_rate = -1;
  };
  struct Pending {
    Request request;
    Resolved resolved;
    Time enqueued_at = 0;
    QueueReason reason = QueueReason::kNoCapacity;  // as first decided
    bool aged = false;  // waited past its class's aging: ahead of newer requests
  };

  Engine(Inventory inventory, EngineOptions options, Tenancy tenancy, PriceCatalog prices,
         std::unique_ptr<BudgetLedger> budgets);

  // Moves the clock forward and ages the requests whose class's aging has
  // passed (so every command sees the same aged set, a restore too). When a
  // budget period rolled over or a lease was stopped for want of budget, it
  // serves the queue at once: no pending work outlives the command.
  void Advance(Time now);
  // Budget periods and signals up to now_; true when a period rolled over.
  bool AdvanceBudgets();
  // True when the clock reaching `at` has budget work: a period boundary, a
  // signal window or a reservation running out.
  bool BudgetWorkDue(Time at) const;
  // Validates and resolves a request; InvalidArgument naming the field.
  Result<Resolved> Resolve(const Request& request) const;
  // Quota and running caps for a resolved request: ok, or why it must wait.
  // With pool quotas, pools where the tenant path's pool quota would not
  // admit the request are taken out of `restricted`'s allowed pools (a copy
  // of the demand, used for placement when *use_restricted is set).
  QuotaLedger::Verdict Admissible(const Resolved& resolved, MemberDemand* restricted = nullptr,
                                  bool* use_restricted = nullptr) const;
  // Counts a lease's charge in the pools its members run in (pool quotas).
  void ApplyPoolCharges(const Lease& lease, int sign);
  void CountTenant(const Resolved& resolved, std::vector<int64_t>& counts, int64_t delta);
  Pending& Enqueue(RequestId id, const Request& request, Resolved resolved, QueueReason reason,
                   Time enqueued_at);
  // Removes a waiting request from the counts, the deadlines and (when
  // `in_fair`) the fair order; Dequeue also erases it and its idempotency key.
  void Unindex(RequestId id, const Pending& pending, bool in_fair);
  void Dequeue(std::unordered_map<RequestId, Pending>::iterator it);
  // Takes a waiting request out of the queue and rejects it (outbox).
  void RejectWaiting(std::unordered_map<RequestId, Pending>::iterator it, RejectCode code,
                     std::string message);

  // Preemption (engine_preemption.cc). Makes room for a waiting request that
  // its quota admits but that does not fit, by preempting leases of lower
  // classes (when its class may preempt) or leases running on capacity that
  // another subtree borrowed beyond its guarantee (when the request keeps its
  // own tenant path within guarantee). Returns true when capacity was freed
  // at once (victims with no grace), so placement can be tried again.
  bool TryPreempt(RequestId id, const Pending& pending);
  bool MayPreempt(const Resolved& resolved) const;
  bool WithinGuarantee(const Resolved& resolved) const;
  // True when `lease` belongs to a subtree D (where its path leaves the
  // preemptor's) that borrows a resource the preemptor asks for and is
  // guaranteed, and that stays at or above its guarantee in every resource
  // once the lease and the victims already chosen (`taken[t]`: their charge
  // in the subtree of t) are taken (formula: engine_preemption.cc).
  // `on_path[t]` is 1 for the preemptor's tenant and its ancestors.
  bool Reclaimable(const Lease& lease, const Resolved& preemptor,
                   const std::vector<uint8_t>& on_path,
                   const std::vector<ResourceVector>& taken) const;
  // The victims in their grace period for request `id` keep running: it was
  // granted, withdrawn or rejected, so they are no longer needed
  // (PreemptWithdrawn decisions).
  void WithdrawPreemptions(RequestId id);
  void SetAside(const Lease& lease, int sign);  // tentatively frees (-1) or retakes (+1)
  void EndPreemptions();                        // graceful preemptions past their deadline

  // Backfill (engine_backfill.cc): the earliest time at which `pending` would
  // fit if running leases ended at their estimates (granted_at + estimate),
  // or kNever when leases without estimates stand in its way.
  Time ShadowTime(const Pending& pending);
  // Empty when some inventory could host the gang; otherwise why not.
  std::string Infeasibility(const Request& request, const MemberDemand& demand) const;
  // Infeasibility() memoised by shape and constraints: it depends only on the
  // static inventory, and a scan of every node per queued request is the
  // queue's most expensive step otherwise.
  const std::string& CachedInfeasibility(const Request& request, const MemberDemand& demand);
  // Places every member or none; on success the cluster state holds it.
  bool TryPlace(const MemberDemand& demand, int64_t members, Placement* placement);
  // A GPU-less member whose allowed pools all spread (Pool::spread): the
  // allowed node with the most free slots. False leaves it to the policy.
  bool PlaceSpread(const MemberDemand& demand, Placement* placement);
  // Returns to the cluster what `placement` took for members of `host`.
  void GiveBack(const ResourceVector& host, const Placement& placement);
  Lease& AddLease(RequestId id, const Request& request, const Resolved& resolved,
                  Placement placement);
  void EndLease(LeaseId id, EndReason reason, std::string message, bool announce,
                const UsageReport* usage = nullptr);

  // Budgets and metering (engine_budget.cc).
  // The budget check of a resolved request: with `placement`, exact; without,
  // at the cheapest rate its pools allow (never refuses what would fit).
  BudgetLedger::Verdict CheckBudget(Resolved& resolved, const Request& request,
                                    const Placement* placement) const;
  // What a lease holds against budgets when reserved up to `until`, or used
  // up to `until` with `tokens` reported.
  BudgetAmount AmountOf(const Lease& lease, Time until, const TokenCounts* tokens) const;
  int64_t CostRate(const ResourceVector& charge, int64_t members, const Placement& placement) const;
  // At grant: rate, and the first reservation (budgets on its path).
  void StartMetering(Lease& lease, const Request& request, const Resolved& resolved);
  // Extends a lease's reservation to cover `target`; false when the lease
  // was ended for want of budget.
  bool ExtendReservation(LeaseId id, Time target);
  void PushReservationEnd(Time at, LeaseId id);
  bool LiveReservationEnd(const std::pair<Time, LeaseId>& entry) const;
  void DropReservationEnd();  // a live entry went stale
  // Pops stale entries off the front, so that the front is live after every
  // command: NextWakeup and BudgetWorkDue read it, and an engine restored
  // from a snapshot (which rebuilds only live entries) must read the same.
  void PruneReservationEnds();
  // Settles the lease's cost and appends its usage record.
  void FinishMetering(Lease& lease, EndReason reason, const UsageReport* usage);
  // The record of a lease as of `end`, labels left to the caller.
  UsageRecord MakeRecord(const Lease& lease, Time end, std::string_view end_reason,
                         const TokenCounts& tokens, bool estimated) const;
  Status ValidateUsage(const Lease& lease, const UsageReport& usage) const;
  // A refused budget: the hard-limit alert (once per period).
  void NoteBudgetRefusal(const BudgetLedger::Verdict& verdict);
  void EmitAlerts();
  // Grants queued requests in order, skipping those that share a pool with
  // an earlier request that still does not fit.
  void DrainQueue();
  // True when a request allowed on `demand`'s pools must wait behind others.
  bool Contested(const Resolved& resolved) const;
  void CountWaiting(const Resolved& resolved, int64_t delta);
  // The answer to a retried Submit: the same decision again, or a conflict
  // when the key was used for a request with another fingerprint.
  Decision Replay(RequestId id, const Request& retry) const;

  Inventory inventory_;
  EngineOptions options_;
  std::unique_ptr<ClusterState> cluster_;
  std::unique_ptr<PlacementPolicy> policy_;
  std::unordered_map<std::string, NodeIndex> node_by_name_;
  // Per pool, bit (1 << DeviceMode) set when some node has a device in that mode.
  std::vector<uint8_t> pool_device_modes_;

  Time now_ = 0;
  uint64_t next_request_id_ = 1;
  std::unordered_map<LeaseId, Lease> leases_;
  std::unordered_map<RequestId, Pending> queue_;  // waiting requests; order is fair_'s
  std::vector<int64_t> waiting_in_pool_;          // per class x pool: waiting requests
  std::vector<int64_t> any_waiting_in_pool_;      // per pool, all classes
  size_t contested_pools_ = 0;                    // pools with waiting requests
  std::vector<uint8_t> blocked_scratch_;          // during a drain: the pools it blocked
  std::vector<Time> reservation_scratch_;
  std::unordered_map<std::string, std::string> infeasibility_cache_;
  std::unique_ptr<Tenancy> tenancy_;
  std::unique_ptr<QuotaLedger> ledger_;
  std::unique_ptr<FairQueue> fair_;
  // Per tenant node x class (index tenant * classes + class), whole subtree.
  std::vector<int64_t> running_;
  std::vector<int64_t> queued_;
  std::set<std::pair<Time, RequestId>> wait_deadlines_;   // classes with max_wait
  std::set<std::pair<Time, RequestId>> aging_deadlines_;  // classes with aging, not yet aged
  std::set<std::pair<Time, LeaseId>> preemptions_;        // leases in their grace period
  std::set<std::pair<Time, LeaseId>> estimated_ends_;     // granted_at + estimate, when known
  int64_t waiting_with_estimate_ = 0;                     // waiting requests that could backfill
  std::unordered_map<RequestId, int> preempting_for_;     // victims in grace per request
  std::set<std::pair<Time, LeaseId>> expiries_;
  std::vector<std::vector<LeaseId>> node_leases_;
  std::vector<NodeIndex> spread_nodes_;  // nodes of pools that spread
  // Idempotency keys of waiting requests and running leases, per leaf tenant:
  // (tenant index, key) -> request. Another tenant's key is another key.
  std::map<std::pair<int32_t, std::string>, RequestId> idempotency_;
  WorkloadModel workload_;
  PriceCatalog prices_;
  std::unique_ptr<BudgetLedger> budgets_;
  std::vector<std::array<int64_t, kMaxResources>> pool_min_rates_;  // per pool: cheapest node
  // When budget reservations run out: a min-heap (std::greater) with lazy
  // removal, cheaper than a tree on the grant/release path. An entry is live
  // while its lease exists, is not overrun and reserves until that time;
  // stale ones are skipped when popped, and purged when they outnumber the
  // live ones.
  std::vector<std::pair<Time, LeaseId>> reservation_ends_;
  size_t live_reservation_ends_ = 0;
  std::vector<BudgetAlert> alerts_;
  std::vector<UsageRecord> usage_;
  std::vector<Decision> outbox_;
  Placement scratch_;
};

}  // namespace allot
