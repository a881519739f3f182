#pragma once

#include <string_view>

namespace allot {

// One line of a Server-Sent Events stream split into its field and value
// ("data: {...}" -> {"data", "{...}"}): the value starts after the first
// colon, less one leading space; a line without a colon is a field with an
// empty value (the SSE specification's rules). Comments (":...") and blank
// lines are the caller's.
struct SseLine {
  std::string_view field;
  std::string_view value;
};

inline SseLine SplitSseLine(std::string_view line) {
  SseLine out{line, {}};
  if (size_t colon = line.find(':'); colon != std::string_view::npos) {
    out.field = line.substr(0, colon);
    out.value = line.substr(colon + 1);
    if (!out.value.empty() && out.value.front() == ' ') out.value.remove_prefix(1);
  }
  return out;
}

}  // namespace allot
