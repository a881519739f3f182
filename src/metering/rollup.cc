#include "metering/rollup.h"

#include <fmt/format.h>

#include <map>
#include <tuple>

namespace allot {
namespace {

using RowKey = std::tuple<RollupDimension, Time, std::string, std::string>;

// Adds one record into a row; false when a sum would overflow int64.
bool Accumulate(RollupRow& row, const UsageRecord& record) {
  bool ok =
      CheckedAdd(row.cost, record.cost, &row.cost) &&
      CheckedAdd(row.tokens.input, record.tokens.input, &row.tokens.input) &&
      CheckedAdd(row.tokens.cached_input, record.tokens.cached_input, &row.tokens.cached_input) &&
      CheckedAdd(row.tokens.output, record.tokens.output, &row.tokens.output) &&
      CheckedAdd(row.leases, 1, &row.leases);
  for (size_t i = 0; ok && i < row.resource_ms.size(); ++i) {
    ok = CheckedAdd(row.resource_ms[i], record.resource_ms[i], &row.resource_ms[i]);
  }
  return ok;
}

}  // namespace

std::string_view RollupDimensionName(RollupDimension dimension) {
  switch (dimension) {
    case RollupDimension::kTenant:
      return "tenant";
    case RollupDimension::kLabel:
      return "label";
    case RollupDimension::kPriorityClass:
      return "priority_class";
    case RollupDimension::kPool:
      return "pool";
  }
  return "?";
}

std::vector<std::string> TenantAncestry(const std::string& tenant_path) {
  std::vector<std::string> paths = {""};
  if (tenant_path.empty()) return paths;
  for (size_t slash = tenant_path.find('/'); slash != std::string::npos;
       slash = tenant_path.find('/', slash + 1)) {
    paths.push_back(tenant_path.substr(0, slash));
  }
  paths.push_back(tenant_path);
  return paths;
}

Result<std::vector<RollupRow>> Rollup(const std::vector<UsageRecord>& records,
                                      const RollupOptions& options) {
  // std::map gives the documented order: dimension, period, key, value.
  std::map<RowKey, RollupRow> rows;
  auto add = [&](const UsageRecord& record, RollupDimension dimension, Time period,
                 const std::string& key, const std::string& value, int level) -> Status {
    auto [it, inserted] = rows.try_emplace(RowKey(dimension, period, key, value));
    RollupRow& row = it->second;
    if (inserted) {
      row.dimension = dimension;
      row.key = key;
      row.value = value;
      row.level = level;
      row.period_start = period;
    }
    if (!Accumulate(row, record)) {
      return InvalidArgument(fmt::format("rollup: the sums of {} '{}' overflow int64",
                                         RollupDimensionName(dimension), key));
    }
    return Status::Ok();
  };
  for (const UsageRecord& record : records) {
    Time period = options.period_start ? options.period_start(record.end) : kAllTime;
    std::vector<std::string> tenants = TenantAncestry(record.tenant_path);
    for (size_t level = 0; level < tenants.size(); ++level) {
      ALLOT_RETURN_IF_ERROR(add(record, RollupDimension::kTenant, period, tenants[level], "",
                                static_cast<int>(level)));
    }
    for (const auto& [key, value] : record.labels) {
      ALLOT_RETURN_IF_ERROR(add(record, RollupDimension::kLabel, period, key, value, 0));
    }
    ALLOT_RETURN_IF_ERROR(
        add(record, RollupDimension::kPriorityClass, period, record.priority_class, "", 0));
    ALLOT_RETURN_IF_ERROR(add(record, RollupDimension::kPool, period, record.pool, "", 0));
  }
  std::vector<RollupRow> result;
  result.reserve(rows.size());
  for (auto& [key, row] : rows) result.push_back(std::move(row));
  return result;
}

}  // namespace allot
