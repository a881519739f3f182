#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "budget/budget.h"
#include "common/ids.h"
#include "common/time.h"
#include "model/request.h"

namespace allot {

enum class DecisionKind : uint8_t {
  kGranted,
  kQueued,
  kRejected,
  kLeaseEnded,
  kPreempt,
  kAlert,
  // A kPreempt taken back: the request it made room for was granted
  // elsewhere, cancelled, timed out or rejected while the lease was in its
  // grace, so the lease keeps running.
  kPreemptWithdrawn,
};

// Why a request waits. Later layers add quota, limit, class and budget reasons.
enum class QueueReason : uint8_t {
  kNoCapacity,         // feasible, but the capacity it needs is taken now
  kBehindQueue,        // requests ahead of it in its class wait for the same pools
  kLimit,              // its tenant (or an ancestor) is at a limit or a running cap
  kQuota,              // it would borrow capacity others are guaranteed, or may not borrow
  kBehindHigherClass,  // requests of a higher class wait for the same pools
  kBudget,             // it would cross a budget's hard limit: waits for the next period
  kBudgetThrottled,    // a budget on its path is past its class's throttle threshold
};

enum class RejectCode : uint8_t {
  kInvalidArgument,  // malformed request: a field is missing, negative, unknown...
  kInfeasible,       // well-formed, but no node of the inventory could ever host it
  kLimitExceeded,    // its tenant already has max_queued requests of the class waiting
  kWouldWait,        // its class rejects instead of queueing, and it cannot start now
  kTimedOut,         // it waited longer than its class's max_wait (from the outbox)
  kBudgetExceeded,   // it would cross a budget's hard limit, and its class does not wait
  // its idempotency key names another request of its tenant with different
  // content (RequestFingerprint); nothing is replayed
  kIdempotencyConflict,
};

enum class EndReason : uint8_t {
  kReleased,         // the holder released it
  kCancelled,        // cancelled by the holder or an operator
  kExpired,          // not renewed within its TTL
  kNodeDown,         // a node it ran on went down
  kPreempted,        // preempted for a higher class, or its borrowed capacity reclaimed
  kBudgetExhausted,  // ran past its reservation and no budget was left to extend it
};

std::string_view DecisionKindName(DecisionKind kind);
std::string_view QueueReasonName(QueueReason reason);
std::string_view RejectCodeName(RejectCode code);
// The API's and metrics' snake_case name: "budget_exceeded".
std::string_view RejectCodeApiName(RejectCode code);
std::string_view EndReasonName(EndReason reason);

// An engine decision about one request or lease. Fields not meaningful for
// the kind keep their defaults. Value type.
struct Decision {
  DecisionKind kind = DecisionKind::kRejected;
  RequestId request;
  Time at = 0;

  // kGranted and kLeaseEnded
  LeaseId lease;
  Placement placement;  // kGranted only
  // kQueued
  QueueReason queue_reason = QueueReason::kNoCapacity;
  int64_t position = 0;  // 0-based place in the queue when decided
  // kRejected
  RejectCode reject_code = RejectCode::kInvalidArgument;
  // kRejected, kQueued, kLeaseEnded: a sentence for humans naming the field or cause
  std::string message;
  // kLeaseEnded
  EndReason end_reason = EndReason::kReleased;
  // True when this answers a retried Submit (same idempotency key).
  bool replayed = false;
  // The request's priority class (index in the engine's Tenancy), so that
  // observers (metrics) can attribute a decision after the engine has
  // forgotten the request; -1 for alerts and requests rejected before their
  // class was resolved (invalid ones).
  int32_t priority_class = -1;
  // kPreempt: the lease (and its request) must stop within `grace`; it ends
  // (LeaseEnded, kPreempted) when the grace has passed, on Tick. `for_request`
  // is the waiting request it makes room for (kPreemptWithdrawn: made room for).
  Duration grace = 0;
  RequestId for_request;
  // kAlert: a budget alert (shared: decisions are copied around cheaply).
  std::shared_ptr<const BudgetAlert> alert;

  static Decision Granted(RequestId request, LeaseId lease, Placement placement, Time at);
  static Decision Queued(RequestId request, QueueReason reason, int64_t position, Time at);
  static Decision Rejected(RequestId request, RejectCode code, std::string message, Time at);
  static Decision LeaseEnded(RequestId request, LeaseId lease, EndReason reason,
                             std::string message, Time at);
  static Decision Alert(BudgetAlert alert, Time at);
  static Decision Preempt(RequestId request, LeaseId lease, RequestId for_request, Duration grace,
                          std::string message, Time at);
  static Decision PreemptWithdrawn(RequestId request, LeaseId lease, RequestId for_request,
                                   std::string message, Time at);
};

// One line for logs and the demo: "granted request 3 lease 2 on node-1[gpu0 500m]".
std::string DescribeDecision(const Decision& decision, const Inventory& inventory);

}  // namespace allot
