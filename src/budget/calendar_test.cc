#include "budget/calendar.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace allot {
namespace {

constexpr Duration kMinute = Seconds(60);
constexpr Duration kHour = Seconds(3600);
constexpr Duration kDay = 24 * kHour;
constexpr Time kMinTime = std::numeric_limits<Time>::min();

// An instant from RFC 3339 text; ParseTimestamp itself is pinned to epoch
// numbers in CalendarTest below.
Time T(std::string_view text) {
  Result<Time> parsed = ParseTimestamp(text, TimeZone::Utc(), "test");
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  return parsed.ok() ? *parsed : 0;
}

TimeZone Zone(std::string_view name) {
  Result<TimeZone> zone = TimeZone::Load(name);
  EXPECT_TRUE(zone.ok()) << zone.status().ToString();
  return zone.ok() ? *zone : TimeZone::Utc();
}

PeriodSpec Daily() { return {.kind = PeriodKind::kDaily}; }
PeriodSpec Weekly(int week_start) {
  return {.kind = PeriodKind::kWeekly, .week_start = week_start};
}
PeriodSpec Monthly() { return {.kind = PeriodKind::kMonthly}; }
PeriodSpec Every(Duration every, Time anchor) {
  return {.kind = PeriodKind::kEvery, .every = every, .anchor = anchor};
}

PeriodBounds Bounds(std::string_view start, std::string_view end) { return {T(start), T(end)}; }

// Checks the half-open contract at both edges: start and end - 1 belong to
// the period, start - 1 to the previous one and end to the next.
void ExpectPeriodEdges(const PeriodSpec& spec, const TimeZone& zone, const PeriodBounds& bounds) {
  EXPECT_EQ(PeriodAt(spec, zone, bounds.start), bounds) << FormatUtc(bounds.start);
  EXPECT_EQ(PeriodAt(spec, zone, bounds.end - 1), bounds) << FormatUtc(bounds.end - 1);
  EXPECT_EQ(PeriodAt(spec, zone, bounds.start - 1).end, bounds.start);
  EXPECT_EQ(PeriodAt(spec, zone, bounds.end).start, bounds.end);
}

// ---------------------------------------------------------------------------
// TimeZone

TEST(TimeZoneTest, UtcHasNoOffset) {
  TimeZone utc = TimeZone::Utc();
  EXPECT_EQ(utc.name(), "UTC");
  for (Time t :
       {kMinTime, T("1969-12-31T23:59:59Z"), Time{0}, T("2026-07-01T12:00:00Z"), kForever}) {
    EXPECT_EQ(utc.OffsetAt(t), 0);
    EXPECT_EQ(utc.LocalToUtc(t), t);
  }
  Result<TimeZone> loaded = TimeZone::Load("UTC");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(*loaded, utc);
  TimeZone etc_utc = Zone("Etc/UTC");
  EXPECT_EQ(etc_utc.name(), "Etc/UTC");
  EXPECT_EQ(etc_utc.OffsetAt(T("2150-07-01T00:00:00Z")), 0);
}

TEST(TimeZoneTest, DefaultConstructedActsAsUtc) {
  TimeZone zone;
  EXPECT_EQ(zone.OffsetAt(T("2026-07-01T00:00:00Z")), 0);
  EXPECT_EQ(zone.LocalToUtc(12345), 12345);
  EXPECT_EQ(PeriodAt(Daily(), zone, T("2026-07-01T10:00:00Z")),
            Bounds("2026-07-01T00:00:00Z", "2026-07-02T00:00:00Z"));
}

TEST(TimeZoneTest, UnknownZoneNamesTheField) {
  Result<TimeZone> zone = TimeZone::Load("Mars/Base", "budgets[2].time_zone");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(zone.status().message(),
            "budgets[2].time_zone: unknown time zone 'Mars/Base' (IANA names such as "
            "Europe/Berlin)");
  EXPECT_EQ(TimeZone::Load("Nowhere").status().message(),
            "time_zone: unknown time zone 'Nowhere' (IANA names such as Europe/Berlin)");
  // Case matters; tzdata's auxiliary files, directories and paths are not
  // zones; "localtime" would depend on the machine.
  for (const char* bad : {"", "europe/berlin", "Europe", "Europe/", "zone.tab", "posixrules",
                          "right/UTC", "posix/Europe/Berlin", "../../etc/passwd",
                          "/usr/share/zoneinfo/UTC", "localtime", "Europe/Berlin "}) {
    Result<TimeZone> loaded = TimeZone::Load(bad, "f");
    ASSERT_FALSE(loaded.ok()) << bad;
    EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(loaded.status().message().rfind("f: unknown time zone '", 0), 0u) << bad;
  }
}

TEST(TimeZoneTest, LoadIsDeterministicAndKeepsTheGivenName) {
  TimeZone first = Zone("Europe/Berlin");
  TimeZone second = Zone("Europe/Berlin");
  EXPECT_EQ(first, second);
  EXPECT_EQ(first.name(), "Europe/Berlin");
  // A backward-compatible link gives the same offsets under its own name.
  TimeZone calcutta = Zone("Asia/Calcutta");
  TimeZone kolkata = Zone("Asia/Kolkata");
  EXPECT_EQ(calcutta.name(), "Asia/Calcutta");
  EXPECT_NE(calcutta, kolkata);
  for (Time t = T("1940-01-01T00:00:00Z"); t < T("2040-01-01T00:00:00Z"); t += 97 * kDay) {
    EXPECT_EQ(calcutta.OffsetAt(t), kolkata.OffsetAt(t)) << FormatUtc(t);
  }
}

TEST(TimeZoneTest, BerlinWinterAndSummer) {
  TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(T("2026-01-15T12:00:00Z")), kHour);
  EXPECT_EQ(berlin.OffsetAt(T("2026-07-15T12:00:00Z")), 2 * kHour);
  // Spring forward at 01:00 UTC on the last Sunday of March.
  EXPECT_EQ(berlin.OffsetAt(T("2026-03-29T01:00:00Z") - 1), kHour);
  EXPECT_EQ(berlin.OffsetAt(T("2026-03-29T01:00:00Z")), 2 * kHour);
  // Fall back at 01:00 UTC on the last Sunday of October.
  EXPECT_EQ(berlin.OffsetAt(T("2026-10-25T01:00:00Z") - 1), 2 * kHour);
  EXPECT_EQ(berlin.OffsetAt(T("2026-10-25T01:00:00Z")), kHour);
  // History before 1970: no DST in 1960, double summer time in 1945.
  EXPECT_EQ(berlin.OffsetAt(T("1960-07-01T00:00:00Z")), kHour);
  EXPECT_EQ(berlin.OffsetAt(T("1945-06-01T00:00:00Z")), 3 * kHour);
}

