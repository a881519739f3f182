// Backfill (EASY, Lifka 1995, as Slurm's backfill scheduler does it): when the
// request at the front of a pool cannot start, it gets a reservation at its
// shadow time, the moment the leases in its way are expected to end (their
// granted_at + estimate). A later request may start ahead of it only if it
// fits now and its own estimate ends before that shadow time, so it cannot
// delay the reservation as long as estimates hold. Requests without an
// estimate never backfill, and leases without one make the shadow time
// unknown (no backfill in front of that request).
#include "engine/engine.h"

namespace allot {

Time Engine::ShadowTime(const Pending& pending) {
  // Set aside running leases in order of expected end until the request fits.
  constexpr int kMaxSteps = 256;  // bounded work; beyond it the reservation is unknown
  const MemberDemand& demand = pending.resolved.demand;
  std::vector<const Lease*> aside;
  Time shadow = kNever;
  Placement probe;
  int steps = 0;
  for (const auto& [end, id] : estimated_ends_) {
    if (++steps > kMaxSteps) break;
    const Lease& lease = leases_.at(id);
    bool relevant = false;
    for (const Assignment& a : lease.placement) {
      relevant = relevant || demand.allowed_pools[inventory_.nodes[a.node].pool];
    }
    if (!relevant || lease.preempt_at > 0) continue;
    SetAside(lease, -1);
    aside.push_back(&lease);
    if (TryPlace(demand, pending.request.members, &probe)) {
      GiveBack(demand.host, probe);  // a probe only
      shadow = end;
      break;
    }
  }
  for (auto it = aside.rbegin(); it != aside.rend(); ++it) SetAside(**it, +1);
  return shadow;
}

}  // namespace allot
