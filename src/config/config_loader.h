#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "config/gateway_config.h"
#include "config/server_config.h"
#include "engine/engine.h"
#include "model/inventory.h"

namespace allot {

// What an allot configuration file describes: the inventory, the engine's
// options (tenants, classes, prices and budgets among them) and the server's
// (listen address, limits, API keys, webhooks).
struct Config {
  Inventory inventory;
  EngineOptions engine;
  ServerConfig server;
  GatewayConfig gateway;
};

// Parses and validates YAML configuration text. Unknown keys, wrong types and
// bad values fail with "<source>:<line>:<column>: <field path>: <why>".
// `source` names the text in messages (a file name, or "<default>").
Result<Config> ParseConfig(std::string_view yaml_text, std::string_view source);
// Reads and parses a file (the only I/O here).
Result<Config> LoadConfigFile(const std::string& path);

// The embedded default configuration: a small demo inventory with whole,
// shared and MIG GPUs in reserved, on-demand and spot pools.
std::string_view DefaultConfigYaml();

}  // namespace allot
