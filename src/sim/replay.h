#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/engine.h"
#include "sim/sim_policy.h"
#include "sim/workload.h"

namespace allot {

// What happened to one job of a replay.
struct JobOutcome {
  enum class State : uint8_t { kWaiting, kRunning, kFinished, kRejected };
  State state = State::kWaiting;
  int tenant = 0;          // leaf tenant index in the engine's tenancy
  int priority_class = 0;  // class index
  Time submit = 0;
  Time first_start = -1;      // -1: never started
  Time end = -1;              // finished or rejected at; -1 while waiting or running
  int32_t restarts = 0;       // times it lost its lease (preempted, node down...) and queued again
  std::string reject_reason;  // RejectCodeApiName when rejected
};

// A quantity sampled over time: one value per step of the replay's clock.
struct SampledSeries {
  std::string name;
  std::vector<double> values;
};

// Everything a replay measured, before it is summarised (replay_summary.h).
struct ReplayTrace {
  Time start = 0;                // the first arrival: t = 0 in the series
  Time end = 0;                  // the last event
  Duration step = 0;             // between samples
  std::vector<JobOutcome> jobs;  // in workload order
  int64_t preempt_notices = 0;   // kPreempt decisions (leases asked to stop)
  int64_t lost_work_us = 0;      // run time thrown away by leases that ended early

  // Time-weighted means over each step [t, t + step).
  std::vector<SampledSeries> utilization;   // "pool/resource": allocated / capacity
  std::vector<SampledSeries> queue_length;  // per class name: requests waiting
  std::vector<SampledSeries> share;         // per leaf tenant path: dominant share of the cluster
  // Per leaf tenant: its weighted max-min fair share of the cluster given the
  // demand of the tenants with jobs waiting or running at the time.
  std::vector<SampledSeries> fair_share;
  // Jain's index of allocated / fair share over the tenants with work, while
  // two or more have work (`active` is 1 then, else both are 0).
  SampledSeries jain{"jain", {}};
  SampledSeries active{"active", {}};
  SampledSeries gpu_arrived{"gpu_arrived", {}};      // GPUs asked for by jobs waiting or running
  SampledSeries gpu_allocated{"gpu_allocated", {}};  // GPUs held by running jobs
  // At each step's end (instantaneous): the share of GPU capacity that is free
  // but stranded on devices partly in use.
  SampledSeries fragmentation{"fragmentation", {}};
  // Per budget at each step's end: limit and spent (settled + accrued) this period.
  struct BudgetSeries {
    std::string budget;
    std::string unit;  // the currency, or "<resource>-hours"
    double scale = 1;  // meter units per unit
    std::vector<double> limit;
    std::vector<double> spent;
  };
  std::vector<BudgetSeries> spend;
  struct BudgetEvent {
    Time at = 0;
    std::string budget;
    std::string kind;
    std::string message;
  };
  std::vector<BudgetEvent> budget_events;

  // Leaf tenants' settled cost (micro-units) and fair-share entitlement
  // (product of weight / sum of sibling weights down the tree), by tenant index.
  std::vector<int64_t> tenant_cost;
  std::vector<double> entitlement;
  double gpu_capacity = 0;  // GPUs

  // Names, by index in the engine's tenancy, for the summary.
  std::vector<std::string> class_names;
  std::vector<Duration> wait_objectives;  // 0: none
  std::vector<std::string> tenant_paths;
  std::vector<uint8_t> tenant_is_leaf;
  std::string currency;
};

struct ReplayOptions {
  // Between samples; 0 picks a round step giving about 400 samples over the
  // span of arrivals.
  Duration step = 0;
  // Called now and then with the share of jobs arrived (0..1).
  std::function<void(double)> progress;
};

// Replays `workload` on the engine built from `inventory` and `options` under
// `policy`: jobs arrive at their submit time, run for their duration once
// granted, and are released (model calls report their tokens). A job whose
// lease ends early (preempted, node down, budget) queues again from scratch.
// The clock jumps from event to event (arrival, departure, the engine's next
// wakeup, a sample boundary), so idle hours cost nothing. The replay ends when
// nothing is left to happen; jobs still waiting then count as unfinished.
Result<ReplayTrace> RunReplay(const Inventory& inventory, const EngineOptions& options,
                              const SimPolicy& policy, const Workload& workload,
                              const ReplayOptions& replay_options = {});

}  // namespace allot