TEST(TimeZoneTest, BerlinLocalToUtcInGapsAndOverlaps) {
  TimeZone berlin = Zone("Europe/Berlin");
  auto local = [](std::string_view wall) { return T(wall); };  // wall clock read as if UTC
  EXPECT_EQ(berlin.LocalToUtc(local("2026-01-15T12:00:00Z")), T("2026-01-15T11:00:00Z"));
  EXPECT_EQ(berlin.LocalToUtc(local("2026-07-15T12:00:00Z")), T("2026-07-15T10:00:00Z"));
  // 02:00-03:00 on 2026-03-29 never happens: the first instant after the gap.
  EXPECT_EQ(berlin.LocalToUtc(local("2026-03-29T02:00:00Z")), T("2026-03-29T01:00:00Z"));
  EXPECT_EQ(berlin.LocalToUtc(local("2026-03-29T02:30:00Z")), T("2026-03-29T01:00:00Z"));
  EXPECT_EQ(berlin.LocalToUtc(local("2026-03-29T03:00:00Z") - 1), T("2026-03-29T01:00:00Z"));
  EXPECT_EQ(berlin.LocalToUtc(local("2026-03-29T03:00:00Z")), T("2026-03-29T01:00:00Z"));
  EXPECT_EQ(berlin.LocalToUtc(local("2026-03-29T01:59:59Z")), T("2026-03-29T00:59:59Z"));
  // 02:00-03:00 on 2026-10-25 happens twice: the earlier (CEST) instant.
  EXPECT_EQ(berlin.LocalToUtc(local("2026-10-25T02:00:00Z")), T("2026-10-25T00:00:00Z"));
  EXPECT_EQ(berlin.LocalToUtc(local("2026-10-25T02:30:00Z")), T("2026-10-25T00:30:00Z"));
  EXPECT_EQ(berlin.LocalToUtc(local("2026-10-25T03:00:00Z")), T("2026-10-25T02:00:00Z"));
}

TEST(TimeZoneTest, KolkataHalfHourOffset) {
  TimeZone kolkata = Zone("Asia/Kolkata");
  Duration ist = 5 * kHour + 30 * kMinute;
  for (std::string_view when :
       {"1980-01-01T00:00:00Z", "2026-06-01T00:00:00Z", "2150-12-31T23:59:59Z"}) {
    EXPECT_EQ(kolkata.OffsetAt(T(when)), ist) << when;
  }
  EXPECT_EQ(kolkata.LocalToUtc(T("2026-11-22T00:00:00Z")), T("2026-11-21T18:30:00Z"));
}

TEST(TimeZoneTest, LordHoweShiftsByThirtyMinutes) {
  TimeZone lord_howe = Zone("Australia/Lord_Howe");
  Duration standard = 10 * kHour + 30 * kMinute;
  Duration daylight = 11 * kHour;
  // Southern hemisphere: daylight time in January, standard in July.
  EXPECT_EQ(lord_howe.OffsetAt(T("2026-01-15T00:00:00Z")), daylight);
  EXPECT_EQ(lord_howe.OffsetAt(T("2026-07-15T00:00:00Z")), standard);
  // First Sunday of October 2026 (the 4th), 02:00 -> 02:30 local.
  EXPECT_EQ(lord_howe.OffsetAt(T("2026-10-03T15:30:00Z") - 1), standard);
  EXPECT_EQ(lord_howe.OffsetAt(T("2026-10-03T15:30:00Z")), daylight);
  EXPECT_EQ(lord_howe.LocalToUtc(T("2026-10-04T02:15:00Z")), T("2026-10-03T15:30:00Z"));
  // First Sunday of April 2026 (the 5th), 02:00 -> 01:30 local: 01:30-02:00
  // happens twice, the earlier instant wins.
  EXPECT_EQ(lord_howe.LocalToUtc(T("2026-04-05T01:45:00Z")), T("2026-04-04T14:45:00Z"));
  EXPECT_EQ(lord_howe.LocalToUtc(T("2026-04-05T02:00:00Z")), T("2026-04-04T15:30:00Z"));
}

TEST(TimeZoneTest, NegativeDaylightSavingInDublin) {
  // Irish Standard Time (+1) is the "standard" time in tzdata and winter GMT
  // is a negative DST; the offsets must still be +1 in summer, 0 in winter,
  // also where they come from the recurring rule after 2037.
  TimeZone dublin = Zone("Europe/Dublin");
  for (int year : {2026, 2050, 2199}) {
    EXPECT_EQ(dublin.OffsetAt(T(std::to_string(year) + "-01-15T12:00:00Z")), 0) << year;
    EXPECT_EQ(dublin.OffsetAt(T(std::to_string(year) + "-07-15T12:00:00Z")), kHour) << year;
  }
}

TEST(TimeZoneTest, RuleBasedZonesKeepDaylightTimeThrough2200) {
  // tzdata lists transitions only through 2037; the zone's recurring rule
  // must continue them, in both hemispheres.
  struct Case {
    const char* zone;
    Duration january;
    Duration july;
  };
  for (const Case& c :
       {Case{"Europe/Berlin", kHour, 2 * kHour}, Case{"America/New_York", -5 * kHour, -4 * kHour},
        Case{"Australia/Sydney", 11 * kHour, 10 * kHour},
        Case{"America/Santiago", -3 * kHour, -4 * kHour},
        Case{"Pacific/Chatham", 13 * kHour + 45 * kMinute, 12 * kHour + 45 * kMinute}}) {
    TimeZone zone = Zone(c.zone);
    for (int year : {2038, 2100, 2150, 2200}) {
      EXPECT_EQ(zone.OffsetAt(T(std::to_string(year) + "-01-15T12:00:00Z")), c.january)
          << c.zone << " " << year;
      EXPECT_EQ(zone.OffsetAt(T(std::to_string(year) + "-07-15T12:00:00Z")), c.july)
          << c.zone << " " << year;
    }
  }
  // Berlin in 2100: the last Sundays of March and October are the 28th and 31st.
  TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(T("2100-03-28T01:00:00Z") - 1), kHour);
  EXPECT_EQ(berlin.OffsetAt(T("2100-03-28T01:00:00Z")), 2 * kHour);
  EXPECT_EQ(berlin.OffsetAt(T("2100-10-31T01:00:00Z") - 1), 2 * kHour);
  EXPECT_EQ(berlin.OffsetAt(T("2100-10-31T01:00:00Z")), kHour);
}

