#include "server/report_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "budget/money.h"
#include "metering/rollup.h"
#include "metering/usage_jsonl.h"
#include "server/api_views.h"
#include "server/auth.h"
#include "server/chargeback.h"

namespace allot {

using nlohmann::json;

ReportReader::ReportReader(size_t max_queued) : max_queued_(max_queued) {
  thread_ = std::thread([this] { Run(); });
}

ReportReader::~ReportReader() { Stop(); }

bool ReportReader::Submit(std::function<void()> job) {
  std::lock_guard lock(mutex_);
  if (stopping_ || jobs_.size() >= max_queued_) return false;
  jobs_.push_back(std::move(job));
  wake_.notify_one();
  return true;
}

void ReportReader::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    stopping_flag_ = true;
    jobs_.clear();
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void ReportReader::Run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

namespace {

// Adds b's sums to a; InvalidArgument on int64 overflow (as Rollup).
Status Merge(RollupRow& a, const RollupRow& b) {
  bool overflow = __builtin_add_overflow(a.cost, b.cost, &a.cost) ||
                  __builtin_add_overflow(a.leases, b.leases, &a.leases) ||
                  __builtin_add_overflow(a.tokens.input, b.tokens.input, &a.tokens.input) ||
                  __builtin_add_overflow(a.tokens.cached_input, b.tokens.cached_input,
                                         &a.tokens.cached_input) ||
                  __builtin_add_overflow(a.tokens.output, b.tokens.output, &a.tokens.output);
  for (size_t r = 0; r < a.resource_ms.size(); ++r) {
    overflow =
        overflow || __builtin_add_overflow(a.resource_ms[r], b.resource_ms[r], &a.resource_ms[r]);
  }
  if (overflow) return InvalidArgument("chargeback: a sum overflows");
  return Status::Ok();
}

// Reads the window a page at a time, calling `each` with every page's records.
Status ForEachPage(Journal& journal, const ReportWindow& window,
                   const std::function<Status(const std::vector<UsageRecord>&)>& each) {
  UsagePageQuery query{.from = window.from,
                       .to = window.to,
                       .tenant_prefix = window.tenant_prefix,
                       .limit = kReportPageRows};
  std::string text;
  while (true) {
    if (window.cancel != nullptr && *window.cancel) return Unavailable("shutting down");
    Result<UsagePage> page = journal.ReadUsagePage(query);
    if (!page.ok()) return page.status();
    text.clear();
    for (const std::string& row : page->rows) {
      text += row;
      text += '\n';
    }
    Result<std::vector<UsageRecord>> records = ReadUsageJsonl(text, window.catalog);
    if (!records.ok()) return records.status();
    ALLOT_RETURN_IF_ERROR(each(*records));
    if (!page->more) return Status::Ok();
    query.after_end = page->last_end;
    query.after_id = page->last_id;
  }
}

}  // namespace

Result<json> ChargebackReport(Journal& journal, const ReportWindow& window, const std::string& by,
                              int64_t level, const std::string& currency) {
  RollupDimension dimension = RollupDimension::kTenant;
  std::string label_key;
  if (by == "class") {
    dimension = RollupDimension::kPriorityClass;
  } else if (by == "pool") {
    dimension = RollupDimension::kPool;
  } else if (by.starts_with("label:")) {
    dimension = RollupDimension::kLabel;
    label_key = by.substr(6);
  }
  // Rows kept across pages: only those the reply shows, so memory grows
  // with the distinct keys, never with the records.
  std::map<std::pair<std::string, std::string>, RollupRow> merged;
  // By label: the records without the key, as one row, so that the rows add
  // up to the total (every record is in exactly one row).
  std::optional<RollupRow> unlabelled;
  Money total = 0;
  int64_t count = 0;
  Status read = ForEachPage(journal, window, [&](const std::vector<UsageRecord>& records) {
    Result<std::vector<RollupRow>> rows = Rollup(records);
    if (!rows.ok()) return rows.status();
    for (const UsageRecord& record : records) {
      if (__builtin_add_overflow(total, record.cost, &total)) {
        return InvalidArgument("chargeback: the total overflows");
      }
    }
    count += static_cast<int64_t>(records.size());
    if (dimension == RollupDimension::kLabel) {
      std::vector<UsageRecord> without;
      for (const UsageRecord& record : records) {
        bool has_key = std::any_of(record.labels.begin(), record.labels.end(),
                                   [&](const auto& label) { return label.first == label_key; });
        if (!has_key) without.push_back(record);
      }
      Result<std::vector<RollupRow>> sums = Rollup(without);
      if (!sums.ok()) return sums.status();
      // Each record is in exactly one class row: their sum is the records'.
      for (const RollupRow& row : *sums) {
        if (row.dimension != RollupDimension::kPriorityClass) continue;
        if (!unlabelled) {
          unlabelled = row;
        } else {
          ALLOT_RETURN_IF_ERROR(Merge(*unlabelled, row));
        }
      }
    }
    for (RollupRow& row : *rows) {
      if (row.dimension != dimension) continue;
      if (dimension == RollupDimension::kLabel && row.key != label_key) continue;
      if (dimension == RollupDimension::kTenant) {
        if (!PathUnder(row.key, window.tenant_prefix)) continue;
        // Default level: every row but the root.
        if (level >= 0 && row.level != level) continue;
        if (level < 0 && row.key.empty()) continue;
      }
      auto [it, inserted] = merged.try_emplace({row.key, row.value}, row);
      if (!inserted) ALLOT_RETURN_IF_ERROR(Merge(it->second, row));
    }
    return Status::Ok();
  });
  if (!read.ok()) return read;
  json out_rows = json::array();
  auto row_json = [&](const std::string& key, const RollupRow& row) {
    json item = {{"key", key},
                 {"cost", FormatMoney(row.cost)},
                 {"gpu_hours", static_cast<double>(row.resource_ms[kGpu]) / 3.6e9},
                 {"tokens", row.tokens.total()},
                 {"leases", row.leases}};
    if (dimension == RollupDimension::kTenant) item["level"] = row.level;
    return item;
  };
  for (const auto& [key, row] : merged) {
    out_rows.push_back(row_json(dimension == RollupDimension::kLabel ? row.value : row.key, row));
  }
  if (unlabelled) {
    json item = row_json("(unlabelled)", *unlabelled);
    item["unlabelled"] = true;  // a value "(unlabelled)" of the label itself has no such field
    out_rows.push_back(std::move(item));
  }
  return json{{"currency", currency},       {"from", TimeJson(window.from)},
              {"to", TimeJson(window.to)},  {"by", by},
              {"records", count},           {"rows", std::move(out_rows)},
              {"total", FormatMoney(total)}};
}

std::string EncodeUsageCursor(Time end, int64_t id) { return fmt::format("{:x}.{:x}", end, id); }

Status DecodeUsageCursor(const std::string& text, Time* end, int64_t* id) {
  size_t dot = text.find('.');
  Status bad = InvalidArgument("cursor: not a cursor this server handed out");
  if (dot == std::string::npos) return bad;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [end_ptr, end_ec] = std::from_chars(first, first + dot, *end, 16);
  if (end_ec != std::errc() || end_ptr != first + dot) return bad;
  auto [id_ptr, id_ec] = std::from_chars(first + dot + 1, last, *id, 16);
  if (id_ec != std::errc() || id_ptr != last || *id <= 0) return bad;
  return Status::Ok();
}

Result<std::string> UsageExportPage(Journal& journal, const ReportWindow& window,
                                    const std::string& format, const std::string& currency,
                                    const std::string& cursor, int64_t limit,
                                    std::string* next_cursor) {
  UsagePageQuery query{
      .from = window.from, .to = window.to, .tenant_prefix = window.tenant_prefix, .limit = limit};
  if (!cursor.empty()) {
    ALLOT_RETURN_IF_ERROR(DecodeUsageCursor(cursor, &query.after_end, &query.after_id));
  }
  Result<UsagePage> page = journal.ReadUsagePage(query);
  if (!page.ok()) return page.status();
  *next_cursor = page->more ? EncodeUsageCursor(page->last_end, page->last_id) : "";
  std::string text;
  for (std::string& row : page->rows) {
    text += row;
    text += '\n';
    std::string().swap(row);  // freed as it goes: one copy of the page at a time
  }
  // The journal holds each record as the JSON line the export is made of
  // (written by the same writer): jsonl goes out as stored.
  if (format == "jsonl") return text;
  Result<std::vector<UsageRecord>> records = ReadUsageJsonl(text, window.catalog);
  if (!records.ok()) return records.status();
  std::string().swap(text);
  return ExportUsageRecords(*records, window.catalog, currency, format);
}

}  // namespace allot
