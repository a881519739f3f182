#pragma once

// Quantities in the units people use, for messages that reach users (API
// errors, queue and reject reasons): the engine keeps milli-GPUs,
// milli-cores and MiB (common/resources.h), but nobody asked for
// "1500 gpu"; they asked for "1.5 GPUs". Pure functions; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/time.h"

namespace allot {

// `amount` of resource `index` (named `name`, for custom resources) in its
// user unit: gpu 1500 -> "1.5 GPUs", 1000 -> "1 GPU", 250 -> "0.25 GPU";
// cpu 2500 -> "2.5 cores"; memory and gpu_memory (MiB) 20480 -> "20 GiB",
// 1536 -> "1.5 GiB", 512 -> "512 MiB"; slots 3 -> "3 slots"; a custom
// resource 5 -> "5 <name>".
std::string QuantityText(int index, std::string_view name, int64_t amount);

// A thousandth-fixed-point amount as a decimal: 1500 -> "1.5", -250 -> "-0.25".
std::string MilliText(int64_t milli);

// A duration in seconds: 90 s -> "90 s", 1.5 s -> "1.5 s".
std::string SecondsText(Duration duration);

}  // namespace allot
