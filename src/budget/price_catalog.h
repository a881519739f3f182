#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "budget/money.h"
#include "common/resources.h"
#include "common/result.h"
#include "common/time.h"
#include "metering/usage_record.h"
#include "model/inventory.h"

namespace allot {

// Prices of one pool, in one of two forms:
//   per resource: `per_unit_hour[r]` per whole unit-hour (a GPU, a core, a GiB
//     of memory or GPU memory, a slot, a custom unit);
//   per node: `node_hour` for a whole node, split across resources by
//     `split_ppm` (parts per million, summing to 1,000,000), so a resource's
//     unit price on node n is node_hour * split(r) / capacity(n, r).
struct PoolPriceSpec {
  std::string pool;
  std::array<Money, kMaxResources> per_unit_hour{};
  Money node_hour = 0;
  std::array<int64_t, kMaxResources> split_ppm{};
  friend bool operator==(const PoolPriceSpec&, const PoolPriceSpec&) = default;
};

// Token prices of a model (an inference endpoint), per million tokens.
struct ModelPriceSpec {
  std::string model;
  Money input_per_million = 0;
  Money cached_input_per_million = 0;
  Money output_per_million = 0;
  friend bool operator==(const ModelPriceSpec&, const ModelPriceSpec&) = default;
};

struct PriceSpec {
  std::string currency = "USD";  // ISO 4217
  std::vector<PoolPriceSpec> pools;
  std::vector<ModelPriceSpec> models;
  friend bool operator==(const PriceSpec&, const PriceSpec&) = default;
};

// The price catalog resolved against an inventory: a cost rate per node and
// resource, and token prices per model. Immutable; thread-compatible.
//
// Rates are integers in "rate units": micro-units of currency per hour times
// kRateScale per fixed-point resource unit (milli-GPU, milli-core, MiB, slot).
// kRateScale = 128,000 = lcm(1000, 1024), so a price per GPU, core or GiB
// converts to its fixed-point unit exactly:
//   rate(n, r) = price(n, r) * kRateScale / unit(r),  unit = 1000 or 1024 or 1
// and a lease whose members take amounts a(m, r) on nodes n(m) costs, over a
// duration d (microseconds),
//   cost = ceil( sum_m sum_r a(m, r) * rate(n(m), r) * d / (kRateScale * 3.6e9) ).
class PriceCatalog {
 public:
  static constexpr int64_t kRateScale = 128'000;

  PriceCatalog() = default;
  // Unknown currency, unknown or duplicate pools and models, both price forms
  // in one pool, splits that do not sum to one or split onto a resource the
  // pool's nodes lack, and costs that overflow are InvalidArgument naming the
  // field ("prices.pools[1].split: sums to 0.9, must be 1").
  static Result<PriceCatalog> Create(const PriceSpec& spec, const Inventory& inventory);

  const std::string& currency() const { return currency_; }
  bool has_resource_prices() const { return has_resource_prices_; }
  // Rate of `amount` taken on `node` (rate units, see above).
  int64_t RateOn(NodeIndex node, const ResourceVector& amount) const;
  // The whole node's capacity, per hour (rate units), for idle cost.
  int64_t NodeCapacityRate(NodeIndex node) const {
    return node_capacity_rate_[static_cast<size_t>(node)];
  }
  // ceil(rate * d / (kRateScale * 3.6e9)), d >= 0.
  static Money Cost(int64_t rate, Duration d);

  // The model's index, or -1 when it has no price.
  int FindModel(std::string_view model) const;
  const ModelPriceSpec& model(int index) const { return models_[static_cast<size_t>(index)]; }
  size_t model_count() const { return models_.size(); }
  // ceil(((input - cached) * p_in + cached * p_cached + output * p_out) / 1e6)
  Money TokenCost(int model, const TokenCounts& tokens) const;
  // The most a call may cost: every input token at the dearer of the input
  // and cached prices, and all max_output tokens.
  Money TokenCeiling(int model, int64_t input, int64_t max_output) const;

 private:
  std::string currency_ = "USD";
  bool has_resource_prices_ = false;
  std::vector<std::array<int64_t, kMaxResources>> node_rates_;  // per node
  std::vector<int64_t> node_capacity_rate_;
  std::vector<ModelPriceSpec> models_;
};

// Fixed-point units per whole unit of a resource: 1000 for gpu and cpu
// (milli), 1024 for gpu_memory and memory (MiB per GiB), 1 otherwise.
int64_t UnitsPerWhole(int resource);

}  // namespace allot
