#include "store/json_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "common/check.h"

namespace allot::store {

namespace {

// The length of the well-formed UTF-8 sequence at text[i] (a byte >= 0x80),
// or 0 when it is not one (RFC 3629: no overlong forms, no surrogates).
size_t Utf8Length(std::string_view text, size_t i) {
  auto at = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = at(i);
  size_t length = lead >= 0xC2 && lead <= 0xDF   ? 2
                  : lead >= 0xE0 && lead <= 0xEF ? 3
                  : lead >= 0xF0 && lead <= 0xF4 ? 4
                                                 : 0;
  if (length == 0 || i + length > text.size()) return 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead == 0xE0) low = 0xA0;
  if (lead == 0xED) high = 0x9F;
  if (lead == 0xF0) low = 0x90;
  if (lead == 0xF4) high = 0x8F;
  if (at(i + 1) < low || at(i + 1) > high) return 0;
  for (size_t k = 2; k < length; ++k) {
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

void AppendJsonEscaped(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t plain = 0;  // start of the run not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (size_t length = Utf8Length(text, i); length > 0) {
        i += length - 1;
        continue;
      }
      // Not UTF-8: U+FFFD for the byte, so the text stays valid JSON.
      out->append(text.data() + plain, i - plain);
      out->append("\xEF\xBF\xBD");
      plain = i + 1;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(escaped, sizeof escaped);
      }
    }
  }
  out->append(text.data() + plain, text.size() - plain);
}

void JsonWriter::BeforeValue() {
  if (need_comma_) out_->push_back(',');
}

void JsonWriter::BeginObject() {
  BeforeValue();
  out_->push_back('{');
  need_comma_ = false;
  ++depth_;
  ALLOT_CHECK(depth_ < kMaxDepth);
  last_key_size_[depth_] = 0;
}

void JsonWriter::EndObject() {
  out_->push_back('}');
  --depth_;
  need_comma_ = true;
}

void JsonWriter::BeginArray() {
  BeforeValue();
  out_->push_back('[');
  need_comma_ = false;
  ++depth_;
  ALLOT_CHECK(depth_ < kMaxDepth);
}

void JsonWriter::EndArray() {
  out_->push_back(']');
  --depth_;
  need_comma_ = true;
}

void JsonWriter::Key(std::string_view key) {
  // nlohmann's objects are std::maps: their keys print in ascending order.
  size_t last_size = last_key_size_[depth_];
  ALLOT_CHECK(last_size == 0 ||
              std::string_view(out_->data() + last_key_at_[depth_], last_size) < key);
  BeforeValue();
  out_->push_back('"');
  size_t at = out_->size();
  AppendJsonEscaped(out_, key);
  bool verbatim = out_->size() - at == key.size();
  last_key_at_[depth_] = at;
  last_key_size_[depth_] = verbatim ? key.size() : 0;
  out_->append("\":");
  need_comma_ = false;
}

void JsonWriter::String(std::string_view value) {
  BeforeValue();
  out_->push_back('"');
  AppendJsonEscaped(out_, value);
  out_->push_back('"');
  need_comma_ = true;
}

void JsonWriter::Int(int64_t value) {
  BeforeValue();
  fmt::format_to(std::back_inserter(*out_), "{}", value);
  need_comma_ = true;
}

void JsonWriter::Uint(uint64_t value) {
  BeforeValue();
  fmt::format_to(std::back_inserter(*out_), "{}", value);
  need_comma_ = true;
}

void JsonWriter::Double(double value) {
  // nlohmann's own number format ("2.0", "1e-05", null for NaN), so that the
  // text is the same as the DOM's.
  BeforeValue();
  out_->append(nlohmann::json(value).dump());
  need_comma_ = true;
}

void JsonWriter::Bool(bool value) {
  BeforeValue();
  out_->append(value ? "true" : "false");
  need_comma_ = true;
}

void JsonWriter::Null() {
  BeforeValue();
  out_->append("null");
  need_comma_ = true;
}

void JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_->append(json);
  need_comma_ = true;
}

void WriteLabels(JsonWriter& writer, const Labels& labels) {
  writer.BeginObject();
  bool ordered = std::adjacent_find(labels.begin(), labels.end(), [](const auto& a, const auto& b) {
                   return a.first >= b.first;
                 }) == labels.end();
  if (ordered) {
    for (const auto& [key, value] : labels) writer.Field(key, value);
  } else {
    std::map<std::string_view, std::string_view> sorted;
    for (const auto& [key, value] : labels) sorted.insert_or_assign(key, value);
    for (const auto& [key, value] : sorted) writer.Field(key, value);
  }
  writer.EndObject();
}

}  // namespace allot::store
