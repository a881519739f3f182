#include "budget/price_catalog.h"

#include <fmt/format.h>

#include <limits>

namespace allot {
namespace {

constexpr int64_t kPartsPerMillion = 1'000'000;
constexpr __int128 kMicrosPerHourWide = __int128{3'600'000'000};
// The largest rate a node (or the cluster) may cost: keeps every lease's rate
// times any duration below ten years within __int128.
constexpr __int128 kMaxRate = std::numeric_limits<int64_t>::max() / 4;
constexpr Money kMaxPrice = Money{1'000'000'000} * kMicrosPerUnit;  // a billion per unit

}  // namespace

int64_t UnitsPerWhole(int resource) {
  switch (resource) {
    case kGpu:
    case kCpu:
      return 1000;
    case kGpuMemory:
    case kMemory:
      return 1024;
    default:
      return 1;
  }
}

Result<PriceCatalog> PriceCatalog::Create(const PriceSpec& spec, const Inventory& inventory) {
  PriceCatalog catalog;
  if (!IsKnownCurrency(spec.currency)) {
    return InvalidArgument(fmt::format(
        "currency: '{}' is not an ISO 4217 currency code (such as USD, EUR)", spec.currency));
  }
  catalog.currency_ = spec.currency;
  const ResourceCatalog& resources = inventory.resources;
  std::vector<const PoolPriceSpec*> by_pool(inventory.pools.size(), nullptr);
  for (size_t i = 0; i < spec.pools.size(); ++i) {
    const PoolPriceSpec& price = spec.pools[i];
    std::string field = fmt::format("prices.pools[{}] ({})", i, price.pool);
    int pool = inventory.FindPool(price.pool);
    if (pool < 0) return InvalidArgument(field + ": unknown pool");
    if (by_pool[static_cast<size_t>(pool)] != nullptr) {
      return InvalidArgument(field + ": pool priced twice");
    }
    by_pool[static_cast<size_t>(pool)] = &price;
    bool per_resource = false;
    int64_t split_sum = 0;
    for (int r = 0; r < kMaxResources; ++r) {
      std::string name = r < resources.size() ? std::string(resources.Name(r)) : "resource";
      if (price.per_unit_hour[r] != 0 || price.split_ppm[r] != 0) {
        if (r >= resources.size())
          return InvalidArgument(field + ": price for an unknown resource");
      }
      if (price.per_unit_hour[r] < 0 || price.per_unit_hour[r] > kMaxPrice) {
        return InvalidArgument(fmt::format("{}.{}: must be between 0 and 1e9", field, name));
      }
      if (price.split_ppm[r] < 0 || price.split_ppm[r] > kPartsPerMillion) {
        return InvalidArgument(fmt::format("{}.split.{}: must be between 0 and 1", field, name));
      }
      per_resource |= price.per_unit_hour[r] > 0;
      split_sum += price.split_ppm[r];
    }
    if (price.node_hour < 0 || price.node_hour > kMaxPrice) {
      return InvalidArgument(field + ".node_hour: must be between 0 and 1e9");
    }
    if (per_resource && (price.node_hour > 0 || split_sum > 0)) {
      return InvalidArgument(field +
                             ": give prices per resource or a node_hour price with a split, "
                             "not both");
    }
    if (price.node_hour > 0 && split_sum != kPartsPerMillion) {
      return InvalidArgument(fmt::format("{}.split: sums to {}, must be 1", field,
                                         static_cast<double>(split_sum) / kPartsPerMillion));
    }
    if (price.node_hour == 0 && split_sum > 0) {
      return InvalidArgument(field + ".split: needs a node_hour price");
    }
  }
  catalog.node_rates_.assign(inventory.nodes.size(), {});
  catalog.node_capacity_rate_.assign(inventory.nodes.size(), 0);
  __int128 cluster_rate = 0;
  for (size_t n = 0; n < inventory.nodes.size(); ++n) {
    const Node& node = inventory.nodes[n];
    const PoolPriceSpec* price = by_pool[node.pool];
    if (price == nullptr) continue;
    std::array<int64_t, kMaxResources>& rates = catalog.node_rates_[n];
    __int128 capacity_rate = 0;
    for (int r = 0; r < kMaxResources; ++r) {
      __int128 rate = 0;
      if (price->node_hour > 0 && price->split_ppm[r] > 0) {
        if (node.capacity[r] <= 0) {
          return InvalidArgument(fmt::format(
              "prices.pools ({}).split.{}: node {} has no {} to carry a share of the price",
              price->pool, resources.Name(r), node.name, resources.Name(r)));
        }
        // node_hour * split / capacity, per fixed-point unit, scaled.
        rate = __int128{price->node_hour} * price->split_ppm[r] * kRateScale /
               (__int128{kPartsPerMillion} * node.capacity[r]);
      } else {
        rate = __int128{price->per_unit_hour[r]} * kRateScale / UnitsPerWhole(r);
      }
      rates[static_cast<size_t>(r)] = static_cast<int64_t>(rate);
      capacity_rate += rate * node.capacity[r];
      if (capacity_rate > kMaxRate) {
        return InvalidArgument(
            fmt::format("prices.pools ({}): node {} would cost more per hour "
                        "than allot can count",
                        price->pool, node.name));
      }
    }
    catalog.node_capacity_rate_[n] = static_cast<int64_t>(capacity_rate);
    catalog.has_resource_prices_ |= capacity_rate > 0;
    cluster_rate += capacity_rate;
    if (cluster_rate > kMaxRate) {
      return InvalidArgument(
          "prices.pools: the cluster would cost more per hour than allot "
          "can count");
    }
  }
  for (size_t i = 0; i < spec.models.size(); ++i) {
    const ModelPriceSpec& model = spec.models[i];
    std::string field = fmt::format("prices.models[{}] ({})", i, model.model);
    if (model.model.empty()) return InvalidArgument(field + ": needs a model name");
    if (catalog.FindModel(model.model) >= 0) {
      return InvalidArgument(field + ": model priced twice");
    }
    for (auto [name, value] : {std::pair{"input", model.input_per_million},
                               std::pair{"cached_input", model.cached_input_per_million},
                               std::pair{"output", model.output_per_million}}) {
      if (value < 0 || value > kMaxPrice) {
        return InvalidArgument(fmt::format("{}.{}: must be between 0 and 1e9", field, name));
      }
    }
    catalog.models_.push_back(model);
  }
  return catalog;
}

int64_t PriceCatalog::RateOn(NodeIndex node, const ResourceVector& amount) const {
  if (!has_resource_prices_) return 0;
  const std::array<int64_t, kMaxResources>& rates = node_rates_[static_cast<size_t>(node)];
  __int128 rate = 0;
  for (int r = 0; r < kMaxResources; ++r)
    rate += __int128{amount[r]} * rates[static_cast<size_t>(r)];
  // Amounts fit on the node, so the rate is at most the node's capacity rate.
  return static_cast<int64_t>(rate);
}

Money PriceCatalog::Cost(int64_t rate, Duration d) {
  if (rate <= 0 || d <= 0) return 0;
  constexpr uint64_t kDenominator = uint64_t{3'600'000'000} * kRateScale;
  uint64_t product = 0;
  if (!__builtin_mul_overflow(static_cast<uint64_t>(rate), static_cast<uint64_t>(d), &product) &&
      product <= std::numeric_limits<uint64_t>::max() - kDenominator) {
    // The common case in 64 bits: a division by a constant is a multiplication.
    return static_cast<Money>((product + kDenominator - 1) / kDenominator);
  }
  __int128 denominator = kMicrosPerHourWide * kRateScale;
  __int128 numerator = __int128{rate} * d;
  return static_cast<Money>((numerator + denominator - 1) / denominator);
}

int PriceCatalog::FindModel(std::string_view model) const {
  for (size_t i = 0; i < models_.size(); ++i) {
    if (models_[i].model == model) return static_cast<int>(i);
  }
  return -1;
}

Money PriceCatalog::TokenCost(int model, const TokenCounts& tokens) const {
  const ModelPriceSpec& price = models_[static_cast<size_t>(model)];
  __int128 micros_per_million =
      __int128{tokens.input - tokens.cached_input} * price.input_per_million +
      __int128{tokens.cached_input} * price.cached_input_per_million +
      __int128{tokens.output} * price.output_per_million;
  return static_cast<Money>((micros_per_million + 999'999) / 1'000'000);
}

Money PriceCatalog::TokenCeiling(int model, int64_t input, int64_t max_output) const {
  const ModelPriceSpec& price = models_[static_cast<size_t>(model)];
  Money input_price = std::max(price.input_per_million, price.cached_input_per_million);
  __int128 micros_per_million =
      __int128{input} * input_price + __int128{max_output} * price.output_per_million;
  return static_cast<Money>((micros_per_million + 999'999) / 1'000'000);
}

}  // namespace allot
