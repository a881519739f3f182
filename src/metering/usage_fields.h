#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "common/result.h"
#include "common/status.h"
#include "common/time.h"
#include "metering/export_text.h"
#include "metering/usage_record.h"
#include "model/inventory.h"

namespace allot {

// The fields of a UsageRecord as the usage CSV (columns) and JSON lines
// (keys of one flat object) name them, shared so that both formats use one
// vocabulary, one parser per field and the same error messages.
//
//   lease                 lease id, > 0
//   start, end            RFC 3339 UTC for people ("2026-11-21T09:30:00.25Z");
//                         a reader checks they agree with start_us / end_us
//   start_us, end_us      microseconds since the epoch: the exact values
//   tenant_path, priority_class, pool, location, model    free text
//   labels                JSON object of strings, {"team":"ml"}; {} for none
//   <resource>_ms         one per catalog resource, catalog order (gpu_ms,
//                         gpu_memory_ms, cpu_ms, memory_ms, slots_ms, ...)
//   tokens_input, tokens_cached_input, tokens_output      counts
//   tokens_estimated      true / false
//   latency_us, ttft_us   a gateway call's latency and time to first token,
//                         microseconds, 0 when not measured; optional when
//                         read (files written before they existed)
//   cost                  decimal in currency units, 6 decimals: "1.250000"
//   end_reason            text, not empty
//   overrun               true / false
enum class UsageFieldId {
  kLease,
  kStart,
  kEnd,
  kStartUs,
  kEndUs,
  kTenantPath,
  kPriorityClass,
  kPool,
  kLocation,
  kModel,
  kLabels,
  kResourceMs,
  kTokensInput,
  kTokensCachedInput,
  kTokensOutput,
  kTokensEstimated,
  kLatencyUs,
  kTtftUs,
  kCost,
  kEndReason,
  kOverrun,
};

struct UsageField {
  UsageFieldId id;
  std::string name;
  int resource = -1;      // catalog index, kResourceMs only
  bool optional = false;  // a reader takes a record without it (value 0)
};

// All fields in write order for `catalog`.
std::vector<UsageField> UsageFields(const ResourceCatalog& catalog);

// How a field is typed in JSON: a string, an integer, a boolean, or (labels)
// an object. The CSV holds every field as its text.
enum class UsageFieldType { kString, kInteger, kBoolean, kObject };
UsageFieldType TypeOf(UsageFieldId id);

// The field's text: what a CSV cell holds; for JSON strings and integers
// the same text (integers written as numbers).
std::string FieldText(const UsageRecord& record, const UsageField& field);

// Parses `text` into the field; `where` prefixes errors: "line 3" gives
// "line 3: cost: 'abc' is not a plain decimal amount such as 2.50".
// start and end are not stored (start_us / end_us are): CheckUsageRecord
// compares them once the whole record is read.
Status SetField(UsageRecord& record, const UsageField& field, std::string_view text,
                std::string_view where);

// After every field of a record is set: `start_text` and `end_text` must be
// UtcText of start_us and end_us, then ValidateUsageRecord. Errors begin
// with `where`.
Status CheckUsageRecord(const UsageRecord& record, std::string_view start_text,
                        std::string_view end_text, const ResourceCatalog& catalog,
                        std::string_view where);

// The largest cost ParseMoney reads back: 999999999999.999999.
inline constexpr Money kMaxExportMoney = 999'999'999'999'999'999;

// What a record must satisfy to be written and read back: lease > 0;
// 0 <= start <= end <= kMaxExportTime; resource_ms >= 0, and 0 for indexes
// the catalog does not name (no column carries them); tokens >= 0 with
// cached_input <= input; 0 <= cost <= kMaxExportMoney; end_reason not empty; labels sorted with
// unique, non-empty keys. Messages name the field as above
// ("tokens_cached_input: 9 is not within 0..tokens_input (4)").
Status ValidateUsageRecord(const UsageRecord& record, const ResourceCatalog& catalog);

}  // namespace allot
