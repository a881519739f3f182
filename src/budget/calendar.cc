#include "budget/calendar.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <utility>

#include "budget/civil_time.h"
#include "common/check.h"

namespace allot {
namespace {

using namespace calendar_internal;  // NOLINT(google-build-using-namespace)

// ---------------------------------------------------------------------------
// Periods.

// Local midnight of day `day` as local wall-clock microseconds.
Time DayStart(int64_t day) { return SaturatingMul(day, kMicrosPerDay); }

// [first, last) local days of the calendar period that holds local day `day`.
std::pair<int64_t, int64_t> CalendarDays(const PeriodSpec& spec, int64_t day) {
  switch (spec.kind) {
    case PeriodKind::kWeekly: {
      int64_t back = FloorMod(WeekdayFromDays(day) - spec.week_start, 7);
      return {day - back, day - back + 7};
    }
    case PeriodKind::kMonthly: {
      CivilDate date = CivilFromDays(day);
      int64_t first = day - (date.day - 1);
      return {first, first + DaysInMonth(date.year, date.month)};
    }
    default:
      return {day, day + 1};
  }
}

// A calendar period is [LocalToUtc(first local midnight), LocalToUtc(next
// period's first local midnight)). The local date of t picks the period; when
// a fall back crosses midnight (local dates repeat) that period may not
// hold t, so step to the neighbour that does. Periods never overlap because
// LocalToUtc is non-decreasing.
PeriodBounds CalendarPeriod(const PeriodSpec& spec, const TimeZone& zone, Time t) {
  int64_t day = FloorDiv(SaturatingAdd(t, zone.OffsetAt(t)), kMicrosPerDay);
  PeriodBounds bounds;
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto [first, last] = CalendarDays(spec, day);
    // A local midnight beyond the int64 range stands for the ends of time.
    Time local_start = DayStart(first);
    Time local_end = DayStart(last);
    bounds.start = local_start == kMinTime ? kMinTime : zone.LocalToUtc(local_start);
    bounds.end = local_end == kMaxTime ? kForever : zone.LocalToUtc(local_end);
    if (t < bounds.start && bounds.start != kMinTime) {
      day = first - 1;
    } else if (t >= bounds.end && bounds.end != kForever) {
      day = last;
    } else {
      break;
    }
  }
  return bounds;
}

// anchor + k * every for k = floor((t - anchor) / every), in 128 bits because
// t - anchor can exceed int64; results beyond int64 saturate.
PeriodBounds EveryPeriod(const PeriodSpec& spec, Time t) {
  ALLOT_CHECK(spec.every > 0);
  __int128 every = spec.every;
  __int128 offset = static_cast<__int128>(t) - spec.anchor;
  __int128 k = offset / every;
  if (offset % every != 0 && offset < 0) --k;
  __int128 start = spec.anchor + k * every;
  __int128 end = start + every;
  auto clamp = [](__int128 value) {
    return static_cast<Time>(std::clamp<__int128>(value, kMinTime, kMaxTime));
  };
  return {clamp(start), clamp(end)};
}

// ---------------------------------------------------------------------------
// Timestamps.

// Reads exactly `width` digits at `pos`.
std::optional<int> Digits(std::string_view text, size_t pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

// ---------------------------------------------------------------------------
// TimeZone (Load is in time_zone_load.cc)

TimeZone TimeZone::Utc() {
  TimeZone zone;
  zone.name_ = "UTC";
  zone.transitions_.push_back({kMinTime, 0});
  return zone;
}

Duration TimeZone::OffsetAt(Time utc) const {
  if (transitions_.empty()) return 0;  // a default-constructed zone acts as UTC
  // The last transition at or before `utc`; the first is at the minimum time.
  auto after = std::upper_bound(transitions_.begin(), transitions_.end(), utc,
                                [](Time t, const Transition& tr) { return t < tr.at; });
  return std::prev(after)->offset;
}

Time TimeZone::LocalToUtc(Time local) const {
  if (transitions_.empty()) return local;
  // Interval i is [at_i, at_{i+1}) with offset o_i; it shows local times
  // [at_i + o_i, at_{i+1} + o_i). The answer u = local - o_i for the first
  // (earliest) interval that contains it; offsets are within +-kMaxOffset, so
  // only intervals meeting [local - kMaxOffset, local + kMaxOffset] can.
  auto index_at = [&](Time utc) {
    auto after = std::upper_bound(transitions_.begin(), transitions_.end(), utc,
                                  [](Time t, const Transition& tr) { return t < tr.at; });
    return static_cast<size_t>(std::distance(transitions_.begin(), after)) - 1;
  };
  size_t first = index_at(SaturatingSub(local, kMaxOffset));
  size_t last = index_at(SaturatingAdd(local, kMaxOffset));
  for (size_t i = first; i <= last; ++i) {
    Time utc = SaturatingSub(local, transitions_[i].offset);
    bool starts_by = transitions_[i].at <= utc;
    bool ends_after = i + 1 == transitions_.size() || utc < transitions_[i + 1].at;
    if (starts_by && ends_after) return utc;
  }
  // A gap: clocks jumped over `local`. The first instant after the gap is
  // the transition whose new local start at_i + o_i lies past `local`.
  for (size_t i = first + 1; i <= last; ++i) {
    if (SaturatingAdd(transitions_[i].at, transitions_[i].offset) > local) {
      return transitions_[i].at;
    }
  }
  return SaturatingSub(local, transitions_[last].offset);  // not reached with valid tables
}

// ---------------------------------------------------------------------------
// Periods

PeriodBounds PeriodAt(const PeriodSpec& spec, const TimeZone& zone, Time t) {
  switch (spec.kind) {
    case PeriodKind::kNone:
      return {kMinTime, kForever};
    case PeriodKind::kEvery:
      return EveryPeriod(spec, t);
    case PeriodKind::kDaily:
    case PeriodKind::kWeekly:
    case PeriodKind::kMonthly:
      return CalendarPeriod(spec, zone, t);
  }
  return {kMinTime, kForever};
}

std::string PeriodName(const PeriodSpec& spec) {
  switch (spec.kind) {
    case PeriodKind::kNone:
      return "none";
    case PeriodKind::kDaily:
      return "daily";
    case PeriodKind::kWeekly:
      return "weekly";
    case PeriodKind::kMonthly:
      return "monthly";
    case PeriodKind::kEvery:
      break;
  }
  // The largest unit that divides `every` exactly: 14d, 36h, 90m, 45s, 1500ms.
  static constexpr std::array<std::pair<Duration, std::string_view>, 6> kUnits = {{
      {kMicrosPerDay, "d"},
      {kMicrosPerHour, "h"},
      {kMicrosPerMinute, "m"},
      {kMicrosPerSecond, "s"},
      {kMicrosPerMilli, "ms"},
      {1, "us"},
  }};
  for (const auto& [unit, suffix] : kUnits) {
    if (spec.every % unit == 0) return fmt::format("{}{}", spec.every / unit, suffix);
  }
  return fmt::format("{}us", spec.every);  // not reached: 1 divides everything
}

// ---------------------------------------------------------------------------
// Timestamps

std::string FormatUtc(Time utc) {
  int64_t seconds = FloorDiv(utc, kMicrosPerSecond);
  int64_t micros = FloorMod(utc, kMicrosPerSecond);  // [0, 1e6) also before 1970
  int64_t days = FloorDiv(seconds, kSecondsPerDay);
  int64_t second_of_day = seconds - days * kSecondsPerDay;
  CivilDate date = CivilFromDays(days);
  if (date.year < 0 || date.year > 9999) {
    // ISO 8601's expanded form with a sign, only reachable near the ends of
    // the int64 range; RFC 3339 itself covers years 0000-9999.
    std::string text =
        fmt::format("{}{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", date.year < 0 ? '-' : '+',
                    date.year < 0 ? -date.year : date.year, date.month, date.day,
                    second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
    if (micros != 0) text += fmt::format(".{:06}", micros);
    text += 'Z';
    return text;
  }
  // The common case digit by digit: API replies carry several timestamps.
  char text[27];
  auto put = [&text](size_t at, int64_t value, size_t width) {
    for (size_t i = width; i-- > 0; value /= 10) text[at + i] = static_cast<char>('0' + value % 10);
  };
  put(0, date.year, 4);
  text[4] = '-';
  put(5, date.month, 2);
  text[7] = '-';
  put(8, date.day, 2);
  text[10] = 'T';
  put(11, second_of_day / 3600, 2);
  text[13] = ':';
  put(14, second_of_day / 60 % 60, 2);
  text[16] = ':';
  put(17, second_of_day % 60, 2);
  size_t size = 19;
  if (micros != 0) {
    text[19] = '.';
    put(20, micros, 6);
    size = 26;
  }
  text[size++] = 'Z';
  return std::string(text, size);
}

Result<Time> ParseTimestamp(std::string_view text, const TimeZone& zone, std::string_view field) {
  auto invalid = [&](std::string_view why) {
    return InvalidArgument(fmt::format("{}: '{}' {}", field, text, why));
  };
  auto not_a_timestamp = [&] {
    return invalid("is not an RFC 3339 timestamp or a date (YYYY-MM-DD)");
  };
  if (text.empty()) return invalid("is empty; expected a timestamp such as 2026-11-21T09:30:00Z");

  // Date: YYYY-MM-DD.
  std::optional<int> year = Digits(text, 0, 4);
  std::optional<int> month = Digits(text, 5, 2);
  std::optional<int> day = Digits(text, 8, 2);
  if (!year || !month || !day || text[4] != '-' || text[7] != '-') return not_a_timestamp();
  if (*month < 1 || *month > 12)
    return invalid(fmt::format("has month {:02}; months are 01-12", *month));
  if (*day < 1 || *day > DaysInMonth(*year, *month)) {
    return invalid(fmt::format("has day {:02}, but {:04}-{:02} has {} days", *day, *year, *month,
                               DaysInMonth(*year, *month)));
  }
  Time local_midnight = DaysFromCivil(*year, *month, *day) * kMicrosPerDay;
  if (text.size() == 10) return zone.LocalToUtc(local_midnight);

  // Time: T hh:mm:ss[.ffffff] (RFC 3339 also allows 't' or a space for 'T').
  if (text[10] != 'T' && text[10] != 't' && text[10] != ' ') return not_a_timestamp();
  std::optional<int> hour = Digits(text, 11, 2);
  std::optional<int> minute = Digits(text, 14, 2);
  std::optional<int> second = Digits(text, 17, 2);
  if (!hour || !minute || !second || text[13] != ':' || text[16] != ':') return not_a_timestamp();
  if (*hour > 23) return invalid(fmt::format("has hour {:02}; hours are 00-23", *hour));
  if (*minute > 59) return invalid(fmt::format("has minute {:02}; minutes are 00-59", *minute));
  if (*second == 60) return invalid("has second 60; leap seconds are not supported");
  if (*second > 59) return invalid(fmt::format("has second {:02}; seconds are 00-59", *second));
  size_t pos = 19;
  Duration fraction = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t digits = 0;
    Duration scale = kMicrosPerSecond;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos, ++digits) {
      if (digits == 6) return invalid("has more than 6 fractional digits (microseconds)");
      scale /= 10;
      fraction += (text[pos] - '0') * scale;
    }
    if (digits == 0) return not_a_timestamp();
  }

  // Offset: Z or +hh:mm / -hh:mm (local minus UTC).
  if (pos == text.size()) {
    return invalid("has no UTC offset; end it with Z or an offset such as +01:00");
  }
  Duration offset = 0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    std::optional<int> offset_hours = Digits(text, pos + 1, 2);
    std::optional<int> offset_minutes = Digits(text, pos + 4, 2);
    if (!offset_hours || !offset_minutes || text[pos + 3] != ':') return not_a_timestamp();
    if (*offset_hours > 23 || *offset_minutes > 59) {
      return invalid("has an offset out of range (at most +-23:59)");
    }
    offset = *offset_hours * kMicrosPerHour + *offset_minutes * kMicrosPerMinute;
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return not_a_timestamp();
  }
  if (pos != text.size()) return not_a_timestamp();
  return local_midnight + *hour * kMicrosPerHour + *minute * kMicrosPerMinute +
         *second * kMicrosPerSecond + fraction - offset;
}

}  // namespace allot
