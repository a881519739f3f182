#include "sim/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>
#include <string>
#include <vector>

#include "sim/svg_axis.h"

namespace allot {
namespace {

TEST(NiceTicks, UnitRangeStepsByTwoTenths) {
  NiceRange range = NiceTicks(0, 1);
  EXPECT_DOUBLE_EQ(range.step, 0.2);
  ASSERT_EQ(range.values.size(), 6u);
  EXPECT_DOUBLE_EQ(range.values.front(), 0);
  EXPECT_DOUBLE_EQ(range.values[3], 0.6);
  EXPECT_DOUBLE_EQ(range.values.back(), 1);
}

TEST(NiceTicks, OneDayOfSecondsStepsBy20k) {
  NiceRange range = NiceTicks(0, 86400);
  EXPECT_DOUBLE_EQ(range.step, 20000);
  EXPECT_EQ(range.values, (std::vector<double>{0, 20000, 40000, 60000, 80000, 100000}));
  EXPECT_EQ(FormatTick(40000, range.step), "40k");
}

TEST(NiceTicks, ThreeToSevenStepsByOne) {
  NiceRange range = NiceTicks(3, 7);
  EXPECT_DOUBLE_EQ(range.step, 1);
  EXPECT_EQ(range.values, (std::vector<double>{3, 4, 5, 6, 7}));
}

TEST(NiceTicks, PicksTheSmallestStepThatFits) {
  // 0..1010 in 5 or 6 intervals of 200 rather than 3 of 500.
  NiceRange range = NiceTicks(0, 1010);
  EXPECT_DOUBLE_EQ(range.step, 200);
  EXPECT_DOUBLE_EQ(range.high, 1200);
  // Ticks cover the data and stay 1-2-5 on odd ranges.
  for (auto [low, high] : std::vector<std::pair<double, double>>{
           {0, 0.037}, {-5, 13}, {0.1, 0.1003}, {12345, 67890}, {0, 3e9}}) {
    NiceRange nice = NiceTicks(low, high);
    EXPECT_LE(nice.low, low);
    EXPECT_GE(nice.high, high);
    EXPECT_LE(nice.values.size(), 8u) << low << ".." << high;
    double mantissa = nice.step / std::pow(10.0, std::floor(std::log10(nice.step)));
    EXPECT_TRUE(std::abs(mantissa - 1) < 1e-9 || std::abs(mantissa - 2) < 1e-9 ||
                std::abs(mantissa - 5) < 1e-9)
        << nice.step;
  }
}

TEST(NiceTicks, FlatAndBadRangesStillGiveAnAxis) {
  NiceRange zero = NiceTicks(0, 0);
  EXPECT_DOUBLE_EQ(zero.low, 0);
  EXPECT_DOUBLE_EQ(zero.high, 1);
  NiceRange flat = NiceTicks(5, 5);
  EXPECT_LT(flat.low, 5);
  EXPECT_GT(flat.high, 5);
  NiceRange bad = NiceTicks(NAN, INFINITY);
  EXPECT_GE(bad.values.size(), 2u);
}

TEST(FormatTick, DecimalsFollowTheStep) {
  EXPECT_EQ(FormatTick(0, 20000), "0");
  EXPECT_EQ(FormatTick(0.4, 0.2), "0.4");
  EXPECT_EQ(FormatTick(0.05, 0.05), "0.05");
  EXPECT_EQ(FormatTick(0.25, 0.05, /*percent=*/true), "25%");
  EXPECT_EQ(FormatTick(0.025, 0.005, /*percent=*/true), "2.5%");
  EXPECT_EQ(FormatTick(1500000, 500000), "1.5M");
  EXPECT_EQ(FormatTick(600, 200), "600");
}

TEST(DecadeTicks, PowersOfTenCoverTheRange) {
  std::vector<Tick> ticks = DecadeTicks(3, 86400);
  ASSERT_EQ(ticks.size(), 6u);
  EXPECT_DOUBLE_EQ(ticks.front().value, 1);
  EXPECT_EQ(ticks[3].label, "1k");
  EXPECT_EQ(ticks.back().label, "100k");
  EXPECT_TRUE(DecadeTicks(0, 10).empty());
}

TEST(Format, DurationsCountsAndFixed) {
  EXPECT_EQ(FormatDuration(0), "0 s");
  EXPECT_EQ(FormatDuration(0.25), "0.250 s");
  EXPECT_EQ(FormatDuration(42), "42.0 s");
  EXPECT_EQ(FormatDuration(750), "12.5 min");
  EXPECT_EQ(FormatDuration(12240), "3.40 h");
  EXPECT_EQ(FormatDuration(181440), "2.10 d");
  EXPECT_EQ(FormatDuration(NAN), "");
  EXPECT_EQ(FormatCount(82247), "82,247");
  EXPECT_EQ(FormatCount(-1234567.4), "-1,234,567");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatSignificant(0.91), "0.910");
  EXPECT_EQ(FormatSignificant(12345.6), "12,346");
  EXPECT_EQ(FormatFixed(-0.01, 1), "0.0");
  EXPECT_EQ(FormatFixed(INFINITY, 1), "");
  EXPECT_EQ(ChooseTimeUnit(600).name, std::string("s"));
  EXPECT_EQ(ChooseTimeUnit(86400).name, std::string("h"));
  EXPECT_EQ(ChooseTimeUnit(100 * 86400).name, std::string("days"));
}

TEST(EscapeXml, EscapesAllFiveSpecialCharacters) {
  EXPECT_EQ(EscapeXml("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
  EXPECT_EQ(EscapeXml("plain vc/6214e9"), "plain vc/6214e9");
}

TEST(DownsampleMinMax, KeepsSpikesAndBoundsThePointCount) {
  std::vector<double> x;
  std::vector<double> y;
  for (int i = 0; i < 100000; ++i) {
    x.push_back(i);
    y.push_back(i == 54321 ? 1000.0 : i == 77777 ? -50.0 : std::sin(i * 0.01));
  }
  std::vector<Point> points = DownsampleMinMax(x, y, 600);
  EXPECT_LE(points.size(), 600u);
  EXPECT_GE(points.size(), 500u);
  auto has = [&](double wanted) {
    for (const Point& p : points) {
      if (p.y == wanted) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(1000.0));
  EXPECT_TRUE(has(-50.0));
  for (size_t i = 1; i < points.size(); ++i) EXPECT_LT(points[i - 1].x, points[i].x);
}

TEST(DownsampleMinMax, MissingValuesBecomeOneBreak) {
  std::vector<Point> points = DownsampleMinMax({0, 1, 2, 3, 4, 5}, {NAN, 1, NAN, NAN, 2, NAN}, 600);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_EQ(points[0].y, 1);
  EXPECT_TRUE(std::isnan(points[1].y));
  EXPECT_EQ(points[2].y, 2);
  EXPECT_TRUE(DownsampleMinMax({0, 1}, {NAN, NAN}, 600).empty());
}

// The number of elements carrying data-series, and whether any has points.
int CountSeries(const std::string& svg) {
  std::regex series("data-series=\"[^\"]*\" data-points=\"[1-9][0-9]*\"");
  return static_cast<int>(
      std::distance(std::sregex_iterator(svg.begin(), svg.end(), series), std::sregex_iterator()));
}

TEST(RenderLineChart, DrawsSeriesWithBreaksAndEscapedNames) {
  LineChart chart;
  chart.title = "queue <&> \"length\"";
  chart.x_axis.label = "time (h)";
  chart.y_axis.label = "jobs";
  chart.series.push_back({"a<b", {0, 1, 2, 3, 4}, {1, 2, NAN, 4, 5}, 0, false, true});
  chart.series.push_back({"empty", {0, 1}, {NAN, NAN}, 1, true, false});
  chart.markers.push_back({2, 3, "mark & 'label'", 2});
  std::string svg = RenderLineChart(chart);
  EXPECT_EQ(svg.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 760 320\"", 0), 0u);
  EXPECT_NE(svg.find("data-series=\"a&lt;b\" data-points=\"4\""), std::string::npos);
  EXPECT_EQ(svg.find("data-series=\"empty\""), std::string::npos);  // nothing to draw
  EXPECT_EQ(CountSeries(svg), 1);
  EXPECT_NE(svg.find("queue &lt;&amp;&gt; &quot;length&quot;"), std::string::npos);
  EXPECT_NE(svg.find("mark &amp; &#39;label&#39;"), std::string::npos);
  EXPECT_EQ(svg.find("a<b"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  // The break in the line: the series path moves twice.
  size_t path = svg.find("data-series=\"a&lt;b\"");
  std::string d = svg.substr(path, svg.find("\"", svg.find("d=\"", path) + 3) - path);
  EXPECT_EQ(std::count(d.begin(), d.end(), 'M'), 2);
}

TEST(RenderLineChart, LogAxisDrawsZerosAtTheFloor) {
  LineChart chart;
  chart.x_axis.scale = AxisScale::kLog;
  chart.x_axis.log_floor = 1;
  chart.y_axis.percent = true;
  chart.series.push_back({"cdf", {0, 0, 5, 500, 86400}, {0, 0.25, 0.5, 0.75, 1}, 0, false, false});
  std::string svg = RenderLineChart(chart);
  EXPECT_EQ(CountSeries(svg), 1);
  EXPECT_NE(svg.find(">10k<"), std::string::npos);
  EXPECT_NE(svg.find(">100%<"), std::string::npos);
  for (const char* bad : {"nan", "inf", "-0.0"}) EXPECT_EQ(svg.find(bad), std::string::npos);
}

// The highest point (smallest y coordinate) of the path drawing `name`.
double TopOfSeries(const std::string& svg, const std::string& name) {
  size_t path = svg.find("data-series=\"" + name + "\"");
  if (path == std::string::npos) return NAN;
  size_t begin = svg.find("d=\"", path) + 3;
  std::string d = svg.substr(begin, svg.find('"', begin) - begin);
  std::regex point("[ML][0-9.]+,([0-9.]+)");
  double top = INFINITY;
  for (auto it = std::sregex_iterator(d.begin(), d.end(), point); it != std::sregex_iterator();
       ++it) {
    top = std::min(top, std::stod((*it)[1]));
  }
  return top;
}

TEST(RenderLineChart, TurnsLogWhenOneSeriesDwarfsTheOthers) {
  LineChart chart;
  chart.y_axis.label = "jobs waiting";
  chart.y_axis.log_above_ratio = 50;
  chart.series.push_back({"fifo", {0, 1, 2}, {0, 20000, 5000}, 0, false, false});
  chart.series.push_back({"fair_share", {0, 1, 2}, {0, 30, 12}, 1, false, false});
  std::string svg = RenderLineChart(chart);
  EXPECT_NE(svg.find(">jobs waiting (log scale)</text>"), std::string::npos);
  // Decades from 1 (the power of ten at or below 30 / 10).
  EXPECT_NE(svg.find(">1</text>"), std::string::npos);
  EXPECT_NE(svg.find(">1k</text>"), std::string::npos);
  // The small series is drawn well clear of the x axis (at y = 278): on a
  // linear axis up to 20,000 its peak of 30 would be under a unit above it.
  EXPECT_LT(TopOfSeries(svg, "fair_share"), 278 - 50);

  // Peaks within the ratio (1,000 / 30 < 50): linear, labelled as given.
  chart.series[0].y = {0, 1000, 500};
  svg = RenderLineChart(chart);
  EXPECT_NE(svg.find(">jobs waiting</text>"), std::string::npos);
  EXPECT_EQ(svg.find("log scale"), std::string::npos);
  // And without log_above_ratio, never.
  chart.series[0].y = {0, 20000, 5000};
  chart.y_axis.log_above_ratio = 0;
  EXPECT_EQ(RenderLineChart(chart).find("log scale"), std::string::npos);
}

// The x coordinate of the last point of the path drawing `name`.
std::string LastX(const std::string& svg, const std::string& name) {
  size_t path = svg.find("data-series=\"" + name + "\"");
  if (path == std::string::npos) return "";
  size_t begin = svg.find("d=\"", path) + 3;
  std::string d = svg.substr(begin, svg.find('"', begin) - begin);
  size_t last = d.find_last_of("ML");
  return d.substr(last + 1, d.find(',', last) - last - 1);
}

TEST(RenderLineChart, AxesEndAtTheData) {
  // Plot right edge: width 760 - 18.
  LineChart chart;
  chart.series.push_back({"utilisation", {0, 50, 103}, {0.2, 0.9, 0.5}, 0, false, false});
  std::string svg = RenderLineChart(chart);
  EXPECT_EQ(LastX(svg, "utilisation"), "742.0") << "x axis rounded up past the last point";
  // y: the top tick is at most one step above the data's maximum (0.9 -> 1).
  EXPECT_NE(svg.find(">1.0</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">1.2</text>"), std::string::npos);

  // A log axis with custom ticks ends at the longest wait (2 days), not at
  // the next tick (1 wk).
  LineChart cdf;
  cdf.x_axis.scale = AxisScale::kLog;
  cdf.x_axis.ticks = {{1, "1 s"}, {60, "1 min"}, {3600, "1 h"}, {86400, "1 d"}, {604800, "1 wk"}};
  cdf.series.push_back({"batch", {0, 30, 4000, 172800}, {0.1, 0.5, 0.9, 1}, 0, false, false});
  svg = RenderLineChart(cdf);
  EXPECT_EQ(LastX(svg, "batch"), "742.0");
  EXPECT_NE(svg.find(">1 d</text>"), std::string::npos);
  EXPECT_EQ(svg.find(">1 wk</text>"), std::string::npos);
  // Data short of a second tick: the axis grows to it, to be readable.
  cdf.series[0].x = {0, 1, 2, 5};
  svg = RenderLineChart(cdf);
  EXPECT_NE(svg.find(">1 min</text>"), std::string::npos);
  EXPECT_NE(LastX(svg, "batch"), "742.0");
}

TEST(RenderLineChart, HoverShowsEachSeriesValueAndTime) {
  LineChart chart;
  chart.x_axis.unit = "h";
  chart.y_axis.unit = "jobs";
  chart.hover_bands = 4;  // centres at 0.25, 0.75, 1.25, 1.75 h
  chart.series.push_back({"fifo <1>", {0, 0.5, 1, 1.5, 2}, {0, 12, 30, NAN, 7}, 0, false, false});
  chart.series.push_back({"fair_share", {0, 1, 2}, {1, 2, 3}, 1, false, false});
  std::string svg = RenderLineChart(chart);
  std::regex title("<rect [^>]*><title>([^<]*)</title></rect>");
  std::vector<std::string> titles;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), title); it != std::sregex_iterator();
       ++it) {
    titles.push_back((*it)[1]);
  }
  // The value in force at each band's centre: the last sample at or before
  // it; a missing value (fifo at 1.5 h) leaves that series out.
  EXPECT_EQ(titles, (std::vector<std::string>{
                        "fifo &lt;1&gt;: 0 jobs at 0 h\nfair_share: 1.00 jobs at 0 h",
                        "fifo &lt;1&gt;: 12.0 jobs at 0.500 h\nfair_share: 1.00 jobs at 0 h",
                        "fifo &lt;1&gt;: 30.0 jobs at 1.00 h\nfair_share: 2.00 jobs at 1.00 h",
                        "fair_share: 2.00 jobs at 1.00 h"}));
  // Percent axes show percentages, "s" durations.
  chart.y_axis.percent = true;
  chart.x_axis.unit = "s";
  chart.series = {{"cdf", {0, 3600, 7200}, {0.5, 0.75, 1}, 0, false, false}};
  svg = RenderLineChart(chart);
  EXPECT_NE(svg.find("<title>cdf: 75.0% at 1.00 h</title>"), std::string::npos);
  chart.hover_bands = 0;
  EXPECT_EQ(RenderLineChart(chart).find("<rect"), std::string::npos);
}

TEST(RenderLineChart, StepSeriesDrawStairs) {
  LineChart chart;
  chart.step = true;
  chart.series.push_back({"queue", {0, 1, 2}, {0, 3, 1}, 0, false, false});
  std::string svg = RenderLineChart(chart);
  EXPECT_NE(svg.find("H"), std::string::npos);
  EXPECT_NE(svg.find("V"), std::string::npos);
}

TEST(RenderBarChart, GroupsBarsAndMarksTheReference) {
  BarChart chart;
  chart.categories = {"vc/1", "vc/<2>", "vc/3"};
  chart.y_axis.percent = true;
  chart.series.push_back({"fair_share", {0.2, 0.5, NAN}, 0});
  chart.series.push_back({"fifo", {0.3, 0.1, 0.2}, 1});
  chart.reference = {"entitlement", {0.25, 0.25, 0.5}, kColourBlack};
  std::string svg = RenderBarChart(chart);
  EXPECT_NE(svg.find("data-series=\"fair_share\" data-points=\"2\""), std::string::npos);
  EXPECT_NE(svg.find("data-series=\"fifo\" data-points=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("data-series=\"entitlement\" data-points=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("vc/&lt;2&gt;"), std::string::npos);
  EXPECT_EQ(std::count(svg.begin(), svg.end(), '<') - std::count(svg.begin(), svg.end(), '>'), 0);
  EXPECT_NE(svg.find(">50%<"), std::string::npos);
}

}  // namespace
}  // namespace allot
