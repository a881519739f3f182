#include "config/config_loader.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <optional>
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

// A class's duration (ParseDuration: "0.25", "250ms", "10m", "1d"), at most
// `max`; 0 when absent or on error. False on error.
bool ReadClassDuration(Reader& reader, const YAML::Node& entry, const std::string& key,
                       const std::string& path, Duration max, Duration* out) {
  const YAML::Node node = entry[key];
  if (!node) return true;
  const std::string field = path + "." + key;
  Duration value = reader.ParsedNode(node, field, ParseDuration);
  if (!reader.ok()) return false;
  if (value > max) {
    reader.Fail(node, field, fmt::format("must be at most {}d", max / Seconds(86400)));
    return false;
  }
  *out = value;
  return true;
}

void ReadClasses(Reader& reader, const YAML::Node& list, std::vector<PriorityClass>* classes) {
  if (!list) return;
  if (!list.IsSequence()) return reader.Fail(list, "classes", "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    Reader::Scope scope(reader);  // each class's first error
    [&] {
      const YAML::Node entry = list[i];
      std::string path = fmt::format("classes[{}]", i);
      reader.OnlyKeys(entry, path,
                      {"name", "value", "preempt", "preemptible", "borrow", "spot_only", "queueing",
                       "max_wait", "grace", "aging", "over_budget", "throttle_at",
                       "over_reservation", "wait_objective", "latency_objective"});
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
      // Durations in ParseDuration's one form; a plain number is seconds, as
      // these fields always took. wait_objective: the wait its requests should
      // start within (allot sim); latency_objective: the gateway's cheapest
      // routing takes endpoints whose latency is within it.
      constexpr Duration kYear = Seconds(int64_t{366} * 86400);
      if (!ReadClassDuration(reader, entry, "max_wait", path, 10 * kYear, &c.max_wait) ||
          !ReadClassDuration(reader, entry, "grace", path, kYear, &c.preemption_grace) ||
          !ReadClassDuration(reader, entry, "aging", path, kYear, &c.aging) ||
          !ReadClassDuration(reader, entry, "wait_objective", path, kYear, &c.wait_objective) ||
          !ReadClassDuration(reader, entry, "latency_objective", path, kYear,
                             &c.latency_objective)) {
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
    }();
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
  for (size_t i = 0; i < list.size(); ++i) {
    Reader::Scope scope(reader);  // each tenant's first error
    [&] {
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
    }();
  }
}

// Reads `root` into *config; every error goes to `reader` (ParseConfig
// positions and orders them). Independent parts are read in scopes of their
// own, so that one run reports each: the top-level keys, each entry of
// gpu_models, pools, classes, tenants, budgets, api_keys and webhooks, and
// each of the gateway, currency, time_zone, default_estimate, prices and
// server. A check that needs the parts before it (the inventory's, the
// tenant tree's, the budgets', the API keys' tenants) runs only when those
// had no error, so it reports no echo of theirs.
void ParseConfigTree(const YAML::Node& root, std::string_view source, Reader& reader, Config* out) {
  Config& config = *out;
  Inventory& inventory = config.inventory;
  // A complete message, positioned or not, in a scope of its own.
  auto fail = [&reader](std::string message) {
    Reader::Scope scope(reader);
    reader.FailMessage(std::move(message));
  };
  if (!root.IsMap()) {
    return fail(root.IsNull() || !root.IsDefined()
                    ? "config: must be a YAML mapping (the text is empty)"
                    : "config: must be a YAML mapping of sections (pools:, tenants:, ...)");
  }
  {
    Reader::Scope scope(reader);
    reader.OnlyKeys(
        root, "config",
        {"resources", "placement", "ordering", "frag_measure", "frag_max_candidates", "gpu_models",
         "pools", "classes", "tenants", "currency", "time_zone", "default_estimate", "prices",
         "budgets", "server", "api_keys", "webhooks", "gateway"});
  }
  {
    Reader::Scope scope(reader);
    std::vector<std::string> custom;
    if (const YAML::Node resources = root["resources"]) {
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
  }
  {
    Reader::Scope scope(reader);
    std::string placement = reader.String(root, "placement", "config", false);
    if (!placement.empty() && !ParsePlacementKind(placement, &config.engine.placement.kind)) {
      reader.Fail(root["placement"], "placement", "must be first_fit, best_fit or frag_aware");
    }
  }
  {
    Reader::Scope scope(reader);
    std::string ordering = reader.String(root, "ordering", "config", false);
    if (!ordering.empty() && !ParseQueueOrdering(ordering, &config.engine.ordering)) {
      reader.Fail(root["ordering"], "ordering", "must be fair_share, priority or fifo");
    }
  }
  {
    Reader::Scope scope(reader);
    config.engine.placement.frag_max_candidates =
        static_cast<int>(reader.Integer(root, "frag_max_candidates", "config", 0, 1 << 20));
  }
  {
    Reader::Scope scope(reader);
    std::string measure = reader.String(root, "frag_measure", "config", false);
    if (!measure.empty() && !ParseFragMeasure(measure, &config.engine.placement.frag_measure)) {
      reader.Fail(root["frag_measure"], "frag_measure", "must be host_aware, fgd or hybrid");
    }
  }
  if (const YAML::Node models = root["gpu_models"]) {
    Reader::Scope section(reader);
    if (!models.IsSequence()) reader.Fail(models, "gpu_models", "must be a list");
    for (size_t i = 0; models.IsSequence() && i < models.size(); ++i) {
      Reader::Scope scope(reader);  // each model's first error
      std::string path = fmt::format("gpu_models[{}]", i);
      reader.OnlyKeys(models[i], path, {"name", "memory"});
      if (!reader.ok()) continue;
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
  if (pools ? !pools.IsSequence() || (pools.size() == 0 && !root["gateway"]) : !root["gateway"]) {
    Reader::Scope scope(reader);
    reader.Fail(pools ? pools : root, "pools", "must be a non-empty list");
  }
  std::set<std::string> node_names;
  std::set<std::string> pool_names;
  for (size_t i = 0; pools && pools.IsSequence() && i < pools.size(); ++i) {
    Reader::Scope scope(reader);  // each pool's first error
    const YAML::Node entry = pools[i];
    std::string path = fmt::format("pools[{}]", i);
    reader.OnlyKeys(entry, path, {"name", "gpu_model", "tier", "nodes"});
    if (!reader.ok()) continue;
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
      continue;
    }
    // The index of the pool just added: a pool skipped above is not in the
    // inventory, so it may differ from i.
    ReadNodes(reader, entry["nodes"], path + ".nodes",
              static_cast<PoolIndex>(inventory.pools.size() - 1), inventory.resources, &inventory,
              &node_names);
  }
  {
    Reader::Scope scope(reader);
    config_internal::ReadGatewayConfig(reader, root, &inventory, &node_names, &config.gateway);
  }
  if (!reader.any_error()) {
    Status valid = inventory.Validate();
    if (!valid.ok()) fail(valid.message());  // positioned by ParseConfig from its field
  }
  const bool inventory_ok = !reader.any_error();
  const size_t before_tenancy = reader.errors().size();
  {
    Reader::Scope scope(reader);
    ReadClasses(reader, root["classes"], &config.engine.classes);
  }
  {
    Reader::Scope scope(reader);
    ReadTenants(reader, root["tenants"], inventory.resources, &config.engine.tenants);
  }
  // The tree's rules (parents, cycles, guarantees against capacity) up front,
  // positioned at the tenant the message names.
  std::optional<Tenancy> tenancy;
  if (inventory_ok && reader.errors().size() == before_tenancy) {
    ResourceVector capacity;
    std::vector<std::pair<std::string, ResourceVector>> pool_capacity;
    for (const Pool& pool : inventory.pools) {
      pool_capacity.emplace_back(pool.name, ResourceVector());
    }
    for (const Node& node : inventory.nodes) {
      capacity.Add(node.capacity);
      pool_capacity[node.pool].second.Add(node.capacity);
    }
    Result<Tenancy> created = Tenancy::Create(config.engine.tenants, config.engine.classes,
                                              capacity, inventory.resources, pool_capacity);
    if (!created.ok()) {
      const std::string& message = created.status().message();
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
      fail(fmt::format("{}:{}:{}: {}", source, mark.line + 1, mark.column + 1, message));
    } else {
      tenancy.emplace(std::move(created).value());
    }
  }
  // Prices and budgets, read in any case, checked against the inventory and
  // the tenant tree when both are whole.
  BudgetOptions& budgets = config.engine.budgets;
  const size_t before_budgets = reader.errors().size();
  config_internal::ReadBudgetConfig(reader, root, inventory, &budgets);
  const bool budgets_read = reader.errors().size() == before_budgets;
  if (tenancy && budgets_read) {
    Status budget_status = Status::Ok();
    if (Result<PriceCatalog> prices = PriceCatalog::Create(budgets.prices, inventory);
        !prices.ok()) {
      budget_status = prices.status();
    } else if (Result<BudgetLedger> ledger =
                   BudgetLedger::Create(budgets, *tenancy, inventory.resources);
               !ledger.ok()) {
      budget_status = ledger.status();
    }
    if (!budget_status.ok()) {
      const YAML::Mark mark =
          config_internal::BudgetErrorNode(root, budget_status.message()).Mark();
      fail(fmt::format("{}:{}:{}: {}", source, mark.line + 1, mark.column + 1,
                       budget_status.message()));
    } else {
      std::vector<std::string> priced;
      for (const ModelPriceSpec& model : budgets.prices.models) priced.push_back(model.model);
      Reader::Scope scope(reader);
      config_internal::CheckGatewayPrices(reader, root, config.gateway, priced);
    }
  }
  // The server's keys; API keys are bound to tenants of the tree, so they
  // are read only with a tree to bind them to.
  config_internal::ReadServerConfig(reader, root, tenancy ? &*tenancy : nullptr, &config.server);
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
  Reader reader(source);
  Config config;
  try {
    Status tags = config_internal::CheckTags(root, source);
    if (!tags.ok()) return tags;
    ParseConfigTree(root, source, reader, &config);
  } catch (const YAML::Exception& e) {
    Reader::Scope scope(reader);
    reader.FailMessage(config_internal::Positioned(source, e.mark, "config", e.msg));
  }
  if (!reader.any_error()) return config;
  return InvalidArgument(config_internal::JoinErrors(root, source, reader.errors()));
}

Result<Config> LoadConfigFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return NotFound(path + ": cannot open the configuration file");
  std::stringstream text;
  text << file.rdbuf();
  return ParseConfig(text.str(), path);
}

}  // namespace allot
