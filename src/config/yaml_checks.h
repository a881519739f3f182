#pragma once

// Checks on a configuration's YAML tree as a whole, and the position every
// configuration error carries (internal to src/config): errors read
// "FILE:line:column: field: why", line and column 1-based.
#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace allot::config_internal {

// "source:line:column: field: why"; a null mark (yaml-cpp has none for
// some errors) is the start of the text, 1:1.
std::string Positioned(std::string_view source, const YAML::Mark& mark, std::string_view field,
                       std::string_view why);
// The same for a message that already starts with its field ("field: why").
std::string Positioned(std::string_view source, const YAML::Mark& mark, std::string_view message);

// True when `message` starts with "source:<line>:<column>: ".
bool HasPosition(std::string_view message, std::string_view source);

// The node the field path that starts `message` names ("pools[0].nodes[1].cpu:
// ...", "budgets[2] (team).limit: ..."), as deep as the tree has it; the root
// when the first step is not in it.
YAML::Node NodeOfField(const YAML::Node& root, std::string_view message);

// A configuration's errors as one message, a line each, in file order:
// every error positioned (one without its position gets the node its field
// path names, as deep as the tree goes), sorted by line and column (errors
// at one position keep their order), repeats dropped; past kMaxErrors the
// rest are counted on a last line, positioned at the first of them.
inline constexpr size_t kMaxErrors = 100;
std::string JoinErrors(const YAML::Node& root, std::string_view source,
                       const std::vector<std::string>& errors);

// Refuses explicit tags other than YAML's standard ones (!!str, !!int,
// !!float, !!bool, !!null, !!map, !!seq): `!!binary`, `!!timestamp` or a
// local `!thing` would otherwise be read as plain text, silently. Also bounds
// the walk: depth at most 64, at most 1,000,000 nodes visited (aliases are
// followed, so a "billion laughs" text stops here). InvalidArgument naming
// the field, positioned.
Status CheckTags(const YAML::Node& root, std::string_view source);

}  // namespace allot::config_internal
