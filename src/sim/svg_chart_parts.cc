#include "sim/svg_chart_parts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace allot::svg {
namespace {

constexpr const char* kGridColour = "#e5e7eb";
constexpr const char* kAxisColour = "#9ca3af";
constexpr const char* kMutedText = "#4b5563";

bool Fixed(double bound) { return !std::isnan(bound); }

// The number of ticks within [low, high] (by value).
size_t TicksWithin(const std::vector<Tick>& ticks, double low, double high) {
  double tolerance = (high - low) * 1e-9;
  return static_cast<size_t>(std::count_if(ticks.begin(), ticks.end(), [&](const Tick& tick) {
    return tick.value >= low - tolerance && tick.value <= high + tolerance;
  }));
}

// Log axes end at the data's maximum rather than at the next tick (a wait
// CDF whose longest wait is 2 days stopped at "1 y" and used a third of its
// width); only when fewer than two ticks would remain does the axis grow to
// the next tick, so that it can still be read.
void EndAtTheData(const std::vector<Tick>& sorted, ResolvedAxis& resolved) {
  if (TicksWithin(sorted, resolved.low, resolved.high) >= 2) return;
  for (const Tick& tick : sorted) {
    if (tick.value >= resolved.high * (1 - 1e-9)) {
      resolved.high = tick.value;
      return;
    }
  }
}

// Custom ticks: the domain grows to the nearest tick below the data (when
// the low end is not fixed) and ends at the data at the top (EndAtTheData);
// only ticks inside it are kept.
void FitCustomTicks(const ChartAxis& axis, ResolvedAxis& resolved) {
  std::vector<Tick> sorted = axis.ticks;
  std::sort(sorted.begin(), sorted.end(),
            [](const Tick& a, const Tick& b) { return a.value < b.value; });
  if (!Fixed(axis.min)) {
    for (auto it = sorted.rbegin(); it != sorted.rend(); ++it) {
      bool allowed = !resolved.log || it->value >= resolved.log_floor;
      if (allowed && it->value <= resolved.low * (1 + 1e-9)) {
        resolved.low = it->value;
        break;
      }
    }
  }
  if (!Fixed(axis.max)) EndAtTheData(sorted, resolved);
  double tolerance = (resolved.high - resolved.low) * 1e-9;
  for (const Tick& tick : sorted) {
    if (tick.value >= resolved.low - tolerance && tick.value <= resolved.high + tolerance) {
      resolved.ticks.push_back(tick);
    }
  }
}

}  // namespace

ResolvedAxis ResolveAxis(const ChartAxis& axis, double data_low, double data_high) {
  ResolvedAxis resolved;
  resolved.log = axis.scale == AxisScale::kLog;
  resolved.log_floor = axis.log_floor > 0 ? axis.log_floor : 1;
  double low = Fixed(axis.min) ? axis.min : data_low;
  double high = Fixed(axis.max) ? axis.max : data_high;
  if (resolved.log) {
    low = std::isfinite(low) ? std::max(low, resolved.log_floor) : resolved.log_floor;
    high = std::isfinite(high) ? std::max(high, low) : low;
    if (high <= low) high = low * 10;
    resolved.low = low;
    resolved.high = high;
    if (!axis.ticks.empty()) {
      FitCustomTicks(axis, resolved);
      return resolved;
    }
    std::vector<Tick> decades = DecadeTicks(low, high);
    if (!Fixed(axis.min)) resolved.low = std::max(decades.front().value, resolved.log_floor);
    if (!Fixed(axis.max)) EndAtTheData(decades, resolved);
    for (Tick& tick : decades) {
      if (tick.value >= resolved.low && tick.value <= resolved.high) {
        resolved.ticks.push_back(std::move(tick));
      }
    }
    return resolved;
  }
  if (!std::isfinite(low)) low = 0;
  if (!std::isfinite(high)) high = low + 1;
  if (axis.include_zero) {
    if (!Fixed(axis.min)) low = std::min(low, 0.0);
    if (!Fixed(axis.max)) high = std::max(high, 0.0);
  }
  NiceRange nice = NiceTicks(low, high);
  resolved.low = Fixed(axis.min) ? axis.min : nice.low;
  resolved.high = Fixed(axis.max) ? axis.max : nice.high;
  if (resolved.high <= resolved.low) resolved.high = resolved.low + nice.step;
  if (!axis.ticks.empty()) {
    FitCustomTicks(axis, resolved);
    return resolved;
  }
  double tolerance = nice.step * 1e-9;
  for (double value : nice.values) {
    if (value >= resolved.low - tolerance && value <= resolved.high + tolerance) {
      resolved.ticks.push_back({value, FormatTick(value, nice.step, axis.percent)});
    }
  }
  return resolved;
}

double MapValue(const ResolvedAxis& axis, double value, double pixel_low, double pixel_high) {
  auto transform = [&axis](double v) {
    return axis.log ? std::log10(std::max(v, axis.log_floor)) : v;
  };
  double low = transform(axis.low);
  double span = transform(axis.high) - low;
  double fraction = span > 0 ? (transform(value) - low) / span : 0;
  return pixel_low + std::clamp(fraction, 0.0, 1.0) * (pixel_high - pixel_low);
}

std::string Coordinate(double value) { return FormatFixed(value, 1); }

