#include "config/yaml_checks.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <set>
#include <utility>

namespace allot::config_internal {
namespace {

constexpr int kMaxDepth = 64;
constexpr int64_t kMaxNodes = 1'000'000;
constexpr std::string_view kStandardPrefix = "tag:yaml.org,2002:";

// "" (none), "?" (a plain scalar or untagged collection) and "!" (a quoted
// scalar, non-specific) are what yaml-cpp gives untagged nodes.
bool AllowedTag(std::string_view tag) {
  if (tag.empty() || tag == "?" || tag == "!") return true;
  if (tag.substr(0, kStandardPrefix.size()) != kStandardPrefix) return false;
  static constexpr std::array<std::string_view, 7> kStandard = {"str",  "int", "float", "bool",
                                                                "null", "map", "seq"};
  std::string_view name = tag.substr(kStandardPrefix.size());
  for (std::string_view standard : kStandard) {
    if (name == standard) return true;
  }
  return false;
}

std::string ShownTag(std::string_view tag) {
  if (tag.substr(0, kStandardPrefix.size()) == kStandardPrefix) {
    return "!!" + std::string(tag.substr(kStandardPrefix.size()));
  }
  return std::string(tag);
}

struct TagWalk {
  std::string_view source;
  int64_t visited = 0;
  Status error;

  bool Fail(const YAML::Node& node, const std::string& field, const std::string& why) {
    error = InvalidArgument(Positioned(source, node.Mark(), field.empty() ? "config" : field, why));
    return false;
  }

  bool Walk(const YAML::Node& node, const std::string& field, int depth) {
    if (++visited > kMaxNodes) {
      return Fail(node, field, "the configuration has too many nodes (aliases repeated?)");
    }
    if (depth > kMaxDepth) return Fail(node, field, "nested too deeply");
    if (!AllowedTag(node.Tag())) {
      return Fail(node, field,
                  fmt::format("the tag '{}' is not allowed: only the standard tags !!str, "
                              "!!int, !!float, !!bool, !!null, !!map and !!seq are",
                              ShownTag(node.Tag())));
    }
    if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) {
        if (!Walk(node[i], fmt::format("{}[{}]", field, i), depth + 1)) return false;
      }
    } else if (node.IsMap()) {
      for (const auto& entry : node) {
        std::string key = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
        std::string path = field.empty() ? key : field + "." + key;
        if (!Walk(entry.first, path, depth + 1)) return false;
        if (!Walk(entry.second, path, depth + 1)) return false;
      }
    }
    return true;
  }
};

}  // namespace

std::string Positioned(std::string_view source, const YAML::Mark& mark, std::string_view field,
                       std::string_view why) {
  return Positioned(source, mark, fmt::format("{}: {}", field, why));
}

std::string Positioned(std::string_view source, const YAML::Mark& mark, std::string_view message) {
  int line = mark.is_null() || mark.line < 0 ? 1 : mark.line + 1;
  int column = mark.is_null() || mark.column < 0 ? 1 : mark.column + 1;
  return fmt::format("{}:{}:{}: {}", source, line, column, message);
}

bool HasPosition(std::string_view message, std::string_view source) {
  if (message.substr(0, source.size()) != source) return false;
  std::string_view rest = message.substr(source.size());
  for (int number = 0; number < 2; ++number) {
    if (rest.empty() || rest[0] != ':') return false;
    rest.remove_prefix(1);
    size_t digits = 0;
    while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
    if (digits == 0) return false;
    rest.remove_prefix(digits);
  }
  return rest.substr(0, 2) == ": ";
}

std::string JoinErrors(const YAML::Node& root, std::string_view source,
                       const std::vector<std::string>& errors) {
  struct Positioned {
    size_t line = 0;
    size_t column = 0;
    std::string text;
  };
  std::vector<Positioned> all;
  for (const std::string& error : errors) {
    Positioned entry;
    entry.text = HasPosition(error, source)
                     ? error
                     : config_internal::Positioned(source, NodeOfField(root, error).Mark(), error);
    // HasPosition holds now: "source:line:column: ...".
    std::sscanf(entry.text.c_str() + source.size(), ":%zu:%zu", &entry.line, &entry.column);
    all.push_back(std::move(entry));
  }
  std::stable_sort(all.begin(), all.end(), [](const Positioned& a, const Positioned& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  std::string joined;
  std::set<std::string_view> seen;
  size_t shown = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!seen.insert(all[i].text).second) continue;
    if (shown == kMaxErrors) {
      size_t rest = 0;
      for (size_t j = i; j < all.size(); ++j) rest += seen.insert(all[j].text).second ? 1 : 0;
      fmt::format_to(std::back_inserter(joined), "\n{}:{}:{}: config: {} more errors not shown",
                     source, all[i].line, all[i].column, rest + 1);
      break;
    }
    if (shown > 0) joined += "\n";
    joined += all[i].text;
    ++shown;
  }
  return joined;
}

YAML::Node NodeOfField(const YAML::Node& root, std::string_view message) {
  std::string_view path = message.substr(0, message.find(": "));
  YAML::Node node = root;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == ' ') {  // "budgets[2] (name)": the name in brackets is not a step
      size_t close = path.find(')', i);
      if (close == std::string_view::npos) break;
      i = close + 1;
      continue;
    }
    if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string_view::npos) break;
      size_t index = 0;
      bool number = close > i + 1;
      for (size_t d = i + 1; d < close; ++d) {
        number = number && std::isdigit(static_cast<unsigned char>(path[d]));
        if (number) index = index * 10 + static_cast<size_t>(path[d] - '0');
      }
      if (!number || !node.IsSequence() || index >= node.size()) break;
      // reset(), not =: assigning a YAML::Node writes through to the node.
      YAML::Node child = std::as_const(node)[index];
      node.reset(child);
      i = close + 1;
      continue;
    }
    size_t end = path.find_first_of(".[ ", i);
    if (end == std::string_view::npos) end = path.size();
    std::string key(path.substr(i, end - i));
    if (!node.IsMap()) break;
    YAML::Node child = std::as_const(node)[key];  // const: a lookup never inserts
    if (!child.IsDefined()) break;
    node.reset(child);
    i = end;
  }
  return node;
}

Status CheckTags(const YAML::Node& root, std::string_view source) {
  TagWalk walk;
  walk.source = source;
  if (!walk.Walk(root, "", 0)) return walk.error;
  return Status::Ok();
}

}  // namespace allot::config_internal
