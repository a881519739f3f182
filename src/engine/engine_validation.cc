// Request validation and the feasibility test: the two reasons a request is
// rejected. Both only read the engine's state.
#include <fmt/format.h>

#include <algorithm>
#include <string_view>

#include "common/quantity_text.h"
#include "engine/engine.h"

namespace allot {
namespace {

constexpr int64_t kMaxMembers = 65536;
constexpr Duration kMaxDuration = Seconds(int64_t{10} * 366 * 24 * 3600);  // ten years
constexpr size_t kMaxKeyLength = 256;
constexpr int64_t kMaxTokens = kMaxTokensPerCall;

std::string ResourceField(const ResourceCatalog& catalog, int index) {
  if (index < catalog.size()) return "member." + std::string(catalog.Name(index));
  return "member.resources[" + std::to_string(index) + "]";
}

// FNV-1a, 64 bits (offset basis 14695981039346656037, prime 1099511628211):
// h = (h xor byte) * prime for every byte. Strings go in length-prefixed and
// integers as 8 little-endian bytes, so no two field lists encode alike.
class Fnv1a {
 public:
  void Bytes(std::string_view bytes) {
    for (char c : bytes) {
      hash_ = (hash_ ^ static_cast<uint8_t>(c)) * 1099511628211ull;
    }
  }
  void Int(int64_t value) {
    auto bits = static_cast<uint64_t>(value);
    for (int i = 0; i < 8; ++i) {
      hash_ = (hash_ ^ ((bits >> (8 * i)) & 0xff)) * 1099511628211ull;
    }
  }
  void String(std::string_view text) {
    Int(static_cast<int64_t>(text.size()));
    Bytes(text);
  }
  void Pairs(const Labels& labels) {
    Int(static_cast<int64_t>(labels.size()));
    for (const auto& [key, value] : labels) {
      String(key);
      String(value);
    }
  }
  uint64_t hash() const { return hash_; }

