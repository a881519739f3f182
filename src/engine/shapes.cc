#include "engine/shapes.h"

namespace allot {

WorkloadShape ShapeOfDemand(const MemberDemand& demand) {
  WorkloadShape shape;
  shape.cpu = demand.host[kCpu];
  shape.memory = demand.host[kMemory];
  shape.is_mig = demand.wants_mig();
  shape.gpu_milli = shape.is_mig ? 0 : demand.gpu_milli;
  return shape;
}

WorkloadShape ShapeOfLease(const Lease& lease) {
  WorkloadShape shape;
  shape.cpu = lease.member_host[kCpu];
  shape.memory = lease.member_host[kMemory];
  for (const Assignment& a : lease.placement) {
    if (a.member != 0) break;
    if (a.mig_profile >= 0) shape.is_mig = true;
    if (a.device >= 0 && a.mig_profile < 0) shape.gpu_milli += a.gpu_milli;
  }
  if (shape.is_mig) shape.gpu_milli = 0;
  return shape;
}

}  // namespace allot
