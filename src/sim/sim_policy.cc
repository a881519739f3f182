#include "sim/sim_policy.h"

#include <fmt/format.h>

#include <set>

namespace allot {
namespace {

constexpr std::string_view kAccepted =
    "ORDERING[+PLACEMENT] or PLACEMENT, with ORDERING config, fair_share, priority or fifo "
    "and PLACEMENT first_fit, best_fit, frag_aware, frag_aware/fgd, frag_aware/host_aware or "
    "frag_aware/hybrid";

bool ParsePlacement(std::string_view text, PlacementOptions* out) {
  size_t slash = text.find('/');
  if (!ParsePlacementKind(text.substr(0, slash), &out->kind)) return false;
  if (slash == std::string_view::npos) return true;
  return out->kind == PlacementKind::kFragAware &&
         ParseFragMeasure(text.substr(slash + 1), &out->frag_measure);
}

std::string_view OrderingSentence(QueueOrdering ordering) {
  switch (ordering) {
    case QueueOrdering::kFairShare:
      return "classes by priority, tenants by weighted fair share, FIFO within a tenant";
    case QueueOrdering::kPriority:
      return "classes by priority, FIFO within a class";
    case QueueOrdering::kFifo:
      return "submission order only, no preemption";
  }
  return "";
}

}  // namespace

Result<SimPolicy> ParseSimPolicy(std::string_view text, std::string_view field) {
  SimPolicy policy;
  policy.name = std::string(text);
  size_t plus = text.find('+');
  std::string_view first = text.substr(0, plus);
  QueueOrdering ordering;
  PlacementOptions placement;
  if (first == "config") {
    // the config's ordering
  } else if (ParseQueueOrdering(first, &ordering)) {
    policy.ordering = ordering;
  } else if (plus == std::string_view::npos && ParsePlacement(first, &placement)) {
    policy.placement = placement;
    return policy;
  } else {
    return InvalidArgument(
        fmt::format("{}: unknown policy '{}' (expected {})", field, text, kAccepted));
  }
  if (plus != std::string_view::npos) {
    if (!ParsePlacement(text.substr(plus + 1), &placement)) {
      return InvalidArgument(
          fmt::format("{}: unknown placement in '{}' (expected {})", field, text, kAccepted));
    }
    policy.placement = placement;
  }
  return policy;
}

Result<std::vector<SimPolicy>> ParseSimPolicies(std::string_view text, std::string_view field) {
  std::vector<SimPolicy> policies;
  std::set<std::string> seen;
  while (true) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    Result<SimPolicy> policy = ParseSimPolicy(item, field);
    if (!policy.ok()) return policy.status();
    if (!seen.insert(policy->name).second) {
      return InvalidArgument(fmt::format("{}: policy '{}' named twice", field, item));
    }
    policies.push_back(std::move(policy).value());
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return policies;
}

std::string SimPolicy::Describe(const EngineOptions& base) const {
  EngineOptions options = Apply(base);
  std::string text(OrderingSentence(options.ordering));
  text += "; placement ";
  text += PlacementKindName(options.placement.kind);
  if (options.placement.kind == PlacementKind::kFragAware) {
    text += fmt::format(" ({} measure)", FragMeasureName(options.placement.frag_measure));
  }
  return text;
}

EngineOptions SimPolicy::Apply(const EngineOptions& base) const {
  EngineOptions options = base;
  if (ordering) options.ordering = *ordering;
  if (placement) options.placement = *placement;
  if (options.ordering == QueueOrdering::kFifo && ordering) {
    for (PriorityClass& priority_class : options.classes) priority_class.may_preempt = false;
  }
  return options;
}

}  // namespace allot