 private:
  uint64_t hash_ = 14695981039346656037ull;
};

}  // namespace

uint64_t RequestFingerprint(const Request& request) {
  Fnv1a h;
  for (int r = 0; r < kMaxResources; ++r) h.Int(request.member.resources[r]);
  h.String(request.member.mig_profile);
  h.Int(request.members);
  h.Int(static_cast<int64_t>(request.gpu_models.size()));
  for (const std::string& model : request.gpu_models) h.String(model);
  h.String(request.pool);
  h.Pairs(request.node_selector);
  h.Int(request.estimate);
  h.Int(request.ttl);
  h.Pairs(request.labels);
  h.String(request.tenant);
  h.String(request.priority_class);
  h.String(request.model);
  h.Int(request.input_tokens);
  h.Int(request.max_output_tokens);
  // 0 means "unknown" in a lease (Lease::fingerprint).
  return h.hash() == 0 ? 1 : h.hash();
}

Result<Engine::Resolved> Engine::Resolve(const Request& request) const {
  const ResourceCatalog& catalog = inventory_.resources;
  const MemberShape& member = request.member;
  if (request.members < 1 || request.members > kMaxMembers) {
    return InvalidArgument(
        fmt::format("members: must be between 1 and {}, got {}", kMaxMembers, request.members));
  }
  for (int r = 0; r < kMaxResources; ++r) {
    int64_t amount = member.resources[r];
    if (amount == 0) continue;
    if (r >= catalog.size()) {
      return InvalidArgument(ResourceField(catalog, r) + ": unknown resource");
    }
    if (amount < 0) {
      return InvalidArgument(
          fmt::format("{}: must be >= 0, got {}", ResourceField(catalog, r),
                      QuantityText(r, r < catalog.size() ? catalog.Name(r) : "", amount)));
    }
    int64_t total = 0;
    if (amount > kMaxQuantity || !CheckedMultiply(amount, request.members, &total) ||
        total > kMaxQuantity) {
      return InvalidArgument(fmt::format(
          "{}: {} x {} members overflows the largest quantity", ResourceField(catalog, r),
          QuantityText(r, catalog.Name(r), amount), request.members));
    }
  }
  int64_t gpu = member.resources[kGpu];
  bool wants_mig = !member.mig_profile.empty();
  if (gpu > 1000 && gpu % 1000 != 0) {
    return InvalidArgument(fmt::format("member.gpu: above one GPU it must be whole GPUs, got {}",
                                       QuantityText(kGpu, "gpu", gpu)));
  }
  if (wants_mig && gpu != 0) {
    return InvalidArgument(
        "member.mig_profile: a member asks for a MIG instance or for gpu, not both");
  }
  if (!wants_mig && gpu == 0 && member.resources[kGpuMemory] != 0) {
    return InvalidArgument("member.gpu_memory: needs gpu or mig_profile");
  }
  if (member.resources.IsZero() && !wants_mig) {
    return InvalidArgument("member: asks for no resources");
  }
  if (request.estimate < 0 || request.estimate > kMaxDuration) {
    return InvalidArgument(fmt::format("estimate: must be between 0 and ten years, got {}",
                                       SecondsText(request.estimate)));
  }
  if (request.ttl < 0 || request.ttl > kMaxDuration) {
    return InvalidArgument(
        fmt::format("ttl: must be between 0 and ten years, got {}", SecondsText(request.ttl)));
  }
  if (request.idempotency_key.size() > kMaxKeyLength) {
    return InvalidArgument(fmt::format("idempotency_key: longer than {} bytes", kMaxKeyLength));
  }
  Labels selector = request.node_selector;
  ALLOT_RETURN_IF_ERROR(NormaliseLabels(selector, "node_selector"));
  Labels labels = request.labels;
  ALLOT_RETURN_IF_ERROR(NormaliseLabels(labels, "labels"));

  Resolved resolved;
  if (request.tenant.empty()) {
    resolved.tenant = tenancy_->sole_leaf();
    if (resolved.tenant < 0) return InvalidArgument("tenant: required (there are several tenants)");
  } else {
    resolved.tenant = tenancy_->FindTenant(request.tenant);
    if (resolved.tenant < 0) {
      return InvalidArgument("tenant: unknown tenant '" + request.tenant + "'");
    }
    if (!tenancy_->IsLeaf(resolved.tenant)) {
      return InvalidArgument("tenant: '" + request.tenant +
                             "' has sub-tenants; requests belong to a leaf tenant");
    }
  }
  if (request.priority_class.empty()) {
    resolved.priority_class = tenancy_->default_class();
  } else {
    resolved.priority_class = tenancy_->FindClass(request.priority_class);
    if (resolved.priority_class < 0) {
      return InvalidArgument("priority_class: unknown class '" + request.priority_class + "'");
    }
  }
  if (!request.model.empty()) {
    resolved.model = prices_.FindModel(request.model);
    if (resolved.model < 0) {
      return InvalidArgument("model: unknown model '" + request.model +
                             "' (models are priced under prices.models)");
    }
  }
  for (auto [field, tokens] : {std::pair{"input_tokens", request.input_tokens},
                               std::pair{"max_output_tokens", request.max_output_tokens}}) {
    if (tokens < 0 || tokens > kMaxTokens) {
      return InvalidArgument(
          fmt::format("{}: must be between 0 and {}, got {}", field, kMaxTokens, tokens));
    }
    if (tokens > 0 && request.model.empty()) {
      return InvalidArgument(fmt::format("{}: tokens need a model", field));
    }
  }
  MemberDemand& demand = resolved.demand;
  demand.host = member.resources;
  demand.host[kGpu] = 0;
  demand.host[kGpuMemory] = 0;
  demand.gpu_milli = gpu;
  demand.gpu_memory_mib = member.resources[kGpuMemory];
  demand.node_selector = std::move(selector);

  std::vector<uint8_t> allowed_models(inventory_.gpu_models.size(), 1);
  if (!request.gpu_models.empty()) {
    std::fill(allowed_models.begin(), allowed_models.end(), 0);
    for (size_t i = 0; i < request.gpu_models.size(); ++i) {
      int model = inventory_.FindGpuModel(request.gpu_models[i]);
      if (model < 0) {
        return InvalidArgument(
            fmt::format("gpu_models[{}]: unknown GPU model '{}'", i, request.gpu_models[i]));
      }
      allowed_models[static_cast<size_t>(model)] = 1;
    }
  }
  int pool_filter = -1;
  if (!request.pool.empty()) {
    pool_filter = inventory_.FindPool(request.pool);
    if (pool_filter < 0) return InvalidArgument("pool: unknown pool '" + request.pool + "'");
  }
  if (wants_mig) {
    demand.mig_profile_by_model.assign(inventory_.gpu_models.size(), -1);
    bool known = false;
    for (size_t m = 0; m < inventory_.gpu_models.size(); ++m) {
      const MigGpuTable* table = FindMigTable(inventory_.gpu_models[m].name);
      if (table == nullptr) continue;
      int profile = FindMigProfile(*table, member.mig_profile);
      if (profile < 0) continue;
      known = true;
      const MigProfile& p = table->profiles[static_cast<size_t>(profile)];
      if (demand.gpu_memory_mib > p.memory_mib) continue;
      demand.mig_profile_by_model[m] = static_cast<int8_t>(profile);
    }
    if (!known) {
      return InvalidArgument("member.mig_profile: '" + member.mig_profile +
                             "' is not a MIG profile of any GPU model in the inventory");
    }
  }
  bool wants_gpu = wants_mig || gpu > 0;
  // Device modes that can serve the member: MIG instances, fractions of
  // shared devices, whole devices of whole or shared mode.
  uint8_t modes_needed = 0;
  if (wants_mig) {
    modes_needed = 1u << static_cast<int>(DeviceMode::kMig);
  } else if (gpu >= 1000) {
    modes_needed = (1u << static_cast<int>(DeviceMode::kWhole)) |
                   (1u << static_cast<int>(DeviceMode::kShared));
  } else if (gpu > 0) {
    modes_needed = 1u << static_cast<int>(DeviceMode::kShared);
  }
  demand.allowed_pools.assign(inventory_.pools.size(), 0);
  bool spot_only = tenancy_->priority_class(resolved.priority_class).spot_only;
  for (size_t p = 0; p < inventory_.pools.size(); ++p) {
    int model = inventory_.pools[p].gpu_model;
    if (pool_filter >= 0 && static_cast<size_t>(pool_filter) != p) continue;
    if (spot_only && inventory_.pools[p].tier != Tier::kSpot) continue;
    if (model < 0) {
      if (wants_gpu || !request.gpu_models.empty()) continue;
    } else {
      if (!allowed_models[static_cast<size_t>(model)]) continue;
      if (wants_mig && demand.mig_profile_by_model[static_cast<size_t>(model)] < 0) continue;
      if (wants_gpu && (pool_device_modes_[p] & modes_needed) == 0) continue;
      // Device memory: whole GPUs need gpu_memory / k per device, a fraction
      // its explicit gpu_memory.
      int64_t device_memory = inventory_.gpu_models[static_cast<size_t>(model)].memory_mib;
      if (!wants_mig && gpu >= 1000 && gpu <= 1000 * kMaxDevicesPerNode) {
        int64_t k = gpu / 1000;
        if ((demand.gpu_memory_mib + k - 1) / k > device_memory) continue;
      }
      if (!wants_mig && gpu > 0 && gpu < 1000 && demand.gpu_memory_mib > device_memory) continue;
    }
    demand.allowed_pools[p] = 1;
  }
  // The quota charge: members x the member's resources; a MIG instance
  // counts its share of compute slices as gpu (floor(1000 g / 7)).
  ResourceVector per_member = member.resources;
  if (wants_mig) {
    for (size_t m = 0; m < inventory_.gpu_models.size(); ++m) {
      const MigGpuTable* table = FindMigTable(inventory_.gpu_models[m].name);
      int profile = table == nullptr ? -1 : FindMigProfile(*table, member.mig_profile);
      if (profile < 0) continue;
      per_member[kGpu] = MigInstanceMilliGpu(table->profiles[static_cast<size_t>(profile)]);
      break;
    }
  }
  for (int r = 0; r < kMaxResources; ++r) resolved.charge[r] = per_member[r] * request.members;
  return resolved;
}

const std::string& Engine::CachedInfeasibility(const Request& request, const MemberDemand& demand) {
  // Key: the member's resources, members, MIG profile, allowed pools and
  // selector: everything Infeasibility() reads besides the inventory; and
  // the pool and GPU model names its message quotes (two requests with the
  // same allowed pools may spell them differently, and a restored engine,
  // whose memo starts empty, must answer each as the original did).
  std::string key;
  key.append(request.pool).push_back('\0');
  for (const std::string& model : request.gpu_models) key.append(model).push_back('\1');
  key.push_back('\0');
  key.reserve(128);
  key.append(reinterpret_cast<const char*>(request.member.resources.amounts.data()),
             sizeof(request.member.resources.amounts));
  key.append(reinterpret_cast<const char*>(&request.members), sizeof(request.members));
  key.append(request.member.mig_profile).push_back('\0');
  key.append(reinterpret_cast<const char*>(demand.allowed_pools.data()),
             demand.allowed_pools.size());
  for (const auto& [name, value] : demand.node_selector) {
    key.append(name).push_back('\0');
    key.append(value).push_back('\0');
  }
  auto it = infeasibility_cache_.find(key);
  if (it != infeasibility_cache_.end()) return it->second;
  if (infeasibility_cache_.size() >= 4096) infeasibility_cache_.clear();
  return infeasibility_cache_.emplace(std::move(key), Infeasibility(request, demand)).first->second;
}

std::string Engine::Infeasibility(const Request& request, const MemberDemand& demand) const {
  // A gang is feasible when the inventory, entirely empty and every node up,
  // could hold all its members: sum over matching nodes of the members one
  // node could hold >= members. When it is not, name the first reason found.
  int64_t capacity = 0;
  int matching_nodes = 0;
  int64_t largest[kMaxResources] = {};
  bool device_fit = false;
  int most_whole_devices = 0;
  for (NodeIndex n = 0; n < inventory_.nodes.size() && capacity < request.members; ++n) {
    const Node& node = inventory_.nodes[n];
    if (!demand.allowed_pools[node.pool]) continue;
    if (!demand.node_selector.empty() && !LabelsMatch(node.labels, demand.node_selector)) {
      continue;
    }
    ++matching_nodes;
    int64_t fits = request.members;
    for (int r = kCpu; r < kMaxResources; ++r) {
      largest[r] = std::max(largest[r], node.capacity[r]);
      if (demand.host[r] > 0) fits = std::min(fits, node.capacity[r] / demand.host[r]);
    }
    int64_t device_memory = cluster_->device_memory_mib(n);
    int64_t on_devices = 0;
    int whole_capable = 0;
    for (const Device& device : node.devices) {
      if (demand.wants_mig()) {
        if (device.mode != DeviceMode::kMig) continue;
        const MigGpuTable* table = inventory_.NodeMigTable(n);
        int profile =
            demand.mig_profile_by_model[static_cast<size_t>(inventory_.pools[node.pool].gpu_model)];
        const MigProfile& p = table->profiles[static_cast<size_t>(profile)];
        on_devices += std::min<int64_t>(p.max_count, kMigMemorySlices / p.memory_slices);
      } else if (demand.gpu_milli >= 1000) {
        if (device.mode != DeviceMode::kMig) ++whole_capable;
      } else if (demand.gpu_milli > 0 && device.mode == DeviceMode::kShared) {
        int64_t memory = demand.gpu_memory_mib > 0 ? demand.gpu_memory_mib
                                                   : device_memory * demand.gpu_milli / 1000;
        if (memory > device_memory) continue;
        int64_t by_memory = memory > 0 ? device_memory / memory : 1000;
        on_devices += std::min(1000 / demand.gpu_milli, by_memory);
      }
    }
    most_whole_devices = std::max(most_whole_devices, whole_capable);
    if (demand.gpu_milli >= 1000) {
      int64_t k = demand.gpu_milli / 1000;
      int64_t per_device_memory = (demand.gpu_memory_mib + k - 1) / k;
      on_devices = per_device_memory <= device_memory ? whole_capable / k : 0;
    }
    if (demand.wants_mig() || demand.gpu_milli > 0) fits = std::min(fits, on_devices);
    if (demand.wants_mig() || demand.gpu_milli > 0) device_fit = device_fit || on_devices > 0;
    capacity += fits;
  }
  if (capacity >= request.members) return "";
  if (matching_nodes == 0 && !demand.wants_mig() && demand.gpu_milli > 0 &&
      demand.gpu_memory_mib > 0) {
    // Pools can drop out for device memory alone: say so when that is why.
    int64_t per_device =
        demand.gpu_milli >= 1000
            ? (demand.gpu_memory_mib + demand.gpu_milli / 1000 - 1) / (demand.gpu_milli / 1000)
            : demand.gpu_memory_mib;
    // Largest device memory among pools with the right model and device mode.
    uint8_t modes = demand.gpu_milli >= 1000 ? (1u << static_cast<int>(DeviceMode::kWhole)) |
                                                   (1u << static_cast<int>(DeviceMode::kShared))
                                             : (1u << static_cast<int>(DeviceMode::kShared));
    int64_t largest_device = 0;
    for (size_t p = 0; p < inventory_.pools.size(); ++p) {
      int model = inventory_.pools[p].gpu_model;
      if (model < 0 || (pool_device_modes_[p] & modes) == 0) continue;
      const GpuModel& gpu_model = inventory_.gpu_models[static_cast<size_t>(model)];
      bool named = request.gpu_models.empty() ||
                   std::find(request.gpu_models.begin(), request.gpu_models.end(),
                             gpu_model.name) != request.gpu_models.end();
      bool pool_ok = request.pool.empty() || request.pool == inventory_.pools[p].name;
      if (named && pool_ok) largest_device = std::max(largest_device, gpu_model.memory_mib);
    }
    if (per_device > largest_device) {
      return fmt::format(
          "member.gpu_memory: {} per device exceeds the devices of every matching pool "
          "(largest {})",
          QuantityText(kGpuMemory, "gpu_memory", per_device),
          QuantityText(kGpuMemory, "gpu_memory", largest_device));
    }
  }
  if (matching_nodes == 0) {
    return fmt::format(
        "constraints: no node matches pool '{}', gpu_models [{}] and node_selector ({} labels) "
        "with the GPU kind the member asks for",
        request.pool, fmt::join(request.gpu_models, ", "), request.node_selector.size());
  }
  for (int r = kCpu; r < inventory_.resources.size(); ++r) {
    if (demand.host[r] > largest[r]) {
      std::string_view name = inventory_.resources.Name(r);
      return fmt::format("member.{}: {} exceeds every matching node (largest has {})", name,
                         QuantityText(r, name, demand.host[r]), QuantityText(r, name, largest[r]));
    }
  }
  if ((demand.wants_mig() || demand.gpu_milli > 0) && !device_fit) {
    if (demand.wants_mig()) {
      return "member.mig_profile: no matching node has a MIG device that can host '" +
             request.member.mig_profile + "'";
    }
    if (demand.gpu_milli >= 1000 && demand.gpu_milli / 1000 > most_whole_devices) {
      return fmt::format(
          "member.gpu: {} whole GPUs on one node, but the largest matching node has {}",
          demand.gpu_milli / 1000, most_whole_devices);
    }
    return fmt::format("member.gpu: no matching node has devices for {} with {} of device memory",
                       QuantityText(kGpu, "gpu", demand.gpu_milli),
                       QuantityText(kGpuMemory, "gpu_memory", demand.gpu_memory_mib));
  }
  if (capacity == 0) return "member: no single matching node has all the member asks for";
  return fmt::format("members: {} members exceed what all matching nodes could hold together ({})",
                     request.members, capacity);
}

}  // namespace allot
