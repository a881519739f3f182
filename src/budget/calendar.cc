#include "budget/calendar.h"

// <date/tz.h> is heavy and is only needed to read tzdata while a zone loads;
// it stays out of calendar.h so the rest of allot never sees it.
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>
#include <utility>

#include "common/check.h"

// Debian builds date-tz with USE_OS_TZDB=1: it reads the compiled TZif files
// under /usr/share/zoneinfo and has no remote API (no curl, no downloads).
// Fail the build rather than link a copy that might reach for the network.
static_assert(USE_OS_TZDB == 1 && HAS_REMOTE_API == 0,
              "calendar.cc expects date-tz built on the system tzdata without the remote API");

namespace allot {
namespace {

constexpr Duration kMicrosPerMilli = 1'000;
constexpr Duration kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr Duration kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr Duration kMicrosPerDay = 24 * kMicrosPerHour;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr Time kMinTime = std::numeric_limits<Time>::min();
constexpr Time kMaxTime = std::numeric_limits<Time>::max();

// Every UTC offset in tzdata lies within about +-16h (LMT included); anything
// past 26h would be a corrupt file. LocalToUtc relies on this bound to look only
// at transitions within [local - 26h, local + 26h].
constexpr Duration kMaxOffset = 26 * kMicrosPerHour;

// The zone's recurring rule (the TZif footer) is expanded through this year,
// so tables cover 1970..2200 with room for periods that end in 2201.
constexpr int64_t kLastRuleYear = 2201;

// ---------------------------------------------------------------------------
// Integer helpers. Time spans the whole int64 range, so sums saturate at the
// ends instead of overflowing (undefined behaviour).

Time SaturatingAdd(Time a, Duration b) {
  Time sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? kMaxTime : kMinTime;
  return sum;
}

Time SaturatingSub(Time a, Duration b) {
  Time difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return b < 0 ? kMaxTime : kMinTime;
  return difference;
}

Time SecondsToTime(int64_t seconds) {
  Time micros = 0;
  if (__builtin_mul_overflow(seconds, kMicrosPerSecond, &micros)) {
    return seconds < 0 ? kMinTime : kMaxTime;
  }
  return micros;
}

Time SaturatingMul(int64_t a, int64_t b) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return (a < 0) != (b < 0) ? kMinTime : kMaxTime;
  return product;
}

// Division rounding toward negative infinity (C++ rounds toward zero), so
// instants before 1970 fall into the right day or period: FloorDiv(-1, 10) = -1.
int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t quotient = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --quotient;
  return quotient;
}

// a - b * FloorDiv(a, b), always in [0, b) for b > 0; computed from the
// remainder so that the product cannot overflow near the ends of int64.
int64_t FloorMod(int64_t a, int64_t b) {
  int64_t remainder = a % b;
  if (remainder != 0 && ((remainder < 0) != (b < 0))) remainder += b;
  return remainder;
}

// ---------------------------------------------------------------------------
// Proleptic Gregorian calendar <-> days since 1970-01-01, on int64 so the
// whole Time range converts (date.h's year type stops at +-32767).
//
// Years are counted from March 1 so the leap day is the last day of a
// "computational year"; then a 400-year era always has 146097 days and the
// day of the year maps to a month through fixed cumulative lengths.

