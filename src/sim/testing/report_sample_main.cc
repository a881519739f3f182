// allot_report_sample: writes an HTML report of a sample result (or of a
// result.json given on the command line), for the report's browser test and
// for looking at the report by eye.
//
//   allot_report_sample OUT.html [replay|large|many|fill|RESULT.json]
//
// replay: 3 policies, 100 days sampled hourly; large: the same at 10-minute
// steps (the size of an 80k-job Philly replay); many: 8 policies with long
// names (does every policy fit the page?); fill: the fill experiment.
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "sim/html_report.h"
#include "sim/testing/sample_result.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::cerr << "usage: allot_report_sample OUT.html [replay|large|many|fill|RESULT.json]\n";
    return 2;
  }
  std::string source = argc == 3 ? argv[2] : "replay";
  allot::Json result;
  allot::testing::SampleOptions options;
  options.policies = 3;
  options.steps = 2400;
  options.tenants = 14;
  if (source == "replay") {
    result = allot::testing::SampleReplayResult(options);
  } else if (source == "large") {
    options.steps = 14400;
    options.step_s = 600;
    options.budget_events = 300;
    result = allot::testing::SampleReplayResult(options);
  } else if (source == "many") {
    options.policies = 8;
    options.long_policy_names = true;
    result = allot::testing::SampleReplayResult(options);
  } else if (source == "fill") {
    result = allot::testing::SampleFillResult(2);
  } else {
    std::ifstream in(source);
    if (!in) {
      std::cerr << "allot_report_sample: cannot read " << source << "\n";
      return 1;
    }
    result = allot::Json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (result.is_discarded()) {
      std::cerr << "allot_report_sample: " << source << " is not JSON\n";
      return 1;
    }
  }
  std::string html = allot::RenderHtmlReport(result);
  std::ofstream out(argv[1], std::ios::binary);
  out << html;
  if (!out.flush()) {
    std::cerr << "allot_report_sample: cannot write " << argv[1] << "\n";
    return 1;
  }
  std::cout << argv[1] << ": " << html.size() << " bytes\n";
  return 0;
}
