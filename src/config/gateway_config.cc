#include "config/gateway_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "config/server_config.h"
#include "config/yaml_reader.h"

namespace allot {

std::string_view RoutePolicyName(RoutePolicy policy) {
  return policy == RoutePolicy::kCheapest ? "cheapest" : "least_loaded";
}

std::string ReplicaNodeName(const GatewayEndpoint& endpoint, size_t replica) {
  return fmt::format("{}-{}", endpoint.name, replica);
}

std::vector<std::pair<const GatewayEndpoint*, const GatewayModel*>> GatewayConfig::Serving(
    std::string_view model) const {
  std::vector<std::pair<const GatewayEndpoint*, const GatewayModel*>> out;
  for (const GatewayEndpoint& endpoint : endpoints) {
    for (const GatewayModel& served : endpoint.models) {
      if (served.name == model) out.emplace_back(&endpoint, &served);
    }
  }
  return out;
}

const GatewayRoute* GatewayConfig::FindRoute(std::string_view name) const {
  for (const GatewayRoute& route : routes) {
    if (route.name == name) return &route;
  }
  return nullptr;
}

const std::vector<std::string>* GatewayConfig::FallbacksOf(std::string_view name) const {
  for (const auto& [model, list] : fallbacks) {
    if (model == name) return &list;
  }
  return nullptr;
}

namespace config_internal {
namespace {

constexpr int64_t kMaxReplicas = 1024;
constexpr int64_t kMaxSlots = 100'000;
constexpr int64_t kMaxTokens = int64_t{1} << 32;

bool ParsePolicy(std::string_view text, RoutePolicy* out) {
  if (text == "least_loaded") {
    *out = RoutePolicy::kLeastLoaded;
  } else if (text == "cheapest") {
    *out = RoutePolicy::kCheapest;
  } else {
    return false;
  }
  return true;
}

void ReadPolicy(Reader& reader, const YAML::Node& map, const std::string& field, RoutePolicy* out) {
  std::string text = reader.String(map, "policy", field, false);
  if (!text.empty() && !ParsePolicy(text, out)) {
    reader.Fail(map["policy"], field + ".policy", "must be least_loaded or cheapest");
  }
}

Duration ReadDuration(Reader& reader, const YAML::Node& map, const std::string& key,
                      const std::string& field, Duration fallback, Duration min) {
  if (!map[key]) return fallback;
  Duration value = reader.Parsed(map, key, field, ParseDuration);
  if (reader.ok() && value < min) {
    reader.Fail(map[key], field + "." + key,
                fmt::format("must be at least {} s", min / kMicrosPerSecond));
  }
  return value;
}

void ReadModels(Reader& reader, const YAML::Node& list, const std::string& field,
                GatewayEndpoint* endpoint) {
  if (!list || !list.IsSequence() || list.size() == 0) {
    return reader.Fail(list ? list : YAML::Node(), field, "must be a non-empty list of models");
  }
  for (size_t i = 0; i < list.size() && reader.ok(); ++i) {
    std::string path = fmt::format("{}[{}]", field, i);
    GatewayModel model;
    if (list[i].IsScalar()) {
      model.name = list[i].Scalar();
    } else {
      reader.OnlyKeys(list[i], path, {"name", "upstream", "context"});
      if (!reader.ok()) return;
      model.name = reader.String(list[i], "name", path, true);
      model.upstream_name = reader.String(list[i], "upstream", path, false);
      model.context_tokens = reader.Integer(list[i], "context", path, 0, kMaxTokens);
    }
    if (model.name.empty()) return reader.Fail(list[i], path, "a model needs a name");
    if (model.upstream_name.empty()) model.upstream_name = model.name;
    for (const GatewayModel& other : endpoint->models) {
      if (other.name == model.name) {
        return reader.Fail(list[i], path, "duplicate model '" + model.name + "'");
      }
    }
    endpoint->models.push_back(std::move(model));
  }
}

void ReadEndpoint(Reader& reader, const YAML::Node& entry, const std::string& path,
                  GatewayEndpoint* endpoint) {
  reader.OnlyKeys(entry, path,
                  {"name", "base_url", "replicas", "slots", "api_key_env", "latency", "models"});
  if (!reader.ok()) return;
  endpoint->name = reader.String(entry, "name", path, true);
  if (entry["base_url"] && entry["replicas"]) {
    return reader.Fail(entry, path, "give base_url (one replica) or replicas, not both");
  }
  if (const YAML::Node url = entry["base_url"]) {
    endpoint->replicas.push_back(reader.Scalar(url, path + ".base_url"));
  } else if (const YAML::Node replicas = entry["replicas"]) {
    if (!replicas.IsSequence() || replicas.size() == 0 ||
        replicas.size() > static_cast<size_t>(kMaxReplicas)) {
      return reader.Fail(replicas, path + ".replicas",
                         fmt::format("must be a list of 1 to {} base URLs", kMaxReplicas));
    }
    for (size_t r = 0; r < replicas.size(); ++r) {
      endpoint->replicas.push_back(
          reader.Scalar(replicas[r], fmt::format("{}.replicas[{}]", path, r)));
    }
  } else {
    return reader.Fail(entry, path, "needs base_url or replicas");
  }
  for (size_t r = 0; r < endpoint->replicas.size() && reader.ok(); ++r) {
    if (Result<HttpUrl> url = ParseHttpUrl(endpoint->replicas[r]); !url.ok()) {
      const YAML::Node where = entry["base_url"] ? entry["base_url"] : entry["replicas"][r];
      reader.Fail(where,
                  entry["base_url"] ? path + ".base_url" : fmt::format("{}.replicas[{}]", path, r),
                  endpoint->replicas[r].rfind("https://", 0) == 0
                      ? "https is not supported yet: the gateway calls upstreams over http:// "
                        "(put a local TLS proxy in front)"
                      : url.status().message());
    }
  }
  if (!entry["slots"]) return reader.Fail(entry, path + ".slots", "is required");
  endpoint->slots = reader.Integer(entry, "slots", path, 0, kMaxSlots);
  if (reader.ok() && endpoint->slots < 1) {
    reader.Fail(entry["slots"], path + ".slots", "must be at least 1");
  }
  endpoint->api_key_env = reader.String(entry, "api_key_env", path, false);
  endpoint->latency = ReadDuration(reader, entry, "latency", path, 0, 0);
  if (reader.ok()) ReadModels(reader, entry["models"], path + ".models", endpoint);
}

// True for a name a client may call: a served model or a route.
bool Callable(const GatewayConfig& config, std::string_view name) {
  return !config.Serving(name).empty() || config.FindRoute(name) != nullptr;
}

}  // namespace

void ReadGatewayConfig(Reader& reader, const YAML::Node& root, Inventory* inventory,
                       std::set<std::string>* node_names, GatewayConfig* config) {
  const YAML::Node gateway = root["gateway"];
  if (!gateway) return;
  reader.OnlyKeys(gateway, "gateway",
                  {"endpoints", "routes", "fallbacks", "policy", "max_wait", "connect_timeout",
                   "first_byte_timeout", "upstream_timeout", "default_max_tokens"});
  if (!reader.ok()) return;
  ReadPolicy(reader, gateway, "gateway", &config->policy);
  config->max_wait = ReadDuration(reader, gateway, "max_wait", "gateway", config->max_wait, 0);
  config->connect_timeout = ReadDuration(reader, gateway, "connect_timeout", "gateway",
                                         config->connect_timeout, Seconds(1));
  config->first_byte_timeout = ReadDuration(reader, gateway, "first_byte_timeout", "gateway",
                                            config->first_byte_timeout, Seconds(1));
  config->upstream_timeout = ReadDuration(reader, gateway, "upstream_timeout", "gateway",
                                          config->upstream_timeout, Seconds(1));
  config->default_max_tokens = reader.Integer(gateway, "default_max_tokens", "gateway",
                                              config->default_max_tokens, kMaxTokens);
  if (reader.ok() && config->default_max_tokens < 1) {
    reader.Fail(gateway["default_max_tokens"], "gateway.default_max_tokens", "must be at least 1");
  }
  const YAML::Node endpoints = gateway["endpoints"];
  if (reader.ok() && (!endpoints || !endpoints.IsSequence() || endpoints.size() == 0)) {
    return reader.Fail(endpoints ? endpoints : gateway, "gateway.endpoints",
                       "must be a non-empty list");
  }
  std::set<std::string> pool_names;
  for (const Pool& pool : inventory->pools) pool_names.insert(pool.name);
  for (size_t i = 0; reader.ok() && i < endpoints.size(); ++i) {
    std::string path = fmt::format("gateway.endpoints[{}]", i);
    GatewayEndpoint endpoint;
    ReadEndpoint(reader, endpoints[i], path, &endpoint);
    if (!reader.ok()) return;
    if (!pool_names.insert(endpoint.name).second) {
      return reader.Fail(endpoints[i]["name"], path + ".name",
                         "'" + endpoint.name + "' is already a pool or endpoint name");
    }
    // The endpoint's pool: one node per replica, calls spread over them.
    Pool pool;
    pool.name = endpoint.name;
    pool.tier = Tier::kReserved;
    pool.spread = true;
    auto pool_index = static_cast<PoolIndex>(inventory->pools.size());
    inventory->pools.push_back(pool);
    for (size_t r = 0; r < endpoint.replicas.size(); ++r) {
      Node node;
      node.name = ReplicaNodeName(endpoint, r);
      node.pool = pool_index;
      node.capacity[kSlots] = endpoint.slots;
      node.labels = {{"endpoint", endpoint.name}};
      if (!node_names->insert(node.name).second) {
        return reader.Fail(endpoints[i]["name"], path + ".name",
                           "its replica node '" + node.name + "' clashes with a configured node");
      }
      inventory->nodes.push_back(std::move(node));
    }
    config->endpoints.push_back(std::move(endpoint));
  }
  if (const YAML::Node routes = gateway["routes"]; routes && reader.ok()) {
    if (!routes.IsSequence()) return reader.Fail(routes, "gateway.routes", "must be a list");
    for (size_t i = 0; reader.ok() && i < routes.size(); ++i) {
      std::string path = fmt::format("gateway.routes[{}]", i);
      reader.OnlyKeys(routes[i], path, {"name", "models", "policy"});
      if (!reader.ok()) return;
      GatewayRoute route;
      route.name = reader.String(routes[i], "name", path, true);
      ReadPolicy(reader, routes[i], path, &route.policy);
      if (!reader.ok()) return;
      if (Callable(*config, route.name)) {
        return reader.Fail(routes[i]["name"], path + ".name",
                           "'" + route.name + "' is already a model or route name");
      }
      const YAML::Node models = routes[i]["models"];
      if (!models || !models.IsSequence() || models.size() == 0) {
        return reader.Fail(models ? models : routes[i], path + ".models",
                           "must be a non-empty list of served models");
      }
      for (size_t m = 0; reader.ok() && m < models.size(); ++m) {
        std::string field = fmt::format("{}.models[{}]", path, m);
        std::string model = reader.Scalar(models[m], field);
        if (reader.ok() && config->Serving(model).empty()) {
          return reader.Fail(models[m], field,
                             "'" + model + "' is not served by any gateway endpoint");
        }
        route.models.push_back(model);
      }
      config->routes.push_back(std::move(route));
    }
  }
  if (const YAML::Node fallbacks = gateway["fallbacks"]; fallbacks && reader.ok()) {
    if (!fallbacks.IsMap()) {
      return reader.Fail(fallbacks, "gateway.fallbacks",
                         "must map a model (or route) to the list of models to try next");
    }
    for (const auto& item : fallbacks) {
      std::string name = item.first.IsScalar() ? item.first.Scalar() : "";
      std::string field = "gateway.fallbacks." + name;
      if (!Callable(*config, name)) {
        return reader.Fail(item.first, field, "'" + name + "' is not a served model or route");
      }
      if (!item.second.IsSequence() || item.second.size() == 0) {
        return reader.Fail(item.second, field, "must be a non-empty list of models");
      }
      std::vector<std::string> list;
      for (size_t k = 0; k < item.second.size(); ++k) {
        std::string target = reader.Scalar(item.second[k], fmt::format("{}[{}]", field, k));
        if (!reader.ok()) return;
        if (!Callable(*config, target) || target == name) {
          return reader.Fail(item.second[k], fmt::format("{}[{}]", field, k),
                             "'" + target + "' is not another served model or route");
        }
        list.push_back(target);
      }
      config->fallbacks.emplace_back(name, std::move(list));
    }
  }
}

void CheckGatewayPrices(Reader& reader, const YAML::Node& root, const GatewayConfig& config,
                        const std::vector<std::string>& priced) {
  for (size_t i = 0; i < config.endpoints.size() && reader.ok(); ++i) {
    for (size_t m = 0; m < config.endpoints[i].models.size(); ++m) {
      const std::string& name = config.endpoints[i].models[m].name;
      if (std::find(priced.begin(), priced.end(), name) != priced.end()) continue;
      return reader.Fail(root["gateway"]["endpoints"][i]["models"][m],
                         fmt::format("gateway.endpoints[{}].models[{}]", i, m),
                         "model '" + name +
                             "' has no price under prices.models (give it one; \"0\" for a "
                             "model whose cost is its GPUs')");
    }
  }
}

}  // namespace config_internal
}  // namespace allot
