#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/time.h"

namespace allot {

inline constexpr Time kForever = std::numeric_limits<Time>::max();

// The UTC offsets of one IANA time zone, read once from the system's time
// zone database (tzdata) when configuration loads and kept as a table of
// transitions, so the engine converts calendar dates with no I/O. Value type.
class TimeZone {
 public:
  // "UTC", "Europe/Berlin", "America/New_York"... NotFound-style
  // InvalidArgument naming `field` when the zone is unknown.
  static Result<TimeZone> Load(std::string_view name, std::string_view field = "time_zone");
  static TimeZone Utc();

  const std::string& name() const { return name_; }
  // Local time minus UTC at instant `utc` (e.g. +1h for Berlin in winter).
  Duration OffsetAt(Time utc) const;
  // The UTC instant of local wall time `local` (microseconds since the epoch
  // as if the wall clock were UTC). In a gap (spring forward) the first
  // instant after the gap; when ambiguous (fall back) the earlier instant.
  Time LocalToUtc(Time local) const;

  friend bool operator==(const TimeZone&, const TimeZone&) = default;

 private:
  struct Transition {
    Time at = 0;          // UTC instant from which `offset` applies
    Duration offset = 0;  // local - UTC
    friend bool operator==(const Transition&, const Transition&) = default;
  };
  std::string name_;
  std::vector<Transition> transitions_;  // sorted by `at`; first at the min time
};

enum class PeriodKind : uint8_t { kNone, kDaily, kWeekly, kMonthly, kEvery };

// A budget's period: calendar-aligned (daily at local midnight, weekly on
// `week_start`, monthly on the 1st) in a time zone, or every `every` from
// `anchor`. kNone: one period for all time.
struct PeriodSpec {
  PeriodKind kind = PeriodKind::kNone;
  Duration every = 0;  // kEvery only, > 0
  Time anchor = 0;     // kEvery only: the start of one period (UTC)
  int week_start = 1;  // kWeekly: 0 = Sunday, 1 = Monday ... 6 = Saturday
  friend bool operator==(const PeriodSpec&, const PeriodSpec&) = default;
};

// [start, end) of the period holding `t`; kNone gives [min, kForever).
struct PeriodBounds {
  Time start = 0;
  Time end = kForever;
  friend bool operator==(const PeriodBounds&, const PeriodBounds&) = default;
};
PeriodBounds PeriodAt(const PeriodSpec& spec, const TimeZone& zone, Time t);

// "daily", "weekly", "monthly", "none", or a duration "14d" / "12h" (kEvery).
std::string PeriodName(const PeriodSpec& spec);

// RFC 3339 in UTC with microseconds dropped when zero: "2026-11-21T09:30:00Z".
std::string FormatUtc(Time utc);
// Parses "2026-11-21T09:30:00Z", "2026-11-21T10:30:00+01:00" or a date
// "2026-11-21" (local midnight in `zone`). InvalidArgument naming `field`.
Result<Time> ParseTimestamp(std::string_view text, const TimeZone& zone, std::string_view field);

}  // namespace allot
