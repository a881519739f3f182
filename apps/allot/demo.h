#pragma once

#include <ostream>
#include <string>

#include "config/config_loader.h"

namespace allot {

// Runs a scripted day on the engine over `config`'s inventory and prints every
// decision: grants of whole GPUs, fractions, MIG instances and a gang, a
// queued request granted after a release, rejections that name their field,
// a TTL expiry and a node going down. Returns the process exit code.
// With `usage_path`, also writes the day's usage records there as
// `usage_format` (csv, jsonl or focus).
int RunDemo(Config config, std::ostream& out, const std::string& usage_path = "",
            const std::string& usage_format = "jsonl");

}  // namespace allot
