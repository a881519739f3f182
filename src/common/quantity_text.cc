#include "common/quantity_text.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "common/resources.h"

namespace allot {

namespace {

// `value` / `scale` with up to `decimals` decimals, trailing zeros dropped.
std::string Decimal(int64_t value, int64_t scale, int decimals) {
  std::string text = std::to_string(value / scale);
  if (value < 0 && value / scale == 0) text = "-" + text;
  int64_t rest = std::llabs(value % scale);
  if (rest == 0) return text;
  std::string fraction;
  for (int i = 0; i < decimals && rest != 0; ++i) {
    rest *= 10;
    fraction += static_cast<char>('0' + rest / scale);
    rest %= scale;
  }
  while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
  return fraction.empty() ? text : text + "." + fraction;
}

// MiB in the largest binary unit that keeps the number >= 1, two decimals.
std::string MibText(int64_t mib) {
  static constexpr const char* kUnits[] = {"MiB", "GiB", "TiB", "PiB"};
  int64_t scale = 1;
  size_t unit = 0;
  while (unit + 1 < std::size(kUnits) && std::llabs(mib) >= scale * 1024) {
    scale *= 1024;
    ++unit;
  }
  return Decimal(mib, scale, 2) + " " + kUnits[unit];
}

// "1 GPU", "0.5 GPU", "1.5 GPUs": the plural from more than one.
std::string Counted(int64_t milli, std::string_view one, std::string_view many) {
  return MilliText(milli) + " " + std::string(std::llabs(milli) > 1000 ? many : one);
}

}  // namespace

std::string MilliText(int64_t milli) { return Decimal(milli, 1000, 3); }

std::string QuantityText(int index, std::string_view name, int64_t amount) {
  switch (index) {
    case kGpu:
      return Counted(amount, "GPU", "GPUs");
    case kCpu:
      return Counted(amount, "core", "cores");
    case kGpuMemory:
    case kMemory:
      return MibText(amount);
    case kSlots:
      return std::to_string(amount) + (amount == 1 ? " slot" : " slots");
    default:
      return std::to_string(amount) + " " + std::string(name);
  }
}

std::string SecondsText(Duration duration) { return Decimal(duration, kMicrosPerSecond, 6) + " s"; }

}  // namespace allot
