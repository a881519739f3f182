#include "testing/test_inventory.h"

#include <gtest/gtest.h>

namespace allot::testing {

PoolIndex AddPool(Inventory& inventory, const std::string& pool, const std::string& gpu_model,
                  int64_t memory_mib, Tier tier) {
  Pool entry;
  entry.name = pool;
  entry.tier = tier;
  if (!gpu_model.empty()) {
    entry.gpu_model = inventory.FindGpuModel(gpu_model);
    if (entry.gpu_model < 0) {
      inventory.gpu_models.push_back({gpu_model, memory_mib});
      entry.gpu_model = static_cast<int>(inventory.gpu_models.size() - 1);
    }
  }
  inventory.pools.push_back(entry);
  return static_cast<PoolIndex>(inventory.pools.size() - 1);
}

void AddNode(Inventory& inventory, PoolIndex pool, const NodeSpec& spec) {
  Node node;
  node.name = spec.name;
  node.pool = pool;
  node.labels = spec.labels;
  node.capacity[kCpu] = spec.cpu_milli;
  node.capacity[kMemory] = spec.memory_mib;
  node.devices.assign(static_cast<size_t>(spec.gpus), Device{spec.mode});
  inventory.nodes.push_back(node);
}

Request GpuRequest(int64_t gpu_milli, int64_t cpu_milli, int64_t memory_mib, int64_t members) {
  Request request;
  request.member.resources[kGpu] = gpu_milli;
  request.member.resources[kCpu] = cpu_milli;
  request.member.resources[kMemory] = memory_mib;
  request.members = members;
  return request;
}

Request MigRequest(const std::string& profile, int64_t cpu_milli) {
  Request request;
  request.member.mig_profile = profile;
  request.member.resources[kCpu] = cpu_milli;
  return request;
}

TenantSpec Tenant(const std::string& name, const std::string& parent) {
  TenantSpec spec;
  spec.name = name;
  spec.parent = parent;
  return spec;
}

Inventory GpuCluster(int nodes, int gpus, DeviceMode mode, int64_t cpu_milli, int64_t memory_mib) {
  Inventory inventory;
  PoolIndex pool = AddPool(inventory, "gpu", "H100-80GB");
  for (int n = 0; n < nodes; ++n) {
    AddNode(inventory, pool,
            {.name = "n" + std::to_string(n),
             .gpus = gpus,
             .mode = mode,
             .cpu_milli = cpu_milli,
             .memory_mib = memory_mib,
             .labels = {}});
  }
  return inventory;
}

std::unique_ptr<Engine> MakeEngine(Inventory inventory, PlacementKind kind) {
  EngineOptions options;
  options.placement.kind = kind;
  Result<std::unique_ptr<Engine>> engine = Engine::Create(std::move(inventory), options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  if (!engine.ok()) return nullptr;
  return std::move(engine).value();
}

}  // namespace allot::testing
