#include "policy/first_fit.h"

namespace allot {

bool FirstFitPolicy::PlaceMember(const MemberDemand& demand, Placement* out) {
  for (NodeIndex node = 0; node < cluster_->node_count(); ++node) {
    if (!cluster_->HostFits(node, demand)) continue;
    if (cluster_->FindDevices(node, demand, /*best_fit=*/false, out)) return true;
  }
  return false;
}

}  // namespace allot
