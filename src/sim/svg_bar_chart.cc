#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "sim/svg_chart.h"
#include "sim/svg_chart_parts.h"

namespace allot {

using svg::Coordinate;
using svg::MapValue;

namespace {

constexpr size_t kLabelLimit = 22;  // characters of a category label drawn

// `text` cut to kLabelLimit bytes (on a UTF-8 character boundary) with an
// ellipsis; the full name stays in the bars' tooltips.
std::string ShortLabel(const std::string& text) {
  if (text.size() <= kLabelLimit) return text;
  size_t cut = kLabelLimit - 1;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\u2026";
}

std::string ValueText(double value, bool percent) {
  return percent ? FormatFixed(value * 100, 1) + "%" : FormatSignificant(value);
}

}  // namespace

std::string RenderBarChart(const BarChart& chart) {
  double low = 0;
  double high = NAN;
  auto add = [&](double value) {
    if (!std::isfinite(value)) return;
    low = std::min(low, value);
    high = std::isnan(high) ? value : std::max(high, value);
  };
  for (const BarSeries& series : chart.series) {
    for (double value : series.values) add(value);
  }
  for (double value : chart.reference.values) add(value);
  svg::ResolvedAxis y_axis = svg::ResolveAxis(chart.y_axis, low, high);

  std::string out = svg::SvgOpen(chart.width, chart.height, chart.title);
  svg::PlotBox box;
  box.top = svg::DrawTitle(chart.title, chart.width, out);
  box.left = 30 + svg::TickLabelWidth(y_axis);
  box.right = chart.width - 18;
  size_t count = std::max<size_t>(chart.categories.size(), 1);
  double group = (box.right - box.left) / static_cast<double>(count);
  size_t longest = 1;
  for (const std::string& category : chart.categories) {
    longest = std::max(longest, std::min(category.size(), kLabelLimit));
  }
  double label_width = static_cast<double>(longest) * svg::kCharWidth;
  // Labels wider than their group are turned 40 degrees (sin 40 = 0.64).
  bool turned = label_width + 6 > group;
  box.bottom = chart.height - (turned ? 44 + label_width * 0.66 : 42);

  std::vector<svg::LegendItem> items;
  for (const BarSeries& series : chart.series)
    items.push_back({series.name, series.colour, false, true});
  if (!chart.reference.values.empty()) {
    items.push_back({chart.reference.name, chart.reference.colour, false, false});
  }
  svg::DrawLegend(items, box.left, box.right, box.top, out);
  box.top += svg::LegendHeight(items, box.left, box.right) + 8;
  svg::DrawYAxis(y_axis, box, chart.y_axis.label, out);

  std::string labels;
  for (size_t i = 0; i < chart.categories.size(); ++i) {
    std::string x = Coordinate(box.left + group * (static_cast<double>(i) + 0.5));
    std::string text = EscapeXml(ShortLabel(chart.categories[i]));
    if (turned) {
      labels += fmt::format(
          "<text transform=\"translate({} {}) rotate(-40)\" text-anchor=\"end\">{}</text>", x,
          Coordinate(box.bottom + 14), text);
    } else {
      labels += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x,
                            Coordinate(box.bottom + 18), text);
    }
  }
  out += fmt::format("<g fill=\"#4b5563\">{}</g>", labels);
  out += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#374151\">{}</text>",
                     Coordinate((box.left + box.right) / 2), chart.height - 6,
                     EscapeXml(chart.x_label));

  double base = MapValue(y_axis, 0, box.bottom, box.top);
  double bar = group * 0.8 / static_cast<double>(std::max<size_t>(chart.series.size(), 1));
  for (size_t s = 0; s < chart.series.size(); ++s) {
    const BarSeries& series = chart.series[s];
    std::string rects;
    size_t drawn = 0;
    for (size_t i = 0; i < series.values.size() && i < chart.categories.size(); ++i) {
      double value = series.values[i];
      if (!std::isfinite(value)) continue;
      double x = box.left + group * (static_cast<double>(i) + 0.1) + bar * static_cast<double>(s);
      double y = MapValue(y_axis, value, box.bottom, box.top);
      rects += fmt::format(
          "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"><title>{}: {} {}</title></rect>",
          Coordinate(x), Coordinate(std::min(y, base)), Coordinate(std::max(bar - 1, 1.0)),
          Coordinate(std::abs(base - y)), EscapeXml(chart.categories[i]), EscapeXml(series.name),
          ValueText(value, chart.y_axis.percent));
      ++drawn;
    }
    if (drawn == 0) continue;
    out += fmt::format("<g data-series=\"{}\" data-points=\"{}\" fill=\"{}\">{}</g>",
                       EscapeXml(series.name), drawn, PaletteColour(series.colour), rects);
  }

  std::string marks;
  size_t drawn = 0;
  for (size_t i = 0; i < chart.reference.values.size() && i < chart.categories.size(); ++i) {
    double value = chart.reference.values[i];
    if (!std::isfinite(value)) continue;
    double y = MapValue(y_axis, value, box.bottom, box.top);
    marks += fmt::format("<path d=\"M{},{}h{}\"><title>{}: {} {}</title></path>",
                         Coordinate(box.left + group * (static_cast<double>(i) + 0.04)),
                         Coordinate(y), Coordinate(group * 0.92), EscapeXml(chart.categories[i]),
                         EscapeXml(chart.reference.name), ValueText(value, chart.y_axis.percent));
    ++drawn;
  }
  if (drawn > 0) {
    out += fmt::format(
        "<g data-series=\"{}\" data-points=\"{}\" stroke=\"{}\" stroke-width=\"2.5\">{}</g>",
        EscapeXml(chart.reference.name), drawn, PaletteColour(chart.reference.colour), marks);
  }
  out += "</svg>";
  return out;
}

}  // namespace allot
