#pragma once

// The cluster the engine benchmarks run on: `nodes` nodes named node-<i>,
// each with 8 H100-80GB devices in `mode`, 128 cores and 1 TiB, in one pool.
#include <string>

#include "model/inventory.h"

namespace allot {

inline Inventory BenchCluster(int nodes, DeviceMode mode) {
  Inventory inventory;
  inventory.gpu_models.push_back({"H100-80GB", 80 * 1024});
  Pool pool;
  pool.name = "h100";
  pool.gpu_model = 0;
  inventory.pools.push_back(pool);
  for (int n = 0; n < nodes; ++n) {
    Node node;
    node.name = "node-" + std::to_string(n);
    node.capacity[kCpu] = 128'000;
    node.capacity[kMemory] = 1024 * 1024;
    node.devices.assign(8, Device{mode});
    inventory.nodes.push_back(std::move(node));
  }
  return inventory;
}

}  // namespace allot
