#pragma once

#include <cmath>
#include <cstddef>
#include <string>
#include <vector>

#include "sim/svg_axis.h"

// A small SVG chart library for the simulator's HTML report: line charts
// (several series, each with its own x values; optional steps and area
// fill), which also draw CDFs (log x axis), and grouped bar charts. Each
// Render* returns one self-contained <svg> element sized by its viewBox (so it
// scales to the page width) that draws fully without scripts: axes with nice
// ticks, a legend, series and markers. Every string is XML-escaped here;
// callers pass raw text. Drawn series carry data-series="<name>" and
// data-points="<count>" so tests can see what was drawn. Plain functions on
// values; thread-safe.
namespace allot {

// The Okabe-Ito colour-blind-safe palette (yellow left out: too pale on
// white), cycled by index; kColourGrey and kColourBlack for references.
inline constexpr int kColourGrey = -1;
inline constexpr int kColourBlack = -2;
const char* PaletteColour(int index);

enum class AxisScale { kLinear, kLog };

struct ChartAxis {
  std::string label;  // with its unit, e.g. "time (h)"
  AxisScale scale = AxisScale::kLinear;
  // Fixed bounds; a NaN bound comes from the data (and nice ticks).
  double min = NAN;
  double max = NAN;
  bool include_zero = true;  // linear axes from data start at 0 at least
  bool percent = false;      // values are fractions, labels are "40%"
  // Log scale: values below the floor are drawn at the floor.
  double log_floor = 1;
  // Replaces the computed ticks when not empty (values in data units).
  std::vector<Tick> ticks;
  // Line charts' y axis, when > 0: a linear axis turns logarithmic (and its
  // label says so) when the largest series peaks more than this many times
  // higher than the smallest positive one, which a linear axis would flatten.
  double log_above_ratio = 0;
  // The unit of values in hover text ("jobs", "USD", "days"); "s" shows
  // values as durations ("2.50 h"). Percent axes show percentages.
  std::string unit;
};

struct LineSeries {
  std::string name;
  std::vector<double> x;
  std::vector<double> y;  // NaN where there is no value: the line breaks there
  int colour = 0;         // palette index (PaletteColour)
  bool dashed = false;
  bool area = false;  // fill the area under the line, lightly
};

// A labelled point, drawn as a dot with a thin vertical guide to the x axis.
struct ChartMarker {
  double x = 0;
  double y = 0;
  std::string label;
  int colour = 0;
};

struct LineChart {
  std::string title;  // drawn above the plot; may be empty
  ChartAxis x_axis;
  ChartAxis y_axis;
  std::vector<LineSeries> series;
  std::vector<ChartMarker> markers;
  bool step = false;  // a value holds until the next x (step-after)
  bool legend = true;
  int width = 760;  // viewBox units; text is 12 units high
  int height = 320;
  size_t max_points = 600;  // per series, see DownsampleMinMax
  // Invisible vertical bands across the plot, each with a tooltip (<title>)
  // giving every series' value there: "fifo: 12.0 jobs at 3.50 days". 0: none.
  size_t hover_bands = 40;
};

std::string RenderLineChart(const LineChart& chart);

struct BarSeries {
  std::string name;
  std::vector<double> values;  // one per category; NaN draws no bar
  int colour = 0;
};

struct BarChart {
  std::string title;
  std::string x_label;  // under the category labels
  ChartAxis y_axis;
  std::vector<std::string> categories;
  std::vector<BarSeries> series;  // bars side by side within each category
  // Drawn as a black tick across each category's group (e.g. entitlement);
  // ignored when reference.values is empty.
  BarSeries reference{.name = "", .values = {}, .colour = kColourBlack};
  int width = 760;
  int height = 340;
};

std::string RenderBarChart(const BarChart& chart);

// A small inline-SVG legend key (a line, dashed or not) for HTML legends.
std::string LegendKey(int colour, bool dashed);

}  // namespace allot
