#include "server/chargeback.h"

#include <fmt/format.h>

#include "budget/calendar.h"
#include "metering/focus_export.h"
#include "metering/rollup.h"
#include "metering/usage_csv.h"
#include "metering/usage_jsonl.h"

namespace allot {
namespace {

std::vector<PoolCapacityCost> PoolCosts(const Engine& engine) {
  const Inventory& inventory = engine.inventory();
  std::vector<int64_t> rates(inventory.pools.size(), 0);
  for (NodeIndex n = 0; n < inventory.nodes.size(); ++n) {
    rates[inventory.nodes[n].pool] += engine.prices().NodeCapacityRate(n);
  }
  std::vector<PoolCapacityCost> pools;
  for (size_t p = 0; p < inventory.pools.size(); ++p) {
    pools.push_back({inventory.pools[p].name, PriceCatalog::Cost(rates[p], Seconds(3600))});
  }
  return pools;
}

}  // namespace

void PrintChargeback(const Engine& engine, const std::vector<UsageRecord>& records, Time from,
                     Time to, std::ostream& out) {
  const std::string& currency = engine.prices().currency();
  Result<std::vector<RollupRow>> rows = Rollup(records);
  if (!rows.ok()) {
    out << "chargeback: " << rows.status().message() << "\n";
    return;
  }
  out << fmt::format("chargeback ({} records, {}):\n", records.size(), currency);
  out << fmt::format("  {:<24} {:>8} {:>14} {:>12} {:>10}\n", "tenant", "leases", "cost",
                     "GPU-hours", "tokens");
  for (const RollupRow& row : *rows) {
    if (row.dimension != RollupDimension::kTenant) continue;
    std::string name = row.key.empty() ? "(all)" : std::string(2 * (row.level - 1), ' ') + row.key;
    out << fmt::format("  {:<24} {:>8} {:>14} {:>12.3f} {:>10}\n", name, row.leases,
                       FormatMoney(row.cost), static_cast<double>(row.resource_ms[kGpu]) / 3.6e9,
                       row.tokens.total());
  }
  IdleOptions idle;
  idle.from = from;
  idle.to = to;
  idle.pools = PoolCosts(engine);
  idle.share_idle = true;
  Result<IdleReport> report = ComputeIdle(records, idle);
  if (!report.ok()) {
    out << "idle: " << report.status().message() << "\n";
    return;
  }
  out << fmt::format("idle capacity over the {} s window:\n", (to - from) / kMicrosPerSecond);
  for (const PoolIdle& pool : report->pools) {
    out << fmt::format("  {:<24} capacity {:>12}  allocated {:>12}  idle {:>12}\n", pool.pool,
                       FormatMoney(pool.capacity_cost), FormatMoney(pool.allocated_cost),
                       FormatMoney(pool.idle_cost));
  }
  for (const IdleShare& share : report->shares) {
    out << fmt::format("  idle of {} shared to {}: {}\n", share.pool, share.tenant_path,
                       FormatMoney(share.idle_share));
  }
}

Result<std::string> ExportUsage(const Engine& engine, const std::vector<UsageRecord>& records,
                                const std::string& format) {
  return ExportUsageRecords(records, engine.inventory().resources, engine.prices().currency(),
                            format);
}

Result<std::string> ExportUsageRecords(const std::vector<UsageRecord>& records,
                                       const ResourceCatalog& catalog, const std::string& currency,
                                       const std::string& format) {
  if (format == "csv") return WriteUsageCsv(records, catalog);
  if (format == "jsonl") return WriteUsageJsonl(records, catalog);
  if (format == "focus") {
    // One billing period per calendar month (UTC) the records end in: any
    // window exports, as csv and jsonl do.
    FocusExportOptions options;
    options.currency = currency;
    options.billing_account_id = "allot";
    options.monthly_billing_periods = true;
    return WriteFocusCsv(records, catalog, options);
  }
  return InvalidArgument("--usage-format: must be csv, jsonl or focus, got '" + format + "'");
}

}  // namespace allot
