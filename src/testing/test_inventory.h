#pragma once

#include <string>

#include "engine/engine.h"
#include "model/inventory.h"

namespace allot::testing {

// Builders for small inventories and requests in tests.
struct NodeSpec {
  std::string name;
  int gpus = 0;
  DeviceMode mode = DeviceMode::kWhole;
  int64_t cpu_milli = 64000;
  int64_t memory_mib = 256 * 1024;
  Labels labels;
};

// Adds a pool (with a GPU model of `memory_mib` device memory, created when
// new; empty model name for CPU-only) and returns its index.
PoolIndex AddPool(Inventory& inventory, const std::string& pool, const std::string& gpu_model,
                  int64_t memory_mib = 81920, Tier tier = Tier::kOnDemand);
void AddNode(Inventory& inventory, PoolIndex pool, const NodeSpec& spec);

Request GpuRequest(int64_t gpu_milli, int64_t cpu_milli = 1000, int64_t memory_mib = 1024,
                   int64_t members = 1);
Request MigRequest(const std::string& profile, int64_t cpu_milli = 1000);

// A tenant spec with a parent (empty: top level).
TenantSpec Tenant(const std::string& name, const std::string& parent = "");
// A pool "gpu" of `nodes` nodes named n0, n1, ... with `gpus` H100-80GB
// devices each, and the given cpu and memory per node.
Inventory GpuCluster(int nodes, int gpus, DeviceMode mode = DeviceMode::kWhole,
                     int64_t cpu_milli = 64000, int64_t memory_mib = 256 * 1024);

// Creates an engine or fails the test.
std::unique_ptr<Engine> MakeEngine(Inventory inventory,
                                   PlacementKind kind = PlacementKind::kBestFit);

}  // namespace allot::testing
