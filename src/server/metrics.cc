#include "server/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "budget/price_catalog.h"
#include "common/check.h"
#include "engine/engine.h"
#include "metering/usage_record.h"

namespace allot {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Bucket bounds, in the histograms' base units. Queue waits run from an
// instant grant to the hour a batch job may wait; journal commits from an
// fsync on a fast disk to a stalled one; HTTP exchanges include long polls
// (`wait` up to 300 s).
const Histogram::BucketBoundaries kQueueWaitBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,  1,   2.5,
    5,     10,     30,    60,   120,   300,  600, 1200, 1800, 3600};
const Histogram::BucketBoundaries kJournalCommitBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
const Histogram::BucketBoundaries kJournalBatchBuckets = {1,  2,   4,   8,   16,  32,
                                                          64, 128, 256, 512, 1024};
const Histogram::BucketBoundaries kHttpBuckets = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};

// Joins label values into a cache key; a control character that no
// configured name or route template contains.
constexpr char kKeySeparator = '\x1f';

constexpr RejectCode kAllRejectCodes[] = {
    RejectCode::kInvalidArgument,    RejectCode::kInfeasible, RejectCode::kLimitExceeded,
    RejectCode::kWouldWait,          RejectCode::kTimedOut,   RejectCode::kBudgetExceeded,
    RejectCode::kIdempotencyConflict};
constexpr EndReason kAllEndReasons[] = {EndReason::kReleased,  EndReason::kCancelled,
                                        EndReason::kExpired,   EndReason::kNodeDown,
                                        EndReason::kPreempted, EndReason::kBudgetExhausted};
constexpr NodeState kAllNodeStates[] = {NodeState::kUp, NodeState::kDraining, NodeState::kDown};

// Resource quantities in Prometheus base units: the fixed-point milli-GPU and
// milli-core become GPUs and cores, MiB become bytes; slots and custom
// resources are counts already.
double BaseUnits(int resource, int64_t amount) {
  switch (resource) {
    case kGpu:
    case kCpu:
      return static_cast<double>(amount) / 1000.0;
    case kGpuMemory:
    case kMemory:
      return static_cast<double>(amount) * 1024.0 * 1024.0;
    default:
      return static_cast<double>(amount);
  }
}

// The depth-2 ancestor of a tenant path ("acme/research/agent-7" ->
// "acme/research"); shallower paths are their own. Tenant names hold no '/'
// (tenants.cc), so this is the ancestor's path, and it needs no lookup in a
// tenancy that a reload may have changed since the lease ended.
std::string_view DepthTwoAncestor(std::string_view path) {
  size_t first = path.find('/');
  if (first == std::string_view::npos) return path;
  size_t second = path.find('/', first + 1);
  return second == std::string_view::npos ? path : path.substr(0, second);
}

std::string_view MethodLabel(std::string_view method) {
  for (std::string_view known : {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}) {
    if (method == known) return known;
  }
  return "other";
}

std::string_view StatusClassLabel(int status) {
  switch (status / 100) {
    case 1:
      return "1xx";
    case 2:
      return "2xx";
    case 3:
      return "3xx";
    case 4:
      return "4xx";
    case 5:
      return "5xx";
    default:
      return "other";
  }
}

std::string JoinKey(std::initializer_list<std::string_view> parts) {
  std::string key;
  bool first = true;
  for (std::string_view part : parts) {
    if (!first) key += kKeySeparator;
    first = false;
    key.append(part);
  }
  return key;
}

double ToSeconds(Duration duration) {
  return static_cast<double>(std::max<Duration>(duration, 0)) / kMicrosPerSecond;
}

}  // namespace

ServerMetrics::GaugeSet::GaugeSet(Family<Gauge>* family, std::vector<std::string> label_names)
    : family_(family), label_names_(std::move(label_names)) {}

void ServerMetrics::GaugeSet::Set(std::initializer_list<std::string_view> values, double value) {
  ALLOT_CHECK(values.size() == label_names_.size());
  std::string key = JoinKey(values);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    prometheus::Labels labels;
    size_t i = 0;
    for (std::string_view part : values) labels.emplace(label_names_[i++], std::string(part));
    it = entries_.emplace(std::move(key), Entry{&family_->Add(labels), 0}).first;
  }
  it->second.gauge->Set(value);
  it->second.generation = generation_;
}

