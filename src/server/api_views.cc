#include "server/api_views.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "budget/calendar.h"
#include "budget/money.h"
#include "model/mig.h"
#include "store/json_writer.h"

namespace allot {

using nlohmann::json;

namespace {

json LabelsJson(const Labels& labels) {
  json out = json::object();
  for (const auto& [key, value] : labels) out[key] = value;
  return out;
}

void WriteQuantity(store::JsonWriter& writer, int resource, int64_t amount) {
  if ((resource == kGpu || resource == kCpu) && amount % 1000 != 0) {
    writer.Double(static_cast<double>(amount) / 1000.0);
  } else {
    writer.Int(resource == kGpu || resource == kCpu ? amount / 1000 : amount);
  }
}

std::string_view MigName(const Inventory& inventory, NodeIndex node, int profile) {
  if (profile < 0) return {};
  int model = inventory.pools[inventory.nodes[node].pool].gpu_model;
  if (model < 0) return {};
  const MigGpuTable* table = FindMigTable(inventory.gpu_models[static_cast<size_t>(model)].name);
  if (table == nullptr || profile >= static_cast<int>(table->profiles.size())) return {};
  return table->profiles[static_cast<size_t>(profile)].name;
}

// CUDA_VISIBLE_DEVICES of a placement on one node ("" when on several nodes
// or without devices): its devices in placement order, each once.
std::string CudaVisibleDevices(const Placement& placement) {
  std::vector<int> devices;
  for (const Assignment& a : placement) {
    if (a.node != placement.front().node) return {};
    if (a.device >= 0 && std::find(devices.begin(), devices.end(), a.device) == devices.end()) {
      devices.push_back(a.device);
    }
  }
  return fmt::format("{}", fmt::join(devices, ","));
}

void WritePlacement(store::JsonWriter& writer, const Inventory& inventory,
                    const Placement& placement) {
  writer.BeginArray();
  for (const Assignment& a : placement) {
    writer.BeginObject();
    writer.Key("device");
    if (a.device >= 0) {
      writer.Int(a.device);
    } else {
      writer.Null();
    }
    writer.Key("gpu");
    WriteQuantity(writer, kGpu, a.gpu_milli);
    writer.Field("gpu_memory_mib", a.gpu_memory_mib);
    writer.Field("member", static_cast<uint64_t>(a.member));
    std::string_view mig = MigName(inventory, a.node, a.mig_profile);
    writer.Key("mig_profile");
    if (mig.empty()) {
      writer.Null();
    } else {
      writer.String(mig);
    }
    writer.Field("node", inventory.nodes[a.node].name);
    writer.EndObject();
  }
  writer.EndArray();
}

json Parsed(const std::string& text) { return json::parse(text); }

}  // namespace

// Keys in ascending order throughout (store::JsonWriter): the same bytes as
// the nlohmann objects the other views build.
std::string GrantedLeaseText(const Engine& engine, const Lease& lease, const bool* replayed) {
  const Tenancy& tenancy = engine.tenancy();
  std::string text;
  text.reserve(512);
  store::JsonWriter writer(&text);
  writer.BeginObject();
  writer.Field("class", tenancy.priority_class(lease.priority_class).name);
  std::string devices = lease.placement.empty() ? "" : CudaVisibleDevices(lease.placement);
  if (!devices.empty()) writer.Field("cuda_visible_devices", devices);
  writer.Key("expires_at");
  if (lease.expires_at > 0) {
    writer.String(TimeJson(lease.expires_at));
  } else {
    writer.Null();
  }
  writer.Field("granted_at", TimeJson(lease.granted_at));
  writer.Field("id", lease.id.value);
  writer.Key("labels");
  store::WriteLabels(writer, lease.labels);
  writer.Field("members", lease.members);
  writer.Key("placement");
  WritePlacement(writer, engine.inventory(), lease.placement);
  if (lease.preempt_at > 0) {
    writer.Key("preempt");
    writer.BeginObject();
    writer.Field("deadline", TimeJson(lease.preempt_at));
    writer.Field("for_request", lease.preempted_for.value);
    writer.EndObject();
  }
  if (replayed != nullptr) writer.Field("replayed", *replayed);
  writer.Field("state", "granted");
  writer.Field("tenant", tenancy.tenant(lease.tenant).path);
  writer.EndObject();
  return text;
}

std::string FinishedLeaseText(const FinishedRequest& f) {
  std::string text;
  text.reserve(384);
  store::JsonWriter writer(&text);
  bool usage = !f.rejected && f.usage.lease.valid();
  bool exit = !f.rejected && f.has_exit;
  writer.BeginObject();
  writer.Field("class", f.priority_class);
  if (usage) writer.Field("cost", FormatMoney(f.usage.cost));
  if (!f.rejected) {
    writer.Field("end_reason", EndReasonName(f.end_reason));
    writer.Field("ended_at", TimeJson(f.at));
  }
  if (exit) writer.Field("exit_code", f.exit_code);
  if (usage) writer.Field("granted_at", TimeJson(f.usage.start));
  writer.Field("id", f.id);
  if (usage) {
    writer.Key("labels");
    store::WriteLabels(writer, f.usage.labels);
  }
  writer.Field("message", f.message);
  if (usage) writer.Field("pool", f.usage.pool);
  if (f.rejected) {
    writer.Field("reject_code", RejectCodeApiName(f.reject_code));
    writer.Field("rejected_at", TimeJson(f.at));
  }
  writer.Field("state", f.rejected ? "rejected" : "ended");
  writer.Field("tenant", f.tenant_path);
  if (exit) {
    writer.Key("wall_seconds");
    writer.Double(f.wall_seconds);
  }
  writer.EndObject();
  return text;
}

namespace {

json FinishedJson(const FinishedRequest& f) { return Parsed(FinishedLeaseText(f)); }

json GrantedJson(const Engine& engine, const Lease& lease) {
  return Parsed(GrantedLeaseText(engine, lease, nullptr));
}

}  // namespace

json QuantityJson(int resource, int64_t amount) {
  if (resource == kGpu || resource == kCpu) {
    if (amount % 1000 == 0) return amount / 1000;
    return static_cast<double>(amount) / 1000.0;
  }
  return amount;
}

json ResourcesJson(const ResourceVector& amounts, const ResourceCatalog& catalog, bool skip_zero) {
  json out = json::object();
  for (int r = 0; r < catalog.size(); ++r) {
    int64_t amount = amounts.amounts[static_cast<size_t>(r)];
    if (skip_zero && amount == 0) continue;
    out[std::string(catalog.Name(r))] = QuantityJson(r, amount);
  }
  return out;
}

std::string TimeJson(Time t) { return FormatUtc(t); }

json QueuedJson(EngineHost& host, const Engine::QueuedView& queued, bool with_eta) {
  Engine& engine = host.engine();
  const Tenancy& tenancy = engine.tenancy();
  json out = {{"id", queued.id.value},
              {"state", "queued"},
              {"tenant", tenancy.tenant(queued.tenant).path},
              {"class", tenancy.priority_class(queued.priority_class).name},
              {"members", queued.request->members},
              {"labels", LabelsJson(queued.request->labels)},
              {"submitted_at", TimeJson(queued.enqueued_at)}};
  json queue = {{"position", engine.QueuePosition(queued.id)},
                {"reason", std::string(QueueReasonName(queued.reason))}};
  if (with_eta) {
    Time eta = engine.EstimatedStart(queued.id);
    queue["eta"] = eta == Engine::kNever ? json(nullptr) : json(TimeJson(eta));
  }
  out["queue"] = std::move(queue);
  return out;
}

json LeaseJson(EngineHost& host, uint64_t id, std::string* tenant_path) {
  Engine& engine = host.engine();
  if (const Lease* lease = engine.FindLease(LeaseId{id}); lease != nullptr) {
    *tenant_path = engine.tenancy().tenant(lease->tenant).path;
    return GrantedJson(engine, *lease);
  }
  if (std::optional<Engine::QueuedView> queued = engine.FindQueued(RequestId{id})) {
    *tenant_path = engine.tenancy().tenant(queued->tenant).path;
    return QueuedJson(host, *queued, /*with_eta=*/true);
  }
  if (const FinishedRequest* finished = host.FindFinished(id); finished != nullptr) {
    *tenant_path = finished->tenant_path;
    return FinishedJson(*finished);
  }
  return json(nullptr);
}

json SubmitAnswerJson(EngineHost& host, const Decision& decision) {
  std::string tenant;
  json out = LeaseJson(host, decision.request.value, &tenant);
  if (out.is_null()) {
    // An invalid request never got far enough to be remembered with a tenant.
    out = {{"id", decision.request.value}, {"state", "rejected"}};
  }
  if (decision.kind == DecisionKind::kQueued && out.contains("queue")) {
    out["queue"]["message"] = decision.message;
  }
  if (decision.kind == DecisionKind::kRejected) out["message"] = decision.message;
  out["replayed"] = decision.replayed;
  return out;
}

json DecisionEventJson(EngineHost& host, const Decision& decision, std::string* tenant_path) {
  json out = {{"kind", std::string(DecisionKindName(decision.kind))},
              {"at", TimeJson(decision.at)}};
  tenant_path->clear();
  if (decision.kind == DecisionKind::kAlert) {
    const BudgetAlert& alert = *decision.alert;
    *tenant_path = alert.tenant;
    out["alert"] = {{"kind", std::string(AlertKindName(alert.kind))},
                    {"budget", alert.budget},
                    {"tenant", alert.tenant},
                    {"limit", alert.limit},
                    {"settled", alert.settled},
                    {"reserved", alert.reserved},
                    {"threshold", alert.threshold},
                    {"message", alert.message}};
    return out;
  }
  uint64_t id = decision.kind == DecisionKind::kLeaseEnded ||
                        decision.kind == DecisionKind::kPreempt ||
                        decision.kind == DecisionKind::kPreemptWithdrawn
                    ? decision.lease.value
                    : decision.request.value;
  out["lease"] = LeaseJson(host, id, tenant_path);
  if (!decision.message.empty()) out["message"] = decision.message;
  if (decision.kind == DecisionKind::kPreempt) {
    out["grace_seconds"] = static_cast<double>(decision.grace) / kMicrosPerSecond;
    out["for_request"] = decision.for_request.value;
  }
  if (decision.kind == DecisionKind::kPreemptWithdrawn) {
    out["for_request"] = decision.for_request.value;
  }
  return out;
}

json TenantJson(const Engine& engine, int tenant) {
  const Tenancy& tenancy = engine.tenancy();
  const Tenancy::Tenant& t = tenancy.tenant(tenant);
  const ResourceCatalog& catalog = engine.inventory().resources;
  int64_t running = 0;
  int64_t queued = 0;
  for (size_t c = 0; c < tenancy.class_count(); ++c) {
    running += engine.running(tenant, static_cast<int>(c));
    queued += engine.queued(tenant, static_cast<int>(c));
  }
  json quota = json::object();
  for (int r = 0; r < catalog.size(); ++r) {
    const ResourceQuota& q = t.quota[static_cast<size_t>(r)];
    if (q.guaranteed == 0 && q.limit == kUnlimited) continue;
    quota[std::string(catalog.Name(r))] = {
        {"guaranteed", QuantityJson(r, q.guaranteed)},
        {"limit", q.limit == kUnlimited ? json(nullptr) : QuantityJson(r, q.limit)}};
  }
  json budgets = json::array();
  if (const BudgetLedger* ledger = engine.budgets(); ledger != nullptr) {
    for (size_t b = 0; b < ledger->size(); ++b) {
      if (ledger->tenant_of(static_cast<int>(b)) == tenant)
        budgets.push_back(ledger->spec(static_cast<int>(b)).name);
    }
  }
  return {{"path", t.path},
          {"name", t.name},
          {"parent", t.parent >= 0 ? json(tenancy.tenant(t.parent).path) : json(nullptr)},
          {"leaf", tenancy.IsLeaf(tenant)},
          {"weight", static_cast<double>(t.weight_milli) / 1000.0},
          {"running", running},
          {"queued", queued},
          {"usage", ResourcesJson(engine.quota().usage(tenant), catalog, true)},
          {"quota", std::move(quota)},
          {"share", engine.quota().Share(tenant)},
          {"budgets", std::move(budgets)}};
}

json BudgetJson(const Engine& engine, int budget) {
  const BudgetLedger& ledger = *engine.budgets();
  const BudgetSpec& spec = ledger.spec(budget);
  const BudgetLedger::Entry& entry = ledger.entry(budget);
  Time now = engine.now();
  int64_t reserved = ledger.reserved(budget);
  int64_t spent_now = ledger.SpentNow(budget, now);
  bool money = spec.meter == BudgetMeter::kMoney;
  bool unbounded = entry.period.start == std::numeric_limits<Time>::min();
  // Resource-time is kept in the resource's unit x milliseconds; shown in
  // hours of the whole unit (GPU-hours, core-hours, GiB-hours).
  double hour_units = 1.0;
  std::string meter = money ? "money" : "tokens";
  if (spec.meter == BudgetMeter::kResourceTime) {
    int r = spec.resource;
    double unit = (r == kGpu || r == kCpu)            ? 1000.0
                  : (r == kMemory || r == kGpuMemory) ? 1024.0
                                                      : 1.0;
    hour_units = unit * 3.6e6;
    meter = std::string(engine.inventory().resources.Name(r)) + "_hours";
  }
  auto amount = [&](int64_t value) {
    if (money) return json(FormatMoney(value));
    if (spec.meter == BudgetMeter::kResourceTime)
      return json(static_cast<double>(value) / hour_units);
    return json(value);
  };
  json out = {
      {"name", spec.name},
      {"tenant", engine.tenancy().tenant(ledger.tenant_of(budget)).path},
      {"meter", meter},
      {"period",
       {{"kind", PeriodName(spec.period)},
        // period none: no start (null), not the clock's minimum (year -290308)
        {"start", unbounded ? json(nullptr) : json(TimeJson(entry.period.start))},
        {"end", entry.period.end == kForever ? json(nullptr) : json(TimeJson(entry.period.end))}}},
      {"limit", amount(entry.limit)},
      {"settled", amount(entry.settled)},
      {"reserved", amount(reserved)},
      {"spent_now", amount(spent_now)},
      {"remaining", amount(std::max<int64_t>(0, entry.limit - entry.settled - reserved))},
      {"used_percent", entry.limit > 0 ? 100.0 * static_cast<double>(entry.settled + reserved) /
                                             static_cast<double>(entry.limit)
                                       : 0.0}};
  if (money) out["currency"] = engine.prices().currency();
  // Period-average burn: what was spent so far this period over its elapsed
  // hours; exhaustion when that burn continues, if before the period ends.
  // A budget without a period has no start to average from: null burn.
  double hours =
      unbounded ? 0.0 : static_cast<double>(now - entry.period.start) / (3600.0 * kMicrosPerSecond);
  double burn = hours > 0 ? static_cast<double>(spent_now) / hours : 0.0;
  out["burn_per_hour"] = unbounded ? json(nullptr)
                         : money   ? json(burn / kMicrosPerUnit)
                                   : json(burn / hour_units);
  out["exhausted_at"] = nullptr;
  if (spent_now >= entry.limit) {
    out["exhausted_at"] = TimeJson(now);
  } else if (burn > 0) {
    double at = static_cast<double>(now) +
                static_cast<double>(entry.limit - spent_now) / burn * 3600.0 * kMicrosPerSecond;
    if (at < static_cast<double>(entry.period.end))
      out["exhausted_at"] = TimeJson(static_cast<Time>(at));
  }
  return out;
}

json ClassJson(const PriorityClass& c) {
  return {{"name", c.name},
          {"priority", c.value},
          {"preempts", c.may_preempt},
          {"preemptible", c.preemptible},
          {"may_borrow", c.may_borrow},
          {"spot_only", c.spot_only},
          {"reject_when_busy", c.reject_when_busy},
          {"max_wait_seconds", c.max_wait / kMicrosPerSecond},
          {"preemption_grace_seconds", c.preemption_grace / kMicrosPerSecond},
          {"aging_seconds", c.aging / kMicrosPerSecond},
          {"over_budget", c.queue_over_budget ? "wait" : "reject"},
          {"throttle_at", c.throttle_percent},
          {"over_reservation", c.preempt_over_budget ? "preempt" : "finish"}};
}

json PoolJson(const Engine& engine, int pool) {
  const Inventory& inventory = engine.inventory();
  const ClusterState& cluster = engine.cluster();
  ResourceVector capacity;
  ResourceVector allocated;
  int64_t nodes = 0;
  for (size_t n = 0; n < inventory.nodes.size(); ++n) {
    if (inventory.nodes[n].pool != static_cast<PoolIndex>(pool)) continue;
    ++nodes;
    for (int r = 0; r < inventory.resources.size(); ++r) {
      capacity.amounts[static_cast<size_t>(r)] +=
          inventory.nodes[n].capacity.amounts[static_cast<size_t>(r)];
      allocated.amounts[static_cast<size_t>(r)] +=
          cluster.allocated(static_cast<NodeIndex>(n)).amounts[static_cast<size_t>(r)];
    }
  }
  json utilisation = json::object();
  for (int r = 0; r < inventory.resources.size(); ++r) {
    int64_t cap = capacity.amounts[static_cast<size_t>(r)];
    if (cap <= 0) continue;
    utilisation[std::string(inventory.resources.Name(r))] =
        static_cast<double>(allocated.amounts[static_cast<size_t>(r)]) / static_cast<double>(cap);
  }
  const Pool& p = inventory.pools[static_cast<size_t>(pool)];
  return {{"name", p.name},
          {"tier", std::string(TierName(p.tier))},
          {"gpu_model", p.gpu_model >= 0
                            ? json(inventory.gpu_models[static_cast<size_t>(p.gpu_model)].name)
                            : json(nullptr)},
          {"nodes", nodes},
          {"capacity", ResourcesJson(capacity, inventory.resources, true)},
          {"allocated", ResourcesJson(allocated, inventory.resources, false)},
          {"utilisation", std::move(utilisation)}};
}

std::vector<std::vector<const Lease*>> LeasesByNode(const Engine& engine) {
  std::vector<std::vector<const Lease*>> by_node(engine.inventory().nodes.size());
  for (const Lease* lease : engine.Leases()) {
    for (const Assignment& a : lease->placement) {
      // Leases come in id order, so a lease already listed on this node is
      // its list's last entry.
      std::vector<const Lease*>& on_node = by_node[static_cast<size_t>(a.node)];
      if (on_node.empty() || on_node.back() != lease) on_node.push_back(lease);
    }
  }
  return by_node;
}

json NodeJson(const Engine& engine, int node, const std::vector<const Lease*>& leases) {
  const Inventory& inventory = engine.inventory();
  const Tenancy& tenancy = engine.tenancy();
  const Node& n = inventory.nodes[static_cast<size_t>(node)];
  json lease_list = json::array();
  for (const Lease* lease : leases) {
    Placement here;
    for (const Assignment& a : lease->placement) {
      if (a.node == static_cast<NodeIndex>(node)) here.push_back(a);
    }
    std::string placement;
    store::JsonWriter writer(&placement);
    WritePlacement(writer, inventory, here);
    lease_list.push_back({{"id", lease->id.value},
                          {"tenant", tenancy.tenant(lease->tenant).path},
                          {"class", tenancy.priority_class(lease->priority_class).name},
                          {"placement", Parsed(placement)}});
  }
  return {
      {"name", n.name},
      {"pool", inventory.pools[n.pool].name},
      {"state", std::string(NodeStateName(engine.cluster().state(static_cast<NodeIndex>(node))))},
      {"labels", LabelsJson(n.labels)},
      {"capacity", ResourcesJson(n.capacity, inventory.resources, true)},
      {"allocated", ResourcesJson(engine.cluster().allocated(static_cast<NodeIndex>(node)),
                                  inventory.resources, false)},
      {"leases", std::move(lease_list)}};
}

std::string_view RejectHttpCode(RejectCode code, int* http_status) {
  *http_status = 400;
  switch (code) {
    case RejectCode::kInvalidArgument:
      *http_status = 400;
      break;
    case RejectCode::kInfeasible:
      *http_status = 422;
      break;
    case RejectCode::kLimitExceeded:
      *http_status = 429;
      break;
    case RejectCode::kWouldWait:
      *http_status = 409;
      break;
    case RejectCode::kTimedOut:
      *http_status = 408;
      break;
    case RejectCode::kBudgetExceeded:
      *http_status = 402;  // Payment Required: the budget, not the request, is the limit
      break;
    case RejectCode::kIdempotencyConflict:
      *http_status = 409;  // Conflict: the key already names another request
      break;
  }
  return RejectCodeApiName(code);
}

}  // namespace allot
