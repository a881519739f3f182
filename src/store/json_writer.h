#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "model/inventory.h"

namespace allot::store {

// Writes compact JSON text straight into a string, byte for byte as
// nlohmann::json::dump() would write the same value: no spaces, strings
// escaped the same way (UTF-8 passed through, control characters as \uXXXX
// or their short escapes; see AppendJsonEscaped), doubles in nlohmann's shortest form. The hot
// replies and journal rows are written with it instead of building a DOM.
//
// Objects must be written with their keys in ascending byte order, the order
// nlohmann's std::map objects print in (CHECKed: a key out of order is a bug
// in the caller). Not thread-safe; one writer per string.
class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);

  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  void Double(double value);
  void Bool(bool value);
  void Null();
  // A value that is already JSON text (another writer's output, a stored row).
  void Raw(std::string_view json);

  // Key and value in one call.
  void Field(std::string_view key, std::string_view value) {
    Key(key);
    String(value);
  }
  void Field(std::string_view key, const char* value) { Field(key, std::string_view(value)); }
  void Field(std::string_view key, const std::string& value) {
    Field(key, std::string_view(value));
  }
  void Field(std::string_view key, int64_t value) {
    Key(key);
    Int(value);
  }
  void Field(std::string_view key, uint64_t value) {
    Key(key);
    Uint(value);
  }
  void Field(std::string_view key, int value) { Field(key, static_cast<int64_t>(value)); }
  void Field(std::string_view key, bool value) {
    Key(key);
    Bool(value);
  }

 private:
  static constexpr int kMaxDepth = 32;
  void BeforeValue();

  std::string* out_;
  bool need_comma_ = false;
  int depth_ = 0;
  // Where the last key written at each depth lies in *out_ (its text as
  // written, unescaped when it needed no escapes; length 0: none to check).
  size_t last_key_at_[kMaxDepth] = {};
  size_t last_key_size_[kMaxDepth] = {};
};

// Labels as a JSON object in key order, the last of duplicate keys winning:
// what an nlohmann object built from them prints.
void WriteLabels(JsonWriter& writer, const Labels& labels);

// `text` as a JSON string literal body (no quotes), escaped as nlohmann does;
// a byte that is not part of well-formed UTF-8 becomes U+FFFD (nlohmann's
// replace handler; its default handler throws instead).
void AppendJsonEscaped(std::string* out, std::string_view text);

}  // namespace allot::store
