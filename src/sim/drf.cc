// Progressive filling, one event at a time: with U the tenants still rising
// and the level L their common weighted dominant share (s_i = weight_i x L
// for i in U), the next event is the smallest of
//   a tenant's demand met:     (sigma_i - s_i) / weight_i
//   a resource exhausted:      (1 - used_r) / sum over i in U of weight_i x p_i[r]
// where sigma_i = max_r demand[i][r] (its dominant demand) and p_i[r] =
// demand[i][r] / sigma_i (its profile). At each event the tenants whose
// demand is met, and those using an exhausted resource, stop. At most
// tenants + resources events.
#include "sim/drf.h"

#include <algorithm>
#include <limits>

namespace allot {

std::vector<double> WeightedDrfShares(const std::vector<std::vector<double>>& demand,
                                      const std::vector<double>& weight) {
  constexpr double kEpsilon = 1e-12;
  size_t tenants = demand.size();
  size_t resources = 0;
  for (const std::vector<double>& d : demand) resources = std::max(resources, d.size());
  std::vector<double> share(tenants, 0.0);
  std::vector<double> dominant(tenants, 0.0);
  std::vector<std::vector<double>> profile(tenants, std::vector<double>(resources, 0.0));
  std::vector<bool> rising(tenants, false);
  for (size_t i = 0; i < tenants; ++i) {
    for (double amount : demand[i]) dominant[i] = std::max(dominant[i], amount);
    if (dominant[i] <= 0 || weight[i] <= 0) continue;
    for (size_t r = 0; r < demand[i].size(); ++r) profile[i][r] = demand[i][r] / dominant[i];
    rising[i] = true;
  }
  std::vector<double> used(resources, 0.0);
  std::vector<bool> exhausted(resources, false);
  while (true) {
    double step = std::numeric_limits<double>::infinity();
    std::vector<double> rate(resources, 0.0);  // d used_r / d L
    for (size_t i = 0; i < tenants; ++i) {
      if (!rising[i]) continue;
      step = std::min(step, (dominant[i] - share[i]) / weight[i]);
      for (size_t r = 0; r < resources; ++r) rate[r] += weight[i] * profile[i][r];
    }
    if (step == std::numeric_limits<double>::infinity()) break;  // nobody rises
    for (size_t r = 0; r < resources; ++r) {
      if (rate[r] > 0) step = std::min(step, std::max(0.0, 1.0 - used[r]) / rate[r]);
    }
    for (size_t r = 0; r < resources; ++r) {
      used[r] += rate[r] * step;
      if (rate[r] > 0 && used[r] >= 1.0 - kEpsilon) exhausted[r] = true;
    }
    for (size_t i = 0; i < tenants; ++i) {
      if (!rising[i]) continue;
      share[i] += weight[i] * step;
      bool stop = share[i] >= dominant[i] - kEpsilon;
      for (size_t r = 0; r < resources && !stop; ++r) stop = profile[i][r] > 0 && exhausted[r];
      if (stop) rising[i] = false;
    }
  }
  return share;
}

}  // namespace allot
