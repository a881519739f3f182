#include "engine/decision.h"

#include <fmt/format.h>

#include <utility>

#include "common/quantity_text.h"

namespace allot {

std::string_view DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kGranted:
      return "granted";
    case DecisionKind::kQueued:
      return "queued";
    case DecisionKind::kRejected:
      return "rejected";
    case DecisionKind::kLeaseEnded:
      return "lease_ended";
    case DecisionKind::kPreempt:
      return "preempt";
    case DecisionKind::kAlert:
      return "alert";
    case DecisionKind::kPreemptWithdrawn:
      return "preempt_withdrawn";
  }
  return "unknown";
}

std::string_view QueueReasonName(QueueReason reason) {
  switch (reason) {
    case QueueReason::kNoCapacity:
      return "no_capacity";
    case QueueReason::kBehindQueue:
      return "behind_queue";
    case QueueReason::kLimit:
      return "limit";
    case QueueReason::kQuota:
      return "quota";
    case QueueReason::kBehindHigherClass:
      return "behind_higher_class";
    case QueueReason::kBudget:
      return "budget";
    case QueueReason::kBudgetThrottled:
      return "budget_throttled";
  }
  return "unknown";
}

std::string_view RejectCodeName(RejectCode code) {
  switch (code) {
    case RejectCode::kInvalidArgument:
      return "InvalidArgument";
    case RejectCode::kInfeasible:
      return "Infeasible";
    case RejectCode::kLimitExceeded:
      return "LimitExceeded";
    case RejectCode::kWouldWait:
      return "WouldWait";
    case RejectCode::kTimedOut:
      return "TimedOut";
    case RejectCode::kBudgetExceeded:
      return "BudgetExceeded";
    case RejectCode::kIdempotencyConflict:
      return "IdempotencyConflict";
  }
  return "unknown";
}

std::string_view RejectCodeApiName(RejectCode code) {
  switch (code) {
    case RejectCode::kInvalidArgument:
      return "invalid_argument";
    case RejectCode::kInfeasible:
      return "infeasible";
    case RejectCode::kLimitExceeded:
      return "limit_exceeded";
    case RejectCode::kWouldWait:
      return "would_wait";
    case RejectCode::kTimedOut:
      return "timed_out";
    case RejectCode::kBudgetExceeded:
      return "budget_exceeded";
    case RejectCode::kIdempotencyConflict:
      return "idempotency_conflict";
  }
  return "rejected";
}

std::string_view EndReasonName(EndReason reason) {
  switch (reason) {
    case EndReason::kReleased:
      return "released";
    case EndReason::kCancelled:
      return "cancelled";
    case EndReason::kExpired:
      return "expired";
    case EndReason::kNodeDown:
      return "node_down";
    case EndReason::kPreempted:
      return "preempted";
    case EndReason::kBudgetExhausted:
      return "budget_exhausted";
  }
  return "unknown";
}

Decision Decision::Granted(RequestId request, LeaseId lease, Placement placement, Time at) {
  Decision decision;
  decision.kind = DecisionKind::kGranted;
  decision.request = request;
  decision.lease = lease;
  decision.placement = std::move(placement);
  decision.at = at;
  return decision;
}

Decision Decision::Queued(RequestId request, QueueReason reason, int64_t position, Time at) {
  Decision decision;
  decision.kind = DecisionKind::kQueued;
  decision.request = request;
  decision.queue_reason = reason;
  decision.position = position;
  decision.at = at;
  return decision;
}

Decision Decision::Rejected(RequestId request, RejectCode code, std::string message, Time at) {
  Decision decision;
  decision.kind = DecisionKind::kRejected;
  decision.request = request;
  decision.reject_code = code;
  decision.message = std::move(message);
  decision.at = at;
  return decision;
}

