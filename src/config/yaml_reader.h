#pragma once

// The YAML walker shared by the configuration's sections (internal to
// src/config): keeps every error with its line and column, the first of each
// scope (a section, a list entry).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "config/quantity.h"
#include "model/inventory.h"

namespace allot::config_internal {

// Walks the YAML tree and remembers its errors with their positions.
//
// Errors are kept per scope: within one, the first error ends the reading
// (ok() turns false and later Fail calls are ignored, as what follows an
// error is often its echo); a Scope starts a fresh one for an independent
// part (a top-level section, one entry of a list), so that `allot
// check-config` reports every independent error in one run. any_error()
// says whether any scope failed; errors() lists them all.
class Reader {
 public:
  explicit Reader(std::string_view source) : source_(source) {}

  // A fresh scope for an independent part; the enclosing scope's state comes
  // back when it ends (an entry's error does not stop its list).
  class Scope {
   public:
    explicit Scope(Reader& reader) : reader_(reader), saved_(reader.scope_failed_) {
      reader_.scope_failed_ = false;
    }
    ~Scope() { reader_.scope_failed_ = saved_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Reader& reader_;
    bool saved_;
  };

  // No error in the current scope.
  bool ok() const { return !scope_failed_; }
  bool any_error() const { return !errors_.empty(); }
  const std::vector<std::string>& errors() const { return errors_; }
  // The first error (for readers of one part, such as the sim's specs).
  Status error() const { return errors_.empty() ? Status::Ok() : InvalidArgument(errors_.front()); }

  // Records an error in the current scope (the scope's first only).
  void Fail(const YAML::Node& node, const std::string& field, const std::string& why) {
    if (scope_failed_) return;
    scope_failed_ = true;
    Record(node, field, why);
  }
  // An error whose message is already complete (positioned or not).
  void FailMessage(std::string message) {
    if (scope_failed_) return;
    scope_failed_ = true;
    errors_.push_back(std::move(message));
  }

  // Fails on keys outside `allowed`, naming each of them.
  void OnlyKeys(const YAML::Node& map, const std::string& field,
                std::initializer_list<std::string_view> allowed) {
    if (scope_failed_) return;
    if (!map.IsMap()) return Fail(map, field, "must be a mapping");
    for (const auto& entry : map) {
      if (!entry.first.IsScalar()) return Fail(entry.first, field, "keys must be plain names");
      std::string key = entry.first.Scalar();
      bool known = false;
      for (std::string_view name : allowed) known = known || name == key;
      if (!known) {
        Record(entry.first, field + "." + key, "unknown key");
        scope_failed_ = true;
      }
    }
  }

  std::string Scalar(const YAML::Node& node, const std::string& field) {
    if (!node.IsScalar()) {
      Fail(node, field, "must be a scalar");
      return "";
    }
    return node.Scalar();
  }

  std::string String(const YAML::Node& map, const std::string& key, const std::string& field,
                     bool required) {
    const YAML::Node node = map[key];
    if (!node) {
      if (required) Fail(map, field + "." + key, "is required");
      return "";
    }
    return Scalar(node, field + "." + key);
  }

  int64_t Integer(const YAML::Node& map, const std::string& key, const std::string& field,
                  int64_t fallback, int64_t max) {
    const YAML::Node node = map[key];
    if (!node) return fallback;
    std::string path = field + "." + key;
    Result<int64_t> value = ParseScaled(Scalar(node, path), 1, path);
    if (!value.ok()) {
      Fail(node, path, "must be a whole number >= 0");
      return fallback;
    }
    if (*value > max) {
      Fail(node, path, fmt::format("must be at most {}", max));
      return fallback;
    }
    return *value;
  }

  using Parser = Result<int64_t> (*)(std::string_view, std::string_view);

  // map[key] through `parse`; 0 when absent.
  int64_t Parsed(const YAML::Node& map, const std::string& key, const std::string& field,
                 Parser parse) {
    const YAML::Node node = map[key];
    if (!node) return 0;
    return ParsedNode(node, field + "." + key, parse);
  }

  // `node` (named `path` in errors) through `parse`; 0 on error.
  int64_t ParsedNode(const YAML::Node& node, const std::string& path, Parser parse) {
    Result<int64_t> value = parse(Scalar(node, path), path);
    if (!value.ok()) {
      // The message already names the field; add the position.
      std::string why = value.status().message().substr(path.size() + 2);
      Fail(node, path, why);
      return 0;
    }
    return *value;
  }

  Labels LabelMap(const YAML::Node& map, const std::string& key, const std::string& field) {
    Labels labels;
    const YAML::Node node = map[key];
    if (!node) return labels;
    std::string path = field + "." + key;
    if (!node.IsMap()) {
      Fail(node, path, "must be a mapping of label names to values");
      return labels;
    }
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        Fail(entry.first, path, "label names must be plain strings");
        return labels;
      }
      std::string name = entry.first.Scalar();
      labels.emplace_back(name, Scalar(entry.second, path + "." + name));
    }
    Status status = NormaliseLabels(labels, path);
    if (!status.ok()) Fail(node, path, status.message());
    return labels;
  }

 private:
  void Record(const YAML::Node& node, const std::string& field, const std::string& why) {
    const YAML::Mark mark = node.Mark();
    if (mark.is_null()) {
      // An absent node (a required key) has no position: ParseConfig
      // positions the error at the deepest node of its field path.
      errors_.push_back(fmt::format("{}: {}", field, why));
      return;
    }
    errors_.push_back(
        fmt::format("{}:{}:{}: {}: {}", source_, mark.line + 1, mark.column + 1, field, why));
  }

  std::string source_;
  std::vector<std::string> errors_;
  bool scope_failed_ = false;
};

inline bool ReadBool(Reader& reader, const YAML::Node& map, const std::string& key,
                     const std::string& field, bool fallback) {
  const YAML::Node node = map[key];
  if (!node) return fallback;
  std::string text = reader.Scalar(node, field + "." + key);
  if (text == "true") return true;
  if (text == "false") return false;
  reader.Fail(node, field + "." + key, "must be true or false");
  return fallback;
}

}  // namespace allot::config_internal
