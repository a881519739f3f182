#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "budget/money.h"
#include "common/ids.h"
#include "common/resources.h"
#include "common/time.h"
#include "model/inventory.h"

namespace allot {

// The most tokens of each kind one call may count: keeps every token cost
// within int64 at any price allot accepts.
inline constexpr int64_t kMaxTokensPerCall = int64_t{1} << 32;

// Tokens of one model call: `input` includes `cached_input` (as OpenAI's
// prompt_tokens includes cached_tokens).
struct TokenCounts {
  int64_t input = 0;
  int64_t cached_input = 0;
  int64_t output = 0;

  int64_t total() const { return input + output; }
  friend bool operator==(const TokenCounts&, const TokenCounts&) = default;
};

// What one finished lease used and cost: the unit of metering, chargeback and
// export. The engine emits one per ended lease (Engine::TakeUsage) and can
// list provisional ones for running leases (end = now, end_reason "running").
// Plain value type; every field is resolved to names so a record stands
// alone in a journal or an export.
struct UsageRecord {
  LeaseId lease;
  std::string tenant_path;     // leaf tenant, "acme/research/agent-7"
  std::string priority_class;  // class name
  Labels labels;               // the request's labels, sorted by key
  std::string pool;            // pool of the first member ("" for none)
  // Where it ran: "node[dev,dev];node[...]" (devices by index, "-" for none);
  // for a model call, the endpoint replica node.
  std::string location;
  std::string model;  // model called, "" for plain capacity leases
  Time start = 0;     // microseconds since the epoch, UTC
  Time end = 0;
  // Per resource (ResourceCatalog index): quantity x time, in the resource's
  // fixed-point unit x milliseconds (gpu: milli-GPU-ms; 3.6e9 = 1 GPU-hour).
  std::array<int64_t, kMaxResources> resource_ms{};
  TokenCounts tokens;
  Money cost = 0;                 // actual cost, micro-units of the currency
  std::string end_reason;         // released, cancelled, expired, node_down, preempted, running
  bool tokens_estimated = false;  // usage never reported: tokens estimated
  // A model call through the gateway: from the call's arrival to its last
  // byte to the client, and to its first generated token (0: not measured).
  Duration latency = 0;
  Duration time_to_first_token = 0;
  bool overrun = false;  // ran past every budget reservation it could get

  friend bool operator==(const UsageRecord&, const UsageRecord&) = default;
};

// What the holder reports when it releases a lease: the tokens a model call
// used (from the model's usage), or an estimate when the model reported none.
struct UsageReport {
  TokenCounts tokens;
  bool tokens_estimated = false;
  Duration latency = 0;              // see UsageRecord
  Duration time_to_first_token = 0;  // see UsageRecord
};

}  // namespace allot
