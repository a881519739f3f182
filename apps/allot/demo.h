#pragma once

#include <ostream>

#include "config/config_loader.h"

namespace allot {

// Runs a scripted day on the engine over `config`'s inventory and prints every
// decision: grants of whole GPUs, fractions, MIG instances and a gang, a
// queued request granted after a release, rejections that name their field,
// a TTL expiry and a node going down. Returns the process exit code.
int RunDemo(Config config, std::ostream& out);

}  // namespace allot
