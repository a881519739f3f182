#pragma once

#include <string>

#include "common/ids.h"
#include "common/resources.h"
#include "common/time.h"
#include "model/inventory.h"
#include "model/request.h"

namespace allot {

// A granted request. A lease's id equals its request's id (one request is
// granted at most once), so either names it. Kept small: the engine holds
// 100,000s of these (see docs/benchmarks.md for bytes per lease).
struct Lease {
  LeaseId id;
  Time granted_at = 0;
  Time expires_at = 0;  // 0: no TTL
  Duration ttl = 0;
  Duration estimate = 0;
  ResourceVector member_host;  // host resources of each member (cpu, memory, ...)
  int64_t members = 1;
  Placement placement;  // ordered by member
  Labels labels;
  std::string idempotency_key;
  // RequestFingerprint of the request it was granted for (0: unknown, from an
  // older snapshot: any retry with its key is taken for the same request).
  uint64_t fingerprint = 0;
  // The name of the API key that asked for it ("" when none: an open server,
  // the simulator); agent keys may end only their own leases.
  std::string owner;
  int32_t tenant = 0;          // leaf tenant index in the engine's Tenancy
  int32_t priority_class = 0;  // class index
  ResourceVector charge;       // what the lease counts against its tenants' quotas
  // Being preempted: ends at preempt_at (0: not being preempted), making room
  // for preempted_for.
  Time preempt_at = 0;
  RequestId preempted_for;
  // Metering and budgets: the cost rate of what it holds (price_catalog.h
  // rate units), the model it calls (-1: none) with its token estimates, and
  // how far its budget reservation reaches (0: no budget on its path). An
  // overrun lease ran past its reservation with no budget left.
  int64_t cost_rate = 0;
  int32_t model = -1;
  bool overrun = false;
  int64_t input_tokens = 0;
  int64_t max_output_tokens = 0;
  Time reserved_until = 0;

  RequestId request() const { return RequestId{id.value}; }
  friend bool operator==(const Lease&, const Lease&) = default;
};

}  // namespace allot
