#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace allot {

// Renders the result.json of `allot sim` (schema in docs/sim.md) as one
// self-contained HTML page: inputs, side-by-side tables of the runs
// (policies), inline SVG charts overlaying the policies, and the budget
// events. The page needs no network (no scripts, fonts or images from
// elsewhere) and draws fully without JavaScript. Every string from `result`
// is escaped. Missing keys and nulls are tolerated: values show as "—",
// lines break, and a chart without data is left out. Never throws.
// docs/sim-report.md says how to read each chart.
std::string RenderHtmlReport(const nlohmann::ordered_json& result);

}  // namespace allot
