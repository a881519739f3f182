#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/ids.h"
#include "common/resources.h"
#include "common/status.h"
#include "model/mig.h"

namespace allot {

// The most GPU devices one node may have.
inline constexpr int kMaxDevicesPerNode = 64;

enum class Tier : uint8_t { kReserved, kOnDemand, kSpot };
enum class NodeState : uint8_t { kUp, kDraining, kDown };
// whole: a device is leased only entirely. shared: fractions of its compute
// (milli-GPU) and memory go to several leases, or the whole device to one.
// mig: NVIDIA MIG instances, laid out by the hardware's placement rules.
enum class DeviceMode : uint8_t { kWhole, kShared, kMig };

std::string_view TierName(Tier tier);
std::string_view NodeStateName(NodeState state);
std::string_view DeviceModeName(DeviceMode mode);
bool ParseTier(std::string_view text, Tier* out);
bool ParseNodeState(std::string_view text, NodeState* out);
bool ParseDeviceMode(std::string_view text, DeviceMode* out);

// Sorted (key, value) pairs; keys unique.
using Labels = std::vector<std::pair<std::string, std::string>>;
// Sorts and checks a label set; names the offending key.
Status NormaliseLabels(Labels& labels, std::string_view field);
bool LabelsMatch(const Labels& have, const Labels& want);

struct GpuModel {
  std::string name;        // "A100-80GB"
  int64_t memory_mib = 0;  // device memory
};

// A pool is a flavor of capacity: one GPU model (or none for CPU nodes) and
// one tier; its prices are in the price catalog (budget/price_catalog.h).
struct Pool {
  std::string name;
  int gpu_model = -1;  // index into Inventory::gpu_models, -1 for CPU-only pools
  Tier tier = Tier::kOnDemand;
  // Members without GPUs go to the node with the most free slots (least
  // loaded) instead of the policy's choice: the replicas of an inference
  // endpoint, which should share calls evenly rather than fill up in turn.
  bool spread = false;
};

struct Device {
  DeviceMode mode = DeviceMode::kWhole;
};

struct Node {
  std::string name;
  PoolIndex pool = 0;
  Labels labels;
  // Host capacity: cpu, memory, slots and custom resources. The gpu and
  // gpu_memory components are derived from `devices` by Inventory::Validate.
  ResourceVector capacity;
  std::vector<Device> devices;  // all of the pool's GPU model
  NodeState state = NodeState::kUp;
};

// The static description of the capacity allot manages. Built by the config
// loader (or by code in tests and benchmarks), validated once, then owned by
// the engine. Value type, thread-compatible.
struct Inventory {
  ResourceCatalog resources;
  std::vector<GpuModel> gpu_models;
  std::vector<Pool> pools;
  std::vector<Node> nodes;

  // Checks names (unique, non-empty), references, quantities and MIG support,
  // and derives each node's gpu / gpu_memory capacity. Errors name the field,
  // e.g. "nodes[3].devices[1].mode: GPU model 'T4' does not support MIG".
  Status Validate();

  int FindPool(std::string_view name) const;
  int FindGpuModel(std::string_view name) const;
  int FindNode(std::string_view name) const;
  // GPU model of a node, or nullptr for a CPU-only node.
  const GpuModel* NodeGpuModel(NodeIndex node) const;
  const MigGpuTable* NodeMigTable(NodeIndex node) const;
};

}  // namespace allot
