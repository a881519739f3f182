#include "sim/svg_chart.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "sim/svg_chart_parts.h"

namespace allot {

using svg::Coordinate;
using svg::MapValue;

const char* PaletteColour(int index) {
  // Okabe & Ito, "Color Universal Design" (2008), without the yellow.
  static constexpr const char* kPalette[] = {"#0072B2", "#E69F00", "#009E73", "#D55E00",
                                             "#CC79A7", "#56B4E9", "#000000"};
  if (index == kColourBlack) return "#111827";
  if (index < 0) return "#8c939d";
  return kPalette[static_cast<size_t>(index) % std::size(kPalette)];
}

std::string LegendKey(int colour, bool dashed) {
  return fmt::format(
      "<svg class=\"key\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 22 10\" width=\"22\" "
      "height=\"10\" aria-hidden=\"true\"><path d=\"M1,5h20\" stroke=\"{}\" "
      "stroke-width=\"2.5\"{}/></svg>",
      PaletteColour(colour), dashed ? " stroke-dasharray=\"5 3\"" : "");
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// The smallest and largest finite value seen; NaN when none.
struct Extent {
  double low = kInf;
  double high = -kInf;
  void Add(double value) {
    if (!std::isfinite(value)) return;
    low = std::min(low, value);
    high = std::max(high, value);
  }
  double Low() const { return low == kInf ? NAN : low; }
  double High() const { return high == -kInf ? NAN : high; }
};

using Segment = std::vector<std::pair<double, double>>;  // pixel coordinates

// The polyline (or staircase) through one segment, starting with a move.
std::string SegmentPath(const Segment& segment, bool step) {
  std::string d =
      fmt::format("M{},{}", Coordinate(segment[0].first), Coordinate(segment[0].second));
  for (size_t i = 1; i < segment.size(); ++i) {
    if (step) {
      d += fmt::format("H{}V{}", Coordinate(segment[i].first), Coordinate(segment[i].second));
    } else {
      d += fmt::format("L{},{}", Coordinate(segment[i].first), Coordinate(segment[i].second));
    }
  }
  return d;
}

void DrawSeries(const LineChart& chart, const LineSeries& series, const svg::ResolvedAxis& x_axis,
                const svg::ResolvedAxis& y_axis, const svg::PlotBox& box, std::string& out) {
  std::vector<Point> points = DownsampleMinMax(series.x, series.y, chart.max_points);
  std::vector<Segment> segments(1);
  size_t drawn = 0;
  for (const Point& point : points) {
    if (std::isnan(point.y)) {
      if (!segments.back().empty()) segments.emplace_back();
      continue;
    }
    segments.back().emplace_back(MapValue(x_axis, point.x, box.left, box.right),
                                 MapValue(y_axis, point.y, box.bottom, box.top));
    ++drawn;
  }
  if (drawn == 0) return;
  const char* colour = PaletteColour(series.colour);
  std::string line;
  std::string area;
  double base = MapValue(y_axis, 0, box.bottom, box.top);  // clamped into the plot
  for (const Segment& segment : segments) {
    if (segment.empty()) continue;
    std::string path = SegmentPath(segment, chart.step);
    line += path;
    if (series.area) {
      area += fmt::format("{}V{}H{}Z", path, Coordinate(base), Coordinate(segment[0].first));
    }
  }
  if (!area.empty()) {
    out += fmt::format("<path d=\"{}\" fill=\"{}\" fill-opacity=\"0.14\" stroke=\"none\"/>", area,
                       colour);
  }
  out += fmt::format(
      "<path data-series=\"{}\" data-points=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{}\" "
      "stroke-width=\"1.8\" stroke-linejoin=\"round\"{}><title>{}</title></path>",
      EscapeXml(series.name), drawn, line, colour, series.dashed ? " stroke-dasharray=\"6 4\"" : "",
      EscapeXml(series.name));
}

void DrawMarkers(const LineChart& chart, const svg::ResolvedAxis& x_axis,
                 const svg::ResolvedAxis& y_axis, const svg::PlotBox& box, std::string& out) {
  struct Placed {
    const ChartMarker* marker;
    double x;
    double y;
  };
  std::vector<Placed> placed;
  for (const ChartMarker& marker : chart.markers) {
    if (!std::isfinite(marker.x) || !std::isfinite(marker.y)) continue;
    placed.push_back({&marker, MapValue(x_axis, marker.x, box.left, box.right),
                      MapValue(y_axis, marker.y, box.bottom, box.top)});
  }
  // Labels go under their points, top to bottom, each at least a line below
  // the one before, so that markers close together stay readable.
  std::stable_sort(placed.begin(), placed.end(),
                   [](const Placed& a, const Placed& b) { return a.y < b.y; });
  double next_y = box.top + 10;
  for (const Placed& point : placed) {
    const char* colour = PaletteColour(point.marker->colour);
    out += fmt::format(
        "<path d=\"M{0},{1}V{2}\" stroke=\"{3}\" stroke-dasharray=\"2 3\" fill=\"none\"/>"
        "<circle cx=\"{0}\" cy=\"{1}\" r=\"4.5\" fill=\"{3}\" stroke=\"#fff\" "
        "stroke-width=\"1.5\"><title>{4}</title></circle>",
        Coordinate(point.x), Coordinate(point.y), Coordinate(box.bottom), colour,
        EscapeXml(point.marker->label));
    double width = static_cast<double>(point.marker->label.size()) * (svg::kCharWidth + 0.6);
    bool right_side = point.x + 8 + width < box.right;
    double label_y = std::max(point.y + 20, next_y);
    next_y = label_y + 16;
    out += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" fill=\"{}\" font-weight=\"600\" "
        "stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
        Coordinate(right_side ? point.x + 8 : point.x - 8), Coordinate(label_y),
        right_side ? "start" : "end", colour, EscapeXml(point.marker->label));
  }
}

// A value as hover text: a percentage, a duration (unit "s") or a number
// with its unit.
std::string HoverValue(double value, const ChartAxis& axis) {
  if (axis.percent) return FormatFixed(value * 100, 1) + "%";
  if (axis.unit == "s") return FormatDuration(value);
  return FormatSignificant(value) + (axis.unit.empty() ? "" : " " + axis.unit);
}

// For each of the increasing `centres`, the index of the sample of `series`
// in force there: the last one with the largest x at or before it (size()
// when none). Sorted x (time) takes one pass; other x a scan per centre.
std::vector<size_t> SamplesInForce(const LineSeries& series, const std::vector<double>& centres) {
  size_t count = std::min(series.x.size(), series.y.size());
  std::vector<size_t> found(centres.size(), count);
  bool sorted = true;
  for (size_t i = 0; i < count && sorted; ++i) {
    sorted = std::isfinite(series.x[i]) && (i == 0 || series.x[i - 1] <= series.x[i]);
  }
  size_t next = 0;  // sorted: the first sample after the previous centre
  for (size_t c = 0; c < centres.size(); ++c) {
    if (sorted) {
      while (next < count && series.x[next] <= centres[c]) ++next;
      if (next > 0) found[c] = next - 1;
      continue;
    }
    for (size_t i = 0; i < count; ++i) {
      if (!std::isfinite(series.x[i]) || series.x[i] > centres[c]) continue;
      if (found[c] == count || series.x[i] >= series.x[found[c]]) found[c] = i;
    }
  }
  return found;
}

// Tooltips without scripts: the plot is cut into `hover_bands` vertical
// bands, each an invisible rectangle whose <title> lists, for every series,
// the sample in force at the band's centre (the last one at or before it):
// "NAME: VALUE UNIT at X UNIT". Drawn under the lines, so that hovering a
// line itself still shows its name.
void DrawHoverBands(const LineChart& chart, const svg::ResolvedAxis& x_axis,
                    const svg::PlotBox& box, std::string& out) {
  if (chart.hover_bands == 0 || chart.series.empty()) return;
  double width = (box.right - box.left) / static_cast<double>(chart.hover_bands);
  // The data value at the centre of each band (MapValue inverted).
  std::vector<double> centres;
  for (size_t band = 0; band < chart.hover_bands; ++band) {
    double fraction = (static_cast<double>(band) + 0.5) / static_cast<double>(chart.hover_bands);
    if (!x_axis.log) {
      centres.push_back(x_axis.low + fraction * (x_axis.high - x_axis.low));
      continue;
    }
    double low = std::log10(std::max(x_axis.low, x_axis.log_floor));
    double high = std::log10(std::max(x_axis.high, x_axis.log_floor));
    centres.push_back(std::pow(10.0, low + fraction * (high - low)));
  }
  std::vector<std::string> texts(chart.hover_bands);
  for (const LineSeries& series : chart.series) {
    std::vector<size_t> found = SamplesInForce(series, centres);
    for (size_t band = 0; band < found.size(); ++band) {
      size_t i = found[band];
      if (i >= series.y.size() || !std::isfinite(series.y[i])) continue;
      std::string& text = texts[band];
      text +=
          fmt::format("{}{}: {} at {}", text.empty() ? "" : "\n", series.name,
                      HoverValue(series.y[i], chart.y_axis), HoverValue(series.x[i], chart.x_axis));
    }
  }
  std::string bands;
  for (size_t band = 0; band < texts.size(); ++band) {
    if (texts[band].empty()) continue;
    bands +=
        fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}</title></rect>",
                    Coordinate(box.left + width * static_cast<double>(band)), Coordinate(box.top),
                    Coordinate(width), Coordinate(box.bottom - box.top), EscapeXml(texts[band]));
  }
  if (!bands.empty()) {
    out += "<g class=\"hover\" fill=\"#000\" fill-opacity=\"0\">" + bands + "</g>";
  }
}

