#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace allot {

// The configuration file given with --config is the one source of truth for
// the configuration (docs/operations.md, "Configuration of record"): a YAML
// pushed by POST /v1/admin/reload is written to it before it comes into
// force, and at start-up the file is brought into force when it differs from
// what the journal last applied. These are its reads and writes. No state.

// The file's text. FailedPrecondition naming the path when it cannot be read.
Result<std::string> ReadConfigFile(const std::string& path);

// Replaces the file with `text` atomically: a temporary file beside it
// (same directory, so the rename cannot cross file systems), fsync, rename
// over the file, fsync of the directory. A crash leaves the old text or the
// new, never a mix. The file's permission bits are kept. FailedPrecondition
// naming the path and the system's reason when it cannot be written; the
// file is then unchanged.
Status WriteConfigFile(const std::string& path, std::string_view text);

}  // namespace allot