// The C library reads the same TZif files, footer rule included, so it is an
// independent oracle for the table: compare offsets from 1970 through 2200.
TEST(TimeZoneTest, OffsetsMatchTheCLibrary) {
  const char* saved = std::getenv("TZ");
  std::optional<std::string> saved_tz = saved ? std::optional<std::string>(saved) : std::nullopt;
  for (const char* name :
       {"Europe/Berlin", "Europe/London", "Europe/Dublin", "America/New_York", "America/Santiago",
        "America/Havana", "America/Nuuk", "America/St_Johns", "Asia/Kolkata", "Asia/Jerusalem",
        "Asia/Beirut", "Asia/Gaza", "Africa/Cairo", "Africa/Casablanca", "Australia/Lord_Howe",
        "Australia/Adelaide", "Pacific/Chatham", "Pacific/Apia", "Antarctica/Troll"}) {
    TimeZone zone = Zone(name);
    setenv("TZ", (std::string(":") + name).c_str(), 1);
    tzset();
    int mismatches = 0;
    // Every 61 hours and 7 minutes: walks through all hours of the day.
    for (Time t = 0; t < T("2201-01-01T00:00:00Z"); t += 61 * kHour + 7 * kMinute) {
      time_t seconds = static_cast<time_t>(t / kMicrosPerSecond);
      struct tm local {};
      ASSERT_NE(localtime_r(&seconds, &local), nullptr);
      if (Seconds(local.tm_gmtoff) != zone.OffsetAt(t) && ++mismatches <= 3) {
        ADD_FAILURE() << name << " at " << FormatUtc(t) << ": libc " << local.tm_gmtoff
                      << "s, table " << zone.OffsetAt(t) / kMicrosPerSecond << "s";
      }
    }
  }
  if (saved_tz) {
    setenv("TZ", saved_tz->c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST(TimeZoneTest, LocalToUtcInvertsOffsetAt) {
  for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                           "America/Havana", "Pacific/Apia", "Asia/Kolkata"}) {
    TimeZone zone = Zone(name);
    for (Time t = T("1965-01-01T00:00:00Z"); t < T("2205-01-01T00:00:00Z");
         t += 5 * kDay + 3 * kHour + 11 * kMinute) {
      Time local = t + zone.OffsetAt(t);
      Time back = zone.LocalToUtc(local);
      // Exactly t, or the earlier instant of the same wall time.
      EXPECT_LE(back, t) << name << " " << FormatUtc(t);
      EXPECT_EQ(back + zone.OffsetAt(back), local) << name << " " << FormatUtc(t);
    }
  }
}

// ---------------------------------------------------------------------------
// PeriodAt

TEST(PeriodTest, NoneIsOnePeriodForAllTime) {
  PeriodSpec none;
  EXPECT_EQ(none.kind, PeriodKind::kNone);
  for (Time t : {kMinTime, Time{-1}, Time{0}, T("2026-11-21T09:30:00Z"), kForever - 1}) {
    EXPECT_EQ(PeriodAt(none, Zone("Europe/Berlin"), t), (PeriodBounds{kMinTime, kForever}));
  }
}

TEST(PeriodTest, UtcDailyWeeklyMonthly) {
  TimeZone utc = TimeZone::Utc();
  Time t = T("2026-11-21T09:30:00Z");  // a Saturday
  EXPECT_EQ(PeriodAt(Daily(), utc, t), Bounds("2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z"));
  EXPECT_EQ(PeriodAt(Weekly(1), utc, t), Bounds("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z"));
  EXPECT_EQ(PeriodAt(Monthly(), utc, t), Bounds("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"));
  EXPECT_EQ(PeriodAt(Monthly(), utc, T("2026-12-31T23:59:59Z")),
            Bounds("2026-12-01T00:00:00Z", "2027-01-01T00:00:00Z"));
  // Before 1970.
  EXPECT_EQ(PeriodAt(Daily(), utc, -1), Bounds("1969-12-31T00:00:00Z", "1970-01-01T00:00:00Z"));
  EXPECT_EQ(PeriodAt(Monthly(), utc, T("1900-02-15T00:00:00Z")),
            Bounds("1900-02-01T00:00:00Z", "1900-03-01T00:00:00Z"));
}

TEST(PeriodTest, BoundariesAreHalfOpen) {
  TimeZone utc = TimeZone::Utc();
  PeriodBounds day = Bounds("2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z");
  EXPECT_EQ(PeriodAt(Daily(), utc, day.start), day);
  EXPECT_EQ(PeriodAt(Daily(), utc, day.end - 1), day);
  EXPECT_EQ(PeriodAt(Daily(), utc, day.end),
            Bounds("2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z"));
  EXPECT_EQ(PeriodAt(Daily(), utc, day.start - 1),
            Bounds("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"));
  ExpectPeriodEdges(Daily(), utc, day);
  ExpectPeriodEdges(Monthly(), Zone("America/New_York"),
                    Bounds("2026-10-01T04:00:00Z", "2026-11-01T04:00:00Z"));
}

TEST(PeriodTest, BerlinDaysOf23And25Hours) {
  TimeZone berlin = Zone("Europe/Berlin");
  EXPECT_EQ(PeriodAt(Daily(), berlin, T("2026-01-15T12:00:00Z")),
            Bounds("2026-01-14T23:00:00Z", "2026-01-15T23:00:00Z"));
  EXPECT_EQ(PeriodAt(Daily(), berlin, T("2026-07-15T12:00:00Z")),
            Bounds("2026-07-14T22:00:00Z", "2026-07-15T22:00:00Z"));
  // Sunday 2026-03-29 (spring forward) has 23 hours.
  PeriodBounds short_day = PeriodAt(Daily(), berlin, T("2026-03-29T12:00:00Z"));
  EXPECT_EQ(short_day, Bounds("2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"));
  EXPECT_EQ(short_day.end - short_day.start, 23 * kHour);
  ExpectPeriodEdges(Daily(), berlin, short_day);
  // Sunday 2026-10-25 (fall back) has 25 hours.
  PeriodBounds long_day = PeriodAt(Daily(), berlin, T("2026-10-25T12:00:00Z"));
  EXPECT_EQ(long_day, Bounds("2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"));
  EXPECT_EQ(long_day.end - long_day.start, 25 * kHour);
  ExpectPeriodEdges(Daily(), berlin, long_day);
  // Both passes through 02:30 local belong to the same day.
  EXPECT_EQ(PeriodAt(Daily(), berlin, T("2026-10-25T00:30:00Z")), long_day);
  EXPECT_EQ(PeriodAt(Daily(), berlin, T("2026-10-25T01:30:00Z")), long_day);
  // The week holding the short day is an hour short.
  PeriodBounds week = PeriodAt(Weekly(1), berlin, T("2026-03-29T12:00:00Z"));
  EXPECT_EQ(week, Bounds("2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z"));
  EXPECT_EQ(week.end - week.start, 7 * kDay - kHour);
}

TEST(PeriodTest, NewYorkMonthsStartAtLocalMidnight) {
  TimeZone new_york = Zone("America/New_York");
  // October 1 and November 1 are both in EDT (-4): DST ends at 02:00 on the
  // first Sunday of November, after midnight of November 1. December 1 is EST.
  PeriodBounds october = PeriodAt(Monthly(), new_york, T("2026-10-15T12:00:00Z"));
  EXPECT_EQ(october, Bounds("2026-10-01T04:00:00Z", "2026-11-01T04:00:00Z"));
  EXPECT_EQ(october.end - october.start, 31 * kDay);
  PeriodBounds november = PeriodAt(Monthly(), new_york, T("2026-11-15T12:00:00Z"));
  EXPECT_EQ(november, Bounds("2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z"));
  EXPECT_EQ(november.end - november.start, 30 * kDay + kHour);
  ExpectPeriodEdges(Monthly(), new_york, november);
  // March: from EST into EDT, an hour short.
  PeriodBounds march = PeriodAt(Monthly(), new_york, T("2026-03-15T12:00:00Z"));
  EXPECT_EQ(march, Bounds("2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z"));
  // 2026-11-01T03:00Z is still October 31 in New York (23:00 EDT).
  EXPECT_EQ(PeriodAt(Monthly(), new_york, T("2026-11-01T03:00:00Z")), october);
  // The 25-hour day of November 1.
  EXPECT_EQ(PeriodAt(Daily(), new_york, T("2026-11-01T12:00:00Z")),
            Bounds("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"));
}

TEST(PeriodTest, LeapYearFebruary) {
  TimeZone utc = TimeZone::Utc();
  PeriodBounds february_2028 = PeriodAt(Monthly(), utc, T("2028-02-10T00:00:00Z"));
  EXPECT_EQ(february_2028, Bounds("2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"));
  EXPECT_EQ(february_2028.end - february_2028.start, 29 * kDay);
  EXPECT_EQ(PeriodAt(Monthly(), utc, T("2028-02-29T23:59:59Z")), february_2028);
  EXPECT_EQ(PeriodAt(Daily(), utc, T("2028-02-29T12:00:00Z")),
            Bounds("2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z"));
  // 2026 is not a leap year, nor is 2100 (divisible by 100); 2000 is (by 400).
  PeriodBounds february_2026 = PeriodAt(Monthly(), utc, T("2026-02-10T00:00:00Z"));
  EXPECT_EQ(february_2026.end - february_2026.start, 28 * kDay);
  PeriodBounds february_2100 = PeriodAt(Monthly(), utc, T("2100-02-10T00:00:00Z"));
  EXPECT_EQ(february_2100, Bounds("2100-02-01T00:00:00Z", "2100-03-01T00:00:00Z"));
  EXPECT_EQ(february_2100.end - february_2100.start, 28 * kDay);
  PeriodBounds february_2000 = PeriodAt(Monthly(), utc, T("2000-02-10T00:00:00Z"));
  EXPECT_EQ(february_2000.end - february_2000.start, 29 * kDay);
  // In Berlin the leap month runs from local midnight to local midnight.
  EXPECT_EQ(PeriodAt(Monthly(), Zone("Europe/Berlin"), T("2028-02-29T22:59:59Z")),
            Bounds("2028-01-31T23:00:00Z", "2028-02-29T23:00:00Z"));
}

TEST(PeriodTest, WeeksStartOnTheConfiguredWeekday) {
  TimeZone utc = TimeZone::Utc();
  Time saturday = T("2026-11-21T09:30:00Z");
  Time sunday = T("2026-11-22T09:30:00Z");
  Time monday = T("2026-11-23T00:00:00Z");
  PeriodBounds monday_week = Bounds("2026-11-16T00:00:00Z", "2026-11-23T00:00:00Z");
  PeriodBounds sunday_week = Bounds("2026-11-15T00:00:00Z", "2026-11-22T00:00:00Z");
  EXPECT_EQ(PeriodAt(Weekly(1), utc, saturday), monday_week);
  EXPECT_EQ(PeriodAt(Weekly(1), utc, sunday), monday_week);
  EXPECT_EQ(PeriodAt(Weekly(1), utc, monday),
            Bounds("2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z"));
  EXPECT_EQ(PeriodAt(Weekly(0), utc, saturday), sunday_week);
  EXPECT_EQ(PeriodAt(Weekly(0), utc, sunday),
            Bounds("2026-11-22T00:00:00Z", "2026-11-29T00:00:00Z"));
  EXPECT_EQ(PeriodAt(Weekly(6), utc, saturday),
            Bounds("2026-11-21T00:00:00Z", "2026-11-28T00:00:00Z"));
  ExpectPeriodEdges(Weekly(1), utc, monday_week);
  ExpectPeriodEdges(Weekly(0), utc, sunday_week);
  // Every start day: the week starts on that weekday, within the last 7 days.
  for (int week_start = 0; week_start <= 6; ++week_start) {
    PeriodBounds week = PeriodAt(Weekly(week_start), utc, saturday);
    EXPECT_EQ(week.end - week.start, 7 * kDay);
    EXPECT_LE(week.start, saturday);
    EXPECT_GT(week.start, saturday - 7 * kDay);
    // 1970-01-01 (day 0) was a Thursday (weekday 4).
    EXPECT_EQ(((week.start / kDay) % 7 + 4) % 7, week_start);
  }
  // In New York the week starts at local midnight on Monday.
  EXPECT_EQ(PeriodAt(Weekly(1), Zone("America/New_York"), saturday),
            Bounds("2026-11-16T05:00:00Z", "2026-11-23T05:00:00Z"));
}

TEST(PeriodTest, KolkataPeriods) {
  TimeZone kolkata = Zone("Asia/Kolkata");
  // 20:00Z is 01:30 on the next local day.
  EXPECT_EQ(PeriodAt(Daily(), kolkata, T("2026-11-21T20:00:00Z")),
            Bounds("2026-11-21T18:30:00Z", "2026-11-22T18:30:00Z"));
  EXPECT_EQ(PeriodAt(Daily(), kolkata, T("2026-11-21T18:29:59Z")),
            Bounds("2026-11-20T18:30:00Z", "2026-11-21T18:30:00Z"));
  EXPECT_EQ(PeriodAt(Monthly(), kolkata, T("2026-11-30T19:00:00Z")),
            Bounds("2026-11-30T18:30:00Z", "2026-12-31T18:30:00Z"));
}

TEST(PeriodTest, LordHoweDaysOf23AndAHalfAnd24AndAHalfHours) {
  TimeZone lord_howe = Zone("Australia/Lord_Howe");
  PeriodBounds short_day = PeriodAt(Daily(), lord_howe, T("2026-10-04T00:00:00Z"));
  EXPECT_EQ(short_day, Bounds("2026-10-03T13:30:00Z", "2026-10-04T13:00:00Z"));
  EXPECT_EQ(short_day.end - short_day.start, 23 * kHour + 30 * kMinute);
  ExpectPeriodEdges(Daily(), lord_howe, short_day);
  PeriodBounds long_day = PeriodAt(Daily(), lord_howe, T("2026-04-05T00:00:00Z"));
  EXPECT_EQ(long_day, Bounds("2026-04-04T13:00:00Z", "2026-04-05T13:30:00Z"));
  EXPECT_EQ(long_day.end - long_day.start, 24 * kHour + 30 * kMinute);
  ExpectPeriodEdges(Daily(), lord_howe, long_day);
}

TEST(PeriodTest, MidnightSkippedByDaylightSavingTime) {
  // Havana springs forward at 00:00 on the second Sunday of March
  // ("CST5CDT,M3.2.0/0,M11.1.0/1"): 2026-03-08 starts at 01:00 CDT.
  TimeZone havana = Zone("America/Havana");
  PeriodBounds spring = PeriodAt(Daily(), havana, T("2026-03-08T12:00:00Z"));
  EXPECT_EQ(spring, Bounds("2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"));
  EXPECT_EQ(spring.start + havana.OffsetAt(spring.start), T("2026-03-08T01:00:00Z"));
  ExpectPeriodEdges(Daily(), havana, spring);
  EXPECT_EQ(PeriodAt(Daily(), havana, T("2026-03-08T05:00:00Z") - 1),
            Bounds("2026-03-07T05:00:00Z", "2026-03-08T05:00:00Z"));
  // Its fall back (01:00 CDT -> 00:00 CST on 2026-11-01) repeats midnight:
  // the day starts at the earlier one and has 25 hours.
  PeriodBounds fall = PeriodAt(Daily(), havana, T("2026-11-01T12:00:00Z"));
  EXPECT_EQ(fall, Bounds("2026-11-01T04:00:00Z", "2026-11-02T05:00:00Z"));
  EXPECT_EQ(PeriodAt(Daily(), havana, T("2026-11-01T05:30:00Z")), fall);  // second 00:30
  // A week starting on Sundays starts at that first instant too.
  EXPECT_EQ(PeriodAt(Weekly(0), havana, T("2026-03-10T12:00:00Z")),
            Bounds("2026-03-08T05:00:00Z", "2026-03-15T04:00:00Z"));
  // Beirut skips 00:00 on the last Sunday of March ("M3.5.0/0"): 2026-03-29
  // starts at 01:00 EEST.
  TimeZone beirut = Zone("Asia/Beirut");
  EXPECT_EQ(PeriodAt(Daily(), beirut, T("2026-03-29T12:00:00Z")),
            Bounds("2026-03-28T22:00:00Z", "2026-03-29T21:00:00Z"));
  // Santiago changes clocks at 24:00 on Saturdays: 2026-09-06 loses its
  // midnight, and on 2026-04-04 the hour before midnight repeats.
  TimeZone santiago = Zone("America/Santiago");
  PeriodBounds santiago_spring = PeriodAt(Daily(), santiago, T("2026-09-06T12:00:00Z"));
  EXPECT_EQ(santiago_spring, Bounds("2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"));
  ExpectPeriodEdges(Daily(), santiago, santiago_spring);
  PeriodBounds santiago_fall = PeriodAt(Daily(), santiago, T("2026-04-04T12:00:00Z"));
  EXPECT_EQ(santiago_fall, Bounds("2026-04-04T03:00:00Z", "2026-04-05T04:00:00Z"));
  EXPECT_EQ(PeriodAt(Daily(), santiago, T("2026-04-05T03:30:00Z")), santiago_fall);
  // The same rule from the recurring footer, a century on: the first
  // Saturday of September 2126 is the 7th.
  EXPECT_EQ(PeriodAt(Daily(), santiago, T("2126-09-08T12:00:00Z")),
            Bounds("2126-09-08T04:00:00Z", "2126-09-09T03:00:00Z"));
}

TEST(PeriodTest, SkippedDayInSamoa) {
  // Samoa crossed the date line: 2011-12-29 23:59:59 (-10) was followed by
  // 2011-12-31 00:00:00 (+14). December 30 has no instant at all.
  TimeZone apia = Zone("Pacific/Apia");
  PeriodBounds december_29 = PeriodAt(Daily(), apia, T("2011-12-30T09:00:00Z"));
  EXPECT_EQ(december_29, Bounds("2011-12-29T10:00:00Z", "2011-12-30T10:00:00Z"));
  PeriodBounds december_31 = PeriodAt(Daily(), apia, T("2011-12-30T10:00:00Z"));
  EXPECT_EQ(december_31, Bounds("2011-12-30T10:00:00Z", "2011-12-31T10:00:00Z"));
  EXPECT_EQ(apia.LocalToUtc(T("2011-12-30T12:00:00Z")), T("2011-12-30T10:00:00Z"));
  // The month lost a day.
  PeriodBounds december = PeriodAt(Monthly(), apia, T("2011-12-15T00:00:00Z"));
  EXPECT_EQ(december, Bounds("2011-12-01T10:00:00Z", "2011-12-31T10:00:00Z"));
  EXPECT_EQ(december.end - december.start, 30 * kDay);
}

TEST(PeriodTest, EveryFromAnAnchor) {
  Time anchor = T("2026-01-01T00:00:00Z");
  TimeZone berlin = Zone("Europe/Berlin");  // ignored by kEvery
  PeriodSpec fortnight = Every(14 * kDay, anchor);
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor), (PeriodBounds{anchor, anchor + 14 * kDay}));
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor + 14 * kDay - 1),
            (PeriodBounds{anchor, anchor + 14 * kDay}));
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor + 20 * kDay),
            (PeriodBounds{anchor + 14 * kDay, anchor + 28 * kDay}));
  // Exactly on a later boundary.
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor + 28 * kDay),
            (PeriodBounds{anchor + 28 * kDay, anchor + 42 * kDay}));
  // Before the anchor: floor division, not truncation toward it.
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor - 1), (PeriodBounds{anchor - 14 * kDay, anchor}));
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor - 14 * kDay),
            (PeriodBounds{anchor - 14 * kDay, anchor}));
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor - 14 * kDay - 1),
            (PeriodBounds{anchor - 28 * kDay, anchor - 14 * kDay}));
  EXPECT_EQ(PeriodAt(fortnight, berlin, anchor - 100 * kDay),
            (PeriodBounds{anchor - 112 * kDay, anchor - 98 * kDay}));
  // Fixed-length periods do not bend around DST.
  PeriodSpec twelve_hours = Every(12 * kHour, anchor);
  EXPECT_EQ(PeriodAt(twelve_hours, berlin, T("2026-03-29T13:00:00Z")),
            Bounds("2026-03-29T12:00:00Z", "2026-03-30T00:00:00Z"));
  // An anchor before 1970 and a t before it.
  PeriodSpec odd = Every(7 * kMinute, -1);
  EXPECT_EQ(PeriodAt(odd, berlin, -1), (PeriodBounds{-1, -1 + 7 * kMinute}));
  EXPECT_EQ(PeriodAt(odd, berlin, -2), (PeriodBounds{-1 - 7 * kMinute, -1}));
}

