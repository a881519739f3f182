#pragma once

#include <cstddef>

#include "sim/report_json.h"

// Made-up result.json documents (docs/sim.md schema) for the report's tests
// and the allot_report_sample program: every section and chart has data,
// with a few nulls (missing values) mixed in. Deterministic.
namespace allot::testing {

struct SampleOptions {
  size_t policies = 2;
  size_t steps = 500;    // entries of series.t_s
  double step_s = 3600;  // seconds between samples
  size_t tenants = 6;
  size_t budget_events = 60;  // for the first policy; the others get a few
  // Names with < > & " ' in them (a tenant, a class, a budget, a policy
  // description, the trace), to check escaping.
  bool hostile_names = false;
  // Policy names as long as real combinations ("priority+frag_aware/fgd"),
  // to check that wide comparisons fit the page.
  bool long_policy_names = false;
};

// A replay-mode result: classes, tenants, series, CDFs, budget events.
Json SampleReplayResult(const SampleOptions& options);

// A fill-mode result: `policies` runs with a fill curve and empty series.
Json SampleFillResult(size_t policies);

}  // namespace allot::testing