struct CivilDate {
  int64_t year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

// Days before each month in a year that starts on March 1 (Mar, Apr, ...,
// Jan, Feb): 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, then February.
constexpr std::array<int, 12> kDaysBeforeMonthFromMarch = {0,   31,  61,  92,  122, 153,
                                                           184, 214, 245, 275, 306, 337};
constexpr int64_t kDaysPerEra = 146'097;  // 400 years: 400 * 365 + 97 leap days
// Days from 0000-03-01 to 1970-01-01: the 1969 computational years before
// 1969-03-01 (365 days each plus 477 leap days), then 306 days to January 1.
constexpr int64_t kEpochFromMarch0 = 1969 * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400 + 306;

bool IsLeapYear(int64_t year) {
  return FloorMod(year, 4) == 0 && (FloorMod(year, 100) != 0 || FloorMod(year, 400) == 0);
}

int DaysInMonth(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

int64_t DaysFromCivil(int64_t year, int month, int day) {
  // Shift January and February to the end of the previous computational year.
  int64_t y = month <= 2 ? year - 1 : year;
  int month_from_march = month <= 2 ? month + 9 : month - 3;  // 0 = March .. 11 = February
  // Days before year y's March 1 since 0000-03-01:
  //   365*y + floor(y/4) - floor(y/100) + floor(y/400)  (leap days in years 1..y).
  int64_t days_before_year = 365 * y + FloorDiv(y, 4) - FloorDiv(y, 100) + FloorDiv(y, 400);
  return days_before_year + kDaysBeforeMonthFromMarch[month_from_march] + (day - 1) -
         kEpochFromMarch0;
}

CivilDate CivilFromDays(int64_t days) {
  int64_t from_march0 = days + kEpochFromMarch0;  // days since 0000-03-01
  int64_t era = FloorDiv(from_march0, kDaysPerEra);
  int64_t day_of_era = from_march0 - era * kDaysPerEra;  // [0, 146096]
  // An era is 4 centuries of 36524 days except the last, which has the era's
  // final leap day (146096 is that day: the min() keeps it in century 3).
  int64_t century = std::min<int64_t>(day_of_era / 36'524, 3);
  int64_t day_of_century = day_of_era - century * 36'524;
  // A century is 4-year blocks of 1461 days (the last one of centuries 0-2
  // has 1460: no leap day in a year divisible by 100 but not 400).
  int64_t block = day_of_century / 1'461;
  int64_t day_of_block = day_of_century - block * 1'461;
  // A block is 3 years of 365 days and a fourth of 366 (its leap day last).
  int64_t year_of_block = std::min<int64_t>(day_of_block / 365, 3);
  int day_of_year = static_cast<int>(day_of_block - year_of_block * 365);  // [0, 365]
  int month_from_march = 11;
  while (kDaysBeforeMonthFromMarch[month_from_march] > day_of_year) --month_from_march;
  CivilDate date;
  date.day = day_of_year - kDaysBeforeMonthFromMarch[month_from_march] + 1;
  date.month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
  date.year = era * 400 + century * 100 + block * 4 + year_of_block + (date.month <= 2 ? 1 : 0);
  return date;
}

// 0 = Sunday .. 6 = Saturday; 1970-01-01 was a Thursday (4).
int WeekdayFromDays(int64_t days) { return static_cast<int>(FloorMod(days + 4, 7)); }

// ---------------------------------------------------------------------------
// Reading the zone.

// One row of the offset table while it is being built (TimeZone::Transition
// is private to the class).
struct Row {
  Time at = 0;
  Duration offset = 0;
};

// Appends "from `at` on, the offset is `offset`" keeping the table minimal:
// equal offsets merge, and a row at the same instant as the last replaces it.
void AppendRow(std::vector<Row>& rows, Time at, Duration offset) {
  if (!rows.empty() && rows.back().at == at) {
    rows.pop_back();
  }
  if (!rows.empty() && rows.back().offset == offset) return;
  rows.push_back({rows.empty() ? kMinTime : at, offset});
}

// A POSIX TZ rule day as found in a TZif footer ("M3.5.0/3", "J60", "59").
struct RuleDay {
  enum class Kind { kMonthWeekDay, kJulian, kZeroBased };
  Kind kind = Kind::kMonthWeekDay;
  int month = 1;                       // Mm.w.d
  int week = 1;                        // 1..5, 5 = the last such weekday of the month
  int weekday = 0;                     // 0 = Sunday
  int number = 0;                      // Jn: 1..365 ignoring Feb 29; n: 0..365 counting it
  Duration time = 2 * kMicrosPerHour;  // local wall time of the change; may be <0 or >24h
};

// The footer's TZ string: std offset [dst [offset] ,start[/time],end[/time]].
// Offsets here are local minus UTC (POSIX writes UTC minus local).
struct PosixZone {
  Duration std_offset = 0;
  bool has_dst = false;
  Duration dst_offset = 0;
  RuleDay dst_start;  // wall time in standard time
  RuleDay dst_end;    // wall time in daylight time
};

class PosixZoneParser {
 public:
  explicit PosixZoneParser(std::string_view text) : text_(text) {}

  std::optional<PosixZone> Parse() {
    PosixZone zone;
    if (!SkipName()) return std::nullopt;
    std::optional<Duration> std_utc_minus_local = ReadHms(24);
    if (!std_utc_minus_local) return std::nullopt;
    zone.std_offset = -*std_utc_minus_local;
    if (AtEnd()) return zone;
    if (!SkipName()) return std::nullopt;
    zone.has_dst = true;
    zone.dst_offset = zone.std_offset + kMicrosPerHour;  // POSIX default: one hour ahead
    if (!AtEnd() && Peek() != ',') {
      std::optional<Duration> dst_utc_minus_local = ReadHms(24);
      if (!dst_utc_minus_local) return std::nullopt;
      zone.dst_offset = -*dst_utc_minus_local;
    }
    // A TZif footer with a daylight name always carries the rule; without
    // one POSIX leaves the dates to the implementation, so refuse to guess.
    if (!Consume(',')) return std::nullopt;
    std::optional<RuleDay> start = ReadRuleDay();
    if (!start || !Consume(',')) return std::nullopt;
    std::optional<RuleDay> end = ReadRuleDay();
    if (!end || !AtEnd()) return std::nullopt;
    zone.dst_start = *start;
    zone.dst_end = *end;
    return zone;
  }

 private:
  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return text_[pos_]; }
  bool Consume(char c) {
    if (AtEnd() || Peek() != c) return false;
    ++pos_;
    return true;
  }
  static bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // "CET" or "<+0530>": the abbreviation itself is not needed.
  bool SkipName() {
    size_t start = pos_;
    if (Consume('<')) {
      while (!AtEnd() && Peek() != '>') ++pos_;
      if (!Consume('>')) return false;
      return pos_ - start > 2;
    }
    while (!AtEnd() && IsAlpha(Peek())) ++pos_;
    return pos_ - start >= 3;
  }

  std::optional<int> ReadNumber(int max_digits) {
    int value = 0;
    int digits = 0;
    while (!AtEnd() && IsDigit(Peek()) && digits < max_digits) {
      value = value * 10 + (Peek() - '0');
      ++pos_;
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    return value;
  }

  // [+-]hh[:mm[:ss]] with hh <= max_hours (24 for offsets, 167 for rule
  // times per RFC 8536 section 3.3.1).
  std::optional<Duration> ReadHms(int max_hours) {
    int sign = 1;
    if (Consume('-')) {
      sign = -1;
    } else {
      Consume('+');
    }
    std::optional<int> hours = ReadNumber(3);
    if (!hours || *hours > max_hours) return std::nullopt;
    Duration value = *hours * kMicrosPerHour;
    if (Consume(':')) {
      std::optional<int> minutes = ReadNumber(2);
      if (!minutes || *minutes > 59) return std::nullopt;
      value += *minutes * kMicrosPerMinute;
      if (Consume(':')) {
        std::optional<int> seconds = ReadNumber(2);
        if (!seconds || *seconds > 59) return std::nullopt;
        value += *seconds * kMicrosPerSecond;
      }
    }
    return sign * value;
  }

  std::optional<RuleDay> ReadRuleDay() {
    RuleDay day;
    if (Consume('M')) {
      std::optional<int> month = ReadNumber(2);
      if (!month || *month < 1 || *month > 12 || !Consume('.')) return std::nullopt;
      std::optional<int> week = ReadNumber(1);
      if (!week || *week < 1 || *week > 5 || !Consume('.')) return std::nullopt;
      std::optional<int> weekday = ReadNumber(1);
      if (!weekday || *weekday > 6) return std::nullopt;
      day.kind = RuleDay::Kind::kMonthWeekDay;
      day.month = *month;
      day.week = *week;
      day.weekday = *weekday;
    } else if (Consume('J')) {
      std::optional<int> number = ReadNumber(3);
      if (!number || *number < 1 || *number > 365) return std::nullopt;
      day.kind = RuleDay::Kind::kJulian;
      day.number = *number;
    } else {
      std::optional<int> number = ReadNumber(3);
      if (!number || *number > 365) return std::nullopt;
      day.kind = RuleDay::Kind::kZeroBased;
      day.number = *number;
    }
    if (Consume('/')) {
      std::optional<Duration> time = ReadHms(167);
      if (!time) return std::nullopt;
      day.time = *time;
    }
    return day;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The local wall time (microseconds as if the wall clock were UTC) at which
// `rule` fires in `year`.
Time RuleWallTime(const RuleDay& rule, int64_t year) {
  int64_t day = 0;
  switch (rule.kind) {
    case RuleDay::Kind::kMonthWeekDay: {
      // The first `weekday` of the month, then (week - 1) weeks on; week 5
      // means the last one, so step back while past the month's end.
      int64_t first = DaysFromCivil(year, rule.month, 1);
      day = first + FloorMod(rule.weekday - WeekdayFromDays(first), 7) + 7 * (rule.week - 1);
      while (day >= first + DaysInMonth(year, rule.month)) day -= 7;
      break;
    }
    case RuleDay::Kind::kJulian:
      // J1..J365 never count February 29: from March on, leap years add one.
      day = DaysFromCivil(year, 1, 1) + rule.number - 1 +
            (IsLeapYear(year) && rule.number >= 60 ? 1 : 0);
      break;
    case RuleDay::Kind::kZeroBased:
      day = DaysFromCivil(year, 1, 1) + rule.number;
      break;
  }
  return day * kMicrosPerDay + rule.time;
}

// Appends the transitions of `zone`'s recurring rule after `after` through
// kLastRuleYear. Per year: daylight starts at start-wall - std_offset (UTC)
// and ends at end-wall - dst_offset. Sorting the instants handles both
// hemispheres and negative DST (Europe/Dublin) alike; on equal instants the
// later-generated event wins, so "DST all year" rules stay in daylight time.
// A rule without daylight time only repeats the last transition's offset.
void AppendRuleTransitions(const PosixZone& zone, Time after, std::vector<Row>& rows) {
  if (!zone.has_dst) return;
  struct Event {
    Time at;
    int order;
    Duration offset;
  };
  std::vector<Event> events;
  // Start one year before `after` so a rule change in late December of the
  // previous year (or with a negative time) is not missed.
  int64_t first_year =
      std::max<int64_t>(CivilFromDays(FloorDiv(after, kMicrosPerDay)).year, 1800) - 1;
  for (int64_t year = first_year; year <= kLastRuleYear; ++year) {
    int order = static_cast<int>(events.size());
    events.push_back(
        {RuleWallTime(zone.dst_start, year) - zone.std_offset, order, zone.dst_offset});
    events.push_back(
        {RuleWallTime(zone.dst_end, year) - zone.dst_offset, order + 1, zone.std_offset});
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.at != b.at ? a.at < b.at : a.order < b.order;
  });
  for (const Event& event : events) {
    if (event.at > after) AppendRow(rows, event.at, event.offset);
  }
}

uint32_t ReadBigEndian32(const std::string& bytes, size_t pos) {
  return (static_cast<uint32_t>(static_cast<unsigned char>(bytes[pos])) << 24) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[pos + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<unsigned char>(bytes[pos + 2])) << 8) |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[pos + 3]));
}

int64_t ReadBigEndian64(const std::string& bytes, size_t pos) {
  return static_cast<int64_t>((static_cast<uint64_t>(ReadBigEndian32(bytes, pos)) << 32) |
                              ReadBigEndian32(bytes, pos + 4));
}

// What a TZif file (RFC 8536) says beyond its transition list: the instant of
// its last transition and the footer's TZ string, which governs every later
// instant. date-tz (built with USE_OS_TZDB) ignores the footer, and Debian's
// files list transitions only through 2037, so after 2037 date-tz would give
// the last listed offset (standard time) forever.
struct TzifTail {
  std::optional<int64_t> last_transition_seconds;
  std::string footer;
};

std::optional<TzifTail> ParseTzifTail(const std::string& bytes) {
  constexpr size_t kHeaderSize = 44;
  struct Counts {
    uint32_t isut, isstd, leap, time, type, chars;
  };
  auto read_header = [&](size_t pos) -> std::optional<Counts> {
    if (bytes.size() < pos + kHeaderSize || bytes.compare(pos, 4, "TZif") != 0) {
      return std::nullopt;
    }
    return Counts{ReadBigEndian32(bytes, pos + 20), ReadBigEndian32(bytes, pos + 24),
                  ReadBigEndian32(bytes, pos + 28), ReadBigEndian32(bytes, pos + 32),
                  ReadBigEndian32(bytes, pos + 36), ReadBigEndian32(bytes, pos + 40)};
  };
  // Size of a data block: transition times and type indices, 6-byte type
  // records, abbreviation chars, leap records (time + correction), and one
  // byte per standard/wall and UT/local indicator.
  auto block_size = [](const Counts& c, size_t time_size) -> uint64_t {
    return uint64_t{c.time} * time_size + c.time + uint64_t{c.type} * 6 + c.chars +
           uint64_t{c.leap} * (time_size + 4) + c.isstd + c.isut;
  };
  std::optional<Counts> v1 = read_header(0);
  if (!v1) return std::nullopt;
  TzifTail tail;
  char version = bytes[4];
  if (version == '\0') {  // version 1: 32-bit times and no footer
    if (kHeaderSize + block_size(*v1, 4) > bytes.size()) return std::nullopt;
    if (v1->time > 0) {
      tail.last_transition_seconds =
          static_cast<int32_t>(ReadBigEndian32(bytes, kHeaderSize + (size_t{v1->time} - 1) * 4));
    }
    return tail;
  }
  uint64_t v2_header = kHeaderSize + block_size(*v1, 4);
  if (v2_header > bytes.size()) return std::nullopt;
  std::optional<Counts> v2 = read_header(v2_header);
  if (!v2) return std::nullopt;
  uint64_t data = v2_header + kHeaderSize;
  uint64_t footer = data + block_size(*v2, 8);
  if (footer >= bytes.size() || bytes[footer] != '\n') return std::nullopt;
  size_t footer_end = bytes.find('\n', footer + 1);
  if (footer_end == std::string::npos) return std::nullopt;
  if (v2->time > 0) {
    tail.last_transition_seconds = ReadBigEndian64(bytes, data + (uint64_t{v2->time} - 1) * 8);
  }
  tail.footer = bytes.substr(footer + 1, footer_end - footer - 1);
  return tail;
}

// The directory date-tz reads on Linux: the uclibc variant when present.
std::filesystem::path TzDirectory() {
  std::error_code error;
  if (std::filesystem::is_directory("/usr/share/zoneinfo/uclibc", error)) {
    return "/usr/share/zoneinfo/uclibc";
  }
  return "/usr/share/zoneinfo";
}

std::optional<std::string> ReadSmallFile(const std::filesystem::path& path) {
  constexpr std::streamsize kMaxBytes = 1 << 20;  // TZif files are a few KiB
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes(kMaxBytes, '\0');
  in.read(bytes.data(), kMaxBytes);
  if (in.bad() || in.gcount() >= kMaxBytes) return std::nullopt;
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

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
// TimeZone

Result<TimeZone> TimeZone::Load(std::string_view name, std::string_view field) {
  auto unknown = [&] {
    return InvalidArgument(
        fmt::format("{}: unknown time zone '{}' (IANA names such as Europe/Berlin)", field, name));
  };
  if (name == "UTC") return Utc();
  // date-tz also knows "localtime" (/etc/localtime): that depends on the
  // machine, so a configuration naming it would mean different budgets on
  // different hosts.
  if (name == "localtime") return unknown();
  const date::time_zone* zone = nullptr;
  try {
    date::get_tzdb();
  } catch (const std::exception& e) {
    return FailedPrecondition(fmt::format(
        "{}: cannot read the time zone database (tzdata) for '{}': {}", field, name, e.what()));
  }
  try {
    zone = date::locate_zone(name);
  } catch (const std::exception&) {
    return unknown();
  }
  auto broken = [&](std::string_view why) {
    return FailedPrecondition(
        fmt::format("{}: the tzdata for time zone '{}' is unusable: {}", field, name, why));
  };

  // 1. Every interval date-tz reports, from its first (year -32767) to its
  // last, which ends at date-tz's "forever" (year 32767).
  std::vector<Row> rows;
  const date::sys_seconds forever_after{date::sys_days{date::year{10'000} / 1 / 1}};
  date::sys_seconds at{date::sys_days{date::year::min() / 1 / 1}};
  int64_t last_begin_seconds = 0;
  try {
    for (int guard = 0;; ++guard) {
      if (guard > 100'000) return broken("too many transitions");
      date::sys_info info = zone->get_info(at);
      Duration offset = info.offset.count() * kMicrosPerSecond;
      if (offset > kMaxOffset || offset < -kMaxOffset) return broken("an offset beyond 26 hours");
      last_begin_seconds = info.begin.time_since_epoch().count();
      AppendRow(rows, SecondsToTime(last_begin_seconds), offset);
      if (info.end >= forever_after || info.end <= at) break;
      at = info.end;
    }
  } catch (const std::exception& e) {
    return broken(e.what());
  }
  // With a single offset there is no transition; the rule then starts early.
  Time last_transition = rows.size() == 1 ? kMinTime : SecondsToTime(last_begin_seconds);

  // 2. After the file's last transition its footer rule applies (RFC 8536
  // section 3.3); expand it through kLastRuleYear.
  std::filesystem::path path = TzDirectory() / zone->name();
  std::optional<std::string> bytes = ReadSmallFile(path);
  if (!bytes) return broken(fmt::format("cannot read {}", path.string()));
  std::optional<TzifTail> tail = ParseTzifTail(*bytes);
  if (!tail) return broken(fmt::format("{} is not a TZif file", path.string()));
  if (!tail->footer.empty()) {
    std::optional<PosixZone> rule = PosixZoneParser(tail->footer).Parse();
    if (!rule) {
      return broken(fmt::format("unsupported rule '{}' in {}", tail->footer, path.string()));
    }
    if (std::max(rule->std_offset, rule->dst_offset) > kMaxOffset ||
        std::min(rule->std_offset, rule->dst_offset) < -kMaxOffset) {
      return broken("an offset beyond 26 hours");
    }
    if (tail->last_transition_seconds) {
      last_transition = std::max(last_transition, SecondsToTime(*tail->last_transition_seconds));
    }
    AppendRuleTransitions(*rule, last_transition, rows);
  }

  TimeZone result;
  result.name_ = std::string(name);
  result.transitions_.reserve(rows.size());
  for (const Row& row : rows) result.transitions_.push_back({row.at, row.offset});
  return result;
}

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
  // Years 0000-9999 as RFC 3339 requires; others (only reachable near the
  // ends of the int64 range) in ISO 8601's expanded form with a sign.
  std::string year;
  if (date.year < 0) {
    year = fmt::format("-{:04}", -date.year);
  } else if (date.year > 9999) {
    year = fmt::format("+{}", date.year);
  } else {
    year = fmt::format("{:04}", date.year);
  }
  std::string text = fmt::format("{}-{:02}-{:02}T{:02}:{:02}:{:02}", year, date.month, date.day,
                                 second_of_day / 3600, second_of_day / 60 % 60, second_of_day % 60);
  if (micros != 0) text += fmt::format(".{:06}", micros);
  text += 'Z';
  return text;
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