TEST(PeriodTest, EveryAtTheEndsOfTime) {
  TimeZone utc = TimeZone::Utc();
  // t - anchor overflows int64 here; bounds saturate and still hold t.
  for (Time anchor : {kMinTime, Time{0}, kForever}) {
    for (Time t : {kMinTime, Time{0}, kForever - 1}) {
      PeriodBounds bounds = PeriodAt(Every(kDay, anchor), utc, t);
      EXPECT_LE(bounds.start, t);
      EXPECT_LT(t, bounds.end);
    }
  }
}

TEST(PeriodTest, CalendarPeriodsAtTheEndsOfTime) {
  // Far outside tzdata's range nothing may overflow; t stays in its period.
  for (const char* name : {"UTC", "Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago"}) {
    TimeZone zone = Zone(name);
    for (PeriodSpec spec : {Daily(), Weekly(1), Monthly()}) {
      for (Time t : {kMinTime, kMinTime + 1, kForever - 1}) {
        PeriodBounds bounds = PeriodAt(spec, zone, t);
        EXPECT_LE(bounds.start, t) << name;
        EXPECT_LT(t, bounds.end) << name;
      }
    }
  }
}

TEST(PeriodTest, PeriodsAroundTheYear2100) {
  TimeZone berlin = Zone("Europe/Berlin");
  PeriodBounds short_day = PeriodAt(Daily(), berlin, T("2100-03-28T12:00:00Z"));
  EXPECT_EQ(short_day, Bounds("2100-03-27T23:00:00Z", "2100-03-28T22:00:00Z"));
  PeriodBounds long_day = PeriodAt(Daily(), berlin, T("2100-10-31T12:00:00Z"));
  EXPECT_EQ(long_day, Bounds("2100-10-30T22:00:00Z", "2100-10-31T23:00:00Z"));
  EXPECT_EQ(PeriodAt(Monthly(), berlin, T("2100-03-15T00:00:00Z")),
            Bounds("2100-02-28T23:00:00Z", "2100-03-31T22:00:00Z"));
  // The turn of the century in New York (EST both sides).
  TimeZone new_york = Zone("America/New_York");
  EXPECT_EQ(PeriodAt(Monthly(), new_york, T("2100-01-01T04:59:59Z")),
            Bounds("2099-12-01T05:00:00Z", "2100-01-01T05:00:00Z"));
  EXPECT_EQ(PeriodAt(Monthly(), new_york, T("2100-01-01T05:00:00Z")),
            Bounds("2100-01-01T05:00:00Z", "2100-02-01T05:00:00Z"));
  // 2199's last Sunday of October is the 27th: still a 25-hour day.
  PeriodBounds last_long_day = PeriodAt(Daily(), berlin, T("2199-10-27T12:00:00Z"));
  EXPECT_EQ(last_long_day.end - last_long_day.start, 25 * kHour);
  // December 2200 ends at local midnight of 2201-01-01.
  EXPECT_EQ(PeriodAt(Monthly(), berlin, T("2200-12-31T12:00:00Z")),
            Bounds("2200-11-30T23:00:00Z", "2200-12-31T23:00:00Z"));
}

