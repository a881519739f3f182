#pragma once

#include <string>
#include <string_view>

namespace allot {

// What `allot --version`, /healthz and allot_build_info report. The one
// definition is generated at build time (cmake/build_info.cmake) into the
// build directory and linked into the `allot` binary only, so a new commit
// recompiles that file alone.
struct BuildInfo {
  std::string_view version;  // the project version, "0.5.0"
  std::string_view commit;   // 12 hex digits, "-dirty" if the tree had changes; or "unknown"
  std::string_view date;     // build date, YYYY-MM-DD (UTC, or SOURCE_DATE_EPOCH)
};

const BuildInfo& GetBuildInfo();

// "allot 0.5.0 (commit 1a2b3c4d5e6f, built 2026-12-08)"
inline std::string VersionLine(const BuildInfo& info) {
  std::string line = "allot ";
  line.append(info.version).append(" (commit ").append(info.commit);
  line.append(", built ").append(info.date).append(")");
  return line;
}

}  // namespace allot
