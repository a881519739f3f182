#include "sim/published_fill.h"

#include <array>

namespace allot {
namespace {

constexpr std::array<PublishedFill, 22> kPublished = {{
    {"default", "Random", 85.02, 85.72, 86.30},
    {"default", "DotProd", 89.98, 90.58, 90.62},
    {"default", "GpuClustering", 89.98, 91.60, 91.65},
    {"default", "GpuPacking", 89.98, 91.74, 91.78},
    {"default", "BestFit", 89.99, 92.82, 92.86},
    {"default", "FGD", 89.98, 94.91, 95.23},
    {"cpu050", "FGD", 90.01, 94.81, 95.00},
    {"cpu100", "FGD", 90.00, 94.91, 95.21},
    {"cpu200", "FGD", 89.99, 94.69, 94.82},
    {"cpu250", "FGD", 89.98, 93.14, 93.20},
    {"gpushare40", "FGD", 89.99, 93.92, 93.96},
    {"gpushare60", "FGD", 90.00, 91.21, 91.25},
    {"gpushare80", "FGD", 88.97, 89.03, 89.08},
    {"gpushare100", "FGD", 86.53, 86.59, 86.64},
    {"gpuspec10", "FGD", 85.83, 90.38, 94.66},
    {"gpuspec20", "FGD", 86.20, 90.83, 94.66},
    {"gpuspec25", "FGD", 85.20, 89.76, 93.91},
    {"gpuspec33", "FGD", 80.62, 84.25, 87.84},
    {"multigpu20", "FGD", 90.01, 94.94, 95.53},
    {"multigpu30", "FGD", 90.01, 95.00, 96.36},
    {"multigpu40", "FGD", 89.96, 94.95, 96.91},
    {"multigpu50", "FGD", 89.93, 94.82, 97.09},
}};

}  // namespace

std::span<const PublishedFill> PublishedFills() { return kPublished; }

const PublishedFill* PublishedFgdFor(std::string_view trace_file_name) {
  constexpr std::string_view kPrefix = "openb_pod_list_";
  constexpr std::string_view kSuffix = ".csv";
  if (!trace_file_name.starts_with(kPrefix) || !trace_file_name.ends_with(kSuffix)) {
    return nullptr;
  }
  std::string_view workload = trace_file_name.substr(
      kPrefix.size(), trace_file_name.size() - kPrefix.size() - kSuffix.size());
  for (const PublishedFill& row : kPublished) {
    if (row.workload == workload && row.policy == "FGD") return &row;
  }
  return nullptr;
}

}  // namespace allot
