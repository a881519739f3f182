#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"

namespace allot {

// A policy the simulator runs a workload under: a queue ordering and,
// optionally, a placement policy other than the config's. Written
// "ORDERING[+PLACEMENT]" or "PLACEMENT":
//   ORDERING   config (as the config says), fair_share, priority, fifo
//   PLACEMENT  first_fit, best_fit, frag_aware, frag_aware/fgd, frag_aware/host_aware
// "fifo" is plain first-come-first-served: it also turns preemption off.
struct SimPolicy {
  std::string name;  // as written
  std::optional<QueueOrdering> ordering;
  std::optional<PlacementOptions> placement;

  // One sentence for reports: "submission order only; no preemption; best fit".
  std::string Describe(const EngineOptions& base) const;
  // The engine options of `base` under this policy.
  EngineOptions Apply(const EngineOptions& base) const;
};

// Parses one policy; InvalidArgument naming `field` and the accepted names.
Result<SimPolicy> ParseSimPolicy(std::string_view text, std::string_view field = "--policy");
// A comma-separated list: "fifo,priority,fair_share". Names must be unique.
Result<std::vector<SimPolicy>> ParseSimPolicies(std::string_view text,
                                                std::string_view field = "--policy");

}  // namespace allot
