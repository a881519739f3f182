#pragma once

#include "engine/lease.h"
#include "policy/cluster_state.h"
#include "policy/placement_policy.h"

namespace allot {

// The workload shape (what the fragmentation measure sees) of a request's
// member, and of a running lease's member (read back from its placement).
WorkloadShape ShapeOfDemand(const MemberDemand& demand);
WorkloadShape ShapeOfLease(const Lease& lease);

}  // namespace allot
