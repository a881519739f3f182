#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "sim/replay.h"

namespace allot {

// Percentile by linear interpolation between closest ranks (R type 7):
// h = (n - 1) p, value = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h]).
// `sorted` ascending and non-empty; p in [0, 1].
double Percentile(const std::vector<double>& sorted, double p);

// Jain's fairness index of `x`: (sum x)^2 / (n sum x^2), 1 when all are
// equal, 1/n when one takes all; 1 for an empty or all-zero vector.
double JainIndex(const std::vector<double>& x);

// A figure for result.json: rounded to 6 decimals so the JSON stays short
// and readable; NaN and infinities become null.
nlohmann::ordered_json JsonNumber(double value);

// One run of result.json (docs/sim.md, "Output"): summary, classes,
// tenants, series, wait_cdf and budget_events of a replay, "fill": null.
nlohmann::ordered_json SummarizeReplay(const ReplayTrace& trace, const std::string& policy,
                                       const std::string& description);

}  // namespace allot
