#pragma once

// Internal to the snapshot codec: one lease and its placement as JSON, with
// the tenant, class, nodes and MIG profiles written by name.

#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"
#include "engine/lease.h"
#include "model/inventory.h"
#include "tenancy/tenants.h"

namespace allot::store {

// Fixed-point amounts by resource name, zeros left out (snapshot form: the
// raw integers, milli-GPU and milli-cores included, not the API's decimals).
nlohmann::json RawResourcesToJson(const ResourceVector& amounts, const ResourceCatalog& catalog);
Result<ResourceVector> RawResourcesFromJson(const nlohmann::json& value,
                                            const ResourceCatalog& catalog,
                                            const std::string& field);

// An index that names nothing under this configuration (a caller's bug) is
// written as "#<index>", which no name matches, so the decode fails on it
// instead of the encode crashing.
nlohmann::json LeaseToJson(const Lease& lease, const Inventory& inventory, const Tenancy& tenancy);
// InvalidArgument naming the lease ("<path>[id 7].placement[1].node: unknown
// node 'n9'"); the snapshot codec reports it as DataLoss.
Result<Lease> LeaseFromJson(const nlohmann::json& value, const Inventory& inventory,
                            const Tenancy& tenancy, const std::string& path);

}  // namespace allot::store
