#include "policy/placement_policy.h"

#include "policy/best_fit.h"
#include "policy/first_fit.h"
#include "policy/frag_aware.h"

namespace allot {

std::string_view PlacementKindName(PlacementKind kind) {
  switch (kind) {
    case PlacementKind::kFirstFit:
      return "first_fit";
    case PlacementKind::kBestFit:
      return "best_fit";
    case PlacementKind::kFragAware:
      return "frag_aware";
  }
  return "unknown";
}

bool ParsePlacementKind(std::string_view text, PlacementKind* out) {
  for (PlacementKind kind :
       {PlacementKind::kFirstFit, PlacementKind::kBestFit, PlacementKind::kFragAware}) {
    if (PlacementKindName(kind) == text) {
      *out = kind;
      return true;
    }
  }
  return false;
}

std::string_view FragMeasureName(FragMeasure measure) {
  switch (measure) {
    case FragMeasure::kHostAware:
      return "host_aware";
    case FragMeasure::kFgd:
      return "fgd";
    case FragMeasure::kHybrid:
      return "hybrid";
  }
  return "unknown";
}

bool ParseFragMeasure(std::string_view text, FragMeasure* out) {
  for (FragMeasure measure : {FragMeasure::kHostAware, FragMeasure::kFgd, FragMeasure::kHybrid}) {
    if (FragMeasureName(measure) == text) {
      *out = measure;
      return true;
    }
  }
  return false;
}

std::unique_ptr<PlacementPolicy> MakePlacementPolicy(const PlacementOptions& options,
                                                     ClusterState* cluster) {
  std::unique_ptr<PlacementPolicy> policy;
  switch (options.kind) {
    case PlacementKind::kFirstFit:
      policy = std::make_unique<FirstFitPolicy>(cluster);
      break;
    case PlacementKind::kBestFit:
      policy = std::make_unique<BestFitPolicy>(cluster);
      break;
    case PlacementKind::kFragAware:
      policy = std::make_unique<FragAwarePolicy>(cluster, options.frag_measure,
                                                 options.frag_max_candidates);
      break;
  }
  cluster->set_observer(policy.get());
  return policy;
}

}  // namespace allot