double TickLabelWidth(const ResolvedAxis& axis) {
  size_t longest = 1;
  for (const Tick& tick : axis.ticks) longest = std::max(longest, tick.label.size());
  return static_cast<double>(longest) * kCharWidth;
}

std::string SvgOpen(int width, int height, const std::string& title) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" role=\"img\" "
      "aria-label=\"{}\" font-size=\"12\">",
      width, height, EscapeXml(title));
}

double DrawTitle(const std::string& title, int width, std::string& out) {
  if (title.empty()) return 8;
  out += fmt::format(
      "<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"600\" "
      "fill=\"#111827\">{}</text>",
      width / 2, EscapeXml(title));
  return 30;
}

void DrawYAxis(const ResolvedAxis& axis, const PlotBox& box, const std::string& label,
               std::string& out) {
  std::string grid;
  std::string labels;
  for (const Tick& tick : axis.ticks) {
    std::string y = Coordinate(MapValue(axis, tick.value, box.bottom, box.top));
    grid += fmt::format("M{},{}H{}", Coordinate(box.left), y, Coordinate(box.right));
    labels += fmt::format("<text x=\"{}\" y=\"{}\" dy=\"0.32em\">{}</text>",
                          Coordinate(box.left - 6), y, EscapeXml(tick.label));
  }
  if (!grid.empty()) {
    out += fmt::format("<path d=\"{}\" stroke=\"{}\" fill=\"none\"/>", grid, kGridColour);
  }
  out += fmt::format("<g text-anchor=\"end\" fill=\"{}\">{}</g>", kMutedText, labels);
  out += fmt::format(
      "<text transform=\"translate(14 {}) rotate(-90)\" text-anchor=\"middle\" "
      "fill=\"#374151\">{}</text>",
      Coordinate((box.top + box.bottom) / 2), EscapeXml(label));
  out +=
      fmt::format("<path d=\"M{},{}V{}H{}\" stroke=\"{}\" fill=\"none\"/>", Coordinate(box.left),
                  Coordinate(box.top), Coordinate(box.bottom), Coordinate(box.right), kAxisColour);
}

void DrawXAxis(const ResolvedAxis& axis, const PlotBox& box, const std::string& label,
               double label_y, std::string& out) {
  // Labels that would overlap are thinned to every n-th tick.
  size_t every = 1;
  if (axis.ticks.size() > 1) {
    double spacing = (box.right - box.left) / static_cast<double>(axis.ticks.size() - 1);
    double needed = TickLabelWidth(axis) + 10;
    while (spacing * static_cast<double>(every) < needed) ++every;
  }
  std::string marks;
  std::string labels;
  for (size_t i = 0; i < axis.ticks.size(); ++i) {
    std::string x = Coordinate(MapValue(axis, axis.ticks[i].value, box.left, box.right));
    marks += fmt::format("M{},{}v5", x, Coordinate(box.bottom));
    if (i % every != 0) continue;
    labels += fmt::format("<text x=\"{}\" y=\"{}\">{}</text>", x, Coordinate(box.bottom + 18),
                          EscapeXml(axis.ticks[i].label));
  }
  if (!marks.empty()) {
    out += fmt::format("<path d=\"{}\" stroke=\"{}\" fill=\"none\"/>", marks, kAxisColour);
  }
  out += fmt::format("<g text-anchor=\"middle\" fill=\"{}\">{}</g>", kMutedText, labels);
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">{}</text>",
                     Coordinate((box.left + box.right) / 2), Coordinate(label_y), EscapeXml(label));
}

namespace {

double ItemWidth(const LegendItem& item) {
  return 26 + static_cast<double>(item.name.size()) * kCharWidth + 16;
}

}  // namespace

double LegendHeight(const std::vector<LegendItem>& items, double left, double right) {
  if (items.empty()) return 0;
  double x = left;
  int rows = 1;
  for (const LegendItem& item : items) {
    if (x > left && x + ItemWidth(item) > right) {
      ++rows;
      x = left;
    }
    x += ItemWidth(item);
  }
  return rows * kLegendRow;
}

void DrawLegend(const std::vector<LegendItem>& items, double left, double right, double top,
                std::string& out) {
  double x = left;
  double y = top + kLegendRow / 2;
  out += "<g class=\"legend\" fill=\"#374151\">";
  for (const LegendItem& item : items) {
    if (x > left && x + ItemWidth(item) > right) {
      x = left;
      y += kLegendRow;
    }
    if (item.box) {
      out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"18\" height=\"10\" fill=\"{}\"/>",
                         Coordinate(x + 1), Coordinate(y - 5), PaletteColour(item.colour));
    } else {
      out += fmt::format("<path d=\"M{},{}h20\" stroke=\"{}\" stroke-width=\"2.5\"{}/>",
                         Coordinate(x), Coordinate(y), PaletteColour(item.colour),
                         item.dashed ? " stroke-dasharray=\"5 3\"" : "");
    }
    out += fmt::format("<text x=\"{}\" y=\"{}\" dy=\"0.32em\">{}</text>", Coordinate(x + 26),
                       Coordinate(y), EscapeXml(item.name));
    x += ItemWidth(item);
  }
  out += "</g>";
}

}  // namespace allot::svg
