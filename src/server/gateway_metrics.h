#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "budget/money.h"
#include "common/time.h"
#include "metering/usage_record.h"

namespace prometheus {
class Counter;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace allot {

// The gateway's Prometheus metrics (docs/operations.md lists them):
//   allot_gateway_requests_total{model, outcome}   calls by how they ended
//   allot_gateway_tokens_total{model, kind}        input, cached_input, output
//   allot_gateway_cost_total{model}                currency units
//   allot_gateway_time_to_first_token_seconds{model}
//   allot_gateway_added_latency_seconds            allot's own share of a call:
//       its time before the upstream request and after the upstream's answer
//       (queue waits excluded: they are the allocator's decision, not overhead)
// `model` is a configured model name (bounded by configuration), or "other".
// Loop thread only, except Serialize.
class GatewayMetrics {
 public:
  GatewayMetrics();
  ~GatewayMetrics();
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  void ObserveCall(std::string_view model, std::string_view outcome);
  void ObserveUsage(std::string_view model, const TokenCounts& tokens, Money cost);
  void ObserveTimeToFirstToken(std::string_view model, Duration ttft);
  void ObserveAddedLatency(Duration added);
  std::string Serialize() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>()(text); }
  };
  template <typename T>
  using Map = std::unordered_map<std::string, T, Hash, std::equal_to<>>;
  struct ModelSeries {
    prometheus::Counter* input = nullptr;
    prometheus::Counter* cached = nullptr;
    prometheus::Counter* output = nullptr;
    prometheus::Counter* cost = nullptr;
    prometheus::Histogram* ttft = nullptr;
  };
  ModelSeries& Series(std::string_view model);

  std::unique_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Counter>* tokens_;
  prometheus::Family<prometheus::Counter>* cost_;
  prometheus::Family<prometheus::Histogram>* ttft_;
  prometheus::Histogram* added_latency_;
  Map<prometheus::Counter*> requests_by_key_;  // key: model '\x1f' outcome
  Map<ModelSeries> by_model_;
};

}  // namespace allot
