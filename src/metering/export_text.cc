#include "metering/export_text.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>

#include "budget/money.h"

namespace allot {
namespace {

// Civil date and time of day of `t` (UTC) in the proleptic Gregorian
// calendar of <chrono>; floors, so instants before the epoch work too.
struct Civil {
  int year = 0;
  unsigned month = 0, day = 0;
  int64_t hour = 0, minute = 0, second = 0, micros = 0;
};

Civil ToCivil(Time t) {
  using namespace std::chrono;
  sys_time<microseconds> instant{microseconds{t}};
  sys_days date = floor<days>(instant);
  year_month_day ymd{date};
  int64_t of_day = (instant - date).count();  // [0, 86'400'000'000)
  Civil civil;
  civil.year = static_cast<int>(ymd.year());
  civil.month = static_cast<unsigned>(ymd.month());
  civil.day = static_cast<unsigned>(ymd.day());
  civil.hour = of_day / 3'600'000'000;
  civil.minute = of_day / 60'000'000 % 60;
  civil.second = of_day / kMicrosPerSecond % 60;
  civil.micros = of_day % kMicrosPerSecond;
  return civil;
}

std::string SecondsPart(const Civil& c) {
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour,
                     c.minute, c.second);
}

}  // namespace

std::string UtcText(Time t) {
  Civil c = ToCivil(t);
  if (c.micros == 0) return SecondsPart(c) + "Z";
  return fmt::format("{}.{:06}Z", SecondsPart(c), c.micros);
}

std::string UtcSecondsText(Time t) {
  Civil c = ToCivil(t);
  ALLOT_CHECK(c.micros == 0);
  return SecondsPart(c) + "Z";
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
