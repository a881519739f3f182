#include "sim/report_json.h"

#include <algorithm>
#include <cmath>

#include "sim/svg_axis.h"

namespace allot {

const Json* Find(const Json& root, std::initializer_list<std::string_view> path) {
  const Json* node = &root;
  for (std::string_view key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(std::string(key));
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node->is_null() ? nullptr : node;
}

double NumberAt(const Json& root, std::initializer_list<std::string_view> path) {
  const Json* node = Find(root, path);
  return node != nullptr && node->is_number() ? node->get<double>() : NAN;
}

std::string TextAt(const Json& root, std::initializer_list<std::string_view> path) {
  const Json* node = Find(root, path);
  if (node == nullptr) return "";
  if (node->is_string()) return node->get<std::string>();
  if (node->is_number_integer()) return node->dump();
  if (node->is_number()) return FormatSignificant(node->get<double>());
  if (node->is_boolean()) return node->get<bool>() ? "true" : "false";
  return "";
}

const Json& ArrayAt(const Json& root, std::initializer_list<std::string_view> path) {
  static const Json kEmpty = Json::array();
  const Json* node = Find(root, path);
  return node != nullptr && node->is_array() ? *node : kEmpty;
}

std::vector<double> NumbersAt(const Json& root, std::initializer_list<std::string_view> path) {
  std::vector<double> numbers;
  for (const Json& element : ArrayAt(root, path)) {
    numbers.push_back(element.is_number() ? element.get<double>() : NAN);
  }
  return numbers;
}

std::vector<std::string> UnionOfNames(const Json& runs, std::string_view array_key,
                                      std::string_view key) {
  std::vector<std::string> names;
  if (!runs.is_array()) return names;
  for (const Json& run : runs) {
    for (const Json& entry : ArrayAt(run, {array_key})) {
      std::string name = TextAt(entry, {key});
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  return names;
}

const Json* FindNamed(const Json& run, std::string_view array_key, std::string_view key,
                      const std::string& name) {
  for (const Json& entry : ArrayAt(run, {array_key})) {
    if (TextAt(entry, {key}) == name) return &entry;
  }
  return nullptr;
}

}  // namespace allot