Decision Decision::LeaseEnded(RequestId request, LeaseId lease, EndReason reason,
                              std::string message, Time at) {
  Decision decision;
  decision.kind = DecisionKind::kLeaseEnded;
  decision.request = request;
  decision.lease = lease;
  decision.end_reason = reason;
  decision.message = std::move(message);
  decision.at = at;
  return decision;
}

Decision Decision::Preempt(RequestId request, LeaseId lease, RequestId for_request, Duration grace,
                           std::string message, Time at) {
  Decision decision;
  decision.kind = DecisionKind::kPreempt;
  decision.request = request;
  decision.lease = lease;
  decision.for_request = for_request;
  decision.grace = grace;
  decision.message = std::move(message);
  decision.at = at;
  return decision;
}

Decision Decision::PreemptWithdrawn(RequestId request, LeaseId lease, RequestId for_request,
                                    std::string message, Time at) {
  // The preemption it takes back, without a grace period.
  Decision decision = Preempt(request, lease, for_request, 0, std::move(message), at);
  decision.kind = DecisionKind::kPreemptWithdrawn;
  return decision;
}

Decision Decision::Alert(BudgetAlert alert, Time at) {
  Decision decision;
  decision.kind = DecisionKind::kAlert;
  decision.alert = std::make_shared<const BudgetAlert>(std::move(alert));
  decision.at = at;
  return decision;
}

std::string DescribeDecision(const Decision& decision, const Inventory& inventory) {
  switch (decision.kind) {
    case DecisionKind::kGranted: {
      std::string where;
      for (const Assignment& a : decision.placement) {
        if (!where.empty()) where += ", ";
        where += fmt::format("m{}@{}", a.member, inventory.nodes[a.node].name);
        if (a.device < 0) continue;
        where += fmt::format("/gpu{}", a.device);
        if (a.mig_profile >= 0) {
          const MigGpuTable* table = inventory.NodeMigTable(a.node);
          where += fmt::format(
              " mig {}@{}", table->profiles[static_cast<size_t>(a.mig_profile)].name, a.mig_start);
        } else if (a.gpu_milli < 1000) {
          // A share of a GPU in user units ("0.25 GPU 6 GiB"), as the CLI shows it.
          where += fmt::format(" {} {}", QuantityText(kGpu, "gpu", a.gpu_milli),
                               QuantityText(kGpuMemory, "gpu_memory", a.gpu_memory_mib));
        }
      }
      return fmt::format("granted  request {} lease {}{} -> {}", decision.request.value,
                         decision.lease.value, decision.replayed ? " (replayed)" : "", where);
    }
    case DecisionKind::kQueued:
      return fmt::format("queued   request {}{} at position {} ({}{}{})", decision.request.value,
                         decision.replayed ? " (replayed)" : "", decision.position,
                         QueueReasonName(decision.queue_reason),
                         decision.message.empty() ? "" : ": ", decision.message);
    case DecisionKind::kRejected:
      return fmt::format("rejected request {} {}: {}", decision.request.value,
                         RejectCodeName(decision.reject_code), decision.message);
    case DecisionKind::kPreempt:
      return fmt::format("preempt  lease {} of request {} for request {} within {} s ({})",
                         decision.lease.value, decision.request.value, decision.for_request.value,
                         decision.grace / kMicrosPerSecond, decision.message);
    case DecisionKind::kPreemptWithdrawn:
      return fmt::format("withdrawn preempt of lease {} of request {} for request {} ({})",
                         decision.lease.value, decision.request.value, decision.for_request.value,
                         decision.message);
    case DecisionKind::kAlert:
      return fmt::format("alert    {} budget {}: {}", AlertKindName(decision.alert->kind),
                         decision.alert->budget, decision.alert->message);
    case DecisionKind::kLeaseEnded:
      return fmt::format("ended    lease {} of request {} ({}{}{})", decision.lease.value,
                         decision.request.value, EndReasonName(decision.end_reason),
                         decision.message.empty() ? "" : ": ", decision.message);
  }
  return "unknown decision";
}

}  // namespace allot
