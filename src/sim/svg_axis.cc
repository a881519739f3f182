#include "sim/svg_axis.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace allot {

std::string EscapeXml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatFixed(double value, int decimals) {
  if (!std::isfinite(value)) return "";
  std::string text = fmt::format("{:.{}f}", value, std::max(decimals, 0));
  // "-0.0" reads as a sign error; rounding to zero shows as zero.
  if (text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

namespace {

// `number` with a comma between each group of three digits of its integer part.
std::string GroupThousands(const std::string& number) {
  size_t start = number[0] == '-' ? 1 : 0;
  size_t end = std::min(number.find('.'), number.size());
  std::string out = number.substr(0, start);
  for (size_t i = start; i < end; ++i) {
    if (i > start && (end - i) % 3 == 0) out += ',';
    out += number[i];
  }
  out += number.substr(end);
  return out;
}

// Decimals needed to tell ticks `step` apart: one per power of ten below 1.
int StepDecimals(double step) {
  if (!(step > 0)) return 0;
  return std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
}

}  // namespace

std::string FormatCount(double value) {
  if (!std::isfinite(value)) return "";
  return GroupThousands(FormatFixed(std::round(value), 0));
}

std::string FormatSignificant(double value) {
  if (!std::isfinite(value)) return "";
  if (value == 0) return "0";
  if (std::abs(value) >= 999.5) return FormatCount(value);
  int decimals = 2 - static_cast<int>(std::floor(std::log10(std::abs(value))));
  return FormatFixed(value, std::clamp(decimals, 0, 6));
}

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds)) return "";
  if (seconds == 0) return "0 s";
  double magnitude = std::abs(seconds);
  if (magnitude < 1) return FormatSignificant(seconds) + " s";
  const char* unit = "s";
  double value = seconds;
  if (magnitude >= 86400) {
    unit = "d";
    value = seconds / 86400;
  } else if (magnitude >= 3600) {
    unit = "h";
    value = seconds / 3600;
  } else if (magnitude >= 60) {
    unit = "min";
    value = seconds / 60;
  }
  double shown = std::abs(value);
  int decimals = shown >= 100 ? 0 : shown >= 10 ? 1 : 2;
  return GroupThousands(FormatFixed(value, decimals)) + " " + unit;
}

NiceRange NiceTicks(double low, double high, int target_intervals) {
  if (!std::isfinite(low) || !std::isfinite(high)) {
    low = 0;
    high = 1;
  }
  if (high < low) std::swap(low, high);
  if (high == low) {
    // A flat series: give it some room (a tenth of its value, or [0, 1]).
    double room = low == 0 ? 1 : std::abs(low) * 0.1;
    if (low != 0) low -= room;
    high += room;
  }
  // The step is the smallest 1, 2 or 5 x 10^k (k from the raw step span /
  // intervals) that covers [low, high] in at most target + 1 intervals.
  int target = std::max(target_intervals, 1);
  double raw = (high - low) / target;
  double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * magnitude;
  for (double factor : {1.0, 2.0, 5.0, 10.0}) {
    double candidate = factor * magnitude;
    double intervals = std::ceil(high / candidate - 1e-9) - std::floor(low / candidate + 1e-9);
    if (intervals <= target + 1) {
      step = candidate;
      break;
    }
  }
  NiceRange range;
  range.step = step;
  double first = std::floor(low / range.step + 1e-9);
  double last = std::ceil(high / range.step - 1e-9);
  for (double i = first; i <= last; ++i) {
    double value = i * range.step;
    range.values.push_back(std::abs(value) < range.step * 1e-9 ? 0.0 : value);
  }
  range.low = range.values.front();
  range.high = range.values.back();
  return range;
}

std::string FormatTick(double value, double step, bool percent) {
  if (value == 0) return percent ? "0%" : "0";
  if (percent) {
    return FormatFixed(value * 100, StepDecimals(step * 100)) + "%";
  }
  if (step >= 1e5) return FormatFixed(value / 1e6, StepDecimals(step / 1e6)) + "M";
  if (step >= 1e3) return FormatFixed(value / 1e3, StepDecimals(step / 1e3)) + "k";
  return FormatFixed(value, StepDecimals(step));
}

std::vector<Tick> DecadeTicks(double low, double high) {
  std::vector<Tick> ticks;
  if (!(low > 0) || !std::isfinite(high) || high < low) return ticks;
  int first = static_cast<int>(std::floor(std::log10(low) + 1e-9));
  int last = static_cast<int>(std::ceil(std::log10(high) - 1e-9));
  for (int exponent = first; exponent <= std::max(first, last); ++exponent) {
    double value = std::pow(10.0, exponent);
    std::string label = exponent >= 6   ? FormatFixed(value / 1e6, 0) + "M"
                        : exponent >= 3 ? FormatFixed(value / 1e3, 0) + "k"
                                        : FormatTick(value, value);
    ticks.push_back({value, label});
  }
  return ticks;
}

TimeUnit ChooseTimeUnit(double span_s) {
  if (span_s <= 1200) return {"s", 1};
  if (span_s <= 5 * 3600) return {"min", 60};
  if (span_s <= 5 * 86400) return {"h", 3600};
  return {"days", 86400};
}

std::vector<Point> DownsampleMinMax(const std::vector<double>& x, const std::vector<double>& y,
                                    size_t max_points) {
  size_t count = std::min(x.size(), y.size());
  std::vector<Point> points;
  auto add_break = [&points] {
    if (!points.empty() && !std::isnan(points.back().y)) points.push_back({0, NAN});
  };
  auto valid = [&](size_t i) { return std::isfinite(x[i]) && std::isfinite(y[i]); };
  size_t buckets = std::max<size_t>(1, max_points / 2);
  if (count <= std::max<size_t>(max_points, 2)) buckets = count;  // one point per bucket
  for (size_t bucket = 0; bucket < buckets; ++bucket) {
    size_t begin = bucket * count / buckets;
    size_t end = (bucket + 1) * count / buckets;
    // The extremes of the current run of valid points in this bucket.
    size_t low = end;
    size_t high = end;
    auto flush = [&] {
      if (low == end) return;
      size_t first = std::min(low, high);
      size_t second = std::max(low, high);
      points.push_back({x[first], y[first]});
      if (second != first) points.push_back({x[second], y[second]});
      low = high = end;
    };
    for (size_t i = begin; i < end; ++i) {
      if (!valid(i)) {
        flush();
        add_break();
        continue;
      }
      if (low == end || y[i] < y[low]) low = i;
      if (high == end || y[i] > y[high]) high = i;
    }
    flush();
  }
  if (!points.empty() && std::isnan(points.back().y)) points.pop_back();
  return points;
}

}  // namespace allot
