#include "config/budget_config.h"

#include <cstdio>

#include "budget/calendar.h"
#include "budget/money.h"
#include "config/quantity.h"

namespace allot::config_internal {
namespace {

void ReadPoolPrices(Reader& reader, const YAML::Node& pools, const Inventory& inventory,
                    PriceSpec* prices) {
  if (!pools.IsMap()) return reader.Fail(pools, "prices.pools", "must map pool names to prices");
  const ResourceCatalog& resources = inventory.resources;
  for (const auto& item : pools) {
    std::string name = item.first.IsScalar() ? item.first.Scalar() : "";
    std::string field = "prices.pools." + name;
    const YAML::Node& entry = item.second;
    if (!entry.IsMap()) return reader.Fail(entry, field, "must be a mapping");
    PoolPriceSpec price;
    price.pool = name;
    for (const auto& key : entry) {
      std::string what = key.first.IsScalar() ? key.first.Scalar() : "";
      std::string path = field + "." + what;
      if (what == "node_hour") {
        price.node_hour = reader.ParsedNode(key.second, path, ParseMoney);
      } else if (what == "split") {
        if (!key.second.IsMap())
          return reader.Fail(key.second, path, "must map resources to shares");
        for (const auto& share : key.second) {
          std::string resource = share.first.IsScalar() ? share.first.Scalar() : "";
          int r = resources.Find(resource);
          if (r < 0) return reader.Fail(share.first, path + "." + resource, "unknown resource");
          std::string share_path = path + "." + resource;
          Result<int64_t> ppm =
              ParseScaled(reader.Scalar(share.second, share_path), 1'000'000, share_path);
          if (!ppm.ok() || *ppm > 1'000'000) {
            return reader.Fail(share.second, share_path,
                               "must be a fraction between 0 and 1 (at most 6 decimals)");
          }
          price.split_ppm[static_cast<size_t>(r)] = *ppm;
        }
      } else {
        int r = resources.Find(what);
        if (r < 0) {
          return reader.Fail(key.first, path, "unknown key (a resource name, node_hour or split)");
        }
        price.per_unit_hour[static_cast<size_t>(r)] =
            reader.ParsedNode(key.second, path, ParseMoney);
      }
      if (!reader.ok()) return;
    }
    prices->pools.push_back(price);
  }
}

void ReadModelPrices(Reader& reader, const YAML::Node& models, PriceSpec* prices) {
  if (!models.IsMap()) return reader.Fail(models, "prices.models", "must map models to prices");
  for (const auto& item : models) {
    std::string name = item.first.IsScalar() ? item.first.Scalar() : "";
    std::string field = "prices.models." + name;
    reader.OnlyKeys(item.second, field, {"input", "cached_input", "output"});
    if (!reader.ok()) return;
    ModelPriceSpec price;
    price.model = name;
    if (const YAML::Node input = item.second["input"]) {
      price.input_per_million = reader.ParsedNode(input, field + ".input", ParseMoney);
    }
    price.cached_input_per_million = price.input_per_million;
    if (const YAML::Node cached = item.second["cached_input"]) {
      price.cached_input_per_million =
          reader.ParsedNode(cached, field + ".cached_input", ParseMoney);
    }
    if (const YAML::Node output = item.second["output"]) {
      price.output_per_million = reader.ParsedNode(output, field + ".output", ParseMoney);
    }
    prices->models.push_back(price);
  }
}

bool ParsePeriod(std::string_view text, PeriodSpec* period, Reader& reader, const YAML::Node& node,
                 const std::string& field) {
  if (text == "none") {
    period->kind = PeriodKind::kNone;
  } else if (text == "daily") {
    period->kind = PeriodKind::kDaily;
  } else if (text == "weekly") {
    period->kind = PeriodKind::kWeekly;
  } else if (text == "monthly") {
    period->kind = PeriodKind::kMonthly;
  } else {
    Result<Duration> every = ParseDuration(text, field);
    if (!every.ok() || *every <= 0) {
      reader.Fail(node, field, "must be none, daily, weekly, monthly or a duration such as 14d");
      return false;
    }
    period->kind = PeriodKind::kEvery;
    period->every = *every;
  }
  return true;
}

void ReadSignals(Reader& reader, const YAML::Node& entry, const std::string& path,
                 BudgetSignals* signals) {
  if (const YAML::Node forecast = entry["forecast"]) {
    std::string field = path + ".forecast";
    reader.OnlyKeys(forecast, field, {"window", "horizon"});
    if (!reader.ok()) return;
    if (!forecast["window"] || !forecast["horizon"]) {
      return reader.Fail(forecast, field, "needs window and horizon");
    }
    signals->forecast_window =
        reader.ParsedNode(forecast["window"], field + ".window", ParseDuration);
    signals->forecast_horizon =
        reader.ParsedNode(forecast["horizon"], field + ".horizon", ParseDuration);
  }
  if (const YAML::Node anomaly = entry["anomaly"]) {
    std::string field = path + ".anomaly";
    reader.OnlyKeys(anomaly, field, {"window", "threshold", "min_ratio"});
    if (!reader.ok()) return;
    if (!anomaly["window"]) return reader.Fail(anomaly, field, "needs a window");
    signals->anomaly_window =
        reader.ParsedNode(anomaly["window"], field + ".window", ParseDuration);
    for (auto [key, out] : {std::pair{"threshold", &signals->anomaly_threshold},
                            std::pair{"min_ratio", &signals->anomaly_min_ratio}}) {
      const YAML::Node node = anomaly[key];
      if (!node) continue;
      Result<int64_t> milli = ParseScaled(reader.Scalar(node, field + "." + key), 1000, key);
      if (!milli.ok() || *milli <= 0) {
        return reader.Fail(node, field + "." + key, "must be a number > 0");
      }
      *out = static_cast<double>(*milli) / 1000;
    }
  }
}

constexpr std::string_view kWeekdays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                          "thursday", "friday", "saturday"};

void ReadBudgets(Reader& reader, const YAML::Node& list, const Inventory& inventory,
                 BudgetOptions* options) {
  if (!list.IsSequence()) return reader.Fail(list, "budgets", "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    Reader::Scope scope(reader);  // each budget's first error
    [&] {
      const YAML::Node entry = list[i];
      std::string path = fmt::format("budgets[{}]", i);
      reader.OnlyKeys(
          entry, path,
          {"name", "tenant", "money", "tokens", "resource_hours", "period", "week_start", "anchor",
           "rollover", "rollover_cap", "thresholds", "forecast", "anomaly"});
      if (!reader.ok()) return;
      BudgetSpec spec;
      spec.name = reader.String(entry, "name", path, true);
      spec.tenant = reader.String(entry, "tenant", path, false);
      int meters =
          (entry["money"] ? 1 : 0) + (entry["tokens"] ? 1 : 0) + (entry["resource_hours"] ? 1 : 0);
      if (meters != 1) {
        return reader.Fail(entry, path, "needs exactly one of money, tokens or resource_hours");
      }
      if (const YAML::Node money = entry["money"]) {
        spec.meter = BudgetMeter::kMoney;
        spec.limit = reader.ParsedNode(money, path + ".money", ParseMoney);
      } else if (entry["tokens"]) {
        spec.meter = BudgetMeter::kTokens;
        spec.limit = reader.Integer(entry, "tokens", path, 0, int64_t{1} << 62);
      } else {
        const YAML::Node hours = entry["resource_hours"];
        std::string field = path + ".resource_hours";
        if (!hours.IsMap() || hours.size() != 1) {
          return reader.Fail(hours, field, "must name one resource: {gpu: 1000}");
        }
        std::string resource = hours.begin()->first.Scalar();
        spec.meter = BudgetMeter::kResourceTime;
        spec.resource = inventory.resources.Find(resource);
        if (spec.resource < 0)
          return reader.Fail(hours, field + "." + resource, "unknown resource");
        // Hours with up to three decimals; the limit counts unit x ms:
        // milli-hours x 3600 ms x units per whole.
        std::string amount_field = field + "." + resource;
        Result<int64_t> milli_hours =
            ParseScaled(reader.Scalar(hours.begin()->second, amount_field), 1000, amount_field);
        if (!milli_hours.ok() || *milli_hours > (int64_t{1} << 40)) {
          return reader.Fail(hours.begin()->second, amount_field,
                             "must be a number of hours >= 0 (at most 3 decimals)");
        }
        spec.limit = *milli_hours * 3600 * UnitsPerWhole(spec.resource);
      }
      if (!reader.ok()) return;
      if (const YAML::Node period = entry["period"]) {
        if (!ParsePeriod(reader.Scalar(period, path + ".period"), &spec.period, reader, period,
                         path + ".period")) {
          return;
        }
      }
      if (const YAML::Node anchor = entry["anchor"]) {
        if (spec.period.kind != PeriodKind::kEvery) {
          return reader.Fail(anchor, path + ".anchor", "only a period given as a duration has one");
        }
        Result<Time> at = ParseTimestamp(reader.Scalar(anchor, path + ".anchor"),
                                         options->time_zone, path + ".anchor");
        if (!at.ok()) {
          return reader.Fail(anchor, path + ".anchor",
                             at.status().message().substr(path.size() + 9));
        }
        spec.period.anchor = *at;
      } else if (spec.period.kind == PeriodKind::kEvery) {
        return reader.Fail(entry, path + ".anchor",
                           "is required for a period given as a duration: the start of one "
                           "period, such as 2026-01-05");
      }
      if (const YAML::Node week_start = entry["week_start"]) {
        std::string day = reader.Scalar(week_start, path + ".week_start");
        spec.period.week_start = -1;
        for (int d = 0; d < 7; ++d) {
          if (kWeekdays[d] == day) spec.period.week_start = d;
        }
        if (spec.period.kind != PeriodKind::kWeekly || spec.period.week_start < 0) {
          return reader.Fail(week_start, path + ".week_start",
                             "must be a weekday (monday ...) of a weekly period");
        }
      }
      spec.rollover = ReadBool(reader, entry, "rollover", path, false);
      if (const YAML::Node cap = entry["rollover_cap"]) {
        if (spec.meter == BudgetMeter::kMoney) {
          spec.rollover_cap = reader.ParsedNode(cap, path + ".rollover_cap", ParseMoney);
        } else {
          spec.rollover_cap = reader.Integer(entry, "rollover_cap", path, 0, int64_t{1} << 62);
        }
      }
      if (const YAML::Node thresholds = entry["thresholds"]) {
        if (!thresholds.IsSequence()) {
          return reader.Fail(thresholds, path + ".thresholds", "must be a list of percentages");
        }
        spec.thresholds.clear();
        for (size_t t = 0; t < thresholds.size(); ++t) {
          std::string field = fmt::format("{}.thresholds[{}]", path, t);
          Result<int64_t> pct = ParseScaled(reader.Scalar(thresholds[t], field), 1, field);
          if (!pct.ok() || *pct > 100) return reader.Fail(thresholds[t], field, "must be 1..100");
          spec.thresholds.push_back(static_cast<int>(*pct));
        }
      }
      ReadSignals(reader, entry, path, &spec.signals);
      options->budgets.push_back(std::move(spec));
    }();
  }
}

}  // namespace

