// The read-only calls of the service: listings, views, reports and exports.
#include <fmt/format.h>

#include <algorithm>

#include "budget/calendar.h"
#include "budget/money.h"
#include "common/json_input.h"
#include "metering/rollup.h"
#include "metering/usage_jsonl.h"
#include "server/api_views.h"
#include "server/chargeback.h"
#include "server/metrics.h"
#include "server/query.h"
#include "server/report_reader.h"
#include "server/service.h"

namespace allot {

using nlohmann::json;

namespace {

ServiceReply JsonReply(const json& body) { return ServiceReply{200, DumpJson(body)}; }

// A tenant filter from the query: it must lie inside the key's subtree.
Result<std::string> TenantFilter(const Target& target, const Engine& engine,
                                 const Principal& principal) {
  std::string name = QueryString(target, "tenant");
  if (name.empty()) return principal.tenant_path;
  int tenant = engine.tenancy().FindTenant(name);
  if (tenant < 0) return NotFound(fmt::format("tenant '{}': no such tenant", name));
  const std::string& path = engine.tenancy().tenant(tenant).path;
  if (!Covers(principal, path)) return NotFound(fmt::format("tenant '{}': no such tenant", name));
  return path;
}

// [from, to) from the query; default: the current UTC month.
Status Window(const Target& target, Time now, Time* from, Time* to) {
  PeriodSpec month;
  month.kind = PeriodKind::kMonthly;
  PeriodBounds bounds = PeriodAt(month, TimeZone::Utc(), now);
  *from = bounds.start;
  *to = bounds.end;
  if (std::string text = QueryString(target, "from"); !text.empty()) {
    Result<Time> t = ParseTimestamp(text, TimeZone::Utc(), "from");
    if (!t.ok()) return t.status();
    *from = *t;
  }
  if (std::string text = QueryString(target, "to"); !text.empty()) {
    Result<Time> t = ParseTimestamp(text, TimeZone::Utc(), "to");
    if (!t.ok()) return t.status();
    *to = *t;
  }
  if (*to <= *from) return InvalidArgument("to: must be after from");
  return Status::Ok();
}

}  // namespace

ServiceReply Service::ListLeases(const ServiceRequest& request, const Principal& principal) {
  Target target = ParseTarget(request.target).value();
  if (Status known = CheckQuery(target, {"state", "tenant", "limit"}); !known.ok()) {
    return ErrorReply(known);
  }
  Result<int64_t> limit = QueryInt(target, "limit", 1000, 1, 100000);
  if (!limit.ok()) return ErrorReply(limit.status());
  Result<std::string> prefix = TenantFilter(target, host_->engine(), principal);
  if (!prefix.ok()) return ErrorReply(prefix.status());
  std::string state = QueryString(target, "state");
  if (!state.empty() && state != "granted" && state != "queued") {
    return ErrorReply(InvalidArgument("state: must be granted or queued"));
  }
  Engine& engine = host_->engine();
  json leases = json::array();
  int64_t count = 0;
  if (state.empty() || state == "granted") {
    for (const Lease* lease : engine.Leases()) {
      if (count >= *limit) break;
      if (!PathUnder(engine.tenancy().tenant(lease->tenant).path, *prefix)) continue;
      std::string tenant;
      leases.push_back(LeaseJson(*host_, lease->id.value, &tenant));
      ++count;
    }
  }
  if (state.empty() || state == "queued") {
    for (const Engine::QueuedView& queued : engine.QueuedRequests()) {
      if (count >= *limit) break;
      if (!PathUnder(engine.tenancy().tenant(queued.tenant).path, *prefix)) continue;
      leases.push_back(QueuedJson(*host_, queued, /*with_eta=*/false));
      ++count;
    }
  }
  return JsonReply({{"leases", std::move(leases)}});
}

ServiceReply Service::ListQueue(const ServiceRequest& request, const Principal& principal) {
  Target target = ParseTarget(request.target).value();
  if (Status known = CheckQuery(target, {"tenant", "class", "limit"}); !known.ok()) {
    return ErrorReply(known);
  }
  Result<int64_t> limit = QueryInt(target, "limit", 1000, 1, 100000);
  if (!limit.ok()) return ErrorReply(limit.status());
  Result<std::string> prefix = TenantFilter(target, host_->engine(), principal);
  if (!prefix.ok()) return ErrorReply(prefix.status());
  Engine& engine = host_->engine();
  int cls = -1;
  if (std::string name = QueryString(target, "class"); !name.empty()) {
    cls = engine.tenancy().FindClass(name);
    if (cls < 0) return ErrorReply(NotFound(fmt::format("class '{}': no such class", name)));
  }
  std::vector<std::pair<int64_t, Engine::QueuedView>> visible;
  for (const Engine::QueuedView& queued : engine.QueuedRequests()) {
    if (cls >= 0 && queued.priority_class != cls) continue;
    if (!PathUnder(engine.tenancy().tenant(queued.tenant).path, *prefix)) continue;
    visible.emplace_back(engine.QueuePosition(queued.id), queued);
  }
  std::sort(visible.begin(), visible.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  json requests = json::array();
  for (size_t i = 0; i < visible.size() && static_cast<int64_t>(i) < *limit; ++i) {
    // ETAs probe placement: only for the head of the listing.
    requests.push_back(QueuedJson(*host_, visible[i].second, /*with_eta=*/i < 20));
  }
  return JsonReply({{"length", visible.size()}, {"requests", std::move(requests)}});
}

ServiceReply Service::Tenants(std::string_view path, const Principal& principal) {
  const Engine& engine = host_->engine();
  const Tenancy& tenancy = engine.tenancy();
  if (!path.empty()) {
    int tenant = tenancy.FindTenant(path);
    if (tenant < 0 || !Covers(principal, tenancy.tenant(tenant).path)) {
      return ErrorReply(NotFound(fmt::format("tenant '{}': no such tenant", path)));
    }
    return JsonReply(TenantJson(engine, tenant));
  }
  json tenants = json::array();
  for (size_t t = 0; t < tenancy.tenant_count(); ++t) {
    if (!Covers(principal, tenancy.tenant(static_cast<int>(t)).path)) continue;
    tenants.push_back(TenantJson(engine, static_cast<int>(t)));
  }
  return JsonReply({{"tenants", std::move(tenants)}});
}

ServiceReply Service::Budgets(const Principal& principal) {
  const Engine& engine = host_->engine();
  json budgets = json::array();
  if (const BudgetLedger* ledger = engine.budgets(); ledger != nullptr) {
    for (size_t b = 0; b < ledger->size(); ++b) {
      int owner = ledger->tenant_of(static_cast<int>(b));
      // A key sees the budgets of its subtree and those above it that
      // constrain it (a team sees the org's budget).
      const std::string& owner_path = engine.tenancy().tenant(owner).path;
      if (!Covers(principal, owner_path) && !PathUnder(principal.tenant_path, owner_path)) continue;
      budgets.push_back(BudgetJson(engine, static_cast<int>(b)));
    }
  }
  return JsonReply({{"budgets", std::move(budgets)}});
}

ServiceReply Service::Classes() {
  const Tenancy& tenancy = host_->engine().tenancy();
  json classes = json::array();
  for (size_t c = 0; c < tenancy.class_count(); ++c) {
    classes.push_back(ClassJson(tenancy.priority_class(static_cast<int>(c))));
  }
  return JsonReply({{"classes", std::move(classes)}});
}

ServiceReply Service::Pools() {
  const Engine& engine = host_->engine();
  json pools = json::array();
  for (size_t p = 0; p < engine.inventory().pools.size(); ++p) {
    pools.push_back(PoolJson(engine, static_cast<int>(p)));
  }
  return JsonReply({{"pools", std::move(pools)}});
}

ServiceReply Service::Nodes(const ServiceRequest& request, const Principal& principal) {
  Target target = ParseTarget(request.target).value();
  const Engine& engine = host_->engine();
  std::string pool_name = QueryString(target, "pool");
  int pool = -1;
  if (!pool_name.empty()) {
    pool = engine.inventory().FindPool(pool_name);
    if (pool < 0) return ErrorReply(NotFound(fmt::format("pool '{}': no such pool", pool_name)));
  }
  // Every key sees every node's capacity and allocation, but only the leases
  // inside its subtree, as on every other endpoint.
  std::vector<std::vector<const Lease*>> leases = LeasesByNode(engine);
  json nodes = json::array();
  for (size_t n = 0; n < engine.inventory().nodes.size(); ++n) {
    if (pool >= 0 && engine.inventory().nodes[n].pool != static_cast<PoolIndex>(pool)) continue;
    std::erase_if(leases[n], [&](const Lease* lease) {
      return !Covers(engine.tenancy(), principal, lease->tenant);
    });
    nodes.push_back(NodeJson(engine, static_cast<int>(n), leases[n]));
  }
  return JsonReply({{"nodes", std::move(nodes)}});
}

Status Service::ReportScope(const ServiceRequest& request, const Principal& principal,
                            std::initializer_list<std::string_view> known, Target* target,
                            Time* from, Time* to) {
  if (Status allowed = Allow(principal, Action::kReport); !allowed.ok()) return allowed;
  *target = ParseTarget(request.target).value();
  if (Status checked = CheckQuery(*target, known); !checked.ok()) return checked;
  // The wall clock too: an idle engine's clock moves only when a deadline
  // is due (Tick), and the default window is the month holding now.
  return Window(*target, std::max(host_->engine().now(), loop_.now()), from, to);
}

void Service::RunReport(std::function<ServiceReply()> job, Done done) {
  // The reply goes back to the loop thread, which alone writes to sockets.
  bool taken = reports_->Submit([job = std::move(job), done, post = loop_.post]() mutable {
    ServiceReply reply = job();
    post([done = std::move(done), reply = std::move(reply)]() mutable { done(std::move(reply)); });
  });
  if (!taken) {
    done(ErrorReply(ResourceExhausted(
        fmt::format("reports: {} are already waiting; retry later", kMaxQueuedReports))));
  }
}

void Service::Chargeback(const ServiceRequest& request, const Principal& principal, Done done) {
  Target target;
  Time from = 0;
  Time to = 0;
  Status scope =
      ReportScope(request, principal, {"from", "to", "by", "level"}, &target, &from, &to);
  if (!scope.ok()) return done(ErrorReply(scope));
  const Engine& engine = host_->engine();
  std::string by = QueryString(target, "by");
  if (by.empty()) by = "tenant";
  if (by != "tenant" && by != "class" && by != "pool" &&
      !(by.starts_with("label:") && by.size() > 6)) {
    return done(ErrorReply(InvalidArgument("by: must be tenant, class, pool or label:KEY")));
  }
  Result<int64_t> level = QueryInt(target, "level", -1, 0, 64);
  if (!level.ok()) return done(ErrorReply(level.status()));
  // What the report thread needs of the engine, copied here: it never
  // touches the engine itself.
  ReportWindow window{from, to, principal.tenant_path, engine.inventory().resources,
                      reports_->stopping()};
  RunReport(
      [journal = journal_.get(), window = std::move(window), by, level = *level,
       currency = engine.prices().currency()] {
        Result<json> body = ChargebackReport(*journal, window, by, level, currency);
        return body.ok() ? JsonReply(*body) : ErrorReply(body.status());
      },
      std::move(done));
}

void Service::Usage(const ServiceRequest& request, const Principal& principal, Done done) {
  Target target;
  Time from = 0;
  Time to = 0;
  Status scope = ReportScope(request, principal, {"from", "to", "format", "limit", "cursor"},
                             &target, &from, &to);
  if (!scope.ok()) return done(ErrorReply(scope));
  const Engine& engine = host_->engine();
  std::string format = QueryString(target, "format");
  if (format.empty()) format = "jsonl";
  if (format != "jsonl" && format != "csv" && format != "focus") {
    return done(ErrorReply(InvalidArgument("format: must be jsonl, csv or focus")));
  }
  Result<int64_t> limit = QueryInt(target, "limit", kDefaultUsagePage, 1, kMaxUsagePage);
  if (!limit.ok()) return done(ErrorReply(limit.status()));
  std::string cursor = QueryString(target, "cursor");
  Time after_end = 0;
  int64_t after_id = 0;
  if (!cursor.empty()) {
    if (Status valid = DecodeUsageCursor(cursor, &after_end, &after_id); !valid.ok()) {
      return done(ErrorReply(valid));
    }
  }
  ReportWindow window{from, to, principal.tenant_path, engine.inventory().resources,
                      reports_->stopping()};
  RunReport(
      [journal = journal_.get(), window = std::move(window), format, cursor, limit = *limit,
       currency = engine.prices().currency()] {
        std::string next;
        Result<std::string> text =
            UsageExportPage(*journal, window, format, currency, cursor, limit, &next);
        if (!text.ok()) return ErrorReply(text.status(), "format");
        ServiceReply reply{200, std::move(text).value(),
                           format == "jsonl" ? "application/x-ndjson" : "text/csv; charset=utf-8"};
        if (!next.empty()) reply.headers.emplace_back("Allot-Next-Cursor", next);
        return reply;
      },
      std::move(done));
}

ServiceReply Service::Metrics() {
  metrics_->Refresh(host_->engine());
  ExportWebhookStats();
  std::string text = metrics_->Serialize();
  if (extra_metrics_) text += extra_metrics_();
  return ServiceReply{200, std::move(text), "text/plain; version=0.0.4; charset=utf-8"};
}

}  // namespace allot
