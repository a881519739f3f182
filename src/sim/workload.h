#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/time.h"
#include "model/request.h"

namespace allot {

// One job of a simulated workload: a lease request that arrives at `submit`
// and, once granted, holds its capacity for `duration` (then the simulator
// releases it, reporting `output_tokens` for a model call).
//
// `request.tenant` and `request.priority_class` carry the names the trace
// mapped the job to (docs/sim-traces.md); the cluster config must
// define them. `request.estimate` is what the scheduler is told (backfill);
// `duration` is the truth, which it is not told.
struct SimJob {
  std::string name;       // the trace's id, or "<file>:<line>"
  Time submit = 0;        // virtual time, microseconds since the Unix epoch
  Duration duration = 0;  // run time once started, > 0
  Request request;
  int64_t output_tokens = 0;  // model calls: tokens actually generated
};

// A whole workload, ordered by submit time (ties keep trace order).
struct Workload {
  std::string source;  // file name or "synthetic"
  std::vector<SimJob> jobs;
  // Rows the reader skipped on purpose (documented per format), with a
  // one-line summary per reason: "42 rows with num_gpus 0 skipped".
  int64_t skipped = 0;
  std::vector<std::string> skip_summary;
  // Rows whose time was earlier than the row before: the formats whose
  // published files are not in time order (Philly) are sorted and counted
  // here; the others reject unsorted rows with file:line:column.
  int64_t reordered = 0;
};

}  // namespace allot
