#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/time.h"
#include "engine/decision.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace allot {

class Engine;
struct UsageRecord;

// The server's Prometheus metrics (docs/operations.md, "Metrics", lists them):
// counters and histograms fed by the Observe* calls as things happen, gauges
// read from the engine by Refresh() before each scrape, and Serialize() for
// GET /metrics in the text exposition format 0.0.4. Built on prometheus-cpp
// core; the server serves the text itself (no prometheus-cpp exposer).
//
// Cardinality is bounded by configuration, never by traffic: classes, pools,
// resources, the first kMaxBudgets budgets, tenants at depth <= 2, and at most
// kMaxRoutes HTTP routes and kMaxWebhookSeries webhook series (beyond them the
// labels read "other"). Label values never carry request data such as raw
// paths, lease ids or leaf (agent) tenants.
//
// Thread-safety: every call but Serialize() must come from one thread (the
// engine's strand): they read the engine, which is not thread-safe, and keep
// unguarded caches of metric pointers. Serialize() may run on any thread at
// the same time: it reads only prometheus-cpp's registry, whose families and
// metrics are internally synchronised, never those caches.
// Never fails: out-of-range inputs are clamped or labelled "other".
class ServerMetrics {
 public:
  static constexpr size_t kMaxBudgets = 500;
  static constexpr size_t kMaxRoutes = 64;
  static constexpr size_t kMaxWebhookSeries = 256;

  // `version` and `commit` are exported as allot_build_info{version,commit}.
  ServerMetrics(std::string_view version, std::string_view commit);
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  // Counts one decision of `engine` (a Submit's answer or one from
  // TakeDecisions); a replayed answer is not counted again. For kGranted,
  // `waited` is the time from the request's Submit to the grant (0 when
  // granted at once), observed in allot_queue_wait_seconds.
  void ObserveDecision(const Decision& decision, const Engine& engine, Duration waited = 0);
  // Counts one ended lease (from Engine::TakeUsage): its end reason, and its
  // cost towards its tenant's depth-2 ancestor.
  void ObserveUsage(const UsageRecord& record);
  // One journal commit of `batch` commands that took `seconds`.
  void ObserveJournalCommit(double seconds, int64_t batch);
  // One HTTP exchange. `route` is the route's template ("/v1/leases/{id}"),
  // never the raw path; `status` is folded into its class ("2xx").
  void ObserveHttp(std::string_view route, std::string_view method, int status, double seconds);
  void SetConnections(int64_t connections);
  // `count` deliveries of `webhook` (its configured name) ending in `result`
  // ("delivered", "failed", "dropped", ...).
  void ObserveWebhook(std::string_view webhook, std::string_view result, int64_t count = 1);
  // Sets the gauges from the engine's state. Costs O(classes + nodes x
  // resources + budgets); never walks the leases or the queue. Series of
  // classes, pools or budgets that are gone (a reload) are removed.
  void Refresh(const Engine& engine);

  // The text exposition of every metric (format 0.0.4).
  std::string Serialize() const;

 private:
  // The gauges of one family keyed by their label values, set as a whole by
  // Refresh: series not set since Begin() are removed by End().
  class GaugeSet {
   public:
    GaugeSet(prometheus::Family<prometheus::Gauge>* family, std::vector<std::string> label_names);
    void Begin() { ++generation_; }
    void Set(std::initializer_list<std::string_view> values, double value);
    void End();

   private:
    struct Entry {
      prometheus::Gauge* gauge = nullptr;
      uint64_t generation = 0;
    };
    prometheus::Family<prometheus::Gauge>* family_;
    std::vector<std::string> label_names_;
    std::unordered_map<std::string, Entry> entries_;  // key: values joined by '\x1f'
    uint64_t generation_ = 0;
  };

  // Hashes std::string keys and looks them up by std::string_view.
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };
  template <typename T>
  using StringMap = std::unordered_map<std::string, T, StringHash, std::equal_to<>>;

  // The series of a class, created on first use.
  prometheus::Counter& DecisionCounter(std::string_view class_name, DecisionKind kind);
  prometheus::Histogram& QueueWait(std::string_view class_name);
  void RefreshPools(const Engine& engine);
  void RefreshBudgets(const Engine& engine);

  // DecisionKind's values (indexes of decisions_by_class_): the last is
  // kPreemptWithdrawn. A kind added after it must move this bound.
  static constexpr size_t kDecisionKinds = static_cast<size_t>(DecisionKind::kPreemptWithdrawn) + 1;
  // RejectCode's values (indexes of rejections_by_code_): the last is
  // kIdempotencyConflict.
  static constexpr size_t kRejectCodes = static_cast<size_t>(RejectCode::kIdempotencyConflict) + 1;

  std::unique_ptr<prometheus::Registry> registry_;

  prometheus::Family<prometheus::Counter>* decisions_;
  prometheus::Family<prometheus::Counter>* rejections_;
  prometheus::Family<prometheus::Counter>* lease_ends_;
  prometheus::Family<prometheus::Counter>* tenant_spend_;
  prometheus::Family<prometheus::Counter>* webhook_deliveries_;
  prometheus::Family<prometheus::Histogram>* queue_wait_;
  prometheus::Family<prometheus::Histogram>* http_duration_;
  prometheus::Gauge* leases_active_;
  prometheus::Gauge* http_connections_;
  prometheus::Gauge* budgets_omitted_;
  prometheus::Histogram* journal_commit_;
  prometheus::Histogram* journal_batch_;

  std::unique_ptr<GaugeSet> queue_depth_;
  std::unique_ptr<GaugeSet> pool_capacity_;
  std::unique_ptr<GaugeSet> pool_allocated_;
  std::unique_ptr<GaugeSet> pool_utilisation_;
  std::unique_ptr<GaugeSet> pool_nodes_;
  std::unique_ptr<GaugeSet> budget_limit_;
  std::unique_ptr<GaugeSet> budget_spent_;
  std::unique_ptr<GaugeSet> budget_reserved_;
  std::unique_ptr<GaugeSet> budget_remaining_;

  // Caches of metric pointers (strand only, see the class comment).
  StringMap<std::array<prometheus::Counter*, kDecisionKinds>> decisions_by_class_;
  StringMap<prometheus::Histogram*> queue_wait_by_class_;
  std::array<prometheus::Counter*, kRejectCodes> rejections_by_code_{};
  StringMap<prometheus::Counter*> lease_ends_by_reason_;
  StringMap<prometheus::Counter*> spend_by_tenant_;
  StringMap<prometheus::Histogram*> http_by_key_;  // key: route, method, code
  std::unordered_set<std::string, StringHash, std::equal_to<>> routes_;
  StringMap<prometheus::Counter*> webhooks_by_key_;  // key: webhook, result
};

}  // namespace allot
