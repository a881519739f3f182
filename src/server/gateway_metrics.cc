#include "server/gateway_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace allot {
namespace {

using prometheus::Histogram;

// Added latency: 25 µs to 50 ms, fine around the 200 µs and 2 ms objectives.
const Histogram::BucketBoundaries kAddedLatencyBuckets = {
    0.000025, 0.00005, 0.0001, 0.00015, 0.0002, 0.0003, 0.0005, 0.00075,
    0.001,    0.0015,  0.002,  0.005,   0.01,   0.02,   0.05};
const Histogram::BucketBoundaries kTtftBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                                  1,     2,    5,     10,   30,  60};

}  // namespace

GatewayMetrics::GatewayMetrics() : registry_(std::make_unique<prometheus::Registry>()) {
  prometheus::Registry& registry = *registry_;
  requests_ = &prometheus::BuildCounter()
                   .Name("allot_gateway_requests_total")
                   .Help("Gateway calls by model and outcome.")
                   .Register(registry);
  tokens_ = &prometheus::BuildCounter()
                 .Name("allot_gateway_tokens_total")
                 .Help("Tokens of gateway calls by model and kind (input includes cached_input).")
                 .Register(registry);
  cost_ = &prometheus::BuildCounter()
               .Name("allot_gateway_cost_total")
               .Help("Cost of gateway calls by model, in the configured currency.")
               .Register(registry);
  ttft_ = &prometheus::BuildHistogram()
               .Name("allot_gateway_time_to_first_token_seconds")
               .Help("Time from a call's arrival to its first generated token, by model.")
               .Register(registry);
  added_latency_ = &prometheus::BuildHistogram()
                        .Name("allot_gateway_added_latency_seconds")
                        .Help(
                            "allot's own time in a gateway call: before the upstream request "
                            "and after the upstream's answer, queue waits excluded.")
                        .Register(registry)
                        .Add({}, kAddedLatencyBuckets);
}

GatewayMetrics::~GatewayMetrics() = default;

void GatewayMetrics::ObserveCall(std::string_view model, std::string_view outcome) {
  std::string key;
  key.reserve(model.size() + outcome.size() + 1);
  key.append(model).push_back('\x1f');
  key.append(outcome);
  auto it = requests_by_key_.find(key);
  if (it == requests_by_key_.end()) {
    prometheus::Counter* counter =
        &requests_->Add({{"model", std::string(model)}, {"outcome", std::string(outcome)}});
    it = requests_by_key_.emplace(std::move(key), counter).first;
  }
  it->second->Increment();
}

GatewayMetrics::ModelSeries& GatewayMetrics::Series(std::string_view model) {
  auto it = by_model_.find(model);
  if (it != by_model_.end()) return it->second;
  std::string name(model);
  ModelSeries series;
  series.input = &tokens_->Add({{"model", name}, {"kind", "input"}});
  series.cached = &tokens_->Add({{"model", name}, {"kind", "cached_input"}});
  series.output = &tokens_->Add({{"model", name}, {"kind", "output"}});
  series.cost = &cost_->Add({{"model", name}});
  series.ttft = &ttft_->Add({{"model", name}}, kTtftBuckets);
  return by_model_.emplace(std::move(name), series).first->second;
}

void GatewayMetrics::ObserveUsage(std::string_view model, const TokenCounts& tokens, Money cost) {
  ModelSeries& series = Series(model);
  series.input->Increment(static_cast<double>(tokens.input));
  series.cached->Increment(static_cast<double>(tokens.cached_input));
  series.output->Increment(static_cast<double>(tokens.output));
  series.cost->Increment(static_cast<double>(cost) / 1e6);
}

void GatewayMetrics::ObserveTimeToFirstToken(std::string_view model, Duration ttft) {
  Series(model).ttft->Observe(static_cast<double>(ttft) / 1e6);
}

void GatewayMetrics::ObserveAddedLatency(Duration added) {
  added_latency_->Observe(static_cast<double>(added) / 1e6);
}

std::string GatewayMetrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace allot