void ReadBudgetConfig(Reader& reader, const YAML::Node& root, const Inventory& inventory,
                      BudgetOptions* options) {
  // Each key's first error in a scope of its own: a bad currency does not
  // hide a bad budget (`allot check-config` lists both).
  if (const YAML::Node currency = root["currency"]) {
    Reader::Scope scope(reader);
    options->prices.currency = reader.Scalar(currency, "currency");
    if (reader.ok() && !IsKnownCurrency(options->prices.currency)) {
      reader.Fail(
          currency, "currency",
          "'" + options->prices.currency + "' is not an ISO 4217 currency code (such as USD, EUR)");
    }
  }
  if (const YAML::Node zone = root["time_zone"]) {
    Reader::Scope scope(reader);
    Result<TimeZone> loaded = TimeZone::Load(reader.Scalar(zone, "time_zone"), "time_zone");
    if (!loaded.ok()) {
      reader.Fail(zone, "time_zone", loaded.status().message().substr(11));
    } else {
      options->time_zone = *loaded;
    }
  }
  if (const YAML::Node estimate = root["default_estimate"]) {
    Reader::Scope scope(reader);
    options->default_estimate = reader.ParsedNode(estimate, "default_estimate", ParseDuration);
    if (reader.ok() && options->default_estimate <= 0) {
      reader.Fail(estimate, "default_estimate", "must be > 0");
    }
  }
  if (const YAML::Node prices = root["prices"]) {
    Reader::Scope scope(reader);
    reader.OnlyKeys(prices, "prices", {"pools", "models"});
    if (prices["pools"] && reader.ok()) {
      ReadPoolPrices(reader, prices["pools"], inventory, &options->prices);
    }
    if (prices["models"] && reader.ok())
      ReadModelPrices(reader, prices["models"], &options->prices);
  }
  if (const YAML::Node budgets = root["budgets"]) {
    Reader::Scope scope(reader);
    ReadBudgets(reader, budgets, inventory, options);
  }
}

YAML::Node BudgetErrorNode(const YAML::Node& root, const std::string& message) {
  size_t index = 0;
  if (std::sscanf(message.c_str(), "budgets[%zu]", &index) == 1 && root["budgets"] &&
      root["budgets"].IsSequence() && index < root["budgets"].size()) {
    return root["budgets"][index];
  }
  if (std::sscanf(message.c_str(), "prices.pools[%zu]", &index) == 1 && root["prices"] &&
      root["prices"]["pools"]) {
    size_t i = 0;
    for (const auto& item : root["prices"]["pools"]) {
      if (i++ == index) return item.second;
    }
  }
  if (message.rfind("prices", 0) == 0 && root["prices"]) return root["prices"];
  if (message.rfind("currency", 0) == 0 && root["currency"]) return root["currency"];
  return root;
}

}  // namespace allot::config_internal
