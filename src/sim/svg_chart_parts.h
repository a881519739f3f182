#pragma once

#include <string>
#include <vector>

#include "sim/svg_chart.h"

// Internals shared by the line and bar charts (svg_chart.cc,
// svg_bar_chart.cc): axis resolution, coordinate mapping, the frame (axes,
// grid, labels) and the legend. Not for use outside src/sim/svg_*.cc.
namespace allot::svg {

inline constexpr double kCharWidth = 6.8;  // mean width of a 12-unit glyph
inline constexpr double kLegendRow = 18;

// An axis with its final domain and ticks.
struct ResolvedAxis {
  double low = 0;
  double high = 1;
  bool log = false;
  double log_floor = 1;
  std::vector<Tick> ticks;
};

// Decides the domain and ticks of `axis` for data spanning [data_low,
// data_high] (NaN when there is no data).
ResolvedAxis ResolveAxis(const ChartAxis& axis, double data_low, double data_high);

// Maps a data value to a pixel between pixel_low (at axis.low) and
// pixel_high (at axis.high), clamped to that span.
double MapValue(const ResolvedAxis& axis, double value, double pixel_low, double pixel_high);

// A coordinate with one decimal.
std::string Coordinate(double value);

// The plot rectangle inside the SVG.
struct PlotBox {
  double left = 0;
  double top = 0;
  double right = 0;
  double bottom = 0;
};

// The longest tick label of an axis, in estimated units of width.
double TickLabelWidth(const ResolvedAxis& axis);

// <svg ...> opening tag with its viewBox, label and base text style.
std::string SvgOpen(int width, int height, const std::string& title);

// The title (if any) at the top; returns the height it takes.
double DrawTitle(const std::string& title, int width, std::string& out);

// Horizontal grid lines, y tick labels, the y axis label (rotated) and the
// axis lines around the plot.
void DrawYAxis(const ResolvedAxis& axis, const PlotBox& box, const std::string& label,
               std::string& out);

// x ticks and labels under the plot, and the x axis label at `label_y`.
void DrawXAxis(const ResolvedAxis& axis, const PlotBox& box, const std::string& label,
               double label_y, std::string& out);

struct LegendItem {
  std::string name;
  int colour = 0;
  bool dashed = false;
  bool box = false;  // a filled square (bars) instead of a line
};

// Height of the legend laid out in rows between left and right.
double LegendHeight(const std::vector<LegendItem>& items, double left, double right);

// Draws the legend from (left, top), wrapping rows at right.
void DrawLegend(const std::vector<LegendItem>& items, double left, double right, double top,
                std::string& out);

}  // namespace allot::svg
