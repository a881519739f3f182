#include "sim/human_duration.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdint>

namespace allot {
namespace {

// `total` whole small units as "<big><big_name> <small><small_name>", with
// `per` small units in a big one; the small part is left out when zero.
std::string TwoUnits(int64_t total, int64_t per, const char* big_name, const char* small_name) {
  int64_t big = total / per;
  int64_t small = total % per;
  if (small == 0) return fmt::format("{}{}", big, big_name);
  return fmt::format("{}{} {}{}", big, big_name, small, small_name);
}

}  // namespace

std::string HumanDuration(double seconds) {
  if (!std::isfinite(seconds)) return "-";
  if (seconds < 0) return "-" + HumanDuration(-seconds);
  if (seconds == 0) return "0 s";
  // Each branch rounds in its own unit and hands over to the next when the
  // rounded value would reach it (999.7 ms is "1.0 s", 59.96 s is "1m").
  double milliseconds = seconds * 1000;
  if (milliseconds < 9.95) return fmt::format("{:.1f} ms", milliseconds);
  if (std::round(milliseconds) < 1000) return fmt::format("{:.0f} ms", std::round(milliseconds));
  if (std::round(seconds * 10) < 600) return fmt::format("{:.1f} s", std::round(seconds * 10) / 10);
  auto whole_seconds = static_cast<int64_t>(std::llround(seconds));
  if (whole_seconds < 3600) return TwoUnits(whole_seconds, 60, "m", "s");
  auto minutes = static_cast<int64_t>(std::llround(seconds / 60));
  if (minutes < 24 * 60) return TwoUnits(minutes, 60, "h", "m");
  auto hours = static_cast<int64_t>(std::llround(seconds / 3600));
  return TwoUnits(hours, 24, "d", "h");
}

}  // namespace allot