// Consecutive periods tile time: each ends where the next begins, every
// period holds its own start, and lengths stay within what DST can do.
TEST(PeriodTest, PeriodsTileTimeInManyZones) {
  for (const char* name :
       {"UTC", "Europe/Berlin", "America/New_York", "America/Havana", "America/Santiago",
        "Asia/Beirut", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham", "Europe/Dublin"}) {
    TimeZone zone = Zone(name);
    struct Case {
      PeriodSpec spec;
      Duration shortest;
      Duration longest;
    };
    for (const Case& c : {Case{Daily(), 22 * kHour, 26 * kHour},
                          Case{Weekly(1), 7 * kDay - 2 * kHour, 7 * kDay + 2 * kHour},
                          Case{Weekly(0), 7 * kDay - 2 * kHour, 7 * kDay + 2 * kHour},
                          Case{Monthly(), 28 * kDay - 2 * kHour, 31 * kDay + 2 * kHour}}) {
      PeriodBounds period = PeriodAt(c.spec, zone, T("2019-12-20T00:00:00Z"));
      for (int step = 0; period.start < T("2031-01-01T00:00:00Z"); ++step) {
        ASSERT_LT(step, 5000);
        EXPECT_GE(period.end - period.start, c.shortest) << name << " " << FormatUtc(period.start);
        EXPECT_LE(period.end - period.start, c.longest) << name << " " << FormatUtc(period.start);
        EXPECT_EQ(PeriodAt(c.spec, zone, period.start), period) << name;
        EXPECT_EQ(PeriodAt(c.spec, zone, period.end - 1), period) << name;
        PeriodBounds next = PeriodAt(c.spec, zone, period.end);
        EXPECT_EQ(next.start, period.end) << name << " " << FormatUtc(period.end);
        period = next;
      }
    }
  }
}

TEST(PeriodTest, Names) {
  EXPECT_EQ(PeriodName(PeriodSpec{}), "none");
  EXPECT_EQ(PeriodName(Daily()), "daily");
  EXPECT_EQ(PeriodName(Weekly(0)), "weekly");
  EXPECT_EQ(PeriodName(Monthly()), "monthly");
  EXPECT_EQ(PeriodName(Every(14 * kDay, 0)), "14d");
  EXPECT_EQ(PeriodName(Every(kDay, 0)), "1d");
  EXPECT_EQ(PeriodName(Every(12 * kHour, 0)), "12h");
  EXPECT_EQ(PeriodName(Every(36 * kHour, 0)), "36h");
  EXPECT_EQ(PeriodName(Every(90 * kMinute, 0)), "90m");
  EXPECT_EQ(PeriodName(Every(Seconds(45), 0)), "45s");
  EXPECT_EQ(PeriodName(Every(Seconds(3601), 0)), "3601s");
  EXPECT_EQ(PeriodName(Every(1'500'000, 0)), "1500ms");
  EXPECT_EQ(PeriodName(Every(7, 0)), "7us");
}

// ---------------------------------------------------------------------------
// FormatUtc / ParseTimestamp

TEST(CalendarTest, FormatsRfc3339) {
  EXPECT_EQ(FormatUtc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(Seconds(1'795'253'400)), "2026-11-21T09:30:00Z");
  EXPECT_EQ(FormatUtc(Seconds(1'795'253'400) + 123), "2026-11-21T09:30:00.000123Z");
  EXPECT_EQ(FormatUtc(Seconds(1'795'253'400) + 500'000), "2026-11-21T09:30:00.500000Z");
  EXPECT_EQ(FormatUtc(Seconds(951'782'400)), "2000-02-29T00:00:00Z");
  EXPECT_EQ(FormatUtc(Seconds(253'402'300'799) + 999'999), "9999-12-31T23:59:59.999999Z");
}

TEST(CalendarTest, FormatsTimesBefore1970) {
  EXPECT_EQ(FormatUtc(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatUtc(-kMicrosPerSecond), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatUtc(-kMicrosPerSecond - 1), "1969-12-31T23:59:58.999999Z");
  EXPECT_EQ(FormatUtc(-kDay), "1969-12-31T00:00:00Z");
  EXPECT_EQ(FormatUtc(Seconds(-2'208'988'800)), "1900-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(Seconds(-62'135'596'800)), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtc(Seconds(-62'135'596'800) - kDay), "0000-12-31T00:00:00Z");
  // The ends of int64 microseconds, in ISO 8601 expanded years.
  EXPECT_EQ(FormatUtc(kMinTime), "-290308-12-21T19:59:05.224192Z");
  EXPECT_EQ(FormatUtc(kForever), "+294247-01-10T04:00:54.775807Z");
}

TEST(CalendarTest, ParsesTimestampsAndOffsets) {
  TimeZone utc = TimeZone::Utc();
  Time expected = Seconds(1'795'253'400);  // 2026-11-21T09:30:00Z
  EXPECT_EQ(*ParseTimestamp("2026-11-21T09:30:00Z", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-21t09:30:00z", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-21 09:30:00Z", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-21T10:30:00+01:00", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-21T04:00:00-05:30", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-21T09:30:00+00:00", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-21T09:30:00-00:00", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-22T00:29:00+14:59", utc, "f"), expected);
  EXPECT_EQ(*ParseTimestamp("2026-11-21T09:30:00.5Z", utc, "f"), expected + 500'000);
  EXPECT_EQ(*ParseTimestamp("2026-11-21T09:30:00.000123Z", utc, "f"), expected + 123);
  EXPECT_EQ(*ParseTimestamp("2026-11-21T09:30:00.999999+01:00", utc, "f"),
            expected - kHour + 999'999);
  // An explicit offset ignores the zone.
  EXPECT_EQ(*ParseTimestamp("2026-11-21T09:30:00Z", Zone("Asia/Kolkata"), "f"), expected);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00Z", utc, "f"), 0);
  EXPECT_EQ(*ParseTimestamp("1969-12-31T23:59:59.999999Z", utc, "f"), -1);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:59:59+01:00", utc, "f"), -kMicrosPerSecond);
  EXPECT_EQ(*ParseTimestamp("1900-01-01T00:00:00Z", utc, "f"), Seconds(-2'208'988'800));
  EXPECT_EQ(*ParseTimestamp("0001-01-01T00:00:00Z", utc, "f"), Seconds(-62'135'596'800));
  EXPECT_EQ(*ParseTimestamp("9999-12-31T23:59:59Z", utc, "f"), Seconds(253'402'300'799));
}

TEST(CalendarTest, ParsesDatesAsLocalMidnight) {
  EXPECT_EQ(*ParseTimestamp("2026-11-21", TimeZone::Utc(), "f"), T("2026-11-21T00:00:00Z"));
  EXPECT_EQ(*ParseTimestamp("2026-11-21", Zone("Europe/Berlin"), "f"), T("2026-11-20T23:00:00Z"));
  EXPECT_EQ(*ParseTimestamp("2026-07-01", Zone("Europe/Berlin"), "f"), T("2026-06-30T22:00:00Z"));
  EXPECT_EQ(*ParseTimestamp("2026-11-21", Zone("Asia/Kolkata"), "f"), T("2026-11-20T18:30:00Z"));
  EXPECT_EQ(*ParseTimestamp("2028-02-29", TimeZone::Utc(), "f"), T("2028-02-29T00:00:00Z"));
  EXPECT_EQ(*ParseTimestamp("1969-12-31", TimeZone::Utc(), "f"), -kDay);
  // A skipped midnight gives the first instant of the day; a repeated one
  // the earlier instant.
  EXPECT_EQ(*ParseTimestamp("2026-03-08", Zone("America/Havana"), "f"), T("2026-03-08T05:00:00Z"));
  EXPECT_EQ(*ParseTimestamp("2026-11-01", Zone("America/Havana"), "f"), T("2026-11-01T04:00:00Z"));
}

TEST(CalendarTest, FormatAndParseRoundTrip) {
  TimeZone utc = TimeZone::Utc();
  for (Time t : {Time{0}, Time{-1}, Time{1}, Seconds(1'795'253'400) + 123, Seconds(-1) + 1,
                 Seconds(-2'208'988'800) + 777, Seconds(-62'135'596'800),
                 Seconds(253'402'300'799) + 999'999, T("2028-02-29T23:59:59.5Z")}) {
    Result<Time> parsed = ParseTimestamp(FormatUtc(t), utc, "f");
    ASSERT_TRUE(parsed.ok()) << FormatUtc(t) << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, t) << FormatUtc(t);
  }
  // A walk over 1800..2300 with odd strides hits every month, leap days and
  // all fractional digit counts.
  for (Time t = T("1800-01-01T00:00:00Z"); t < T("2300-01-01T00:00:00Z");
       t += 9 * kDay + 7 * kHour + 13 * kMinute + 1'234'567) {
    EXPECT_EQ(*ParseTimestamp(FormatUtc(t), utc, "f"), t) << FormatUtc(t);
  }
}

TEST(CalendarTest, RefusesMalformedTimestampsNamingTheField) {
  TimeZone utc = TimeZone::Utc();
  for (const char* bad : {"",
                          "tomorrow",
                          "2026/11/21",
                          "26-11-21",
                          "2026-1-21",
                          "2026-11-2",
                          " 2026-11-21",
                          "2026-11-21 ",
                          "+2026-11-21",
                          "-001-01-01",
                          "20261121",
                          "2026-11-21T",
                          "2026-11-21T09:30Z",
                          "2026-11-21T9:30:00Z",
                          "2026-11-21T09:30:00",
                          "2026-11-21T09:30:00.Z",
                          "2026-11-21T09:30:00.1234567Z",
                          "2026-11-21T09:30:00+1:00",
                          "2026-11-21T09:30:00+0100",
                          "2026-11-21T09:30:00+01",
                          "2026-11-21T09:30:00+01:00:00",
                          "2026-11-21T09:30:00+24:00",
                          "2026-11-21T09:30:00+01:60",
                          "2026-11-21T09:30:00ZZ",
                          "2026-11-21T09:30:00Z ",
                          "2026-11-21X09:30:00Z",
                          "2026-13-01",
                          "2026-00-10",
                          "2026-11-00",
                          "2026-04-31",
                          "2026-02-29",
                          "2100-02-29",
                          "2026-11-21T24:00:00Z",
                          "2026-11-21T23:60:00Z",
                          "2026-11-21T23:59:60Z",
                          "2026-11-21T23:59:61Z"}) {
    Result<Time> parsed = ParseTimestamp(bad, utc, "budgets[0].start");
    ASSERT_FALSE(parsed.ok()) << "'" << bad << "' parsed as " << FormatUtc(*parsed);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
    const std::string& message = parsed.status().message();
    EXPECT_EQ(message.rfind("budgets[0].start: '" + std::string(bad) + "' ", 0), 0u) << message;
  }
}

TEST(CalendarTest, ExplainsWhatIsWrong) {
  TimeZone utc = TimeZone::Utc();
  auto message = [&](std::string_view text) {
    return ParseTimestamp(text, utc, "f").status().message();
  };
  EXPECT_EQ(message("tomorrow"),
            "f: 'tomorrow' is not an RFC 3339 timestamp or a date (YYYY-MM-DD)");
  EXPECT_EQ(message("2026-13-01"), "f: '2026-13-01' has month 13; months are 01-12");
  EXPECT_EQ(message("2026-04-31"), "f: '2026-04-31' has day 31, but 2026-04 has 30 days");
  EXPECT_EQ(message("2026-02-29"), "f: '2026-02-29' has day 29, but 2026-02 has 28 days");
  EXPECT_EQ(message("2026-11-21T24:00:00Z"),
            "f: '2026-11-21T24:00:00Z' has hour 24; hours are 00-23");
  EXPECT_EQ(message("2026-11-21T12:60:00Z"),
            "f: '2026-11-21T12:60:00Z' has minute 60; minutes are 00-59");
  EXPECT_EQ(message("2026-11-21T23:59:60Z"),
            "f: '2026-11-21T23:59:60Z' has second 60; leap seconds are not supported");
  EXPECT_EQ(message("2026-11-21T09:30:00"),
            "f: '2026-11-21T09:30:00' has no UTC offset; end it with Z or an offset such as "
            "+01:00");
  EXPECT_EQ(message("2026-11-21T09:30:00.1234567Z"),
            "f: '2026-11-21T09:30:00.1234567Z' has more than 6 fractional digits (microseconds)");
  EXPECT_EQ(message("2026-11-21T09:30:00+24:00"),
            "f: '2026-11-21T09:30:00+24:00' has an offset out of range (at most +-23:59)");
  EXPECT_EQ(message(""), "f: '' is empty; expected a timestamp such as 2026-11-21T09:30:00Z");
}

}  // namespace
}  // namespace allot
