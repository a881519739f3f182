#include "sim/html_report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <iostream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "sim/testing/sample_result.h"

namespace allot {
namespace {

// A strict well-formedness check of the report as XML (with HTML's void
// elements allowed unclosed): balanced and properly nested tags, quoted and
// unique attributes, '&' only in the five predefined entities or a numeric
// reference, and no '<' in text or attribute values. Returns "" when the
// document passes, else what is wrong and where.
std::string CheckWellFormed(const std::string& html) {
  static const std::set<std::string> kVoid = {"meta", "link", "br", "hr", "img", "input"};
  static const std::regex kEntity("&(amp|lt|gt|quot|#39|#[0-9]+|#x[0-9a-fA-F]+);");
  const std::string doctype = "<!DOCTYPE html>";
  if (html.rfind(doctype, 0) != 0) return "no doctype";
  auto check_text = [&](size_t begin, size_t end) -> std::string {
    for (size_t i = begin; i < end; ++i) {
      if (html[i] == '<') return "'<' in text at " + std::to_string(i);
      if (html[i] != '&') continue;
      std::smatch match;
      std::string rest = html.substr(i, std::min<size_t>(12, end - i));
      if (!std::regex_search(rest, match, kEntity) || match.position(0) != 0) {
        return "bare '&' at " + std::to_string(i) + ": " + rest;
      }
    }
    return "";
  };
  std::vector<std::string> open;
  int roots = 0;
  size_t pos = doctype.size();
  while (pos < html.size()) {
    size_t lt = html.find('<', pos);
    if (lt == std::string::npos) lt = html.size();
    if (std::string error = check_text(pos, lt); !error.empty()) return error;
    if (lt == html.size()) break;
    if (open.empty() && html.compare(lt, 2, "</") != 0) ++roots;
    if (html.compare(lt, 2, "</") == 0) {
      size_t gt = html.find('>', lt);
      if (gt == std::string::npos) return "unterminated end tag";
      std::string name = html.substr(lt + 2, gt - lt - 2);
      if (open.empty() || open.back() != name) {
        return "</" + name + "> at " + std::to_string(lt) + " closes <" +
               (open.empty() ? "nothing" : open.back()) + ">";
      }
      open.pop_back();
      pos = gt + 1;
      continue;
    }
    size_t i = lt + 1;
    size_t name_end = i;
    while (name_end < html.size() && (std::isalnum(html[name_end]) || html[name_end] == '-')) {
      ++name_end;
    }
    std::string name = html.substr(i, name_end - i);
    if (name.empty()) return "bad tag at " + std::to_string(lt);
    i = name_end;
    std::set<std::string> attributes;
    bool self_closing = false;
    while (true) {
      while (i < html.size() && std::isspace(html[i])) ++i;
      if (i >= html.size()) return "unterminated tag <" + name;
      if (html[i] == '>') break;
      if (html.compare(i, 2, "/>") == 0) {
        self_closing = true;
        ++i;
        break;
      }
      size_t attribute_end = i;
      while (attribute_end < html.size() &&
             (std::isalnum(html[attribute_end]) || html[attribute_end] == '-' ||
              html[attribute_end] == ':')) {
        ++attribute_end;
      }
      std::string attribute = html.substr(i, attribute_end - i);
      if (attribute.empty() || html.compare(attribute_end, 2, "=\"") != 0) {
        return "unquoted or bad attribute in <" + name + "> at " + std::to_string(i);
      }
      if (!attributes.insert(attribute).second) return "duplicate attribute " + attribute;
      size_t value_begin = attribute_end + 2;
      size_t value_end = html.find('"', value_begin);
      if (value_end == std::string::npos) return "unterminated attribute value";
      if (std::string error = check_text(value_begin, value_end); !error.empty()) return error;
      i = value_end + 1;
    }
    pos = i + 1;
    if (self_closing || kVoid.count(name) > 0) continue;
    if (name == "style" || name == "script") {
      size_t close = html.find("</" + name + ">", pos);
      if (close == std::string::npos) return "unterminated <" + name + ">";
      std::string body = html.substr(pos, close - pos);
      if (body.find_first_of("<&") != std::string::npos) return "'<' or '&' in <" + name + ">";
      pos = close + name.size() + 3;
      continue;
    }
    open.push_back(name);
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  if (roots != 1) return std::to_string(roots) + " root elements";
  return "";
}

// The text of the figure with data-chart="id", "" when there is none.
std::string Figure(const std::string& html, const std::string& id) {
  size_t begin = html.find("<figure class=\"chart\" data-chart=\"" + id + "\"");
  if (begin == std::string::npos) return "";
  return html.substr(begin, html.find("</figure>", begin) - begin);
}

int DrawnSeries(const std::string& text) {
  std::regex drawn("data-series=\"[^\"]*\" data-points=\"[1-9][0-9]*\"");
  return static_cast<int>(
      std::distance(std::sregex_iterator(text.begin(), text.end(), drawn), std::sregex_iterator()));
}

const std::vector<std::string> kReplayCharts = {
    "utilization",   "queue_length", "wait_cdf", "gpu_allocated_arrived",
    "fragmentation", "spend",        "share"};

TEST(CheckWellFormed, CatchesTheMistakesItLooksFor) {
  const std::string head = "<!DOCTYPE html>";
  EXPECT_EQ(CheckWellFormed(head + "<html><p a=\"1\">x &amp; y<br></p></html>"), "");
  EXPECT_NE(CheckWellFormed(head + "<html><p>x & y</p></html>"), "");
  EXPECT_NE(CheckWellFormed(head + "<html><p><b></p></b></html>"), "");
  EXPECT_NE(CheckWellFormed(head + "<html><p a=1></p></html>"), "");
  EXPECT_NE(CheckWellFormed(head + "<html><p a=\"<\"></p></html>"), "");
  EXPECT_NE(CheckWellFormed(head + "<html><p></html>"), "");
  EXPECT_NE(CheckWellFormed(head + "<html></html><html></html>"), "");
}

TEST(RenderHtmlReport, ComparisonDrawsEveryChartAndIsWellFormed) {
  testing::SampleOptions options;
  options.policies = 2;
  options.hostile_names = true;
  std::string html = RenderHtmlReport(testing::SampleReplayResult(options));
  ASSERT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(CheckWellFormed(html), "");
  for (const std::string& id : kReplayCharts) {
    std::string figure = Figure(html, id);
    ASSERT_FALSE(figure.empty()) << id;
    EXPECT_GE(DrawnSeries(figure), 1) << id;
    EXPECT_NE(figure.find("<svg"), std::string::npos) << id;
    EXPECT_NE(figure.find("<figcaption>"), std::string::npos) << id;
  }
  EXPECT_TRUE(Figure(html, "fill").empty());  // replay mode has no fill curve
  // Both policies side by side: a line for each in a shared chart.
  std::string fragmentation = Figure(html, "fragmentation");
  EXPECT_NE(fragmentation.find("data-series=\"fair_share\""), std::string::npos);
  EXPECT_NE(fragmentation.find("data-series=\"fifo\""), std::string::npos);
  EXPECT_NE(Figure(html, "share").find("data-series=\"entitlement\""), std::string::npos);
  for (const char* section :
       {"id=\"summary\"", "id=\"classes\"", "id=\"tenants\"", "id=\"budget-events\""}) {
    EXPECT_NE(html.find(section), std::string::npos) << section;
  }
}

TEST(RenderHtmlReport, NeedsNoNetwork) {
  std::string html = RenderHtmlReport(testing::SampleReplayResult({}));
  std::string without_xmlns =
      std::regex_replace(html, std::regex("xmlns=\"http://www\\.w3\\.org/2000/svg\""), "");
  EXPECT_EQ(without_xmlns.find("http://"), std::string::npos);
  EXPECT_EQ(without_xmlns.find("https://"), std::string::npos);
  for (const char* reference : {"src=", "href=", "url(", "@import", "<script", "<link"}) {
    EXPECT_EQ(html.find(reference), std::string::npos) << reference;
  }
}

TEST(RenderHtmlReport, EscapesStringsFromTheResult) {
  testing::SampleOptions options;
  options.hostile_names = true;
  std::string html = RenderHtmlReport(testing::SampleReplayResult(options));
  for (const char* raw :
       {"batch<script>", "<team", "a&b <limit>", "\"priority\" &", "philly <&", "p100 \"<&>\""}) {
    EXPECT_EQ(html.find(raw), std::string::npos) << raw;
  }
  for (const char* escaped :
       {"batch&lt;script&gt;", "&lt;team &amp; &quot;co&quot;&gt;&#39;s", "a&amp;b &lt;limit&gt;",
        ">&lt;team &amp; &quot;co&quot;&gt;&#39;s</text>",
        "classes by &quot;priority&quot; &amp; tenants &lt;weighted&gt; &#39;fair&#39; share",
        "philly &lt;&amp;&quot;&#39;&gt;.csv", "p100 &quot;&lt;&amp;&gt;&quot;"}) {
    EXPECT_NE(html.find(escaped), std::string::npos) << escaped;
  }
}

TEST(RenderHtmlReport, MissingValuesBreakLinesAndNeverPrintNan) {
  Json result = testing::SampleReplayResult({});
  // Nulls everywhere a number may be missing.
  Json& run = result["runs"][0];
  run["summary"]["jain_index"] = nullptr;
  run["summary"]["wait_s"] = nullptr;
  run["series"]["utilization"][0]["values"][3] = nullptr;
  run["series"]["gpu_allocated"] = Json::array({nullptr, nullptr});
  run["wait_cdf"][0]["wait_s"][50] = nullptr;
  run["tenants"][0]["share_mean"] = nullptr;
  run["budget_events"][0]["t_s"] = nullptr;
  std::string html = RenderHtmlReport(result);
  EXPECT_EQ(CheckWellFormed(html), "");
  std::regex bad("\\b(nan|NaN|null|inf|Infinity)\\b");
  std::smatch match;
  EXPECT_FALSE(std::regex_search(html, match, bad)) << match.str(0) << " at " << match.position(0);
  for (const std::string& id : kReplayCharts) EXPECT_GE(DrawnSeries(Figure(html, id)), 1) << id;
}

TEST(RenderHtmlReport, FillModeDrawsTheFillCurve) {
  std::string html = RenderHtmlReport(testing::SampleFillResult(2));
  EXPECT_EQ(CheckWellFormed(html), "");
  std::string fill = Figure(html, "fill");
  ASSERT_FALSE(fill.empty());
  EXPECT_NE(fill.find("data-series=\"best_fit\""), std::string::npos);
  EXPECT_NE(fill.find("data-series=\"frag_aware\""), std::string::npos);
  EXPECT_NE(fill.find("data-series=\"y = x\""), std::string::npos);
  EXPECT_NE(fill.find("<circle"), std::string::npos);
  EXPECT_NE(fill.find("best_fit: 87.7%"), std::string::npos);  // allocated_at_100
  EXPECT_NE(html.find("id=\"fill\""), std::string::npos);      // the fill table
  for (const std::string& id : kReplayCharts) EXPECT_TRUE(Figure(html, id).empty()) << id;
  EXPECT_EQ(html.find("nan"), std::string::npos);
  // A fill result without curves says so in place of the chart.
  Json result = testing::SampleFillResult(2);
  for (Json& run : result["runs"]) run["fill"]["curve"] = Json::object();
  EXPECT_NE(Figure(RenderHtmlReport(result), "fill").find("no run has a fill curve"),
            std::string::npos);
}

TEST(RenderHtmlReport, SurvivesEmptyAndOddDocuments) {
  for (const char* text :
       {"{}", "null", "[]", "{\"runs\": 3}", "{\"runs\": [null, {}]}",
        "{\"runs\": [{\"policy\": 7, \"series\": {\"t_s\": [0, 1], \"fragmentation\": "
        "[null, null], \"utilization\": [{\"values\": \"x\"}]}, \"fill\": {\"curve\": 1}}]}"}) {
    std::string html = RenderHtmlReport(Json::parse(text));
    EXPECT_EQ(CheckWellFormed(html), "") << text;
    EXPECT_EQ(DrawnSeries(html), 0) << text;
  }
}

TEST(RenderHtmlReport, SinglePolicyShadesTheArea) {
  testing::SampleOptions options;
  options.policies = 1;
  std::string html = RenderHtmlReport(testing::SampleReplayResult(options));
  EXPECT_EQ(CheckWellFormed(html), "");
  EXPECT_NE(Figure(html, "utilization").find("fill-opacity"), std::string::npos);
  EXPECT_EQ(html.find("Bold green"), std::string::npos);  // nothing to compare
}

// The header rows of every table in `html`: the text between <thead> and </thead>.
std::vector<std::string> TableHeads(const std::string& html) {
  std::vector<std::string> heads;
  for (size_t at = html.find("<thead>"); at != std::string::npos;
       at = html.find("<thead>", at + 1)) {
    heads.push_back(html.substr(at, html.find("</thead>", at) - at));
  }
  return heads;
}

size_t Count(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
    ++count;
  }
  return count;
}

TEST(RenderHtmlReport, TablesDoNotWidenWithThePolicies) {
  // Eight policies: each table has as many columns as with one, a row per
  // policy instead (the browser test checks they fit 1280 px).
  testing::SampleOptions options;
  options.policies = 8;
  options.long_policy_names = true;
  std::string html = RenderHtmlReport(testing::SampleReplayResult(options));
  EXPECT_EQ(CheckWellFormed(html), "");
  std::vector<std::string> heads = TableHeads(html);
  ASSERT_GE(heads.size(), 5u);  // 3 summary tables, classes, tenants
  for (const std::string& head : heads) {
    EXPECT_LE(Count(head, "</th>"), 9u) << head;
    EXPECT_EQ(Count(head, "data-policy"), 0u) << head;
  }
  // Every policy heads a row in each summary table, a class or a tenant.
  std::string summary = html.substr(html.find("id=\"summary\""));
  summary = summary.substr(0, summary.find("</section>"));
  EXPECT_EQ(Count(summary, "data-policy=\"priority+frag_aware/fgd\""), 3u);
  std::string classes = html.substr(html.find("id=\"classes\""));
  classes = classes.substr(0, classes.find("</section>"));
  EXPECT_EQ(Count(classes, "data-policy=\"priority+best_fit\""), 3u);  // 3 classes
  EXPECT_EQ(Count(classes, "rowspan=\"8\""), 6u);  // each class's name and objective
  // The best policy is marked in its column.
  EXPECT_NE(summary.find("<td class=\"num best\">82,000</td>"), std::string::npos);
}

// The names in a figure's HTML legend (escaped, as in the page).
std::set<std::string> LegendNames(const std::string& figure) {
  std::set<std::string> names;
  size_t begin = figure.find("<div class=\"legend\">");
  if (begin == std::string::npos) return names;
  std::string legend = figure.substr(begin, figure.find("</div>", begin) - begin);
  std::regex name("</svg>([^<]*)</span>");
  for (auto it = std::sregex_iterator(legend.begin(), legend.end(), name);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

// The names of the series drawn in a figure (data-points above zero).
std::set<std::string> DrawnNames(const std::string& figure) {
  std::set<std::string> names;
  std::regex drawn("data-series=\"([^\"]*)\" data-points=\"[1-9]");
  for (auto it = std::sregex_iterator(figure.begin(), figure.end(), drawn);
       it != std::sregex_iterator(); ++it) {
    names.insert((*it)[1]);
  }
  return names;
}

TEST(RenderHtmlReport, LegendsNameTheLinesDrawn) {
  // fifo's run ends at half the time of fair_share's: its series are shorter,
  // its budgets' limits the same. One black limit line per budget.
  Json result = testing::SampleReplayResult({});
  Json& series = result["runs"][1]["series"];
  series["t_s"].erase(series["t_s"].begin() + 250, series["t_s"].end());
  for (Json& spend : series["spend"]) {
    spend["limit"].erase(spend["limit"].begin() + 250, spend["limit"].end());
    spend["spent"].erase(spend["spent"].begin() + 250, spend["spent"].end());
  }
  std::string spend = Figure(RenderHtmlReport(result), "spend");
  EXPECT_EQ(Count(spend, "data-series=\"limit\""), 3u) << "one limit per budget";
  EXPECT_EQ(spend.find("data-series=\"limit ("), std::string::npos);
  EXPECT_EQ(LegendNames(spend), (std::set<std::string>{"fair_share", "fifo", "limit"}));
  EXPECT_EQ(DrawnNames(spend), LegendNames(spend));

  // A policy without a line in a chart is not in its legend.
  Json no_queues = testing::SampleReplayResult({});
  no_queues["runs"][1]["series"]["queue_length"] = Json::array();
  std::string queues = Figure(RenderHtmlReport(no_queues), "queue_length");
  EXPECT_EQ(LegendNames(queues), (std::set<std::string>{"fair_share"}));
  EXPECT_EQ(DrawnNames(queues), LegendNames(queues));

  // A policy that spent nothing on any budget is not in the legend.
  result["runs"][1]["series"]["spend"] = Json::array();
  spend = Figure(RenderHtmlReport(result), "spend");
  EXPECT_EQ(LegendNames(spend), (std::set<std::string>{"fair_share", "limit"}));
  EXPECT_EQ(DrawnNames(spend), LegendNames(spend));

  // Limits that differ at the same time: a dashed line per policy, each named.
  result = testing::SampleReplayResult({});
  for (Json& limit : result["runs"][1]["series"]["spend"][0]["limit"]) {
    limit = limit.get<double>() * 2;
  }
  spend = Figure(RenderHtmlReport(result), "spend");
  EXPECT_EQ(Count(spend, "data-series=\"limit\""), 2u);  // the other two budgets
  EXPECT_EQ(LegendNames(spend), (std::set<std::string>{"fair_share", "fifo", "limit",
                                                       "limit (fair_share)", "limit (fifo)"}));
  EXPECT_EQ(DrawnNames(spend), LegendNames(spend));
}

TEST(RenderHtmlReport, OnePolicyDwarfingTheOthersGetsALogScaleOrItsOwnPanelScale) {
  Json result = testing::SampleReplayResult({});
  std::string html = RenderHtmlReport(result);
  EXPECT_EQ(Figure(html, "queue_length").find("log scale"), std::string::npos);
  EXPECT_EQ(Figure(html, "gpu_allocated_arrived").find("own y scale"), std::string::npos);
  // fifo's queues and demand 1,000 times fair_share's.
  Json& series = result["runs"][1]["series"];
  for (Json& queue : series["queue_length"]) {
    for (Json& value : queue["values"]) value = value.get<double>() * 1000 + 1000;
  }
  for (const char* key : {"gpu_arrived", "gpu_allocated"}) {
    for (Json& value : series[key]) value = value.get<double>() * 1000;
  }
  html = RenderHtmlReport(result);
  EXPECT_EQ(Count(Figure(html, "queue_length"), ">jobs waiting (log scale)</text>"), 3u);
  EXPECT_NE(Figure(html, "gpu_allocated_arrived").find("own y scale"), std::string::npos);
  EXPECT_EQ(CheckWellFormed(html), "");
}

TEST(RenderHtmlReport, AnEmptyChartSaysWhyThereIsNothingToShow) {
  Json result = testing::SampleReplayResult({});
  for (Json& run : result["runs"]) {
    run["series"]["spend"] = Json::array();  // no budgets
    for (Json& value : run["series"]["fragmentation"]) value = nullptr;
    run["wait_cdf"] = Json::array();
  }
  std::string html = RenderHtmlReport(result);
  EXPECT_EQ(CheckWellFormed(html), "");
  for (const auto& [id, why] : std::vector<std::pair<std::string, std::string>>{
           {"spend", "Nothing to show: the config has no budgets."},
           {"fragmentation", "Nothing to show: no run recorded fragmentation"},
           {"wait_cdf", "Nothing to show: no job started in any run"}}) {
    std::string figure = Figure(html, id);
    ASSERT_FALSE(figure.empty()) << id << " left out instead of saying why";
    EXPECT_NE(figure.find("<p class=\"empty-chart\">" + why), std::string::npos) << id;
    EXPECT_EQ(figure.find("<svg"), std::string::npos) << id << ": blank axes drawn";
  }
  // A workload without GPUs (model slots): the GPU charts would be flat zeros.
  result = testing::SampleReplayResult({});
  for (Json& run : result["runs"]) {
    for (const char* key : {"gpu_arrived", "gpu_allocated", "fragmentation"}) {
      for (Json& value : run["series"][key]) value = 0;
    }
  }
  html = RenderHtmlReport(result);
  for (const char* id : {"gpu_allocated_arrived", "fragmentation"}) {
    EXPECT_NE(Figure(html, id).find("Nothing to show: no job asked for GPUs."), std::string::npos)
        << id;
    EXPECT_EQ(Figure(html, id).find("<svg"), std::string::npos) << id;
  }
  // Budgets without a spend sample say so instead.
  result = testing::SampleReplayResult({});
  for (Json& run : result["runs"]) {
    for (Json& budget : run["series"]["spend"]) {
      budget["spent"] = Json::array();
      budget["limit"] = Json::array();
    }
  }
  EXPECT_NE(Figure(RenderHtmlReport(result), "spend").find("no run recorded spend"),
            std::string::npos);
  // Charts with data say nothing of the kind.
  EXPECT_EQ(RenderHtmlReport(testing::SampleReplayResult({})).find("empty-chart\""),
            std::string::npos);
}

TEST(RenderHtmlReport, TimeAxesEndWhenTheLongestRunEnds) {
  // 500 hourly samples: 20.8 days. The one-panel fragmentation chart (960
  // wide, plot right edge at 942) ends at the last sample, for both runs
  // when one ends earlier.
  Json result = testing::SampleReplayResult({});
  Json& series = result["runs"][1]["series"];
  series["t_s"].erase(series["t_s"].begin() + 400, series["t_s"].end());
  std::string fragmentation = Figure(RenderHtmlReport(result), "fragmentation");
  size_t path = fragmentation.find("data-series=\"fair_share\"");
  ASSERT_NE(path, std::string::npos);
  std::string d = fragmentation.substr(path, fragmentation.find("</path>", path) - path);
  EXPECT_NE(d.find("L942.0,"), std::string::npos) << "the axis runs past the last sample";
  path = fragmentation.find("data-series=\"fifo\"");
  d = fragmentation.substr(path, fragmentation.find("</path>", path) - path);
  EXPECT_EQ(d.find("L942.0,"), std::string::npos) << "the shorter run ends before the axis";
}

TEST(RenderHtmlReport, LargeComparisonStaysSmall) {
  // An 80k-job Philly replay: 100 days at 10-minute steps, 3 policies.
  testing::SampleOptions options;
  options.policies = 3;
  options.steps = 14400;
  options.step_s = 600;
  options.tenants = 14;
  options.budget_events = 300;
  std::string html = RenderHtmlReport(testing::SampleReplayResult(options));
  EXPECT_LT(html.size(), 2u << 20);
  EXPECT_EQ(CheckWellFormed(html), "");
  EXPECT_NE(html.find("250 more events"), std::string::npos) << "not truncated";
  std::regex points("data-points=\"([0-9]+)\"");
  for (auto it = std::sregex_iterator(html.begin(), html.end(), points);
       it != std::sregex_iterator(); ++it) {
    EXPECT_LE(std::stoi((*it)[1]), 600);
  }
  RecordProperty("html_bytes", static_cast<int>(html.size()));
  std::cout << "large comparison report: " << html.size() << " bytes\n";
}

}  // namespace
}  // namespace allot
