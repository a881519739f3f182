#include "metering/usage_jsonl.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <map>

#include "common/json_depth.h"
#include "common/utf8.h"
#include "metering/usage_fields.h"

namespace allot {
namespace {

std::string_view JsonTypeName(const rapidjson::Value& value) {
  if (value.IsNull()) return "null";
  if (value.IsBool()) return "a boolean";
  if (value.IsNumber()) return "a number";
  if (value.IsString()) return "a string";
  if (value.IsArray()) return "an array";
  return "an object";
}

// The text SetField parses for a scalar JSON value of the field's type, or
// an error naming what was found instead.
Result<std::string> ScalarText(const rapidjson::Value& value, const UsageField& field,
                               std::string_view where) {
  auto wrong = [&](std::string_view expected) {
    return InvalidArgument(fmt::format("{}: {}: expected {}, got {}", where, field.name, expected,
                                       JsonTypeName(value)));
  };
  switch (TypeOf(field.id)) {
    case UsageFieldType::kString:
      if (!value.IsString()) return wrong("a string");
      return std::string(value.GetString(), value.GetStringLength());
    case UsageFieldType::kInteger:
      if (value.IsUint64()) return std::to_string(value.GetUint64());
      if (value.IsInt64()) return std::to_string(value.GetInt64());
      if (value.IsNumber()) {
        return InvalidArgument(
            fmt::format("{}: {}: {} is not a whole number", where, field.name, value.GetDouble()));
      }
      return wrong("an integer");
    case UsageFieldType::kBoolean:
      if (!value.IsBool()) return wrong("true or false");
      return std::string(value.GetBool() ? "true" : "false");
    case UsageFieldType::kObject:
      break;
  }
  return wrong("a scalar");
}

}  // namespace

Result<std::string> UsageJsonlWriter::Line(const UsageRecord& record,
                                           const ResourceCatalog& catalog) {
  bool same = built_ && resource_names_.size() == static_cast<size_t>(catalog.size());
  for (int r = 0; same && r < catalog.size(); ++r) {
    same = resource_names_[static_cast<size_t>(r)] == catalog.Name(r);
  }
  if (!same) {
    fields_ = UsageFields(catalog);
    resource_names_.clear();
    for (int r = 0; r < catalog.size(); ++r) resource_names_.emplace_back(catalog.Name(r));
    built_ = true;
  }
  ALLOT_RETURN_IF_ERROR(ValidateUsageRecord(record, catalog));
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  for (const UsageField& field : fields_) {
    writer.Key(field.name.data(), static_cast<rapidjson::SizeType>(field.name.size()));
    std::string value = FieldText(record, field);
    auto size = static_cast<rapidjson::SizeType>(value.size());
    switch (TypeOf(field.id)) {
      case UsageFieldType::kString:
        writer.String(value.data(), size);
        break;
      // FieldText of these is already valid JSON: digits, true/false, an object.
      case UsageFieldType::kInteger:
        writer.RawValue(value.data(), size, rapidjson::kNumberType);
        break;
      case UsageFieldType::kBoolean:
        writer.Bool(value == "true");
        break;
      case UsageFieldType::kObject:
        writer.RawValue(value.data(), size, rapidjson::kObjectType);
        break;
    }
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<std::string> WriteUsageJsonl(const std::vector<UsageRecord>& records,
                                    const ResourceCatalog& catalog) {
  UsageJsonlWriter writer;
  std::string text;
  for (size_t i = 0; i < records.size(); ++i) {
    Result<std::string> line = writer.Line(records[i], catalog);
    if (!line.ok()) {
      return InvalidArgument(fmt::format("records[{}]: {}", i, line.status().message()));
    }
    text += *line;
    text.push_back('\n');
  }
  return text;
}

Result<std::vector<UsageRecord>> ReadUsageJsonl(std::string_view text,
                                                const ResourceCatalog& catalog) {
  std::vector<UsageField> fields = UsageFields(catalog);
  std::map<std::string, size_t, std::less<>> by_name;
  for (size_t i = 0; i < fields.size(); ++i) by_name.emplace(fields[i].name, i);

  std::vector<UsageRecord> records;
  int line_number = 0;
  while (!text.empty()) {
    size_t newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    std::string where = fmt::format("line {}", line_number);

    // rapidjson's parser recurses once per level, and the text may come
    // from anywhere: depth and UTF-8 are checked first.
    if (JsonNestingDepth(line, kMaxJsonDepth) > kMaxJsonDepth) {
      return InvalidArgument(fmt::format("{}: nested deeper than {} levels of arrays and objects",
                                         where, kMaxJsonDepth));
    }
    if (size_t bad = InvalidUtf8Offset(line); bad != kValidUtf8) {
      return InvalidArgument(fmt::format("{}: {}", where, Utf8Problem(line, bad)));
    }
    rapidjson::Document document;
    document.Parse(line.data(), line.size());
    if (document.HasParseError()) {
      return InvalidArgument(fmt::format("{}: not valid JSON at column {}: {}", where,
                                         document.GetErrorOffset() + 1,
                                         rapidjson::GetParseError_En(document.GetParseError())));
    }
    if (!document.IsObject()) {
      return InvalidArgument(
          fmt::format("{}: expected an object, got {}", where, JsonTypeName(document)));
    }
    UsageRecord record;
    std::string start_text, end_text;
    std::vector<bool> seen(fields.size(), false);
    for (const auto& member : document.GetObject()) {
      std::string_view name(member.name.GetString(), member.name.GetStringLength());
      auto it = by_name.find(name);
      if (it == by_name.end()) {
        return InvalidArgument(fmt::format("{}: unknown field '{}'", where, name));
      }
      if (seen[it->second]) {
        return InvalidArgument(fmt::format("{}: duplicate field '{}'", where, name));
      }
      seen[it->second] = true;
      const UsageField& field = fields[it->second];
      if (TypeOf(field.id) == UsageFieldType::kObject) {
        Result<Labels> labels =
            LabelsFromJsonValue(member.value, fmt::format("{}: {}", where, field.name));
        if (!labels.ok()) return labels.status();
        record.labels = std::move(labels).value();
        continue;
      }
      Result<std::string> value = ScalarText(member.value, field, where);
      if (!value.ok()) return value.status();
      if (field.id == UsageFieldId::kStart) start_text = *value;
      if (field.id == UsageFieldId::kEnd) end_text = *value;
      ALLOT_RETURN_IF_ERROR(SetField(record, field, *value, where));
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!seen[i] && !fields[i].optional) {
        return InvalidArgument(fmt::format("{}: missing field '{}'", where, fields[i].name));
      }
    }
    ALLOT_RETURN_IF_ERROR(CheckUsageRecord(record, start_text, end_text, catalog, where));
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace allot
