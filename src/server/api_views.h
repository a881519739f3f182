#pragma once

// The JSON the API answers with (docs/api.md): lease objects, events, and the
// views of tenants, budgets, classes, pools and nodes. Read-only over the
// engine, except that a queued request's ETA probes placement (and puts
// everything back).

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "server/engine_host.h"

namespace allot {

// A quantity in the API's unit: GPUs and cores as decimals, the others as
// integers (MiB, slots, custom units).
nlohmann::json QuantityJson(int resource, int64_t amount);
nlohmann::json ResourcesJson(const ResourceVector& amounts, const ResourceCatalog& catalog,
                             bool skip_zero);
std::string TimeJson(Time t);

// The lease object of request `id`, from the engine (granted or queued) or the
// history (ended or rejected); null when unknown. `tenant_path` gets the
// tenant it belongs to (for the caller's subtree check).
nlohmann::json LeaseJson(EngineHost& host, uint64_t id, std::string* tenant_path);
// The lease object of a granted lease and of a finished request as JSON text
// (the hot replies write these directly; LeaseJson is the same, parsed).
// `replayed`, when given, adds the Submit answer's "replayed" field.
std::string GrantedLeaseText(const Engine& engine, const Lease& lease, const bool* replayed);
std::string FinishedLeaseText(const FinishedRequest& finished);
// The lease object a Submit decision answers with.
nlohmann::json SubmitAnswerJson(EngineHost& host, const Decision& decision);
// Cheaper form for queue listings: no ETA probe unless asked.
nlohmann::json QueuedJson(EngineHost& host, const Engine::QueuedView& queued, bool with_eta);

// One decision as an event: {"kind", "at", ...}; `tenant_path` gets the
// tenant it concerns ("" for a root budget's alert, or unknown).
nlohmann::json DecisionEventJson(EngineHost& host, const Decision& decision,
                                 std::string* tenant_path);

nlohmann::json TenantJson(const Engine& engine, int tenant);
nlohmann::json BudgetJson(const Engine& engine, int budget);
nlohmann::json ClassJson(const PriorityClass& priority_class);
nlohmann::json PoolJson(const Engine& engine, int pool);
// A node with "leases": `leases` are the leases to list on it (those with an
// assignment on the node that the caller may see), each as {"id", "tenant",
// "class", "placement"} with only its assignments on this node.
nlohmann::json NodeJson(const Engine& engine, int node, const std::vector<const Lease*>& leases);
// The engine's leases by node index, in lease id order, each lease under
// every node it has an assignment on; one pass over the leases.
std::vector<std::vector<const Lease*>> LeasesByNode(const Engine& engine);

std::string_view RejectHttpCode(RejectCode code, int* http_status);

}  // namespace allot