void ServerMetrics::GaugeSet::End() {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.generation == generation_) {
      ++it;
      continue;
    }
    family_->Remove(it->second.gauge);
    it = entries_.erase(it);
  }
}

ServerMetrics::ServerMetrics(std::string_view version, std::string_view commit)
    : registry_(std::make_unique<prometheus::Registry>()) {
  prometheus::Registry& registry = *registry_;
  decisions_ = &prometheus::BuildCounter()
                    .Name("allot_decisions_total")
                    .Help(
                        "Engine decisions by outcome and priority class (class is empty for "
                        "alerts and invalid requests).")
                    .Register(registry);
  rejections_ = &prometheus::BuildCounter()
                     .Name("allot_rejections_total")
                     .Help("Rejected lease requests by reject code.")
                     .Register(registry);
  lease_ends_ = &prometheus::BuildCounter()
                     .Name("allot_lease_ends_total")
                     .Help("Ended leases by end reason, releases and cancellations included.")
                     .Register(registry);
  tenant_spend_ = &prometheus::BuildCounter()
                       .Name("allot_tenant_spend_total")
                       .Help(
                           "Settled cost of ended leases in the configured currency, by tenant "
                           "at depth <= 2 (deeper tenants count in their depth-2 ancestor).")
                       .Register(registry);
  webhook_deliveries_ = &prometheus::BuildCounter()
                             .Name("allot_webhook_deliveries_total")
                             .Help("Webhook deliveries by webhook and result.")
                             .Register(registry);
  queue_wait_ = &prometheus::BuildHistogram()
                     .Name("allot_queue_wait_seconds")
                     .Help(
                         "Time from a request's submission to its grant, by priority class "
                         "(0 for requests granted at once).")
                     .Register(registry);
  http_duration_ = &prometheus::BuildHistogram()
                        .Name("allot_http_request_duration_seconds")
                        .Help("HTTP request durations by route template, method and status class.")
                        .Register(registry);
  leases_active_ = &prometheus::BuildGauge()
                        .Name("allot_leases_active")
                        .Help("Leases granted and not yet ended.")
                        .Register(registry)
                        .Add({});
  http_connections_ = &prometheus::BuildGauge()
                           .Name("allot_http_connections")
                           .Help("Open HTTP connections.")
                           .Register(registry)
                           .Add({});
  budgets_omitted_ = &prometheus::BuildGauge()
                          .Name("allot_budget_series_omitted")
                          .Help(
                              "Budgets beyond the first 500 (in configuration order), whose "
                              "allot_budget_* series are not exported.")
                          .Register(registry)
                          .Add({});
  journal_commit_ = &prometheus::BuildHistogram()
                         .Name("allot_journal_commit_seconds")
                         .Help("Duration of journal commits (write and sync of one batch).")
                         .Register(registry)
                         .Add({}, kJournalCommitBuckets);
  journal_batch_ = &prometheus::BuildHistogram()
                        .Name("allot_journal_batch_size")
                        .Help("Commands per journal commit.")
                        .Register(registry)
                        .Add({}, kJournalBatchBuckets);
  prometheus::BuildGauge()
      .Name("allot_build_info")
      .Help("Always 1; the version and commit labels name the running build.")
      .Register(registry)
      .Add({{"version", std::string(version)}, {"commit", std::string(commit)}})
      .Set(1);

  auto gauges = [&](const char* name, const char* help, std::vector<std::string> labels) {
    return std::make_unique<GaugeSet>(
        &prometheus::BuildGauge().Name(name).Help(help).Register(registry), std::move(labels));
  };
  queue_depth_ =
      gauges("allot_queue_depth", "Requests waiting in the queue, by priority class.", {"class"});
  pool_capacity_ = gauges("allot_pool_capacity",
                          "Capacity of a pool's nodes (every state), in base units: GPUs, cores, "
                          "bytes for memory and gpu_memory, counts for the rest.",
                          {"pool", "resource"});
  pool_allocated_ =
      gauges("allot_pool_allocated",
             "Capacity held by leases in a pool, in the units of allot_pool_capacity.",
             {"pool", "resource"});
  pool_utilisation_ =
      gauges("allot_pool_utilisation_ratio", "allot_pool_allocated / allot_pool_capacity (0..1).",
             {"pool", "resource"});
  pool_nodes_ = gauges("allot_pool_nodes", "Nodes of a pool by state (up, draining, down).",
                       {"pool", "state"});
  const std::vector<std::string> budget_labels = {"budget", "tenant", "meter"};
  budget_limit_ = gauges("allot_budget_limit",
                         "A budget's limit this period (rollover included), in its meter's unit: "
                         "currency units, tokens or resource-hours.",
                         budget_labels);
  budget_spent_ =
      gauges("allot_budget_spent",
             "Spend settled this period by ended leases, in the meter's unit.", budget_labels);
  budget_reserved_ =
      gauges("allot_budget_reserved", "Amount reserved by running leases, in the meter's unit.",
             budget_labels);
  budget_remaining_ = gauges("allot_budget_remaining",
                             "limit - spent - reserved, in the meter's unit (negative after an "
                             "overrun).",
                             budget_labels);

  // Series that exist from the start read 0 rather than being absent, so
  // rate() and alerts see their first increase.
  for (RejectCode code : kAllRejectCodes) {
    rejections_by_code_[static_cast<size_t>(code)] =
        &rejections_->Add({{"code", std::string(RejectCodeApiName(code))}});
  }
  for (EndReason reason : kAllEndReasons) {
    std::string name(EndReasonName(reason));
    lease_ends_by_reason_.emplace(name, &lease_ends_->Add({{"reason", name}}));
  }
}

