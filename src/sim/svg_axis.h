#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

// Building blocks of the SVG charts (svg_chart.h): XML escaping, number
// formatting that never prints "nan", "nice" axis ticks and min/max
// downsampling. Plain functions on values; no state, thread-safe.
namespace allot {

// Escapes the five XML special characters (& < > " ') so that `text` can go
// into element content or a quoted attribute value.
std::string EscapeXml(std::string_view text);

// A fixed-point number with `decimals` digits after the point and no
// trailing "-0"; a non-finite `value` gives "" (callers skip such points).
std::string FormatFixed(double value, int decimals);

// Table cells; "" when not finite. FormatCount rounds to a whole number with
// grouped thousands ("82,247"); FormatSignificant keeps 3 significant digits
// below 1000 ("0.910", "12.3") and groups whole numbers above ("12,346").
std::string FormatCount(double value);
std::string FormatSignificant(double value);

// A duration in seconds in the largest unit that keeps it >= 1
// ("0 s", "42 s", "12.5 min", "3.40 h", "2.10 d"); "" when not finite.
std::string FormatDuration(double seconds);

// One axis tick: where it sits (in data units) and what it says.
struct Tick {
  double value = 0;
  std::string label;
};

// Tick positions on a linear axis: the smallest step of 1, 2 or 5 times a
// power of ten that covers [low, high] (the first tick <= low, the last >=
// high) in at most target_intervals + 1 intervals. low == high is widened to a unit range around
// it.
struct NiceRange {
  double low = 0;
  double high = 1;
  double step = 1;
  std::vector<double> values;
};
NiceRange NiceTicks(double low, double high, int target_intervals = 5);

// A tick label for `value` on an axis stepping by `step`: as many decimals as
// the step needs, and k/M suffixes for steps from 1000 / 100 000 ("20k", "1.5M").
// With `percent`, the value is a fraction and is shown as a percentage.
std::string FormatTick(double value, double step, bool percent = false);

// Ticks at powers of ten covering [low, high] (low > 0), labelled 1-2-5
// style ("0.1", "1", "10", "100", "1k").
std::vector<Tick> DecadeTicks(double low, double high);

// A unit for a time axis spanning `span_s` seconds, so that tick labels stay
// short: seconds up to 20 min, minutes up to 5 h, hours up to 5 days, then days.
struct TimeUnit {
  const char* name;
  double seconds;
};
TimeUnit ChooseTimeUnit(double span_s);

// A point of a drawn line; y is NaN where the line breaks.
struct Point {
  double x = 0;
  double y = 0;
};

// Reduces (x[i], y[i]) to about `max_points` points for drawing. The indices
// are cut into max_points / 2 buckets and each bucket keeps its minimum and
// maximum (in their original order), so spikes stay visible. Runs of
// non-finite y (missing values) become one NaN point: a break in the line.
// Series already short enough come back unchanged (gaps still collapsed).
std::vector<Point> DownsampleMinMax(const std::vector<double>& x, const std::vector<double>& y,
                                    size_t max_points);

}  // namespace allot
