#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "metering/usage_record.h"

namespace allot {

// Prints what each tenant (every level of the tree) spent in `records`, and
// each pool's idle cost over [from, to): what its capacity cost minus what
// the records were charged for it (OpenCost's idle), shared back by usage.
void PrintChargeback(const Engine& engine, const std::vector<UsageRecord>& records, Time from,
                     Time to, std::ostream& out);

// `records` as "csv", "jsonl" or "focus" (FinOps FOCUS 1.2, each record
// billed in the calendar month, UTC, holding its end). InvalidArgument for
// another format.
Result<std::string> ExportUsage(const Engine& engine, const std::vector<UsageRecord>& records,
                                const std::string& format);
// The same with what it needs of the engine given apart (for a report
// thread, which must not touch the engine).
Result<std::string> ExportUsageRecords(const std::vector<UsageRecord>& records,
                                       const ResourceCatalog& catalog, const std::string& currency,
                                       const std::string& format);

}  // namespace allot
