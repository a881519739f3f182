#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"

namespace allot {

// A request target split into its decoded path segments and query
// parameters ("/v1/leases/42?wait=5" -> {"v1", "leases", "42"}, {wait: 5}).
struct Target {
  std::string path;  // decoded
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
};

// InvalidArgument for bad percent-encoding, NUL bytes, a repeated parameter,
// or a part that is not well-formed UTF-8 once decoded (the message names it:
// "path: ...", "query: ..." for a parameter name, "query.tenant: ...").
Result<Target> ParseTarget(std::string_view target);

// Only the UTF-8 check of ParseTarget, for every request the HTTP server
// reads (the gateway's included), before any part reaches a reply or a log.
// Parts that do not percent-decode are left to ParseTarget.
Status CheckTargetUtf8(std::string_view target);

// Query parameter readers: InvalidArgument naming the parameter. Parameters
// not in `known` are refused, so a typo never passes silently.
Status CheckQuery(const Target& target, std::initializer_list<std::string_view> known);
Result<int64_t> QueryInt(const Target& target, const std::string& name, int64_t fallback,
                         int64_t min, int64_t max);
// Seconds, possibly fractional ("2.5"), bounded by max_seconds.
Result<Duration> QuerySeconds(const Target& target, const std::string& name, double max_seconds);
std::string QueryString(const Target& target, const std::string& name);

// True when a Content-Type header names application/json (parameters such as
// "; charset=utf-8" allowed).
bool IsJsonMediaType(std::string_view content_type);

}  // namespace allot
