#pragma once

// Reports off the serving thread. A chargeback or usage export over a month
// of records reads and rolls up hundreds of thousands of rows (seconds of
// work); on the serving thread that stalled every other request, health
// checks included. ReportReader runs such jobs on a thread of its own, one
// at a time, reading the journal's committed rows through its read
// connection (WAL: readers never block the writer, nor it them), and the
// reports read the rows a page at a time so memory stays bounded.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "common/resources.h"
#include "common/result.h"
#include "common/time.h"
#include "store/journal.h"

namespace allot {

class ReportReader {
 public:
  // At most `max_queued` jobs wait behind the running one.
  explicit ReportReader(size_t max_queued);
  ~ReportReader();  // Stop()
  ReportReader(const ReportReader&) = delete;
  ReportReader& operator=(const ReportReader&) = delete;

  // Queues `job` for the reader thread; false (job not taken) when the queue
  // is full or the reader stopped: the caller answers 429 or 503.
  bool Submit(std::function<void()> job);
  // Drops the queued jobs, tells the running one to stop (stopping()),
  // joins the thread.
  void Stop();
  // Set by Stop: a report checks it between pages, so a shutdown never
  // waits out a month-long report.
  const std::atomic<bool>* stopping() const { return &stopping_flag_; }

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::atomic<bool> stopping_flag_{false};
  std::thread thread_;
};

// What a report reads: the window, the caller's subtree, and what the rows
// are read with (copied from the engine on the serving thread).
struct ReportWindow {
  Time from = 0;
  Time to = 0;
  std::string tenant_prefix;
  ResourceCatalog catalog;
  // When set and true, the report ends between pages (Unavailable).
  const std::atomic<bool>* cancel = nullptr;
};

// Reports waiting behind the running one before the next is refused (429).
inline constexpr size_t kMaxQueuedReports = 16;
// GET /v1/usage page sizes: `limit` defaults to kDefaultUsagePage records
// and may be at most kMaxUsagePage, which bounds a reply's memory: a csv
// page of 20,000 records peaks near 50 MB (rows read, records parsed, text).
inline constexpr int64_t kDefaultUsagePage = 10'000;
inline constexpr int64_t kMaxUsagePage = 20'000;

// Rows read per page by the reports (bounded memory: one page of records at
// a time, ~600 bytes each).
inline constexpr int64_t kReportPageRows = 5000;

// The chargeback body of GET /v1/reports/chargeback (docs/api.md): the
// rollup over every record in the window along `by` ("tenant", "class",
// "pool", "label:KEY"), tenant rows at `level` (-1: every level but the
// root) and inside `tenant_prefix`. Rolled up a page at a time and merged,
// so memory grows with the number of rows reported, not of records.
Result<nlohmann::json> ChargebackReport(Journal& journal, const ReportWindow& window,
                                        const std::string& by, int64_t level,
                                        const std::string& currency);

// One page of GET /v1/usage: at most `limit` records after `cursor` ("" for
// the first page) in `format` (jsonl, csv or focus; each page stands alone,
// csv with its header). *next_cursor is "" on the last page.
Result<std::string> UsageExportPage(Journal& journal, const ReportWindow& window,
                                    const std::string& format, const std::string& currency,
                                    const std::string& cursor, int64_t limit,
                                    std::string* next_cursor);

// The opaque cursor of a page's last row, and back; InvalidArgument
// ("cursor: ...") for text no page handed out.
std::string EncodeUsageCursor(Time end, int64_t id);
Status DecodeUsageCursor(const std::string& text, Time* end, int64_t* id);

}  // namespace allot
