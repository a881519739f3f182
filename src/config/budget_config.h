#pragma once

#include <yaml-cpp/yaml.h>

#include "budget/budget.h"
#include "config/yaml_reader.h"
#include "model/inventory.h"

namespace allot::config_internal {

// Reads the top-level keys currency, time_zone, default_estimate, prices and
// budgets into `options` (see docs/budgets.md for the format). Loads the time
// zone from the system's tzdata.
void ReadBudgetConfig(Reader& reader, const YAML::Node& root, const Inventory& inventory,
                      BudgetOptions* options);

// Where in `root` the message of a PriceCatalog or BudgetLedger error points
// ("prices.pools[1] ...", "budgets[2] ..."): that entry, else the section.
YAML::Node BudgetErrorNode(const YAML::Node& root, const std::string& message);

}  // namespace allot::config_internal
