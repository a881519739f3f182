#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "sim/trace_readers.h"
#include "sim/workload.h"

namespace allot {

// A synthetic workload: tenants whose jobs arrive by a random process and
// draw their class, size and run time from weighted mixes. The YAML form is
// documented in docs/sim-traces.md ("Synthetic"); examples/sim/agents.yaml is
// a worked example. Plain value types.

// A job's run time: exponential with `mean`, or lognormal with `median`
// (= e^mu) and `sigma` (the standard deviation of the log).
struct DurationDistribution {
  enum class Kind { kExponential, kLognormal };
  Kind kind = Kind::kExponential;
  Duration mean = 0;
  Duration median = 0;
  double sigma = 0;
};

struct SyntheticSize {
  int64_t gpu_milli = 0;  // per member: 1..999 a fraction of one GPU, 1000 * k whole GPUs
  int64_t members = 1;
  DurationDistribution duration;
  double weight = 1;
};

// Poisson arrivals at `rate_per_hour`, or bursty: an on/off modulated Poisson
// process whose bursts (rate `rate_per_hour`) last an exponential time of
// mean `burst_length` and come after exponential gaps of mean `gap` (rate
// `base_rate_per_hour` between bursts, often 0).
struct ArrivalProcess {
  enum class Kind { kPoisson, kBursty };
  Kind kind = Kind::kPoisson;
  double rate_per_hour = 0;
  double base_rate_per_hour = 0;
  Duration burst_length = 0;
  Duration gap = 0;
};

struct SyntheticTenant {
  std::string name;
  ArrivalProcess arrivals;
  std::vector<std::pair<std::string, double>> classes;  // class name, weight; empty: no class
  std::vector<SyntheticSize> sizes;                     // at least one
  // The estimate the scheduler is told: duration x a factor drawn uniformly
  // from [min, max]; 0 and 0 give no estimate.
  double estimate_factor_min = 0;
  double estimate_factor_max = 0;
};

// Jobs arrive in [epoch, epoch + horizon) and stop after `jobs` jobs, both
// when both are set; at least one must be.
struct SyntheticSpec {
  Duration horizon = 0;
  int64_t jobs = 0;
  Time epoch = kTraceEpoch;
  std::vector<SyntheticTenant> tenants;
};

// The most jobs one spec may generate (a typo in a rate should fail fast).
inline constexpr int64_t kMaxSyntheticJobs = 10'000'000;

// Reads a spec; errors are InvalidArgument "<file>:<line>:<column>: field:
// why", unknown keys included.
Result<SyntheticSpec> ParseSyntheticSpec(std::string_view yaml, const std::string& file);
Result<SyntheticSpec> LoadSyntheticSpec(const std::string& path);

// Generates the workload. Deterministic: the same spec and seed give the same
// jobs on every platform (mt19937_64 and our own conversions to real numbers,
// not the standard library's distributions, whose outputs are unspecified).
// Each tenant draws from its own streams, so adding a tenant leaves the others'
// jobs as they were. InvalidArgument when the spec is invalid or would exceed
// kMaxSyntheticJobs.
Result<Workload> GenerateSynthetic(const SyntheticSpec& spec, uint64_t seed);

}  // namespace allot