// The y axis to draw: `axis`, or a log version of it when one series dwarfs
// another. With peaks p_i > 0 (the largest value of each series), the axis
// turns log when max p_i / min p_i > axis.log_above_ratio; its floor is the
// power of ten at or below min p_i / 10, so the smallest series spans at
// least a decade, and values under the floor (zeros) are drawn on it.
ChartAxis ChooseYAxis(const LineChart& chart) {
  const ChartAxis& axis = chart.y_axis;
  if (!(axis.log_above_ratio > 0) || axis.scale != AxisScale::kLinear || !axis.ticks.empty()) {
    return axis;
  }
  double smallest = kInf;
  double largest = 0;
  for (const LineSeries& series : chart.series) {
    double peak = 0;
    for (double y : series.y) {
      if (std::isfinite(y)) peak = std::max(peak, y);
    }
    if (peak <= 0) continue;
    smallest = std::min(smallest, peak);
    largest = std::max(largest, peak);
  }
  if (smallest == kInf || largest <= smallest * axis.log_above_ratio) return axis;
  ChartAxis log = axis;
  log.scale = AxisScale::kLog;
  log.log_floor = std::pow(10.0, std::floor(std::log10(smallest / 10)));
  log.min = NAN;
  log.max = NAN;
  log.label += " (log scale)";
  return log;
}

}  // namespace

