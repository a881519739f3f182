#pragma once

// Integer time and civil-date arithmetic shared by the calendar's parts
// (calendar.cc, time_zone_load.cc) and the budget ledger. Internal to
// src/budget: the public interface is calendar.h.
#include <array>
#include <cstdint>
#include <limits>

#include "common/time.h"

namespace allot::calendar_internal {

inline constexpr Duration kMicrosPerMilli = 1'000;
inline constexpr Duration kMicrosPerMinute = 60 * kMicrosPerSecond;
inline constexpr Duration kMicrosPerHour = 60 * kMicrosPerMinute;
inline constexpr Duration kMicrosPerDay = 24 * kMicrosPerHour;
inline constexpr int64_t kSecondsPerDay = 86'400;
inline constexpr Time kMinTime = std::numeric_limits<Time>::min();
inline constexpr Time kMaxTime = std::numeric_limits<Time>::max();

// Every UTC offset in tzdata lies within about +-16h (LMT included); anything
// past 26h would be a corrupt file. LocalToUtc relies on this bound to look only
// at transitions within [local - 26h, local + 26h].
inline constexpr Duration kMaxOffset = 26 * kMicrosPerHour;

// The zone's recurring rule (the TZif footer) is expanded through this year,
// so tables cover 1970..2200 with room for periods that end in 2201.
inline constexpr int64_t kLastRuleYear = 2201;

// Integer helpers. Time spans the whole int64 range, so sums saturate at the
// ends instead of overflowing (undefined behaviour).

inline Time SaturatingAdd(Time a, Duration b) {
  Time sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? kMaxTime : kMinTime;
  return sum;
}

inline Time SaturatingSub(Time a, Duration b) {
  Time difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return b < 0 ? kMaxTime : kMinTime;
  return difference;
}

inline Time SecondsToTime(int64_t seconds) {
  Time micros = 0;
  if (__builtin_mul_overflow(seconds, kMicrosPerSecond, &micros)) {
    return seconds < 0 ? kMinTime : kMaxTime;
  }
  return micros;
}

inline Time SaturatingMul(int64_t a, int64_t b) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return (a < 0) != (b < 0) ? kMinTime : kMaxTime;
  return product;
}

// Division rounding toward negative infinity (C++ rounds toward zero), so
// instants before 1970 fall into the right day or period: FloorDiv(-1, 10) = -1.
inline int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t quotient = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --quotient;
  return quotient;
}

// a - b * FloorDiv(a, b), always in [0, b) for b > 0; computed from the
// remainder so that the product cannot overflow near the ends of int64.
inline int64_t FloorMod(int64_t a, int64_t b) {
  int64_t remainder = a % b;
  if (remainder != 0 && ((remainder < 0) != (b < 0))) remainder += b;
  return remainder;
}

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
inline constexpr std::array<int, 12> kDaysBeforeMonthFromMarch = {0,   31,  61,  92,  122, 153,
                                                                  184, 214, 245, 275, 306, 337};
inline constexpr int64_t kDaysPerEra = 146'097;  // 400 years: 400 * 365 + 97 leap days
// Days from 0000-03-01 to 1970-01-01: the 1969 computational years before
// 1969-03-01 (365 days each plus 477 leap days), then 306 days to January 1.
inline constexpr int64_t kEpochFromMarch0 = 1969 * 365 + 1969 / 4 - 1969 / 100 + 1969 / 400 + 306;

inline bool IsLeapYear(int64_t year) {
  return FloorMod(year, 4) == 0 && (FloorMod(year, 100) != 0 || FloorMod(year, 400) == 0);
}

inline int DaysInMonth(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

inline int64_t DaysFromCivil(int64_t year, int month, int day) {
  // Shift January and February to the end of the previous computational year.
  int64_t y = month <= 2 ? year - 1 : year;
  int month_from_march = month <= 2 ? month + 9 : month - 3;  // 0 = March .. 11 = February
  // Days before year y's March 1 since 0000-03-01:
  //   365*y + floor(y/4) - floor(y/100) + floor(y/400)  (leap days in years 1..y).
  int64_t days_before_year = 365 * y + FloorDiv(y, 4) - FloorDiv(y, 100) + FloorDiv(y, 400);
  return days_before_year + kDaysBeforeMonthFromMarch[month_from_march] + (day - 1) -
         kEpochFromMarch0;
}

inline CivilDate CivilFromDays(int64_t days) {
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
inline int WeekdayFromDays(int64_t days) { return static_cast<int>(FloorMod(days + 4, 7)); }

}  // namespace allot::calendar_internal