ServerMetrics::~ServerMetrics() = default;

Counter& ServerMetrics::DecisionCounter(std::string_view class_name, DecisionKind kind) {
  auto it = decisions_by_class_.find(class_name);
  if (it == decisions_by_class_.end()) {
    it =
        decisions_by_class_.emplace(std::string(class_name), std::array<Counter*, kDecisionKinds>{})
            .first;
  }
  Counter*& counter = it->second[static_cast<size_t>(kind)];
  if (counter == nullptr) {
    counter = &decisions_->Add(
        {{"outcome", std::string(DecisionKindName(kind))}, {"class", std::string(class_name)}});
  }
  return *counter;
}

Histogram& ServerMetrics::QueueWait(std::string_view class_name) {
  auto it = queue_wait_by_class_.find(class_name);
  if (it == queue_wait_by_class_.end()) {
    Histogram* histogram =
        &queue_wait_->Add({{"class", std::string(class_name)}}, kQueueWaitBuckets);
    it = queue_wait_by_class_.emplace(std::string(class_name), histogram).first;
  }
  return *it->second;
}

void ServerMetrics::ObserveDecision(const Decision& decision, const Engine& engine,
                                    Duration waited) {
  if (decision.replayed) return;  // counted when first decided
  const Tenancy& tenancy = engine.tenancy();
  std::string_view class_name;
  if (decision.priority_class >= 0 &&
      static_cast<size_t>(decision.priority_class) < tenancy.class_count()) {
    class_name = tenancy.priority_class(decision.priority_class).name;
  }
  DecisionCounter(class_name, decision.kind).Increment();
  if (decision.kind == DecisionKind::kRejected) {
    rejections_by_code_[static_cast<size_t>(decision.reject_code)]->Increment();
  } else if (decision.kind == DecisionKind::kGranted) {
    QueueWait(class_name).Observe(ToSeconds(waited));
  }
}

void ServerMetrics::ObserveUsage(const UsageRecord& record) {
  auto reason = lease_ends_by_reason_.find(record.end_reason);
  if (reason == lease_ends_by_reason_.end()) {
    // Not an end reason the engine has: one "other" series, not one per string.
    reason = lease_ends_by_reason_.find(std::string_view("other"));
    if (reason == lease_ends_by_reason_.end()) {
      reason =
          lease_ends_by_reason_.emplace("other", &lease_ends_->Add({{"reason", "other"}})).first;
    }
  }
  reason->second->Increment();

  std::string_view tenant = DepthTwoAncestor(record.tenant_path);
  auto spend = spend_by_tenant_.find(tenant);
  if (spend == spend_by_tenant_.end()) {
    spend =
        spend_by_tenant_
            .emplace(std::string(tenant), &tenant_spend_->Add({{"tenant", std::string(tenant)}}))
            .first;
  }
  if (record.cost > 0) {
    spend->second->Increment(static_cast<double>(record.cost) /
                             static_cast<double>(kMicrosPerUnit));
  }
}

