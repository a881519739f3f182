#pragma once

// Helpers shared by the trace readers (internal to src/sim; the public
// interface is trace_readers.h).
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "sim/csv.h"
#include "sim/trace_readers.h"

namespace allot::trace_internal {

// "YYYY-MM-DD HH:MM:SS" with an optional fraction of any length (digits past
// the sixth, below a microsecond, are dropped), read as UTC. False when
// malformed or not a real date and time.
bool ParseUtcTimestamp(std::string_view text, Time* out);

// "dir/philly.csv" -> "philly.csv".
std::string BaseName(const std::string& path);

// The indices of the required columns, in order, or the error naming the
// first one missing.
Result<std::vector<size_t>> RequiredColumns(const CsvTable& table,
                                            std::initializer_list<std::string_view> names);

// "<file>:<line>:<column> (<name>): time goes backwards (previous row, line
// L, has '<text>')".
Status TimeGoesBackwards(const CsvTable& table, size_t row, size_t previous_row, size_t column);

// Sorts jobs by submit time, ties in their present order. Sorts (time,
// index) keys and then moves each job once: a SimJob is about 420 bytes, and
// std::stable_sort moving jobs at every step took 150 ms for Philly's 82k.
void SortBySubmit(std::vector<SimJob>* jobs);

// Fills empty tenants and classes from the options.
void ApplyDefaults(const WorkloadOptions& options, Workload* workload);

// Adds `count` skipped rows with the reason "<count> rows <why>" (nothing
// when count is 0).
void CountSkip(int64_t count, std::string_view why, Workload* workload);

}  // namespace allot::trace_internal
