// The engine snapshot as JSON. Everything is written (stored data is read
// back field for field); times and durations are integer microseconds,
// resource amounts the raw fixed-point integers. Queued requests use the
// API's request shape (RequestToJson). Format:
//   {"version": 1, "now": us, "next_request_id": n,
//    "node_states": [{"node": name, "state": "draining"}],
//    "leases": [lease_json.h], "queue": [{"id", "enqueued_at", "reason", "request"}],
//    "workload": [{"cpu", "memory", "gpu_milli", "mig", "count", "pools" (optional)}],
//    "budgets": [{"budget", "period_start", "period_end", "limit", ...}]}
#include <fmt/format.h>

#include <array>
#include <limits>

#include "store/codec.h"
#include "store/json_fields.h"
#include "store/lease_json.h"

namespace allot {
namespace {

using nlohmann::json;
using store::ObjectReader;

constexpr int64_t kSnapshotVersion = 1;
constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
constexpr int kQueueReasons = static_cast<int>(QueueReason::kBudgetThrottled) + 1;

json BudgetEntryToJson(const BudgetLedger::Entry& entry) {
  return {{"budget", entry.budget},
          {"period_start", entry.period.start},
          {"period_end", entry.period.end},
          {"limit", entry.limit},
          {"settled", entry.settled},
          {"thresholds_fired", entry.thresholds_fired},
          {"hard_fired", entry.hard_fired},
          {"forecast_fired", entry.forecast_fired},
          {"cumulative", entry.cumulative},
          {"next_sample", entry.next_sample},
          {"next_window", entry.next_window},
          {"window_start_spend", entry.window_start_spend},
          {"burn_samples", entry.burn_samples},
          {"anomaly_history", entry.anomaly_history}};
}

Status ReadIntArray(const ObjectReader& object, std::string_view key, std::vector<int64_t>* out) {
  const json& value = *object.Find(key);
  std::string field = object.Field(key);
  if (!value.is_array()) return InvalidArgument(field + ": must be an array of integers");
  for (size_t i = 0; i < value.size(); ++i) {
    Result<int64_t> read =
        store::ReadInt(value[i], kMinInt, kMaxInt, fmt::format("{}[{}]", field, i));
    if (!read.ok()) return read.status();
    out->push_back(*read);
  }
  return Status::Ok();
}

Result<BudgetLedger::Entry> BudgetEntryFromJson(const json& value, const std::string& path) {
  static constexpr std::array<std::string_view, 14> kFields = {
      "budget",           "period_start",       "period_end",     "limit",          "settled",
      "thresholds_fired", "hard_fired",         "forecast_fired", "cumulative",     "next_sample",
      "next_window",      "window_start_spend", "burn_samples",   "anomaly_history"};
  Result<ObjectReader> opened = ObjectReader::Open(value, path, kFields);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  for (std::string_view key : kFields) ALLOT_RETURN_IF_ERROR(object.Require(key));
  BudgetLedger::Entry entry;
  int64_t fired = 0;
  ALLOT_RETURN_IF_ERROR(object.String("budget", store::kMaxStringBytes, &entry.budget));
  ALLOT_RETURN_IF_ERROR(object.Int("period_start", kMinInt, kMaxInt, &entry.period.start));
  ALLOT_RETURN_IF_ERROR(object.Int("period_end", kMinInt, kMaxInt, &entry.period.end));
  ALLOT_RETURN_IF_ERROR(object.Int("limit", kMinInt, kMaxInt, &entry.limit));
  ALLOT_RETURN_IF_ERROR(object.Int("settled", kMinInt, kMaxInt, &entry.settled));
  ALLOT_RETURN_IF_ERROR(
      object.Int("thresholds_fired", 0, std::numeric_limits<uint32_t>::max(), &fired));
  entry.thresholds_fired = static_cast<uint32_t>(fired);
  ALLOT_RETURN_IF_ERROR(object.Bool("hard_fired", &entry.hard_fired));
  ALLOT_RETURN_IF_ERROR(object.Bool("forecast_fired", &entry.forecast_fired));
  ALLOT_RETURN_IF_ERROR(object.Int("cumulative", kMinInt, kMaxInt, &entry.cumulative));
  ALLOT_RETURN_IF_ERROR(object.Int("next_sample", kMinInt, kMaxInt, &entry.next_sample));
  ALLOT_RETURN_IF_ERROR(object.Int("next_window", kMinInt, kMaxInt, &entry.next_window));
  ALLOT_RETURN_IF_ERROR(
      object.Int("window_start_spend", kMinInt, kMaxInt, &entry.window_start_spend));
  ALLOT_RETURN_IF_ERROR(ReadIntArray(object, "burn_samples", &entry.burn_samples));
  ALLOT_RETURN_IF_ERROR(ReadIntArray(object, "anomaly_history", &entry.anomaly_history));
  return entry;
}

Result<WorkloadModel::Entry> WorkloadEntryFromJson(const json& value, const std::string& path) {
  static constexpr std::array<std::string_view, 5> kFields = {"cpu", "memory", "gpu_milli", "mig",
                                                              "count"};
  // Optional: the pool mask of a constrained shape (absent: every pool).
  static constexpr std::array<std::string_view, 1> kOptional = {"pools"};
  Result<ObjectReader> opened = ObjectReader::Open(value, path, kFields, kOptional);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  for (std::string_view key : kFields) ALLOT_RETURN_IF_ERROR(object.Require(key));
  WorkloadModel::Entry entry;
  ALLOT_RETURN_IF_ERROR(object.Uint("pools", &entry.shape.pools));
  ALLOT_RETURN_IF_ERROR(object.Int("cpu", 0, kMaxQuantity, &entry.shape.cpu));
  ALLOT_RETURN_IF_ERROR(object.Int("memory", 0, kMaxQuantity, &entry.shape.memory));
  ALLOT_RETURN_IF_ERROR(object.Int("gpu_milli", 0, kMaxQuantity, &entry.shape.gpu_milli));
  ALLOT_RETURN_IF_ERROR(object.Bool("mig", &entry.shape.is_mig));
  ALLOT_RETURN_IF_ERROR(object.Int("count", 0, kMaxInt, &entry.count));
  return entry;
}

Result<EngineSnapshot::QueuedEntry> QueuedFromJson(const json& value,
                                                   const ResourceCatalog& catalog,
                                                   const std::string& path) {
  static constexpr std::array<std::string_view, 4> kFields = {"id", "enqueued_at", "reason",
                                                              "request"};
  Result<ObjectReader> opened = ObjectReader::Open(value, path, kFields);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  for (std::string_view key : kFields) ALLOT_RETURN_IF_ERROR(object.Require(key));
  EngineSnapshot::QueuedEntry entry;
  ALLOT_RETURN_IF_ERROR(object.Uint("id", &entry.id.value));
  ALLOT_RETURN_IF_ERROR(object.Int("enqueued_at", kMinInt, kMaxInt, &entry.enqueued_at));
  std::string reason;
  ALLOT_RETURN_IF_ERROR(object.String("reason", store::kMaxStringBytes, &reason));
  int found = -1;
  for (int r = 0; r < kQueueReasons; ++r) {
    if (QueueReasonName(static_cast<QueueReason>(r)) == reason) found = r;
  }
  if (found < 0)
    return InvalidArgument(object.Field("reason") + ": unknown reason '" + reason + "'");
  entry.reason = static_cast<QueueReason>(found);
  Result<Request> request = RequestFromJson(*object.Find("request"), catalog);
  if (!request.ok()) {
    return InvalidArgument(
        fmt::format("{}[id {}].request.{}", path, entry.id.value, request.status().message()));
  }
  entry.request = std::move(request).value();
  return entry;
}

// Reads the array at `key`, each element through `read(element, "<path>[i]")`.
template <typename T, typename Read>
Status ReadArray(const ObjectReader& object, std::string_view key, std::vector<T>* out,
                 Read&& read) {
  const json& value = *object.Find(key);
  std::string field = object.Field(key);
  if (!value.is_array()) return InvalidArgument(field + ": must be an array");
  out->reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    Result<T> element = read(value[i], fmt::format("{}[{}]", field, i));
    if (!element.ok()) return element.status();
    out->push_back(std::move(element).value());
  }
  return Status::Ok();
}

Result<EngineSnapshot> Decode(const json& value, const Inventory& inventory,
                              const Tenancy& tenancy) {
  static constexpr std::array<std::string_view, 8> kFields = {
      "version", "now", "next_request_id", "node_states", "leases", "queue", "workload", "budgets"};
  Result<ObjectReader> opened = ObjectReader::Open(value, "snapshot", kFields);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  for (std::string_view key : kFields) ALLOT_RETURN_IF_ERROR(object.Require(key));
  int64_t version = 0;
  ALLOT_RETURN_IF_ERROR(object.Int("version", kSnapshotVersion, kSnapshotVersion, &version));
  EngineSnapshot snapshot;
  ALLOT_RETURN_IF_ERROR(object.Int("now", kMinInt, kMaxInt, &snapshot.now));
  ALLOT_RETURN_IF_ERROR(object.Uint("next_request_id", &snapshot.next_request_id));
  ALLOT_RETURN_IF_ERROR(ReadArray(
      object, "node_states", &snapshot.node_states,
      [&](const json& element, const std::string& path) -> Result<EngineSnapshot::NodeStateEntry> {
        static constexpr std::array<std::string_view, 2> kEntryFields = {"node", "state"};
        Result<ObjectReader> entry = ObjectReader::Open(element, path, kEntryFields);
        if (!entry.ok()) return entry.status();
        EngineSnapshot::NodeStateEntry out;
        std::string state;
        ALLOT_RETURN_IF_ERROR(entry->Require("node"));
        ALLOT_RETURN_IF_ERROR(entry->Require("state"));
        ALLOT_RETURN_IF_ERROR(entry->String("node", store::kMaxStringBytes, &out.node));
        ALLOT_RETURN_IF_ERROR(entry->String("state", store::kMaxStringBytes, &state));
        if (inventory.FindNode(out.node) < 0) {
          return InvalidArgument(entry->Field("node") + ": unknown node '" + out.node + "'");
        }
        if (!ParseNodeState(state, &out.state)) {
          return InvalidArgument(entry->Field("state") + ": unknown state '" + state + "'");
        }
        return out;
      }));
  ALLOT_RETURN_IF_ERROR(
      ReadArray(object, "leases", &snapshot.leases, [&](const json& element, const std::string&) {
        return store::LeaseFromJson(element, inventory, tenancy, "snapshot.leases");
      }));
  ALLOT_RETURN_IF_ERROR(
      ReadArray(object, "queue", &snapshot.queue, [&](const json& element, const std::string&) {
        return QueuedFromJson(element, inventory.resources, "snapshot.queue");
      }));
  ALLOT_RETURN_IF_ERROR(ReadArray(object, "workload", &snapshot.workload, WorkloadEntryFromJson));
  ALLOT_RETURN_IF_ERROR(ReadArray(object, "budgets", &snapshot.budgets, BudgetEntryFromJson));
  return snapshot;
}

}  // namespace

