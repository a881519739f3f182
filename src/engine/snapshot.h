#pragma once

#include <string>
#include <vector>

#include "budget/budget_ledger.h"
#include "common/ids.h"
#include "common/time.h"
#include "engine/decision.h"
#include "engine/lease.h"
#include "engine/workload_model.h"
#include "model/inventory.h"
#include "model/request.h"

namespace allot {

// Everything an engine needs, beside its inventory and options, to continue
// exactly where another left off: the same later commands give the same
// decisions. Leases and queued requests are listed in id order.
struct EngineSnapshot {
  struct NodeStateEntry {
    std::string node;
    NodeState state = NodeState::kUp;
    friend bool operator==(const NodeStateEntry&, const NodeStateEntry&) = default;
  };
  struct QueuedEntry {
    RequestId id;
    Time enqueued_at = 0;
    QueueReason reason = QueueReason::kNoCapacity;
    Request request;
    friend bool operator==(const QueuedEntry&, const QueuedEntry&) = default;
  };

  Time now = 0;
  uint64_t next_request_id = 1;
  std::vector<NodeStateEntry> node_states;  // nodes whose state differs from the inventory's
  std::vector<Lease> leases;
  std::vector<QueuedEntry> queue;
  std::vector<WorkloadModel::Entry> workload;  // arrival counts, in first-arrival order
  std::vector<BudgetLedger::Entry> budgets;    // empty when no budget has started

  friend bool operator==(const EngineSnapshot&, const EngineSnapshot&) = default;
};

}  // namespace allot
