#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/resources.h"
#include "common/result.h"
#include "metering/usage_record.h"

namespace allot {

// Usage records as CSV (RFC 4180: CRLF line ends, fields quoted when they
// hold a comma, quote, CR or LF). A header row names the columns, then one
// row per record; the columns are the usage fields of metering/usage_fields.h
// in that order: lease, start, end, start_us, end_us, tenant_path,
// priority_class, pool, location, model, labels, one <resource>_ms per
// catalog resource, tokens_input, tokens_cached_input, tokens_output,
// tokens_estimated, cost, end_reason, overrun.
//
// Labels are one column holding a JSON object ({"team":"ml"}, {} for none),
// unambiguous for any key or value and the same encoding as the JSON lines
// and the FOCUS Tags column. Times are exact in start_us / end_us
// (microseconds since the epoch) and readable in start / end (RFC 3339 UTC);
// money is a decimal with 6 decimals, exact in micro-units.

// Fails (InvalidArgument naming "records[i]" and the field) when a record
// fails ValidateUsageRecord, so that what is written can be read back.
Result<std::string> WriteUsageCsv(const std::vector<UsageRecord>& records,
                                  const ResourceCatalog& catalog);

// Reads what WriteUsageCsv writes; columns may come in any order. Errors
// name the line and the column: "line 3: cost: 'abc' is not a plain decimal
// amount such as 2.50". Rejects unknown, duplicate or missing columns, a row
// with the wrong number of fields, start/end text that disagrees with
// start_us/end_us, and records that fail ValidateUsageRecord.
Result<std::vector<UsageRecord>> ReadUsageCsv(std::string_view text,
                                              const ResourceCatalog& catalog);

}  // namespace allot