void ServerMetrics::ObserveJournalCommit(double seconds, int64_t batch) {
  journal_commit_->Observe(std::max(seconds, 0.0));
  journal_batch_->Observe(static_cast<double>(std::max<int64_t>(batch, 0)));
}

void ServerMetrics::ObserveHttp(std::string_view route, std::string_view method, int status,
                                double seconds) {
  // A route beyond the cap is a bug in the caller (a raw path passed as a
  // template); "other" keeps it from growing the series without bound.
  if (!routes_.contains(route)) {
    if (routes_.size() >= kMaxRoutes) {
      route = "other";
    } else {
      routes_.emplace(route);
    }
  }
  std::string_view method_label = MethodLabel(method);
  std::string_view code = StatusClassLabel(status);
  std::string key = JoinKey({route, method_label, code});
  auto it = http_by_key_.find(key);
  if (it == http_by_key_.end()) {
    Histogram* histogram = &http_duration_->Add({{"route", std::string(route)},
                                                 {"method", std::string(method_label)},
                                                 {"code", std::string(code)}},
                                                kHttpBuckets);
    it = http_by_key_.emplace(std::move(key), histogram).first;
  }
  it->second->Observe(std::max(seconds, 0.0));
}

void ServerMetrics::SetConnections(int64_t connections) {
  http_connections_->Set(static_cast<double>(connections));
}

void ServerMetrics::ObserveWebhook(std::string_view webhook, std::string_view result,
                                   int64_t count) {
  if (count <= 0) return;
  std::string key = JoinKey({webhook, result});
  auto it = webhooks_by_key_.find(key);
  if (it == webhooks_by_key_.end()) {
    if (webhooks_by_key_.size() >= kMaxWebhookSeries) {
      webhook = "other";
      result = "other";
      key = JoinKey({webhook, result});
      it = webhooks_by_key_.find(key);
    }
    if (it == webhooks_by_key_.end()) {
      Counter* counter = &webhook_deliveries_->Add(
          {{"webhook", std::string(webhook)}, {"result", std::string(result)}});
      it = webhooks_by_key_.emplace(std::move(key), counter).first;
    }
  }
  it->second->Increment(static_cast<double>(count));
}

void ServerMetrics::Refresh(const Engine& engine) {
  const Tenancy& tenancy = engine.tenancy();
  queue_depth_->Begin();
  for (size_t c = 0; c < tenancy.class_count(); ++c) {
    const std::string& name = tenancy.priority_class(static_cast<int>(c)).name;
    // The engine counts waiting requests per tenant subtree and class; the
    // root's subtree is the whole queue.
    queue_depth_->Set({name}, static_cast<double>(engine.queued(0, static_cast<int>(c))));
    // A class's counters and wait histogram read 0 from its first scrape.
    for (DecisionKind kind :
         {DecisionKind::kGranted, DecisionKind::kQueued, DecisionKind::kRejected,
          DecisionKind::kLeaseEnded, DecisionKind::kPreempt, DecisionKind::kPreemptWithdrawn}) {
      DecisionCounter(name, kind);
    }
    QueueWait(name);
  }
  queue_depth_->End();
  leases_active_->Set(static_cast<double>(engine.lease_count()));
  RefreshPools(engine);
  RefreshBudgets(engine);
}