json SnapshotToJson(const EngineSnapshot& snapshot, const Inventory& inventory,
                    const Tenancy& tenancy) {
  json node_states = json::array();
  for (const auto& entry : snapshot.node_states) {
    node_states.push_back({{"node", entry.node}, {"state", NodeStateName(entry.state)}});
  }
  json leases = json::array();
  for (const Lease& lease : snapshot.leases) {
    leases.push_back(store::LeaseToJson(lease, inventory, tenancy));
  }
  json queue = json::array();
  for (const auto& entry : snapshot.queue) {
    queue.push_back({{"id", entry.id.value},
                     {"enqueued_at", entry.enqueued_at},
                     {"reason", QueueReasonName(entry.reason)},
                     {"request", RequestToJson(entry.request, inventory.resources)}});
  }
  json workload = json::array();
  for (const auto& entry : snapshot.workload) {
    json shape = {{"cpu", entry.shape.cpu},
                  {"memory", entry.shape.memory},
                  {"gpu_milli", entry.shape.gpu_milli},
                  {"mig", entry.shape.is_mig},
                  {"count", entry.count}};
    if (entry.shape.pools != 0) shape["pools"] = entry.shape.pools;
    workload.push_back(std::move(shape));
  }
  json budgets = json::array();
  for (const auto& entry : snapshot.budgets) budgets.push_back(BudgetEntryToJson(entry));
  return {{"version", kSnapshotVersion},
          {"now", snapshot.now},
          {"next_request_id", snapshot.next_request_id},
          {"node_states", std::move(node_states)},
          {"leases", std::move(leases)},
          {"queue", std::move(queue)},
          {"workload", std::move(workload)},
          {"budgets", std::move(budgets)}};
}

Result<EngineSnapshot> SnapshotFromJson(const json& value, const Inventory& inventory,
                                        const Tenancy& tenancy) {
  // The readers report InvalidArgument (they are shared with the API); in a
  // stored snapshot every such error means the data is damaged or no longer
  // matches the configuration.
  Result<EngineSnapshot> snapshot = Decode(value, inventory, tenancy);
  if (!snapshot.ok()) return DataLoss(snapshot.status().message());
  return snapshot;
}

}  // namespace allot
