#include "config/config_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "config/budget_config.h"
#include "config/quantity.h"
#include "config/server_config.h"
#include "config/yaml_checks.h"
#include "config/yaml_reader.h"

namespace allot {
namespace {

using config_internal::ReadBool;
using config_internal::Reader;

Result<int64_t> ParseCores(std::string_view text, std::string_view field) {
  return ParseScaled(text, 1000, field);
}

void ReadNodes(Reader& reader, const YAML::Node& list, const std::string& field, PoolIndex pool,
               const ResourceCatalog& resources, Inventory* inventory,
               std::set<std::string>* node_names) {
  if (!list.IsSequence()) return reader.Fail(list, field, "must be a list");
  for (size_t i = 0; i < list.size() && reader.ok(); ++i) {
    const YAML::Node entry = list[i];
    std::string path = fmt::format("{}[{}]", field, i);
    reader.OnlyKeys(entry, path,
                    {"name", "name_prefix", "count", "cpu", "memory", "slots", "gpus", "gpu_mode",
                     "gpu_modes", "labels", "custom", "state"});
    if (!reader.ok()) return;
    Node node;
    node.pool = pool;
    node.capacity[kCpu] = reader.Parsed(entry, "cpu", path, ParseCores);
    node.capacity[kMemory] = reader.Parsed(entry, "memory", path, ParseMemoryMib);
    node.capacity[kSlots] = reader.Integer(entry, "slots", path, 0, kMaxQuantity);
    node.labels = reader.LabelMap(entry, "labels", path);
    if (const YAML::Node custom = entry["custom"]) {
      if (!custom.IsMap()) return reader.Fail(custom, path + ".custom", "must be a mapping");
      for (const auto& item : custom) {
        if (!item.first.IsScalar()) {
          return reader.Fail(item.first, path + ".custom", "names must be plain strings");
        }
        std::string name = item.first.Scalar();
        int index = resources.Find(name);
        if (index < kBuiltinResources) {
          return reader.Fail(item.first, path + ".custom." + name,
                             "unknown custom resource (declare it under resources:)");
        }
        node.capacity[index] = reader.Integer(custom, name, path + ".custom", 0, kMaxQuantity);
      }
    }
    std::string state = reader.String(entry, "state", path, false);
    if (!state.empty() && !ParseNodeState(state, &node.state)) {
      return reader.Fail(entry["state"], path + ".state", "must be up, draining or down");
    }
    int64_t gpus = reader.Integer(entry, "gpus", path, 0, 64);
    DeviceMode mode = DeviceMode::kWhole;
    std::string mode_text = reader.String(entry, "gpu_mode", path, false);
    if (!mode_text.empty() && !ParseDeviceMode(mode_text, &mode)) {
      return reader.Fail(entry["gpu_mode"], path + ".gpu_mode", "must be whole, shared or mig");
    }
    node.devices.assign(static_cast<size_t>(gpus), Device{mode});
    if (const YAML::Node modes = entry["gpu_modes"]) {
      if (!modes.IsSequence() || modes.size() != static_cast<size_t>(gpus)) {
        return reader.Fail(modes, path + ".gpu_modes", "must list one mode per GPU (gpus:)");
      }
      for (size_t d = 0; d < modes.size(); ++d) {
        std::string text = reader.Scalar(modes[d], fmt::format("{}.gpu_modes[{}]", path, d));
        if (!ParseDeviceMode(text, &node.devices[d].mode)) {
          return reader.Fail(modes[d], fmt::format("{}.gpu_modes[{}]", path, d),
                             "must be whole, shared or mig");
        }
      }
    }
    int model = inventory->pools[pool].gpu_model;
    if (gpus > 0 && model < 0) {
      return reader.Fail(entry["gpus"], path + ".gpus",
                         "the pool has no gpu_model, so its nodes cannot have GPUs");
    }
    for (const Device& device : node.devices) {
      if (device.mode == DeviceMode::kMig &&
          FindMigTable(inventory->gpu_models[static_cast<size_t>(model)].name) == nullptr) {
        const YAML::Node where = entry["gpu_modes"] ? entry["gpu_modes"] : entry["gpu_mode"];
        return reader.Fail(where, path + ".gpu_mode",
                           "GPU model '" + inventory->gpu_models[static_cast<size_t>(model)].name +
                               "' does not support MIG (A100-40GB, A100-80GB, H100-80GB do)");
      }
    }
    std::string name = reader.String(entry, "name", path, false);
    std::string prefix = reader.String(entry, "name_prefix", path, false);
    if (name.empty() == prefix.empty()) {
      return reader.Fail(entry, path, "needs exactly one of name or name_prefix");
    }
    int64_t count = reader.Integer(entry, "count", path, 1, 100000);
    if (!name.empty() && count != 1) {
      return reader.Fail(entry["count"], path + ".count", "needs name_prefix, not name");
    }
    if (count < 1) return reader.Fail(entry["count"], path + ".count", "must be >= 1");
    for (int64_t k = 0; k < count; ++k) {
      node.name = name.empty() ? prefix + std::to_string(k) : name;
      if (!node_names->insert(node.name).second) {
        return reader.Fail(entry, path + ".name", "duplicate node '" + node.name + "'");
      }
      inventory->nodes.push_back(node);
    }
  }
}

// Seconds with up to six decimals ("0.25" for a realtime class); false on error.
bool ReadObjective(Reader& reader, const YAML::Node& entry, const std::string& key,
                   const std::string& path, Duration* out) {
  const YAML::Node objective = entry[key];
  if (!objective) return true;
  std::string field = path + "." + key;
  Result<int64_t> micros = ParseScaled(reader.Scalar(objective, field), kMicrosPerSecond, field);
  if (!micros.ok() || *micros > Seconds(int64_t{366} * 86400)) {
    reader.Fail(objective, field, "must be seconds, 0 to 31622400, at most 6 decimals");
    return false;
  }
  *out = *micros;
  return true;
}

void ReadClasses(Reader& reader, const YAML::Node& list, std::vector<PriorityClass>* classes) {
  if (!list) return;
  if (!list.IsSequence()) return reader.Fail(list, "classes", "must be a list");
  for (size_t i = 0; i < list.size() && reader.ok(); ++i) {
    const YAML::Node entry = list[i];
    std::string path = fmt::format("classes[{}]", i);
    reader.OnlyKeys(entry, path,
                    {"name", "value", "preempt", "preemptible", "borrow", "spot_only", "queueing",
                     "max_wait", "grace", "aging", "over_budget", "throttle_at", "over_reservation",
                     "wait_objective", "latency_objective"});
    if (!reader.ok()) return;
    PriorityClass c;
    c.name = reader.String(entry, "name", path, true);
    if (const YAML::Node value = entry["value"]) {
      std::string text = reader.Scalar(value, path + ".value");
      bool negative = !text.empty() && text[0] == '-';
      Result<int64_t> parsed =
          ParseScaled(negative ? std::string_view(text).substr(1) : text, 1, path + ".value");
      if (!parsed.ok()) return reader.Fail(value, path + ".value", "must be a whole number");
      c.value = negative ? -*parsed : *parsed;
    }
    c.may_preempt = ReadBool(reader, entry, "preempt", path, false);
    c.preemptible = ReadBool(reader, entry, "preemptible", path, true);
    c.may_borrow = ReadBool(reader, entry, "borrow", path, true);
    c.spot_only = ReadBool(reader, entry, "spot_only", path, false);
    std::string queueing = reader.String(entry, "queueing", path, false);
    if (!queueing.empty() && queueing != "wait" && queueing != "reject") {
      return reader.Fail(entry["queueing"], path + ".queueing", "must be wait or reject");
    }
    c.reject_when_busy = queueing == "reject";
    c.max_wait = Seconds(reader.Integer(entry, "max_wait", path, 0, int64_t{10} * 366 * 86400));
    c.preemption_grace = Seconds(reader.Integer(entry, "grace", path, 0, int64_t{366} * 86400));
    c.aging = Seconds(reader.Integer(entry, "aging", path, 0, int64_t{366} * 86400));
    // wait_objective: the wait its requests should start within (allot sim);
    // latency_objective: the gateway's cheapest routing takes endpoints whose
    // latency is within it.
    if (!ReadObjective(reader, entry, "wait_objective", path, &c.wait_objective) ||
        !ReadObjective(reader, entry, "latency_objective", path, &c.latency_objective)) {
      return;
    }
    std::string over_budget = reader.String(entry, "over_budget", path, false);
    if (!over_budget.empty() && over_budget != "reject" && over_budget != "wait") {
      return reader.Fail(entry["over_budget"], path + ".over_budget", "must be reject or wait");
    }
    c.queue_over_budget = over_budget == "wait";
    c.throttle_percent = static_cast<int>(reader.Integer(entry, "throttle_at", path, 0, 100));
    std::string over_reservation = reader.String(entry, "over_reservation", path, false);
    if (!over_reservation.empty() && over_reservation != "preempt" &&
        over_reservation != "finish") {
      return reader.Fail(entry["over_reservation"], path + ".over_reservation",
                         "must be preempt or finish");
    }
    c.preempt_over_budget = over_reservation == "preempt";
    classes->push_back(c);
  }
}

// A quota amount in the resource's config unit: GPUs and cores may have up to
// three decimals, memory takes Mi/Gi/Ti, other resources are whole numbers.
int64_t ReadAmount(Reader& reader, const YAML::Node& map, const std::string& key,
                   const std::string& field, int resource, int64_t fallback) {
  const YAML::Node node = map[key];
  if (!node) return fallback;
  std::string path = field + "." + key;
  std::string text = reader.Scalar(node, path);
  Result<int64_t> value = resource == kGpu || resource == kCpu ? ParseScaled(text, 1000, path)
                          : resource == kMemory || resource == kGpuMemory
                              ? ParseMemoryMib(text, path)
                              : ParseScaled(text, 1, path);
  if (!value.ok()) {
    reader.Fail(node, path, value.status().message().substr(path.size() + 2));
    return fallback;
  }
  return *value;
}

void ReadCaps(Reader& reader, const YAML::Node& map, const std::string& key,
              const std::string& field, std::vector<std::pair<std::string, int64_t>>* caps) {
  const YAML::Node node = map[key];
  if (!node) return;
  if (!node.IsMap()) return reader.Fail(node, field + "." + key, "must map class names to counts");
  for (const auto& item : node) {
    if (!item.first.IsScalar()) return reader.Fail(item.first, field + "." + key, "bad class");
    caps->emplace_back(item.first.Scalar(), reader.Integer(node, item.first.Scalar(),
                                                           field + "." + key, 0, kMaxQuantity));
  }
}

// A map of resource names to {guaranteed, limit, lending_limit}.
void ReadQuotaMap(Reader& reader, const YAML::Node& quota, const std::string& path,
                  const ResourceCatalog& catalog, std::array<ResourceQuota, kMaxResources>* out) {
  if (!quota.IsMap()) return reader.Fail(quota, path, "must be a mapping");
  for (const auto& item : quota) {
    std::string name = item.first.IsScalar() ? item.first.Scalar() : "";
    int resource = catalog.Find(name);
    std::string field = path + "." + name;
    if (resource < 0) return reader.Fail(item.first, field, "unknown resource");
    reader.OnlyKeys(item.second, field, {"guaranteed", "limit", "lending_limit"});
    if (!reader.ok()) return;
    ResourceQuota& q = (*out)[static_cast<size_t>(resource)];
    q.guaranteed = ReadAmount(reader, item.second, "guaranteed", field, resource, 0);
    q.limit = ReadAmount(reader, item.second, "limit", field, resource, kUnlimited);
    q.lending_limit = ReadAmount(reader, item.second, "lending_limit", field, resource, kUnlimited);
  }
}

void ReadTenants(Reader& reader, const YAML::Node& list, const ResourceCatalog& catalog,
                 std::vector<TenantSpec>* tenants) {
  if (!list) return;
  if (!list.IsSequence()) return reader.Fail(list, "tenants", "must be a list");
  for (size_t i = 0; i < list.size() && reader.ok(); ++i) {
    const YAML::Node entry = list[i];
    std::string path = fmt::format("tenants[{}]", i);
    reader.OnlyKeys(
        entry, path,
        {"name", "parent", "weight", "quota", "pool_quota", "max_running", "max_queued"});
    if (!reader.ok()) return;
    TenantSpec spec;
    spec.name = reader.String(entry, "name", path, true);
    spec.parent = reader.String(entry, "parent", path, false);
    if (const YAML::Node weight = entry["weight"]) {
      std::string text = reader.Scalar(weight, path + ".weight");
      Result<int64_t> parsed = ParseScaled(text, 1000, path + ".weight");
      if (!parsed.ok() || *parsed <= 0) {
        return reader.Fail(weight, path + ".weight", "must be a number > 0");
      }
      spec.weight_milli = *parsed;
    }
    if (const YAML::Node quota = entry["quota"]) {
      ReadQuotaMap(reader, quota, path + ".quota", catalog, &spec.quota);
      if (!reader.ok()) return;
    }
    if (const YAML::Node pools = entry["pool_quota"]) {
      if (!pools.IsMap())
        return reader.Fail(pools, path + ".pool_quota", "must map pools to quotas");
      for (const auto& item : pools) {
        std::string pool = item.first.IsScalar() ? item.first.Scalar() : "";
        std::array<ResourceQuota, kMaxResources> quota{};
        ReadQuotaMap(reader, item.second, path + ".pool_quota." + pool, catalog, &quota);
        if (!reader.ok()) return;
        spec.pool_quota.emplace_back(pool, quota);
      }
    }
    ReadCaps(reader, entry, "max_running", path, &spec.max_running);
    ReadCaps(reader, entry, "max_queued", path, &spec.max_queued);
    tenants->push_back(std::move(spec));
  }
}

Result<Config> ParseConfigTree(const YAML::Node& root, std::string_view source) {
  Reader reader(source);
  Config config;
  Inventory& inventory = config.inventory;
  if (!root.IsMap()) {
    return InvalidArgument(
        root.IsNull() || !root.IsDefined()
            ? "config: must be a YAML mapping (the text is empty)"
            : "config: must be a YAML mapping of sections (pools:, tenants:, ...)");
  }
  reader.OnlyKeys(
      root, "config",
      {"resources", "placement", "ordering", "frag_measure", "frag_max_candidates", "gpu_models",
       "pools", "classes", "tenants", "currency", "time_zone", "default_estimate", "prices",
       "budgets", "server", "api_keys", "webhooks", "gateway"});

  std::vector<std::string> custom;
  if (const YAML::Node resources = root["resources"]; resources && reader.ok()) {
    if (!resources.IsSequence()) {
      reader.Fail(resources, "resources", "must be a list of names");
    } else {
      for (size_t i = 0; i < resources.size(); ++i) {
        custom.push_back(reader.Scalar(resources[i], fmt::format("resources[{}]", i)));
      }
    }
  }
  if (reader.ok()) {
    Result<ResourceCatalog> catalog = ResourceCatalog::Create(custom);
    if (!catalog.ok()) {
      reader.Fail(root["resources"], "resources", catalog.status().message());
    } else {
      inventory.resources = *catalog;
    }
  }
  std::string placement = reader.String(root, "placement", "config", false);
  if (!placement.empty() && !ParsePlacementKind(placement, &config.engine.placement.kind)) {
    reader.Fail(root["placement"], "placement", "must be first_fit, best_fit or frag_aware");
  }
  std::string ordering = reader.String(root, "ordering", "config", false);
  if (!ordering.empty() && !ParseQueueOrdering(ordering, &config.engine.ordering)) {
    reader.Fail(root["ordering"], "ordering", "must be fair_share, priority or fifo");
  }
  config.engine.placement.frag_max_candidates =
      static_cast<int>(reader.Integer(root, "frag_max_candidates", "config", 0, 1 << 20));
  std::string measure = reader.String(root, "frag_measure", "config", false);
  if (!measure.empty() && !ParseFragMeasure(measure, &config.engine.placement.frag_measure)) {
    reader.Fail(root["frag_measure"], "frag_measure", "must be host_aware, fgd or hybrid");
  }
  if (const YAML::Node models = root["gpu_models"]; models && reader.ok()) {
    if (!models.IsSequence()) reader.Fail(models, "gpu_models", "must be a list");
    for (size_t i = 0; reader.ok() && models.IsSequence() && i < models.size(); ++i) {
      std::string path = fmt::format("gpu_models[{}]", i);
      reader.OnlyKeys(models[i], path, {"name", "memory"});
      if (!reader.ok()) break;
      GpuModel model;
      model.name = reader.String(models[i], "name", path, true);
      if (reader.ok() && inventory.FindGpuModel(model.name) >= 0) {
        reader.Fail(models[i]["name"], path + ".name", "duplicate GPU model '" + model.name + "'");
      }
      model.memory_mib = reader.Parsed(models[i], "memory", path, ParseMemoryMib);
      if (reader.ok() && model.memory_mib <= 0) {
        reader.Fail(models[i], path + ".memory", "is required and must be > 0");
      }
      inventory.gpu_models.push_back(model);
    }
  }
  // Pools may be left out when the gateway's endpoints make the inventory.
  const YAML::Node pools = root["pools"];
  if (reader.ok() &&
      (pools ? !pools.IsSequence() || (pools.size() == 0 && !root["gateway"]) : !root["gateway"])) {
    reader.Fail(pools ? pools : root, "pools", "must be a non-empty list");
  }
  std::set<std::string> node_names;
  std::set<std::string> pool_names;
  for (size_t i = 0; reader.ok() && pools && i < pools.size(); ++i) {
    const YAML::Node entry = pools[i];
    std::string path = fmt::format("pools[{}]", i);
    reader.OnlyKeys(entry, path, {"name", "gpu_model", "tier", "nodes"});
    if (!reader.ok()) break;
    Pool pool;
    pool.name = reader.String(entry, "name", path, true);
    if (reader.ok() && !pool_names.insert(pool.name).second) {
      reader.Fail(entry["name"], path + ".name", "duplicate pool '" + pool.name + "'");
    }
    std::string model = reader.String(entry, "gpu_model", path, false);
    if (!model.empty()) {
      pool.gpu_model = inventory.FindGpuModel(model);
      if (pool.gpu_model < 0) {
        reader.Fail(entry["gpu_model"], path + ".gpu_model",
                    "unknown GPU model '" + model + "' (declare it under gpu_models:)");
      }
    }
    std::string tier = reader.String(entry, "tier", path, false);
    if (!tier.empty() && !ParseTier(tier, &pool.tier)) {
      reader.Fail(entry["tier"], path + ".tier", "must be reserved, on_demand or spot");
    }
    inventory.pools.push_back(pool);
    if (!entry["nodes"]) {
      reader.Fail(entry, path + ".nodes", "is required");
      break;
    }
    ReadNodes(reader, entry["nodes"], path + ".nodes", static_cast<PoolIndex>(i),
              inventory.resources, &inventory, &node_names);
  }
  if (!reader.ok()) return reader.error();
  config_internal::ReadGatewayConfig(reader, root, &inventory, &node_names, &config.gateway);
  if (!reader.ok()) return reader.error();
  Status valid = inventory.Validate();
  if (!valid.ok()) {
    return InvalidArgument(valid.message());  // positioned by ParseConfig from its field
  }
  ReadClasses(reader, root["classes"], &config.engine.classes);
  ReadTenants(reader, root["tenants"], inventory.resources, &config.engine.tenants);
  if (!reader.ok()) return reader.error();
  // The tree's rules (parents, cycles, guarantees against capacity) up front,
  // positioned at the tenant the message names.
  ResourceVector capacity;
  std::vector<std::pair<std::string, ResourceVector>> pool_capacity;
  for (const Pool& pool : inventory.pools) pool_capacity.emplace_back(pool.name, ResourceVector());
  for (const Node& node : inventory.nodes) {
    capacity.Add(node.capacity);
    pool_capacity[node.pool].second.Add(node.capacity);
  }
  Result<Tenancy> tenancy = Tenancy::Create(config.engine.tenants, config.engine.classes, capacity,
                                            inventory.resources, pool_capacity);
  if (!tenancy.ok()) {
    const std::string& message = tenancy.status().message();
    YAML::Node where = root["tenants"] ? root["tenants"] : root;
    size_t index = 0;
    if (std::sscanf(message.c_str(), "tenants[%zu]", &index) == 1 && where.IsSequence() &&
        index < where.size()) {
      where = where[index];
    } else if (std::sscanf(message.c_str(), "classes[%zu]", &index) == 1 && root["classes"] &&
               index < root["classes"].size()) {
      where = root["classes"][index];
    }
    const YAML::Mark mark = where.Mark();
    return InvalidArgument(
        fmt::format("{}:{}:{}: {}", source, mark.line + 1, mark.column + 1, message));
  }
  // Prices and budgets, checked against the inventory and the tenant tree.
  BudgetOptions& budgets = config.engine.budgets;
  config_internal::ReadBudgetConfig(reader, root, inventory, &budgets);
  if (!reader.ok()) return reader.error();
  Status budget_status = Status::Ok();
  if (Result<PriceCatalog> prices = PriceCatalog::Create(budgets.prices, inventory); !prices.ok()) {
    budget_status = prices.status();
  } else if (Result<BudgetLedger> ledger =
                 BudgetLedger::Create(budgets, *tenancy, inventory.resources);
             !ledger.ok()) {
    budget_status = ledger.status();
  }
  if (!budget_status.ok()) {
    const YAML::Mark mark = config_internal::BudgetErrorNode(root, budget_status.message()).Mark();
    return InvalidArgument(fmt::format("{}:{}:{}: {}", source, mark.line + 1, mark.column + 1,
                                       budget_status.message()));
  }
  std::vector<std::string> priced;
  for (const ModelPriceSpec& model : budgets.prices.models) priced.push_back(model.model);
  config_internal::CheckGatewayPrices(reader, root, config.gateway, priced);
  if (!reader.ok()) return reader.error();
  // The server's keys; API keys are bound to tenants of the tree.
  config_internal::ReadServerConfig(reader, root, *tenancy, &config.server);
  if (!reader.ok()) return reader.error();
  return config;
}

}  // namespace

Result<Config> ParseConfig(std::string_view yaml_text, std::string_view source) {
  // yaml-cpp reports syntax errors, and some conversions, by throwing; they
  // become InvalidArgument with the position here, and never escape.
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return InvalidArgument(config_internal::Positioned(source, e.mark, "yaml", e.msg));
  }
  Result<Config> config = InvalidArgument("not parsed");
  try {
    Status tags = config_internal::CheckTags(root, source);
    if (!tags.ok()) return tags;
    config = ParseConfigTree(root, source);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(config_internal::Positioned(source, e.mark, "config", e.msg));
  }
  if (config.ok()) return config;
  // Every error reads "FILE:line:column: field: why": one that does not
  // carry its position yet (checks run after the walk) is positioned at the
  // node its field names, as deep as the tree goes.
  const std::string& message = config.status().message();
  if (config_internal::HasPosition(message, source)) return config;
  return InvalidArgument(config_internal::Positioned(
      source, config_internal::NodeOfField(root, message).Mark(), message));
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return NotFound(path + ": cannot open the configuration file");
  std::stringstream text;
  text << file.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace allot
