#pragma once

// JSON codecs shared by the journal, the snapshots and the HTTP API. Strict:
// unknown fields, wrong types, negative or absurd values fail with
// InvalidArgument naming the field ("resources.gpu: must be a number of GPUs
// with at most 3 decimals"). Names, not indexes, are written for tenants,
// classes, nodes, pools and MIG profiles, so a journal or snapshot taken under
// one configuration can be read under a reloaded one (DataLoss or
// InvalidArgument naming what no longer exists).

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>

#include "common/result.h"
#include "engine/snapshot.h"
#include "metering/usage_record.h"
#include "model/inventory.h"
#include "model/request.h"
#include "tenancy/tenants.h"

namespace allot {

// A lease request in the API's shape (docs/api.md, POST /v1/leases). Fields
// named in `extra_allowed` are skipped (the caller reads them: "wait").
Result<Request> RequestFromJson(const nlohmann::json& body, const ResourceCatalog& resources,
                                std::span<const std::string_view> extra_allowed = {});
// The inverse; RequestFromJson(RequestToJson(r)) == r for every request
// RequestFromJson can give (labels sorted by key, values within its limits).
// Canonical form: fields at their defaults left out; gpu and cpu a JSON
// integer when whole, else an exact decimal string ("0.125"); memory and
// gpu_memory integer MiB; durations whole seconds, else "<n>us". Durations
// are read as seconds (a number, up to 6 decimals) or a string: "90", "90s",
// "15m", "2h", "3d", "2w", "1500ms" (up to 3 decimals), "250us".
nlohmann::json RequestToJson(const Request& request, const ResourceCatalog& resources);
// The same written as text (CommandToJson).
namespace store {
class JsonWriter;
}
void WriteRequestJson(store::JsonWriter& writer, const Request& request,
                      const ResourceCatalog& resources);

// Token usage as released: {"input_tokens", "cached_input_tokens", "output_tokens"}.
Result<UsageReport> UsageReportFromJson(const nlohmann::json& body, std::string_view field);
nlohmann::json UsageReportToJson(const UsageReport& usage);

// The whole engine snapshot (engine/snapshot.h) with leases' tenants and
// classes by path and name, placements by node name and MIG profile name.
// Times, durations and resource amounts are the raw integers (microseconds,
// fixed-point units); queued requests are in RequestToJson's form. A lease's
// `model` is written as its price catalog index (the codec has no catalog).
nlohmann::json SnapshotToJson(const EngineSnapshot& snapshot, const Inventory& inventory,
                              const Tenancy& tenancy);
// DataLoss naming the entry when a name is unknown under this inventory and
// tenancy, or the JSON is damaged.
Result<EngineSnapshot> SnapshotFromJson(const nlohmann::json& json, const Inventory& inventory,
                                        const Tenancy& tenancy);

// A command as journaled: what the server applied to the engine, at which
// engine time. Replaying the commands in order on the engine restored from
// the snapshot before them gives the same state.
struct Command {
  enum class Kind : uint8_t {
    kSubmit,   // request
    kRelease,  // id (lease), usage when reported, exit_code / wall_seconds (kept by the server)
    kRenew,    // id (lease)
    kCancel,   // id (request)
    kTick,     //
    kSetNodeState,  // node, state
    kReconfigure,   // config_yaml: the whole configuration text now in force
  };
  Kind kind = Kind::kTick;
  Time at = 0;
  Request request;
  uint64_t id = 0;
  bool has_usage = false;
  UsageReport usage;
  bool has_exit = false;
  int exit_code = 0;
  double wall_seconds = 0;
  std::string node;
  NodeState state = NodeState::kUp;
  std::string config_yaml;
};
std::string CommandToJson(const Command& command, const ResourceCatalog& resources);
Result<Command> CommandFromJson(std::string_view json, const ResourceCatalog& resources);

}  // namespace allot
