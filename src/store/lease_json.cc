#include "store/lease_json.h"

#include <fmt/format.h>

#include <array>
#include <limits>

#include "store/json_fields.h"

namespace allot::store {
namespace {

using nlohmann::json;

constexpr int64_t kMinInt = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

std::string Unnamed(int64_t index) { return "#" + std::to_string(index); }

json AssignmentToJson(const Assignment& a, const Inventory& inventory) {
  bool known_node = a.node < inventory.nodes.size();
  json out = {{"member", a.member},
              {"node", known_node ? inventory.nodes[a.node].name : Unnamed(a.node)},
              {"device", a.device},
              {"gpu_milli", a.gpu_milli},
              {"gpu_memory_mib", a.gpu_memory_mib}};
  if (a.mig_profile >= 0) {
    const MigGpuTable* table = known_node ? inventory.NodeMigTable(a.node) : nullptr;
    bool known = table != nullptr && static_cast<size_t>(a.mig_profile) < table->profiles.size();
    out["mig_profile"] = known
                             ? std::string(table->profiles[static_cast<size_t>(a.mig_profile)].name)
                             : Unnamed(a.mig_profile);
  }
  if (a.mig_start >= 0) out["mig_start"] = a.mig_start;
  return out;
}

Result<Assignment> AssignmentFromJson(const json& value, const Inventory& inventory,
                                      const std::string& path) {
  static constexpr std::array<std::string_view, 7> kFields = {
      "member", "node", "device", "gpu_milli", "gpu_memory_mib", "mig_profile", "mig_start"};
  Result<ObjectReader> opened = ObjectReader::Open(value, path, kFields);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  for (std::string_view key : {"member", "node", "device", "gpu_milli", "gpu_memory_mib"}) {
    ALLOT_RETURN_IF_ERROR(object.Require(key));
  }
  int64_t member = 0, device = -1, mig_start = -1, gpu_milli = 0;
  Assignment a;
  ALLOT_RETURN_IF_ERROR(object.Int("member", 0, std::numeric_limits<uint32_t>::max(), &member));
  ALLOT_RETURN_IF_ERROR(object.Int("device", -1, kMaxDevicesPerNode - 1, &device));
  ALLOT_RETURN_IF_ERROR(object.Int("mig_start", -1, kMigMemorySlices - 1, &mig_start));
  ALLOT_RETURN_IF_ERROR(
      object.Int("gpu_milli", 0, std::numeric_limits<int32_t>::max(), &gpu_milli));
  ALLOT_RETURN_IF_ERROR(object.Int("gpu_memory_mib", 0, kMaxQuantity, &a.gpu_memory_mib));
  a.member = static_cast<uint32_t>(member);
  a.device = static_cast<int16_t>(device);
  a.mig_start = static_cast<int8_t>(mig_start);
  a.gpu_milli = static_cast<int32_t>(gpu_milli);
  std::string node;
  ALLOT_RETURN_IF_ERROR(object.String("node", kMaxStringBytes, &node));
  int index = inventory.FindNode(node);
  if (index < 0) return InvalidArgument(object.Field("node") + ": unknown node '" + node + "'");
  a.node = static_cast<NodeIndex>(index);
  if (object.Find("mig_profile") != nullptr) {
    std::string profile;
    ALLOT_RETURN_IF_ERROR(object.String("mig_profile", kMaxStringBytes, &profile));
    const MigGpuTable* table = inventory.NodeMigTable(a.node);
    int found = table == nullptr ? -1 : FindMigProfile(*table, profile);
    if (found < 0) {
      return InvalidArgument(object.Field("mig_profile") + ": node '" + node +
                             "' has no MIG profile '" + profile + "'");
    }
    a.mig_profile = static_cast<int8_t>(found);
  }
  return a;
}

}  // namespace

json RawResourcesToJson(const ResourceVector& amounts, const ResourceCatalog& catalog) {
  json out = json::object();
  for (int r = 0; r < kMaxResources; ++r) {
    if (amounts[r] == 0) continue;
    out[r < catalog.size() ? std::string(catalog.Name(r)) : Unnamed(r)] = amounts[r];
  }
  return out;
}

Result<ResourceVector> RawResourcesFromJson(const json& value, const ResourceCatalog& catalog,
                                            const std::string& field) {
  if (!value.is_object()) return InvalidArgument(field + ": must be an object");
  ResourceVector amounts;
  for (const auto& [name, amount] : value.items()) {
    int index = catalog.Find(name);
    if (index < 0) return InvalidArgument(JoinField(field, name) + ": unknown resource");
    Result<int64_t> read = ReadInt(amount, -kMaxQuantity, kMaxQuantity, JoinField(field, name));
    if (!read.ok()) return read.status();
    amounts[index] = *read;
  }
  return amounts;
}

json LeaseToJson(const Lease& lease, const Inventory& inventory, const Tenancy& tenancy) {
  bool known_tenant =
      lease.tenant >= 0 && static_cast<size_t>(lease.tenant) < tenancy.tenant_count();
  bool known_class = lease.priority_class >= 0 &&
                     static_cast<size_t>(lease.priority_class) < tenancy.class_count();
  json placement = json::array();
  for (const Assignment& a : lease.placement) placement.push_back(AssignmentToJson(a, inventory));
  return {{"id", lease.id.value},
          {"granted_at", lease.granted_at},
          {"expires_at", lease.expires_at},
          {"ttl", lease.ttl},
          {"estimate", lease.estimate},
          {"member_host", RawResourcesToJson(lease.member_host, inventory.resources)},
          {"members", lease.members},
          {"placement", std::move(placement)},
          {"labels", LabelsToJson(lease.labels)},
          {"idempotency_key", lease.idempotency_key},
          {"fingerprint", lease.fingerprint},
          {"owner", lease.owner},
          {"tenant", known_tenant ? tenancy.tenant(lease.tenant).path : Unnamed(lease.tenant)},
          {"class", known_class ? tenancy.priority_class(lease.priority_class).name
                                : Unnamed(lease.priority_class)},
          {"charge", RawResourcesToJson(lease.charge, inventory.resources)},
          {"preempt_at", lease.preempt_at},
          {"preempted_for", lease.preempted_for.value},
          {"cost_rate", lease.cost_rate},
          {"model", lease.model},
          {"overrun", lease.overrun},
          {"input_tokens", lease.input_tokens},
          {"max_output_tokens", lease.max_output_tokens},
          {"reserved_until", lease.reserved_until}};
}

Result<Lease> LeaseFromJson(const json& value, const Inventory& inventory, const Tenancy& tenancy,
                            const std::string& path) {
  // The last two are optional: snapshots written before them lack them.
  static constexpr std::array<std::string_view, 23> kFields = {"id",
                                                               "granted_at",
                                                               "expires_at",
                                                               "ttl",
                                                               "estimate",
                                                               "member_host",
                                                               "members",
                                                               "placement",
                                                               "labels",
                                                               "idempotency_key",
                                                               "tenant",
                                                               "class",
                                                               "charge",
                                                               "preempt_at",
                                                               "preempted_for",
                                                               "cost_rate",
                                                               "model",
                                                               "overrun",
                                                               "input_tokens",
                                                               "max_output_tokens",
                                                               "reserved_until",
                                                               "fingerprint",
                                                               "owner"};
  constexpr size_t kRequired = kFields.size() - 2;
  Result<ObjectReader> first = ObjectReader::Open(value, path, kFields);
  if (!first.ok()) return first.status();
  ALLOT_RETURN_IF_ERROR(first->Require("id"));
  Lease lease;
  ALLOT_RETURN_IF_ERROR(first->Uint("id", &lease.id.value));
  // From here on errors name the lease by id, as Engine::Restore does.
  Result<ObjectReader> opened =
      ObjectReader::Open(value, fmt::format("{}[id {}]", path, lease.id.value), kFields);
  if (!opened.ok()) return opened.status();
  const ObjectReader& object = *opened;
  for (size_t i = 0; i < kRequired; ++i) ALLOT_RETURN_IF_ERROR(object.Require(kFields[i]));
  ALLOT_RETURN_IF_ERROR(object.Int("granted_at", kMinInt, kMaxInt, &lease.granted_at));
  ALLOT_RETURN_IF_ERROR(object.Int("expires_at", kMinInt, kMaxInt, &lease.expires_at));
  ALLOT_RETURN_IF_ERROR(object.Int("ttl", kMinInt, kMaxInt, &lease.ttl));
  ALLOT_RETURN_IF_ERROR(object.Int("estimate", kMinInt, kMaxInt, &lease.estimate));
  ALLOT_RETURN_IF_ERROR(object.Int("members", 1, kMaxInt, &lease.members));
  ALLOT_RETURN_IF_ERROR(object.Int("preempt_at", kMinInt, kMaxInt, &lease.preempt_at));
  ALLOT_RETURN_IF_ERROR(object.Uint("preempted_for", &lease.preempted_for.value));
  ALLOT_RETURN_IF_ERROR(object.Int("cost_rate", kMinInt, kMaxInt, &lease.cost_rate));
  int64_t model = -1;
  ALLOT_RETURN_IF_ERROR(object.Int("model", -1, std::numeric_limits<int32_t>::max(), &model));
  lease.model = static_cast<int32_t>(model);
  ALLOT_RETURN_IF_ERROR(object.Bool("overrun", &lease.overrun));
  ALLOT_RETURN_IF_ERROR(object.Int("input_tokens", kMinInt, kMaxInt, &lease.input_tokens));
  ALLOT_RETURN_IF_ERROR(
      object.Int("max_output_tokens", kMinInt, kMaxInt, &lease.max_output_tokens));
  ALLOT_RETURN_IF_ERROR(object.Int("reserved_until", kMinInt, kMaxInt, &lease.reserved_until));
  ALLOT_RETURN_IF_ERROR(object.String("idempotency_key", kMaxStringBytes, &lease.idempotency_key));
  ALLOT_RETURN_IF_ERROR(object.Uint("fingerprint", &lease.fingerprint));
  ALLOT_RETURN_IF_ERROR(object.String("owner", kMaxStringBytes, &lease.owner));
  Result<Labels> labels = ReadLabels(*object.Find("labels"), object.Field("labels"));
  if (!labels.ok()) return labels.status();
  lease.labels = std::move(labels).value();
  for (auto [key, target] :
       {std::pair{"member_host", &lease.member_host}, std::pair{"charge", &lease.charge}}) {
    Result<ResourceVector> amounts =
        RawResourcesFromJson(*object.Find(key), inventory.resources, object.Field(key));
    if (!amounts.ok()) return amounts.status();
    *target = *amounts;
  }

  std::string tenant, class_name;
  ALLOT_RETURN_IF_ERROR(object.String("tenant", kMaxStringBytes, &tenant));
  ALLOT_RETURN_IF_ERROR(object.String("class", kMaxStringBytes, &class_name));
  lease.tenant = tenancy.FindTenant(tenant);
  if (lease.tenant < 0) {
    return InvalidArgument(object.Field("tenant") + ": unknown tenant '" + tenant + "'");
  }
  lease.priority_class = tenancy.FindClass(class_name);
  if (lease.priority_class < 0) {
    return InvalidArgument(object.Field("class") + ": unknown class '" + class_name + "'");
  }

  const json& placement = *object.Find("placement");
  std::string placement_field = object.Field("placement");
  if (!placement.is_array()) return InvalidArgument(placement_field + ": must be an array");
  for (size_t i = 0; i < placement.size(); ++i) {
    Result<Assignment> a =
        AssignmentFromJson(placement[i], inventory, fmt::format("{}[{}]", placement_field, i));
    if (!a.ok()) return a.status();
    lease.placement.push_back(*a);
  }
  return lease;
}

}  // namespace allot::store