void ServerMetrics::RefreshPools(const Engine& engine) {
  // Pool totals are sums over nodes: ClusterState keeps usage per node only,
  // and nodes (unlike leases) are bounded by the configuration.
  const Inventory& inventory = engine.inventory();
  const ClusterState& cluster = engine.cluster();
  size_t pools = inventory.pools.size();
  std::vector<ResourceVector> capacity(pools);
  std::vector<ResourceVector> allocated(pools);
  std::vector<std::array<int64_t, std::size(kAllNodeStates)>> nodes(pools);
  for (size_t n = 0; n < inventory.nodes.size(); ++n) {
    const Node& node = inventory.nodes[n];
    NodeIndex index = static_cast<NodeIndex>(n);
    capacity[node.pool].Add(node.capacity);
    allocated[node.pool].Add(cluster.allocated(index));
    ++nodes[node.pool][static_cast<size_t>(cluster.state(index))];
  }
  pool_capacity_->Begin();
  pool_allocated_->Begin();
  pool_utilisation_->Begin();
  pool_nodes_->Begin();
  for (size_t p = 0; p < pools; ++p) {
    const std::string& pool = inventory.pools[p].name;
    for (int r = 0; r < inventory.resources.size(); ++r) {
      // A resource the pool has none of (gpu in a CPU pool) has no
      // meaningful utilisation: no series.
      if (capacity[p][r] <= 0) continue;
      std::string_view resource = inventory.resources.Name(r);
      pool_capacity_->Set({pool, resource}, BaseUnits(r, capacity[p][r]));
      pool_allocated_->Set({pool, resource}, BaseUnits(r, allocated[p][r]));
      pool_utilisation_->Set({pool, resource}, static_cast<double>(allocated[p][r]) /
                                                   static_cast<double>(capacity[p][r]));
    }
    for (NodeState state : kAllNodeStates) {
      pool_nodes_->Set({pool, NodeStateName(state)},
                       static_cast<double>(nodes[p][static_cast<size_t>(state)]));
    }
  }
  pool_capacity_->End();
  pool_allocated_->End();
  pool_utilisation_->End();
  pool_nodes_->End();
}

void ServerMetrics::RefreshBudgets(const Engine& engine) {
  budget_limit_->Begin();
  budget_spent_->Begin();
  budget_reserved_->Begin();
  budget_remaining_->Begin();
  const BudgetLedger* ledger = engine.budgets();
  size_t count = ledger == nullptr ? 0 : ledger->size();
  size_t shown = std::min(count, kMaxBudgets);
  for (size_t i = 0; i < shown; ++i) {
    int b = static_cast<int>(i);
    const BudgetSpec& spec = ledger->spec(b);
    const std::string& tenant = engine.tenancy().tenant(ledger->tenant_of(b)).path;
    // Meter units as configured: money in currency units (from micro-units),
    // tokens, and resource time in whole-unit hours (from unit x ms, as
    // resource_hours in the config: GPU-hours, core-hours, GiB-hours).
    // (Divided rather than multiplied by a reciprocal, so that whole amounts
    // such as 88.000000 come out exact.)
    std::string meter;
    double divisor = 1;
    switch (spec.meter) {
      case BudgetMeter::kMoney:
        meter = "money";
        divisor = static_cast<double>(kMicrosPerUnit);
        break;
      case BudgetMeter::kTokens:
        meter = "tokens";
        break;
      case BudgetMeter::kResourceTime:
        meter = std::string(engine.inventory().resources.Name(spec.resource)) + "_hours";
        divisor = static_cast<double>(UnitsPerWhole(spec.resource)) * 3.6e6;
        break;
    }
    const BudgetLedger::Entry& entry = ledger->entry(b);
    int64_t reserved = ledger->reserved(b);
    int64_t remaining = entry.limit - entry.settled - reserved;
    budget_limit_->Set({spec.name, tenant, meter}, static_cast<double>(entry.limit) / divisor);
    budget_spent_->Set({spec.name, tenant, meter}, static_cast<double>(entry.settled) / divisor);
    budget_reserved_->Set({spec.name, tenant, meter}, static_cast<double>(reserved) / divisor);
    budget_remaining_->Set({spec.name, tenant, meter}, static_cast<double>(remaining) / divisor);
  }
  budgets_omitted_->Set(static_cast<double>(count - shown));
  budget_limit_->End();
  budget_spent_->End();
  budget_reserved_->End();
  budget_remaining_->End();
}

std::string ServerMetrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace allot
