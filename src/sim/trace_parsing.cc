#include "sim/trace_parsing.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "budget/civil_time.h"

namespace allot::trace_internal {
namespace {

// Reads exactly `digits` decimal digits at text[*at]; advances *at.
bool Digits(std::string_view text, size_t* at, int digits, int* out) {
  if (*at + static_cast<size_t>(digits) > text.size()) return false;
  int value = 0;
  for (int i = 0; i < digits; ++i) {
    char c = text[*at + static_cast<size_t>(i)];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  *at += static_cast<size_t>(digits);
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* at, char c) {
  if (*at >= text.size() || text[*at] != c) return false;
  ++*at;
  return true;
}

}  // namespace

bool ParseUtcTimestamp(std::string_view text, Time* out) {
  using calendar_internal::DaysFromCivil;
  using calendar_internal::DaysInMonth;
  size_t at = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(text, &at, 4, &year) || !Expect(text, &at, '-') || !Digits(text, &at, 2, &month) ||
      !Expect(text, &at, '-') || !Digits(text, &at, 2, &day) || !Expect(text, &at, ' ') ||
      !Digits(text, &at, 2, &hour) || !Expect(text, &at, ':') || !Digits(text, &at, 2, &minute) ||
      !Expect(text, &at, ':') || !Digits(text, &at, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  int64_t micros = 0;
  if (at < text.size()) {
    if (!Expect(text, &at, '.') || at == text.size()) return false;
    int64_t scale = kMicrosPerSecond;
    for (; at < text.size(); ++at) {
      char c = text[at];
      if (c < '0' || c > '9') return false;
      scale /= 10;  // becomes 0 past the sixth digit: the rest is dropped
      micros += (c - '0') * scale;
    }
  }
  int64_t days = DaysFromCivil(year, month, day);
  *out = Seconds(days * 86'400 + hour * 3600 + minute * 60 + second) + micros;
  return true;
}

std::string BaseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<std::vector<size_t>> RequiredColumns(const CsvTable& table,
                                            std::initializer_list<std::string_view> names) {
  std::vector<size_t> columns;
  for (std::string_view name : names) {
    Result<size_t> column = table.Column(name);
    if (!column.ok()) return column.status();
    columns.push_back(*column);
  }
  return columns;
}

Status TimeGoesBackwards(const CsvTable& table, size_t row, size_t previous_row, size_t column) {
  return InvalidArgument(fmt::format("{}: time goes backwards (previous row, line {}, has '{}')",
                                     table.Where(row, column), table.Line(previous_row),
                                     table.Field(previous_row, column)));
}

void SortBySubmit(std::vector<SimJob>* jobs) {
  std::vector<std::pair<Time, size_t>> keys(jobs->size());
  for (size_t i = 0; i < jobs->size(); ++i) keys[i] = {(*jobs)[i].submit, i};
  // (time, index) pairs are all distinct, so an unstable sort is stable here.
  std::sort(keys.begin(), keys.end());
  std::vector<SimJob> sorted;
  sorted.reserve(jobs->size());
  for (const auto& key : keys) sorted.push_back(std::move((*jobs)[key.second]));
  *jobs = std::move(sorted);
}

void ApplyDefaults(const WorkloadOptions& options, Workload* workload) {
  for (SimJob& job : workload->jobs) {
    if (job.request.tenant.empty()) job.request.tenant = options.tenant;
    if (job.request.priority_class.empty()) job.request.priority_class = options.priority_class;
  }
}

void CountSkip(int64_t count, std::string_view why, Workload* workload) {
  if (count == 0) return;
  workload->skipped += count;
  workload->skip_summary.push_back(fmt::format("{} rows {}", count, why));
}

}  // namespace allot::trace_internal
