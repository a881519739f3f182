#pragma once

#include <vector>

namespace allot {

// Weighted Dominant Resource Fairness (Ghodsi et al., NSDI 2011) by
// progressive filling, the simulator's fairness reference.
//
// `demand[i][r]` is what tenant i asks for of resource r, as a fraction of
// the cluster's capacity of r (it may exceed 1); `weight[i]` > 0. Returns each
// tenant's dominant share s_i. The tenants' weighted dominant shares s_i /
// weight_i rise together from 0, each tenant consuming its resources in the
// proportions of its demand (s_i x demand[i][r] / max_r demand[i][r]), until
// its demand is met or a resource it uses is exhausted; then it stops and the
// others go on. A tenant with no demand gets 0.
std::vector<double> WeightedDrfShares(const std::vector<std::vector<double>>& demand,
                                      const std::vector<double>& weight);

}  // namespace allot
