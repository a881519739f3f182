#include "budget/calendar.h"

// <date/tz.h> is heavy and is only needed to read tzdata while a zone loads;
// it stays in this file so the rest of allot never sees it.
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

#include "budget/civil_time.h"
#include "common/check.h"

// Debian builds date-tz with USE_OS_TZDB=1: it reads the compiled TZif files
// under /usr/share/zoneinfo and has no remote API (no curl, no downloads).
// Fail the build rather than link a copy that might reach for the network.
static_assert(USE_OS_TZDB == 1 && HAS_REMOTE_API == 0,
              "calendar.cc expects date-tz built on the system tzdata without the remote API");

// TimeZone::Load: the zone's transitions from tzdata (via date-tz), then its
// recurring rule (the TZif footer) expanded through kLastRuleYear.
namespace allot {
namespace {

using namespace calendar_internal;  // NOLINT(google-build-using-namespace)

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

}  // namespace allot
