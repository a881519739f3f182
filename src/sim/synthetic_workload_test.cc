#include "sim/synthetic_workload.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "testing/test_paths.h"

namespace allot {
namespace {

std::string Message(const Result<SyntheticSpec>& result) {
  return result.ok() ? "ok" : result.status().message();
}

SyntheticTenant Tenant(std::string name, double rate_per_hour) {
  SyntheticTenant tenant;
  tenant.name = std::move(name);
  tenant.arrivals.rate_per_hour = rate_per_hour;
  SyntheticSize size;
  size.gpu_milli = 1000;
  size.duration.mean = Seconds(600);
  tenant.sizes.push_back(size);
  return tenant;
}

bool SameJobs(const Workload& a, const Workload& b) {
  if (a.jobs.size() != b.jobs.size()) return false;
  for (size_t i = 0; i < a.jobs.size(); ++i) {
    const SimJob& x = a.jobs[i];
    const SimJob& y = b.jobs[i];
    if (x.name != y.name || x.submit != y.submit || x.duration != y.duration ||
        !(x.request == y.request)) {
      return false;
    }
  }
  return true;
}

TEST(SyntheticWorkload, SameSeedSameJobsOtherSeedOtherJobs) {
  SyntheticSpec spec;
  spec.horizon = Seconds(3600 * 24);
  spec.tenants = {Tenant("a", 30), Tenant("b", 10)};
  spec.tenants[0].classes = {{"interactive", 3}, {"batch", 1}};
  spec.tenants[1].sizes[0].duration = {DurationDistribution::Kind::kLognormal, 0, Seconds(60), 1};
  Result<Workload> first = GenerateSynthetic(spec, 7);
  Result<Workload> again = GenerateSynthetic(spec, 7);
  Result<Workload> other = GenerateSynthetic(spec, 8);
  ASSERT_TRUE(first.ok() && again.ok() && other.ok()) << first.status().ToString();
  EXPECT_GT(first->jobs.size(), 500u);
  EXPECT_TRUE(SameJobs(*first, *again));
  EXPECT_FALSE(SameJobs(*first, *other));
  EXPECT_EQ(first->source, "synthetic");
  for (size_t i = 1; i < first->jobs.size(); ++i) {
    ASSERT_LE(first->jobs[i - 1].submit, first->jobs[i].submit);
  }
  for (const SimJob& job : first->jobs) {
    ASSERT_GE(job.submit, kTraceEpoch);
    ASSERT_LT(job.submit, kTraceEpoch + spec.horizon);
    ASSERT_GT(job.duration, 0);
  }
  // Adding a tenant leaves the others' jobs as they were.
  SyntheticSpec more = spec;
  more.tenants.push_back(Tenant("c", 50));
  Result<Workload> with_c = GenerateSynthetic(more, 7);
  ASSERT_TRUE(with_c.ok());
  Workload without_c = *with_c;
  std::erase_if(without_c.jobs, [](const SimJob& job) { return job.request.tenant == "c"; });
  EXPECT_TRUE(SameJobs(*first, without_c));
}

TEST(SyntheticWorkload, PoissonRateAndDurationMeans) {
  SyntheticSpec spec;
  spec.horizon = Seconds(3600 * 1000);
  spec.tenants = {Tenant("a", 60)};
  spec.tenants[0].estimate_factor_min = spec.tenants[0].estimate_factor_max = 1.5;
  Result<Workload> workload = GenerateSynthetic(spec, 1);
  ASSERT_TRUE(workload.ok());
  // 60,000 expected, standard deviation 245: 5% is over 12 deviations.
  EXPECT_NEAR(static_cast<double>(workload->jobs.size()), 60'000, 3'000);
  double total = 0;
  for (const SimJob& job : workload->jobs) {
    total += static_cast<double>(job.duration);
    ASSERT_EQ(job.request.estimate, std::llround(static_cast<double>(job.duration) * 1.5));
  }
  EXPECT_NEAR(total / static_cast<double>(workload->jobs.size()), 600e6, 600e6 * 0.03);
}

TEST(SyntheticWorkload, LognormalMedianAndWeightedMixes) {
  SyntheticSpec spec;
  spec.jobs = 20'000;
  SyntheticTenant tenant = Tenant("a", 100);
  tenant.sizes[0].duration = {DurationDistribution::Kind::kLognormal, 0, Seconds(100), 1.0};
  tenant.sizes[0].weight = 3;
  SyntheticSize gang;
  gang.gpu_milli = 8000;
  gang.members = 2;
  gang.weight = 1;
  gang.duration = tenant.sizes[0].duration;
  tenant.sizes.push_back(gang);
  tenant.classes = {{"interactive", 1}, {"batch", 1}};
  spec.tenants = {tenant};
  Result<Workload> workload = GenerateSynthetic(spec, 3);
  ASSERT_TRUE(workload.ok());
  ASSERT_EQ(workload->jobs.size(), 20'000u);  // the job count, without a horizon
  std::vector<Duration> durations;
  int64_t gangs = 0, batch = 0;
  for (const SimJob& job : workload->jobs) {
    durations.push_back(job.duration);
    gangs += job.request.members == 2 && job.request.member.resources[kGpu] == 8000;
    batch += job.request.priority_class == "batch";
  }
  std::nth_element(durations.begin(), durations.begin() + 10'000, durations.end());
  EXPECT_NEAR(static_cast<double>(durations[10'000]), 100e6, 5e6);
  EXPECT_NEAR(static_cast<double>(gangs), 5'000, 400);
  EXPECT_NEAR(static_cast<double>(batch), 10'000, 400);
}

TEST(SyntheticWorkload, BurstyArrivalsKeepTheirMeanRateAndClump) {
  SyntheticSpec spec;
  spec.horizon = Seconds(3600 * 2000);
  SyntheticTenant tenant = Tenant("bursty", 600);
  tenant.arrivals.kind = ArrivalProcess::Kind::kBursty;
  tenant.arrivals.burst_length = Seconds(600);
  tenant.arrivals.gap = Seconds(3000);
  spec.tenants = {tenant};
  Result<Workload> workload = GenerateSynthetic(spec, 11);
  ASSERT_TRUE(workload.ok());
  // Mean rate 600 x 10 / (10 + 50) = 100 an hour: 200,000 expected.
  EXPECT_NEAR(static_cast<double>(workload->jobs.size()), 200'000, 30'000);
  // Hourly counts are far more dispersed than Poisson's (variance = mean).
  std::map<int64_t, double> per_hour;
  for (const SimJob& job : workload->jobs) per_hour[(job.submit - kTraceEpoch) / Seconds(3600)]++;
  double mean = static_cast<double>(workload->jobs.size()) / 2000;
  double variance = 0;
  for (int64_t hour = 0; hour < 2000; ++hour) {
    double count = per_hour.count(hour) ? per_hour[hour] : 0;
    variance += (count - mean) * (count - mean) / 2000;
  }
  EXPECT_GT(variance / mean, 10);
}

TEST(SyntheticWorkload, InvalidSpecsAreErrors) {
  SyntheticSpec spec;
  spec.tenants = {Tenant("a", 10)};
  EXPECT_FALSE(GenerateSynthetic(spec, 1).ok());  // neither horizon nor jobs
  spec.horizon = Seconds(3600);
  spec.tenants[0].arrivals.rate_per_hour = 0;
  EXPECT_FALSE(GenerateSynthetic(spec, 1).ok());
  spec.tenants[0].arrivals.rate_per_hour = 1e9;  // a billion an hour
  Result<Workload> huge = GenerateSynthetic(spec, 1);
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.status().message().find("more than 10000000 jobs"), std::string::npos);
}

TEST(SyntheticWorkload, SpecFromYaml) {
  Result<SyntheticSpec> spec = ParseSyntheticSpec(R"(
horizon: 2h
jobs: 50
tenants:
  - name: a
    arrivals: {process: bursty, rate_per_hour: 120, burst_length: 10m, gap: 1h}
    classes: {interactive: 2, batch: 1}
    sizes:
      - {gpu: 0.5, weight: 2, duration: {distribution: exponential, mean: 5m}}
      - {gpu: 8, members: 4, duration: {distribution: lognormal, median: 1h, sigma: 0.5}}
    estimate_error: {min: 0.5, max: 3}
)",
                                                  "spec.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->horizon, Seconds(7200));
  EXPECT_EQ(spec->jobs, 50);
  ASSERT_EQ(spec->tenants.size(), 1u);
  const SyntheticTenant& a = spec->tenants[0];
  EXPECT_EQ(a.arrivals.kind, ArrivalProcess::Kind::kBursty);
  EXPECT_EQ(a.arrivals.rate_per_hour, 120);
  EXPECT_EQ(a.arrivals.burst_length, Seconds(600));
  EXPECT_EQ(a.arrivals.gap, Seconds(3600));
  EXPECT_EQ(a.classes,
            (std::vector<std::pair<std::string, double>>{{"interactive", 2}, {"batch", 1}}));
  ASSERT_EQ(a.sizes.size(), 2u);
  EXPECT_EQ(a.sizes[0].gpu_milli, 500);
  EXPECT_EQ(a.sizes[0].weight, 2);
  EXPECT_EQ(a.sizes[0].duration.mean, Seconds(300));
  EXPECT_EQ(a.sizes[1].gpu_milli, 8000);
  EXPECT_EQ(a.sizes[1].members, 4);
  EXPECT_EQ(a.sizes[1].weight, 1);
  EXPECT_EQ(a.sizes[1].duration.kind, DurationDistribution::Kind::kLognormal);
  EXPECT_EQ(a.sizes[1].duration.median, Seconds(3600));
  EXPECT_EQ(a.sizes[1].duration.sigma, 0.5);
  EXPECT_EQ(a.estimate_factor_min, 0.5);
  EXPECT_EQ(a.estimate_factor_max, 3);
  Result<Workload> workload = GenerateSynthetic(*spec, 1);
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  EXPECT_LE(workload->jobs.size(), 50u);
}

TEST(SyntheticWorkload, SpecErrorsNameLineAndColumn) {
  const char* base = R"(horizon: 1h
tenants:
  - name: a
    arrivals: {process: poisson, rate_per_hour: 10}
    sizes:
      - {gpu: 1, duration: {distribution: exponential, mean: 5m}}
)";
  EXPECT_TRUE(ParseSyntheticSpec(base, "s.yaml").ok());
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = base;
    text.replace(text.find(from), from.size(), to);
    return Message(ParseSyntheticSpec(text, "s.yaml"));
  };
  EXPECT_EQ(with("horizon", "horizn"), "s.yaml:1:1: spec.horizn: unknown key");
  EXPECT_EQ(with("rate_per_hour: 10", "rate_per_hour: -1"),
            "s.yaml:4:49: tenants[0].arrivals.rate_per_hour: must be a number >= 0");
  EXPECT_EQ(with("poisson", "poison"),
            "s.yaml:4:25: tenants[0].arrivals.process: must be poisson or bursty");
  EXPECT_EQ(with("gpu: 1,", "gpu: 1.5,"),
            "s.yaml:6:15: tenants[0].sizes[0].gpu: must be a fraction of one GPU (below 1) or "
            "whole GPUs");
  EXPECT_EQ(with("mean: 5m", "median: 5m"),
            "s.yaml:6:28: tenants[0].sizes[0].duration.mean: is required");
  EXPECT_EQ(with("    arrivals: {process: poisson, rate_per_hour: 10}\n", ""),
            "s.yaml:3:5: tenants[0].arrivals: is required");
  EXPECT_EQ(with("horizon: 1h", "jobs: 0"),
            "s.yaml:1:1: spec: needs horizon (e.g. 24h) or jobs (a count > 0)");
  EXPECT_NE(with("name: a", "name: [a"), "ok");  // a YAML syntax error, caught
  EXPECT_EQ(LoadSyntheticSpec("/nonexistent.yaml").status().code(), StatusCode::kNotFound);
}

TEST(SyntheticWorkload, ExampleAgentsSpecGenerates) {
  Result<SyntheticSpec> spec =
      LoadSyntheticSpec(testing::SourceDir() + "/examples/sim/agents.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  EXPECT_EQ(spec->tenants.size(), 3u);
  Result<Workload> workload = GenerateSynthetic(*spec, 42);
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  std::map<std::string, int64_t> per_tenant;
  for (const SimJob& job : workload->jobs) per_tenant[job.request.tenant]++;
  EXPECT_EQ(per_tenant.size(), 3u);
  EXPECT_GT(per_tenant["agents-coding"], 700);  // 40 an hour for 24 hours
}

}  // namespace
}  // namespace allot
