#pragma once

// The configuration of the OpenAI-compatible gateway: the top-level key
// `gateway` (docs/gateway.md). Each endpoint becomes a pool of its own, one
// node per replica with `slots` concurrency slots, so that a model call is a
// lease on one slot and waits, is ordered and is budgeted like any lease.
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "common/time.h"
#include "model/inventory.h"

namespace YAML {
class Node;
}  // namespace YAML

namespace allot {

// How a call picks among the endpoints (and models) that can serve it.
enum class RoutePolicy : uint8_t {
  kLeastLoaded,  // the most free slots (the fewest waiting when none is free)
  kCheapest,     // the lowest price that meets the class's latency objective
};
std::string_view RoutePolicyName(RoutePolicy policy);

struct GatewayModel {
  std::string name;            // what clients call it; priced under prices.models
  std::string upstream_name;   // what the upstream calls it (default: name)
  int64_t context_tokens = 0;  // prompt + output must fit; 0: unchecked
};

struct GatewayEndpoint {
  std::string name;                   // its pool's name too
  std::vector<std::string> replicas;  // base URLs ("http://10.0.0.5:8000/v1"), one per replica
  int64_t slots = 0;                  // concurrent calls per replica
  std::string api_key_env;            // environment variable holding its API key; "" for none
  Duration latency = 0;               // the latency it is expected to meet; 0: unstated
  std::vector<GatewayModel> models;
};

// A name clients may call that stands for several models ("chat" for the
// cheapest of gpt-4o-mini and llama-3.1-70b that is fast enough).
struct GatewayRoute {
  std::string name;
  std::vector<std::string> models;
  RoutePolicy policy = RoutePolicy::kLeastLoaded;
};

struct GatewayConfig {
  std::vector<GatewayEndpoint> endpoints;  // none: the gateway is off
  std::vector<GatewayRoute> routes;
  // Models (or routes) tried in order when a call's upstream fails.
  std::vector<std::pair<std::string, std::vector<std::string>>> fallbacks;
  RoutePolicy policy = RoutePolicy::kLeastLoaded;  // among endpoints serving one model
  Duration max_wait = Seconds(30);                 // longest a call waits for a slot, then 429
  Duration connect_timeout = Seconds(5);
  Duration first_byte_timeout = Seconds(120);  // until the upstream's response head
  Duration upstream_timeout = Seconds(600);    // the whole upstream call
  int64_t default_max_tokens = 4096;           // output ceiling reserved when a call names none

  bool enabled() const { return !endpoints.empty(); }
  // The endpoint and model entries serving `model` (not routes).
  std::vector<std::pair<const GatewayEndpoint*, const GatewayModel*>> Serving(
      std::string_view model) const;
  const GatewayRoute* FindRoute(std::string_view name) const;
  const std::vector<std::string>* FallbacksOf(std::string_view name) const;
};

// Node names of an endpoint's replicas: "<endpoint>-<i>".
std::string ReplicaNodeName(const GatewayEndpoint& endpoint, size_t replica);

namespace config_internal {

class Reader;

// Reads `gateway` of `root` and adds one pool per endpoint to `inventory`
// (node names must not clash with configured nodes: `node_names`).
void ReadGatewayConfig(Reader& reader, const YAML::Node& root, Inventory* inventory,
                       std::set<std::string>* node_names, GatewayConfig* config);
// Every served model must have a price (a served model without one would be
// refused at every call); `priced` lists the names under prices.models.
void CheckGatewayPrices(Reader& reader, const YAML::Node& root, const GatewayConfig& config,
                        const std::vector<std::string>& priced);

}  // namespace config_internal
}  // namespace allot
