#pragma once

#include <string>

namespace allot {

// A duration in seconds as a person reads it, for terminal output:
// "850 ms" and "4.5 ms" below a second, "45.2 s" below a minute, then two
// units: "12m 5s", "3h 12m", "2d 4h" (the second unit left out when it is
// zero: "3h"). Rounded in the smaller unit shown, so 59.96 s is "1m", never
// "60.0 s". "-" when `seconds` is not finite; negative values get a '-'.
// A plain function; thread-safe.
std::string HumanDuration(double seconds);

}  // namespace allot
