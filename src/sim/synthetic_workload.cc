#include "sim/synthetic_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <random>

namespace allot {
namespace {

constexpr double kMicrosPerHour = 3.6e9;
// Draws are capped at ten years so that sums of times stay far from overflow.
constexpr double kMaxDraw = 10.0 * 366 * 86'400 * 1e6;
// Arrivals stop a century after the epoch whatever the spec says, so a tiny
// rate with only a job count cannot run the clock into overflow.
constexpr Time kMaxHorizon = Seconds(int64_t{100} * 366 * 86'400);

// SplitMix64's finaliser: spreads (seed, tenant, stream) over the 64 bits so
// that neighbouring seeds give unrelated streams.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// A uniform real in [0, 1) from the top 53 bits: exact on every platform.
double Unit(std::mt19937_64& random) { return static_cast<double>(random() >> 11) * 0x1.0p-53; }

// Inverse CDF of the exponential distribution: -mean * ln(1 - U), in whole
// microseconds (1 - U is in (0, 1], so the log is finite).
Duration Exponential(std::mt19937_64& random, double mean_us) {
  double draw = -mean_us * std::log1p(-Unit(random));
  return static_cast<Duration>(std::llround(std::min(draw, kMaxDraw)));
}

// A standard normal by Box-Muller (one of the pair): sqrt(-2 ln U1) cos(2 pi U2).
double Normal(std::mt19937_64& random) {
  double u1 = 1.0 - Unit(random);  // (0, 1]
  double u2 = Unit(random);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

// Index of an entry drawn with probability weight / sum of weights.
template <typename Entry, typename Weight>
size_t Pick(std::mt19937_64& random, const std::vector<Entry>& entries, Weight weight) {
  double total = 0;
  for (const Entry& entry : entries) total += weight(entry);
  double target = Unit(random) * total;
  for (size_t i = 0; i < entries.size(); ++i) {
    target -= weight(entries[i]);
    if (target < 0) return i;
  }
  return entries.size() - 1;  // rounding left a sliver at the end
}

Duration DrawDuration(std::mt19937_64& random, const DurationDistribution& distribution) {
  double draw = 0;
  if (distribution.kind == DurationDistribution::Kind::kExponential) {
    draw = static_cast<double>(Exponential(random, static_cast<double>(distribution.mean)));
  } else {
    draw = static_cast<double>(distribution.median) * std::exp(distribution.sigma * Normal(random));
  }
  return std::max<Duration>(1, std::llround(std::min(draw, kMaxDraw)));
}

// One tenant's arrivals and job attributes, on separate streams so that a
// change to the size mix leaves arrival times as they were.
class TenantStream {
 public:
  TenantStream(const SyntheticTenant& tenant, uint64_t seed, uint64_t index)
      : tenant_(tenant),
        arrivals_(Mix(seed ^ Mix(2 * index))),
        attributes_(Mix(seed ^ Mix(2 * index + 1))) {
    const ArrivalProcess& process = tenant.arrivals;
    if (process.kind == ArrivalProcess::Kind::kBursty) {
      // Start in the stationary state: in a burst with probability
      // L / (L + G); by memorylessness the phase's remainder is again
      // exponential with the phase's mean.
      double burst = static_cast<double>(process.burst_length);
      in_burst_ = Unit(arrivals_) * (burst + static_cast<double>(process.gap)) < burst;
      phase_end_ = PhaseLength();
    }
    Advance();
  }

  Time next() const { return next_; }

  SimJob Take(Time epoch) {
    SimJob job;
    job.name = fmt::format("{}:{}", tenant_.name, count_++);
    job.submit = epoch + next_;
    const SyntheticSize& size = tenant_.sizes[Pick(
        attributes_, tenant_.sizes, [](const SyntheticSize& entry) { return entry.weight; })];
    if (!tenant_.classes.empty()) {
      job.request.priority_class =
          tenant_
              .classes[Pick(attributes_, tenant_.classes,
                            [](const auto& entry) { return entry.second; })]
              .first;
    }
    job.duration = DrawDuration(attributes_, size.duration);
    if (tenant_.estimate_factor_max > 0) {
      double factor =
          tenant_.estimate_factor_min +
          (tenant_.estimate_factor_max - tenant_.estimate_factor_min) * Unit(attributes_);
      double estimate = std::min(static_cast<double>(job.duration) * factor, kMaxDraw);
      job.request.estimate = std::max<Duration>(1, std::llround(estimate));
    }
    job.request.tenant = tenant_.name;
    job.request.members = size.members;
    job.request.member.resources[kGpu] = size.gpu_milli;
    Advance();
    return job;
  }

 private:
  Duration PhaseLength() {
    const ArrivalProcess& process = tenant_.arrivals;
    Duration mean = in_burst_ ? process.burst_length : process.gap;
    return std::max<Duration>(1, Exponential(arrivals_, static_cast<double>(mean)));
  }

  // The next arrival after next_. Bursty: within a phase arrivals are Poisson
  // at the phase's rate; a draw past the phase's end is discarded and the
  // next phase starts afresh from its start (memorylessness makes this exact).
  void Advance() {
    const ArrivalProcess& process = tenant_.arrivals;
    if (next_ >= kMaxHorizon) return;  // exhausted
    if (process.kind == ArrivalProcess::Kind::kPoisson) {
      next_ += Exponential(arrivals_, kMicrosPerHour / process.rate_per_hour);
      return;
    }
    while (true) {
      double rate = in_burst_ ? process.rate_per_hour : process.base_rate_per_hour;
      if (rate > 0) {
        Time candidate = next_ + Exponential(arrivals_, kMicrosPerHour / rate);
        if (candidate < phase_end_) {
          next_ = candidate;
          return;
        }
      }
      next_ = phase_end_;
      in_burst_ = !in_burst_;
      phase_end_ = next_ + PhaseLength();
    }
  }

  const SyntheticTenant& tenant_;
  std::mt19937_64 arrivals_;
  std::mt19937_64 attributes_;
  Time next_ = 0;  // microseconds from the epoch
  int64_t count_ = 0;
  bool in_burst_ = false;
  Time phase_end_ = 0;
};

// Mean arrivals per hour of the process over the long run.
double MeanRatePerHour(const ArrivalProcess& process) {
  if (process.kind == ArrivalProcess::Kind::kPoisson) return process.rate_per_hour;
  double burst = static_cast<double>(process.burst_length);
  double gap = static_cast<double>(process.gap);
  return (process.rate_per_hour * burst + process.base_rate_per_hour * gap) / (burst + gap);
}

Status Validate(const SyntheticSpec& spec) {
  if (spec.horizon <= 0 && spec.jobs <= 0) {
    return InvalidArgument("synthetic spec: needs a horizon or a job count");
  }
  if (spec.tenants.empty()) return InvalidArgument("synthetic spec: needs at least one tenant");
  double expected = 0;
  for (const SyntheticTenant& tenant : spec.tenants) {
    std::string where = "synthetic spec: tenant '" + tenant.name + "'";
    const ArrivalProcess& process = tenant.arrivals;
    bool bursty = process.kind == ArrivalProcess::Kind::kBursty;
    if (!(process.rate_per_hour > 0) || !(process.base_rate_per_hour >= 0) ||
        !std::isfinite(process.rate_per_hour) || !std::isfinite(process.base_rate_per_hour) ||
        (bursty && (process.burst_length <= 0 || process.gap <= 0))) {
      return InvalidArgument(where + ": arrival rates must be > 0 (bursts and gaps too)");
    }
    if (tenant.sizes.empty()) return InvalidArgument(where + ": needs at least one size");
    double size_weight = 0;
    for (const SyntheticSize& size : tenant.sizes) {
      const DurationDistribution& duration = size.duration;
      bool exponential = duration.kind == DurationDistribution::Kind::kExponential;
      if (size.gpu_milli < 0 || (size.gpu_milli > 1000 && size.gpu_milli % 1000 != 0) ||
          size.members < 1 || !(size.weight >= 0) || !std::isfinite(size.weight) ||
          (exponential ? duration.mean <= 0 : duration.median <= 0) ||
          !(duration.sigma >= 0 && duration.sigma <= 10)) {
        return InvalidArgument(where +
                               ": a size is invalid (gpu a fraction or whole GPUs, "
                               "members >= 1, weight >= 0, durations > 0)");
      }
      size_weight += size.weight;
    }
    double class_weight = 0;
    for (const auto& [name, weight] : tenant.classes) {
      if (!(weight >= 0) || !std::isfinite(weight)) {
        return InvalidArgument(where + ": class weights must be >= 0");
      }
      class_weight += weight;
    }
    if (!(size_weight > 0) || (!tenant.classes.empty() && !(class_weight > 0))) {
      return InvalidArgument(where + ": weights must not all be 0");
    }
    if (!(tenant.estimate_factor_min >= 0) ||
        !(tenant.estimate_factor_max >= tenant.estimate_factor_min) ||
        !std::isfinite(tenant.estimate_factor_max)) {
      return InvalidArgument(where + ": estimate factors must satisfy 0 <= min <= max");
    }
    expected += MeanRatePerHour(process) * static_cast<double>(spec.horizon) / kMicrosPerHour;
  }
  if (spec.jobs > kMaxSyntheticJobs ||
      (spec.jobs <= 0 && !(expected <= static_cast<double>(kMaxSyntheticJobs)))) {
    return InvalidArgument(fmt::format(
        "synthetic spec: would generate more than {} jobs (expected {:.0f}); lower the rates, "
        "the horizon or set jobs",
        kMaxSyntheticJobs, expected));
  }
  return Status::Ok();
}

}  // namespace

Result<Workload> GenerateSynthetic(const SyntheticSpec& spec, uint64_t seed) {
  ALLOT_RETURN_IF_ERROR(Validate(spec));
  std::vector<TenantStream> streams;
  streams.reserve(spec.tenants.size());
  for (size_t i = 0; i < spec.tenants.size(); ++i) streams.emplace_back(spec.tenants[i], seed, i);
  Workload workload;
  workload.source = "synthetic";
  int64_t limit = spec.jobs > 0 ? spec.jobs : kMaxSyntheticJobs;
  Time end = spec.horizon > 0 ? std::min(spec.horizon, kMaxHorizon) : kMaxHorizon;
  while (static_cast<int64_t>(workload.jobs.size()) < limit) {
    // The earliest next arrival; ties go to the tenant listed first.
    size_t first = 0;
    for (size_t i = 1; i < streams.size(); ++i) {
      if (streams[i].next() < streams[first].next()) first = i;
    }
    if (streams[first].next() >= end) break;
    workload.jobs.push_back(streams[first].Take(spec.epoch));
  }
  if (spec.jobs <= 0 && static_cast<int64_t>(workload.jobs.size()) == limit) {
    return InvalidArgument(
        fmt::format("synthetic spec: generated {} jobs before the horizon ended", limit));
  }
  return workload;
}

}  // namespace allot
