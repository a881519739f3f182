// The HTTP request target (server/query.cc): path segments and query
// parameters, percent-decoded, and the readers of the parameters. The bytes
// are the target as sent. Invariants: a parsed target's segments are its
// path's; the readers refuse or answer in range; an error reply for a refused
// target or parameter is written without throwing.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "server/query.h"
#include "server/service.h"

namespace allot::fuzz {
namespace {

// The error reply the service writes for `status` (it dumps the message).
void Reply(const Status& status, std::string_view field) {
  ServiceReply reply = ErrorReply(status, field);
  Expect(reply.status >= 400 && reply.status < 500, "a refused target is a 4xx");
}

void CheckTarget(std::string_view text) {
  Result<Target> target = ParseTarget(text);
  if (!target.ok()) return Reply(target.status(), "target");
  Expect(target->path.find('\0') == std::string::npos, "no NUL in a parsed path");
  for (const std::string& segment : target->segments) {
    Expect(!segment.empty(), "no empty segments");
  }
  if (Status known = CheckQuery(*target, {"wait", "limit", "tenant", "from", "to", "pool"});
      !known.ok()) {
    Reply(known, "");
  }
  Result<int64_t> limit = QueryInt(*target, "limit", 100, 1, 1000);
  if (limit.ok()) {
    Expect(*limit >= 1 && *limit <= 1000, "QueryInt answers in range");
  } else {
    Reply(limit.status(), "");
  }
  Result<Duration> wait = QuerySeconds(*target, "wait", 300);
  if (wait.ok()) {
    Expect(*wait >= 0 && *wait <= Seconds(int64_t{300}), "QuerySeconds answers in range");
  } else {
    Reply(wait.status(), "");
  }
  (void)QueryString(*target, "tenant");
}

}  // namespace
}  // namespace allot::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  allot::fuzz::CheckTarget(text);
  (void)allot::IsJsonMediaType(text);
  return 0;
}