std::string RenderLineChart(const LineChart& chart) {
  Extent x_extent;
  Extent y_extent;
  for (const LineSeries& series : chart.series) {
    size_t count = std::min(series.x.size(), series.y.size());
    for (size_t i = 0; i < count; ++i) {
      if (!std::isfinite(series.x[i]) || !std::isfinite(series.y[i])) continue;
      x_extent.Add(series.x[i]);
      y_extent.Add(series.y[i]);
    }
  }
  for (const ChartMarker& marker : chart.markers) {
    x_extent.Add(marker.x);
    y_extent.Add(marker.y);
  }
  // The x axis ends at the last point (a run's end), not at a round number
  // beyond it: a 124-day replay on an axis to 150 days left a blank band.
  ChartAxis x_scale = chart.x_axis;
  if (x_scale.scale == AxisScale::kLinear && std::isnan(x_scale.max) && x_scale.ticks.empty() &&
      std::isfinite(x_extent.High())) {
    x_scale.max = x_extent.High();
  }
  svg::ResolvedAxis x_axis = svg::ResolveAxis(x_scale, x_extent.Low(), x_extent.High());
  ChartAxis y_scale = ChooseYAxis(chart);
  svg::ResolvedAxis y_axis = svg::ResolveAxis(y_scale, y_extent.Low(), y_extent.High());

  std::string out = svg::SvgOpen(chart.width, chart.height, chart.title);
  svg::PlotBox box;
  box.top = svg::DrawTitle(chart.title, chart.width, out);
  box.left = 30 + svg::TickLabelWidth(y_axis);
  box.right = chart.width - 18;
  box.bottom = chart.height - 42;
  if (chart.legend) {
    std::vector<svg::LegendItem> items;
    for (const LineSeries& series : chart.series) {
      items.push_back({series.name, series.colour, series.dashed, false});
    }
    svg::DrawLegend(items, box.left, box.right, box.top, out);
    box.top += svg::LegendHeight(items, box.left, box.right);
  }
  box.top += 8;
  svg::DrawYAxis(y_axis, box, y_scale.label, out);
  svg::DrawXAxis(x_axis, box, chart.x_axis.label, chart.height - 6, out);
  DrawHoverBands(chart, x_axis, box, out);
  for (const LineSeries& series : chart.series) {
    DrawSeries(chart, series, x_axis, y_axis, box, out);
  }
  DrawMarkers(chart, x_axis, y_axis, box, out);
  out += "</svg>";
  return out;
}

}  // namespace allot
