#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "common/result.h"
#include "metering/usage_fields.h"
#include "metering/usage_record.h"

namespace allot {

// Usage records as JSON lines: one flat JSON object per record, each line
// ended by LF. Keys are the usage fields of metering/usage_fields.h, the
// CSV's column names, written in the same order:
//   {"lease":7,"start":"2026-11-21T09:30:00Z","end":"...","start_us":...,
//    "end_us":...,"tenant_path":"acme/ml","priority_class":"batch",
//    "pool":"a100","location":"n1[0,1]","model":"","labels":{"team":"ml"},
//    "gpu_ms":7200000000,...,"tokens_input":0,"tokens_cached_input":0,
//    "tokens_output":0,"tokens_estimated":false,"cost":"4.000000",
//    "end_reason":"released","overrun":false}
// Integers are JSON numbers (exact: RapidJSON reads them as int64/uint64),
// cost a string so that no reader turns it into a binary fraction, labels
// an object of strings, the booleans JSON booleans.

// Fails naming "records[i]" when a record fails ValidateUsageRecord.
Result<std::string> WriteUsageJsonl(const std::vector<UsageRecord>& records,
                                    const ResourceCatalog& catalog);

// One record as one line of WriteUsageJsonl's (without the LF), keeping the
// field list between calls: the server writes a line per ended lease. The
// list is rebuilt when the catalog's resource names change. Not thread-safe.
class UsageJsonlWriter {
 public:
  // Fails as ValidateUsageRecord does.
  Result<std::string> Line(const UsageRecord& record, const ResourceCatalog& catalog);

 private:
  std::vector<std::string> resource_names_;
  std::vector<UsageField> fields_;
  bool built_ = false;
};

// Reads what WriteUsageJsonl writes; keys in any order, blank lines skipped,
// CRLF accepted. Errors name the line and the field ("line 3: tokens_input:
// expected an integer, got a string"); rejects unknown, duplicate or missing
// fields, values of the wrong JSON type, start/end text that disagrees with
// start_us/end_us, and records that fail ValidateUsageRecord.
Result<std::vector<UsageRecord>> ReadUsageJsonl(std::string_view text,
                                                const ResourceCatalog& catalog);

}  // namespace allot
