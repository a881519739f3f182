#include "metering/export_text.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "budget/calendar.h"
#include "budget/money.h"

namespace allot {

// The calendar module's RFC 3339 formatter: "2026-11-21T09:30:00Z", with
// ".000123" only when the microseconds are not zero.
std::string UtcText(Time t) { return FormatUtc(t); }

std::string UtcSecondsText(Time t) {
  ALLOT_CHECK(t % kMicrosPerSecond == 0);
  return FormatUtc(t);
}

std::string DecimalMicros(int64_t micros) { return FormatMoney(micros); }  // same layout

std::string LabelsToJson(const Labels& labels) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  for (const auto& [key, value] : labels) {
    writer.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

Result<Labels> LabelsFromJsonValue(const rapidjson::Value& value, std::string_view field) {
  if (!value.IsObject()) return InvalidArgument(fmt::format("{}: not a JSON object", field));
  Labels labels;
  for (const auto& member : value.GetObject()) {
    std::string key(member.name.GetString(), member.name.GetStringLength());
    if (!member.value.IsString()) {
      return InvalidArgument(fmt::format("{}.{}: value must be a string", field, key));
    }
    labels.emplace_back(std::move(key),
                        std::string(member.value.GetString(), member.value.GetStringLength()));
  }
  ALLOT_RETURN_IF_ERROR(NormaliseLabels(labels, field));
  return labels;
}

Result<Labels> LabelsFromJson(std::string_view text, std::string_view field) {
  rapidjson::Document document;
  document.Parse(text.data(), text.size());
  if (document.HasParseError()) {
    return InvalidArgument(fmt::format("{}: '{}' is not JSON: {} (offset {})", field, text,
                                       rapidjson::GetParseError_En(document.GetParseError()),
                                       document.GetErrorOffset()));
  }
  return LabelsFromJsonValue(document, field);
}

}  // namespace allot
