#include "sim/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <queue>
#include <unordered_map>

#include "budget/price_catalog.h"
#include "sim/drf.h"
#include "sim/replay_series.h"
#include "sim/replay_summary.h"

namespace allot {
namespace {

// Engine wakeups with nothing running or arriving after which jobs still
// waiting are left unfinished (e.g. over a quota no release will free).
constexpr int64_t kMaxIdleWakeups = 1000;

// Resources whose utilisation per pool is charted.
constexpr int kChartedResources[] = {kGpu, kCpu, kMemory, kSlots};

// A round step giving about `samples` samples over `span`: 1, 2 or 5 times a
// power of ten seconds, at least one second.
Duration RoundStep(Duration span, int samples) {
  double raw = static_cast<double>(span) / samples / kMicrosPerSecond;
  int64_t step = 1;
  for (int64_t decade = 1; decade <= int64_t{1'000'000'000}; decade *= 10) {
    for (int64_t factor : {1, 2, 5}) {
      step = decade * factor;
      if (static_cast<double>(step) >= raw) return Seconds(step);
    }
  }
  return Seconds(step);  // spans past ~60 years: the largest round step
}

// The share each leaf tenant is entitled to under weighted fair share: the
// product of weight / (sum of its siblings' weights) from the root down.
std::vector<double> Entitlements(const Tenancy& tenancy) {
  std::vector<double> entitlement(tenancy.tenant_count(), 0.0);
  entitlement[0] = 1.0;
  // Parents come before children in index order (Tenancy builds them so).
  for (size_t t = 1; t < tenancy.tenant_count(); ++t) {
    const Tenancy::Tenant& tenant = tenancy.tenant(static_cast<int>(t));
    int64_t siblings = 0;
    for (int child : tenancy.tenant(tenant.parent).children) {
      siblings += tenancy.tenant(child).weight_milli;
    }
    entitlement[t] = entitlement[static_cast<size_t>(tenant.parent)] *
                     static_cast<double>(tenant.weight_milli) / static_cast<double>(siblings);
  }
  return entitlement;
}

class Replayer {
 public:
  Replayer(Engine* engine, const Workload* workload, ReplayTrace* trace)
      : engine_(*engine), workload_(*workload), trace_(*trace) {}

  Status Run(const ReplayOptions& options);

 private:
  struct Running {
    // The request of its current run, or of its place in the queue; 0 before
    // its (re)submission is answered.
    uint64_t request = 0;
    Time start = 0;
    std::vector<std::pair<PoolIndex, ResourceVector>> by_pool;
    ResourceVector total;
  };
  struct Departure {
    Time at;
    uint64_t request;
    size_t job;
    bool operator>(const Departure& other) const {
      return at != other.at ? at > other.at : request > other.request;
    }
  };

  Status SetUp();
  Status Submit(size_t job, Time now);
  Status Handle(const Decision& decision, size_t job);
  Status HandleOutbox();
  void Grant(size_t job, const Decision& decision);
  void StopRunning(size_t job);
  void SettleUsage();
  // Uncounts a job from the queue lengths if it was queued (not when it is
  // granted or rejected at submission).
  void LeaveQueue(size_t job) {
    if (trace_.jobs[job].state != JobOutcome::State::kWaiting || running_[job].request == 0) return;
    --queued_per_class_[static_cast<size_t>(trace_.jobs[job].priority_class)];
    --waiting_;
  }
  // A job arrives (+1) or leaves (-1): its demand counts as "arrived".
  void Present(size_t job, int sign);
  // Per-tenant series after an instant's events: shares, fair shares, Jain's
  // index, and the GPU arrived and allocated (their sums over tenants).
  void UpdateShares();
  void CloseStep(Time boundary, Duration length);

  Engine& engine_;
  const Workload& workload_;
  ReplayTrace& trace_;
  SeriesIntegrator series_;
  std::vector<int64_t> pool_capacity_;  // [pool * kMaxResources + resource]
  std::vector<int> utilization_slot_;   // same index: series slot, or -1
  int queue_slot_ = 0;                  // first queue-length slot (per class)
  int share_slot_ = 0;                  // first share slot (per tenant)
  int arrived_slot_ = 0;
  int allocated_slot_ = 0;
  ResourceVector cluster_capacity_;
  std::vector<ResourceVector> tenant_allocated_;
  std::vector<ResourceVector> tenant_demand_;  // of jobs waiting or running
  std::vector<ResourceVector> job_demand_;     // all members of a job: resources x members
  int fair_slot_ = 0;                          // first fair-share slot (per tenant)
  int jain_slot_ = 0;
  int active_slot_ = 0;
  std::vector<int64_t> queued_per_class_;
  std::vector<Running> running_;  // by job
  std::unordered_map<uint64_t, size_t> job_of_request_;
  std::unordered_map<std::string, int> tenant_by_path_;
  std::priority_queue<Departure, std::vector<Departure>, std::greater<>> departures_;
  int64_t waiting_ = 0;
};

Status Replayer::SetUp() {
  const Inventory& inventory = engine_.inventory();
  const Tenancy& tenancy = engine_.tenancy();
  size_t pools = inventory.pools.size();
  pool_capacity_.assign(pools * kMaxResources, 0);
  for (const Node& node : inventory.nodes) {
    cluster_capacity_.Add(node.capacity);
    for (int r = 0; r < kMaxResources; ++r) {
      pool_capacity_[node.pool * kMaxResources + static_cast<size_t>(r)] += node.capacity[r];
    }
  }
  trace_.gpu_capacity = static_cast<double>(cluster_capacity_[kGpu]) / 1000.0;
  std::vector<std::string> names;
  utilization_slot_.assign(pool_capacity_.size(), -1);
  for (size_t p = 0; p < pools; ++p) {
    for (int r : kChartedResources) {
      size_t index = p * kMaxResources + static_cast<size_t>(r);
      if (pool_capacity_[index] == 0) continue;
      utilization_slot_[index] = static_cast<int>(names.size());
      names.push_back(inventory.pools[p].name + "/" + std::string(inventory.resources.Name(r)));
    }
  }
  size_t utilization_count = names.size();
  queue_slot_ = static_cast<int>(names.size());
  for (size_t c = 0; c < tenancy.class_count(); ++c) {
    names.push_back(tenancy.priority_class(static_cast<int>(c)).name);
  }
  share_slot_ = static_cast<int>(names.size());
  for (size_t t = 0; t < tenancy.tenant_count(); ++t) {
    names.push_back(tenancy.tenant(static_cast<int>(t)).path);
    tenant_by_path_.emplace(tenancy.tenant(static_cast<int>(t)).path, static_cast<int>(t));
  }
  fair_slot_ = static_cast<int>(names.size());
  for (size_t t = 0; t < tenancy.tenant_count(); ++t) names.emplace_back("fair");
  jain_slot_ = static_cast<int>(names.size());
  names.emplace_back("jain");
  active_slot_ = static_cast<int>(names.size());
  names.emplace_back("active");
  arrived_slot_ = static_cast<int>(names.size());
  names.emplace_back("gpu_arrived");
  allocated_slot_ = static_cast<int>(names.size());
  names.emplace_back("gpu_allocated");
  series_.Reset(names.size());

  trace_.utilization.resize(utilization_count);
  for (size_t i = 0; i < utilization_count; ++i) trace_.utilization[i].name = names[i];
  trace_.queue_length.resize(tenancy.class_count());
  for (size_t c = 0; c < tenancy.class_count(); ++c) {
    trace_.queue_length[c].name = names[static_cast<size_t>(queue_slot_) + c];
  }
  for (size_t t = 0; t < tenancy.tenant_count(); ++t) {
    if (!tenancy.IsLeaf(static_cast<int>(t))) continue;
    trace_.share.push_back({names[static_cast<size_t>(share_slot_) + t], {}});
    trace_.fair_share.push_back({names[static_cast<size_t>(share_slot_) + t], {}});
  }
  tenant_allocated_.assign(tenancy.tenant_count(), ResourceVector{});
  tenant_demand_.assign(tenancy.tenant_count(), ResourceVector{});
  queued_per_class_.assign(tenancy.class_count(), 0);
  trace_.tenant_cost.assign(tenancy.tenant_count(), 0);
  trace_.entitlement = Entitlements(tenancy);
  for (size_t c = 0; c < tenancy.class_count(); ++c) {
    trace_.class_names.push_back(tenancy.priority_class(static_cast<int>(c)).name);
    trace_.wait_objectives.push_back(tenancy.priority_class(static_cast<int>(c)).wait_objective);
  }
  for (size_t t = 0; t < tenancy.tenant_count(); ++t) {
    trace_.tenant_paths.push_back(tenancy.tenant(static_cast<int>(t)).path);
    trace_.tenant_is_leaf.push_back(tenancy.IsLeaf(static_cast<int>(t)) ? 1 : 0);
  }
  trace_.currency = engine_.prices().currency();

  if (const BudgetLedger* budgets = engine_.budgets(); budgets != nullptr) {
    for (size_t b = 0; b < budgets->size(); ++b) {
      const BudgetSpec& spec = budgets->spec(static_cast<int>(b));
      ReplayTrace::BudgetSeries series;
      series.budget = spec.name;
      switch (spec.meter) {
        case BudgetMeter::kMoney:
          series.unit = engine_.prices().currency();
          series.scale = 1e6;
          break;
        case BudgetMeter::kTokens:
          series.unit = "tokens";
          break;
        case BudgetMeter::kResourceTime:
          series.unit = std::string(inventory.resources.Name(spec.resource)) + "-hours";
          series.scale = 3.6e6 * static_cast<double>(UnitsPerWhole(spec.resource));
          break;
      }
      trace_.spend.push_back(std::move(series));
    }
  }

  size_t jobs = workload_.jobs.size();
  trace_.jobs.resize(jobs);
  job_demand_.resize(jobs);
  running_.resize(jobs);
  for (size_t j = 0; j < jobs; ++j) {
    const SimJob& job = workload_.jobs[j];
    JobOutcome& outcome = trace_.jobs[j];
    outcome.submit = job.submit;
    int tenant =
        job.request.tenant.empty() ? tenancy.sole_leaf() : tenancy.FindTenant(job.request.tenant);
    if (tenant < 0 || !tenancy.IsLeaf(tenant)) {
      return InvalidArgument(fmt::format("job {}: tenant '{}' is not a leaf tenant of the config",
                                         job.name, job.request.tenant));
    }
    int priority_class = job.request.priority_class.empty()
                             ? tenancy.default_class()
                             : tenancy.FindClass(job.request.priority_class);
    if (priority_class < 0) {
      return InvalidArgument(fmt::format("job {}: priority class '{}' is not in the config",
                                         job.name, job.request.priority_class));
    }
    outcome.tenant = tenant;
    outcome.priority_class = priority_class;
    for (int r = 0; r < kMaxResources; ++r) {
      if (!CheckedMultiply(job.request.member.resources[r], job.request.members,
                           &job_demand_[j][r])) {
        return InvalidArgument(fmt::format("job {}: members x resources overflow", job.name));
      }
    }
  }
  return Status::Ok();
}

Status Replayer::Submit(size_t job, Time now) {
  Decision decision = engine_.Submit(workload_.jobs[job].request, now);
  if (decision.kind == DecisionKind::kRejected &&
      decision.reject_code == RejectCode::kInvalidArgument) {
    return InvalidArgument(fmt::format("job {}: {}", workload_.jobs[job].name, decision.message));
  }
  if (decision.kind != DecisionKind::kRejected) job_of_request_[decision.request.value] = job;
  return Handle(decision, job);
}

Status Replayer::Handle(const Decision& decision, size_t job) {
  JobOutcome& outcome = trace_.jobs[job];
  switch (decision.kind) {
    case DecisionKind::kGranted:
      LeaveQueue(job);
      Grant(job, decision);
      break;
    case DecisionKind::kQueued:
      running_[job].request = decision.request.value;  // marks "in the queue"
      ++queued_per_class_[static_cast<size_t>(outcome.priority_class)];
      ++waiting_;
      break;
    case DecisionKind::kRejected:
      LeaveQueue(job);
      Present(job, -1);
      outcome.state = JobOutcome::State::kRejected;
      outcome.end = decision.at;
      outcome.reject_reason = std::string(RejectCodeApiName(decision.reject_code));
      job_of_request_.erase(decision.request.value);
      running_[job].request = 0;
      break;
    case DecisionKind::kLeaseEnded: {
      // Ended before its time (preempted, expired, node down, budget): the
      // job queues again and runs from the start.
      trace_.lost_work_us += decision.at - running_[job].start;
      StopRunning(job);
      job_of_request_.erase(decision.request.value);
      outcome.state = JobOutcome::State::kWaiting;
      running_[job].request = 0;
      ++outcome.restarts;
      Present(job, +1);
      return Submit(job, decision.at);
    }
    case DecisionKind::kPreempt:
      ++trace_.preempt_notices;
      break;
    case DecisionKind::kPreemptWithdrawn:
      break;
    case DecisionKind::kAlert:
      break;
  }
  return Status::Ok();
}

void Replayer::Grant(size_t job, const Decision& decision) {
  const SimJob& sim_job = workload_.jobs[job];
  JobOutcome& outcome = trace_.jobs[job];
  const Inventory& inventory = engine_.inventory();
  Running& running = running_[job];
  running.request = decision.request.value;
  running.start = decision.at;
  running.by_pool.clear();
  running.total = ResourceVector{};
  ResourceVector host = sim_job.request.member.resources;
  host[kGpu] = 0;
  host[kGpuMemory] = 0;
  ForEachMember(decision.placement, [&](std::span<const Assignment> member) {
    ResourceVector used = host;
    for (const Assignment& assignment : member) {
      used[kGpu] += assignment.gpu_milli;
      used[kGpuMemory] += assignment.gpu_memory_mib;
    }
    PoolIndex pool = inventory.nodes[member.front().node].pool;
    auto it = std::find_if(running.by_pool.begin(), running.by_pool.end(),
                           [&](const auto& entry) { return entry.first == pool; });
    if (it == running.by_pool.end()) {
      running.by_pool.emplace_back(pool, used);
    } else {
      it->second.Add(used);
    }
    running.total.Add(used);
  });
  outcome.state = JobOutcome::State::kRunning;
  if (outcome.first_start < 0) outcome.first_start = decision.at;
  for (const auto& [pool, used] : running.by_pool) {
    for (int r : kChartedResources) {
      int slot = utilization_slot_[pool * kMaxResources + static_cast<size_t>(r)];
      if (slot >= 0) series_.Add(slot, static_cast<double>(used[r]));
    }
  }
  tenant_allocated_[static_cast<size_t>(outcome.tenant)].Add(running.total);
  departures_.push({decision.at + sim_job.duration, running.request, job});
}

void Replayer::StopRunning(size_t job) {
  Running& running = running_[job];
  for (const auto& [pool, used] : running.by_pool) {
    for (int r : kChartedResources) {
      int slot = utilization_slot_[pool * kMaxResources + static_cast<size_t>(r)];
      if (slot >= 0) series_.Add(slot, -static_cast<double>(used[r]));
    }
  }
  tenant_allocated_[static_cast<size_t>(trace_.jobs[job].tenant)].Subtract(running.total);
  Present(job, -1);
  running.by_pool.clear();
}

Status Replayer::HandleOutbox() {
  // Handling a decision may submit again (a restart): loop until quiet.
  while (true) {
    std::vector<Decision> decisions = engine_.TakeDecisions();
    if (decisions.empty()) return Status::Ok();
    for (const Decision& decision : decisions) {
      if (decision.kind == DecisionKind::kAlert) {
        const BudgetAlert& alert = *decision.alert;
        trace_.budget_events.push_back(
            {decision.at, alert.budget, std::string(AlertKindName(alert.kind)), alert.message});
        continue;
      }
      auto it = job_of_request_.find(decision.request.value);
      if (it == job_of_request_.end()) continue;
      Status handled = Handle(decision, it->second);
      if (!handled.ok()) return handled;
    }
  }
}

void Replayer::SettleUsage() {
  for (const UsageRecord& record : engine_.TakeUsage()) {
    auto it = tenant_by_path_.find(record.tenant_path);
    if (it != tenant_by_path_.end()) {
      trace_.tenant_cost[static_cast<size_t>(it->second)] += record.cost;
    }
  }
}

// The step [boundary - length, boundary) is over: store its means and the
// instantaneous figures at its end.
void Replayer::CloseStep(Time boundary, Duration length) {
  std::vector<double> means = series_.CloseStep(static_cast<double>(length));
  for (size_t i = 0; i < trace_.utilization.size(); ++i) {
    trace_.utilization[i].values.push_back(means[i]);
  }
  // Utilisation slots hold amounts: divide by the pool's capacity.
  for (size_t index = 0; index < utilization_slot_.size(); ++index) {
    int slot = utilization_slot_[index];
    if (slot < 0) continue;
    trace_.utilization[static_cast<size_t>(slot)].values.back() /=
        static_cast<double>(pool_capacity_[index]);
  }
  for (size_t c = 0; c < trace_.queue_length.size(); ++c) {
    trace_.queue_length[c].values.push_back(means[static_cast<size_t>(queue_slot_) + c]);
  }
  size_t leaf = 0;
  for (size_t t = 0; t < tenant_allocated_.size(); ++t) {
    if (!engine_.tenancy().IsLeaf(static_cast<int>(t))) continue;
    trace_.share[leaf].values.push_back(means[static_cast<size_t>(share_slot_) + t]);
    trace_.fair_share[leaf++].values.push_back(means[static_cast<size_t>(fair_slot_) + t]);
  }
  trace_.jain.values.push_back(means[static_cast<size_t>(jain_slot_)]);
  trace_.active.values.push_back(means[static_cast<size_t>(active_slot_)]);
  trace_.gpu_arrived.values.push_back(means[static_cast<size_t>(arrived_slot_)] / 1000.0);
  trace_.gpu_allocated.values.push_back(means[static_cast<size_t>(allocated_slot_)] / 1000.0);

  // Stranded GPU: free milli on shared devices that are partly in use.
  const ClusterState& cluster = engine_.cluster();
  int64_t stranded = 0;
  for (NodeIndex node = 0; node < cluster.node_count(); ++node) {
    for (int d = 0; d < cluster.device_count(node); ++d) {
      int32_t used = cluster.device(node, d).used_milli;
      if (used > 0 && used < 1000) stranded += 1000 - used;
    }
  }
  trace_.fragmentation.values.push_back(cluster_capacity_[kGpu] > 0
                                            ? static_cast<double>(stranded) /
                                                  static_cast<double>(cluster_capacity_[kGpu])
                                            : 0.0);
  if (const BudgetLedger* budgets = engine_.budgets(); budgets != nullptr) {
    for (size_t b = 0; b < trace_.spend.size(); ++b) {
      ReplayTrace::BudgetSeries& series = trace_.spend[b];
      int index = static_cast<int>(b);
      series.limit.push_back(static_cast<double>(budgets->entry(index).limit) / series.scale);
      series.spent.push_back(static_cast<double>(budgets->SpentNow(index, boundary)) /
                             series.scale);
    }
  }
}

void Replayer::Present(size_t job, int sign) {
  ResourceVector& demand = tenant_demand_[static_cast<size_t>(trace_.jobs[job].tenant)];
  if (sign > 0) {
    demand.Add(job_demand_[job]);
  } else {
    demand.Subtract(job_demand_[job]);
  }
}

void Replayer::UpdateShares() {
  auto dominant = [&](const ResourceVector& amounts) {
    double share = 0;
    for (int r = 0; r < kMaxResources; ++r) {
      if (cluster_capacity_[r] == 0) continue;
      share = std::max(share,
                       static_cast<double>(amounts[r]) / static_cast<double>(cluster_capacity_[r]));
    }
    return std::min(share, 1.0);
  };
  // The fairness reference: weighted DRF among the tenants with work, by
  // progressive filling on each resource (sim/drf.h), weighted by their
  // entitlements; not one pooled share, so tenants that dominate different
  // resources may together hold more than "the cluster".
  size_t tenants = tenant_allocated_.size();
  std::vector<std::vector<double>> demand(tenants, std::vector<double>(kMaxResources, 0.0));
  std::vector<double> weight(tenants, 0.0);
  int64_t arrived_gpu = 0;
  int64_t allocated_gpu = 0;
  for (size_t t = 0; t < tenants; ++t) {
    arrived_gpu += tenant_demand_[t][kGpu];
    allocated_gpu += tenant_allocated_[t][kGpu];
    series_.Set(share_slot_ + static_cast<int>(t), dominant(tenant_allocated_[t]));
    weight[t] = trace_.entitlement[t];
    for (int r = 0; r < kMaxResources; ++r) {
      if (cluster_capacity_[r] == 0) continue;
      demand[t][static_cast<size_t>(r)] =
          static_cast<double>(tenant_demand_[t][r]) / static_cast<double>(cluster_capacity_[r]);
    }
  }
  series_.Set(arrived_slot_, static_cast<double>(arrived_gpu));
  series_.Set(allocated_slot_, static_cast<double>(allocated_gpu));
  std::vector<double> fair = WeightedDrfShares(demand, weight);
  // Jain's index of allocated / fair over the tenants with work, when there
  // are two or more to be fair between.
  std::vector<double> ratios;
  for (size_t t = 0; t < tenants; ++t) {
    series_.Set(fair_slot_ + static_cast<int>(t), fair[t]);
    if (fair[t] > 0) {
      double allocated = dominant(tenant_allocated_[t]);
      ratios.push_back(allocated / fair[t]);
    }
  }
  bool judged = ratios.size() >= 2;
  series_.Set(jain_slot_, judged ? JainIndex(ratios) : 0.0);
  series_.Set(active_slot_, judged ? 1.0 : 0.0);
}

Status Replayer::Run(const ReplayOptions& options) {
  Status set_up = SetUp();
  if (!set_up.ok()) return set_up;
  const std::vector<SimJob>& jobs = workload_.jobs;
  trace_.start = jobs.front().submit;
  Duration span = jobs.back().submit - jobs.front().submit;
  trace_.step = options.step > 0 ? options.step : RoundStep(span, 400);
  Time last = trace_.start;
  Time boundary = trace_.start + trace_.step;
  size_t next_arrival = 0;
  size_t reported = 0;
  Time ticked = std::numeric_limits<Time>::min();
  int64_t idle_wakeups = 0;
  while (true) {
    Time next = Engine::kNever;
    if (next_arrival < jobs.size()) next = jobs[next_arrival].submit;
    if (!departures_.empty()) next = std::min(next, departures_.top().at);
    // A wakeup at or before the last tick has been handled (progress guard).
    Time wakeup = engine_.NextWakeup();
    bool wake = wakeup != Engine::kNever && (wakeup > ticked || ticked < last);
    if (wake) next = std::min(next, std::max(wakeup, last));
    if (next == Engine::kNever) break;  // nothing left that can happen
    // Integrate the piecewise-constant series up to `next`, closing the
    // steps it passes.
    while (boundary <= next) {
      series_.Advance(static_cast<double>(boundary - last));
      CloseStep(boundary, trace_.step);
      last = boundary;
      boundary += trace_.step;
    }
    series_.Advance(static_cast<double>(next - last));
    last = next;

    while (!departures_.empty() && departures_.top().at == next) {
      Departure departure = departures_.top();
      departures_.pop();
      Running& running = running_[departure.job];
      if (trace_.jobs[departure.job].state != JobOutcome::State::kRunning ||
          running.request != departure.request) {
        continue;  // it lost that lease earlier
      }
      const SimJob& job = workload_.jobs[departure.job];
      UsageReport usage;
      usage.tokens.input = job.request.input_tokens;
      usage.tokens.output = job.output_tokens;
      Status released = engine_.Release(LeaseId{departure.request}, next,
                                        job.request.model.empty() ? nullptr : &usage);
      if (!released.ok()) {
        return Internal(fmt::format("job {}: release failed: {}", job.name, released.message()));
      }
      StopRunning(departure.job);
      JobOutcome& outcome = trace_.jobs[departure.job];
      outcome.state = JobOutcome::State::kFinished;
      outcome.end = next;
      job_of_request_.erase(departure.request);
      Status handled = HandleOutbox();
      if (!handled.ok()) return handled;
    }
    if (engine_.NextWakeup() <= next) {
      engine_.Tick(next);
      ticked = next;
      Status handled = HandleOutbox();
      if (!handled.ok()) return handled;
    }
    while (next_arrival < jobs.size() && jobs[next_arrival].submit == next) {
      size_t job = next_arrival++;
      Present(job, +1);
      Status submitted = Submit(job, next);
      if (!submitted.ok()) return submitted;
      Status handled = HandleOutbox();
      if (!handled.ok()) return handled;
    }
    SettleUsage();
    // Queue lengths, shares and GPU totals after this instant's events.
    for (size_t c = 0; c < queued_per_class_.size(); ++c) {
      series_.Set(queue_slot_ + static_cast<int>(c), static_cast<double>(queued_per_class_[c]));
    }
    UpdateShares();
    if (options.progress && next_arrival - reported >= 4096) {
      reported = next_arrival;
      options.progress(static_cast<double>(next_arrival) / static_cast<double>(jobs.size()));
    }
    // Done, or stuck: when nothing runs and nothing arrives, only the
    // engine's wakeups (budget periods, timeouts) can still start waiting
    // jobs; give up after many that start none.
    if (next_arrival == jobs.size() && departures_.empty()) {
      if (waiting_ == 0 || ++idle_wakeups > kMaxIdleWakeups) break;
    } else {
      idle_wakeups = 0;
    }
  }
  // The last, partial step.
  if (last > boundary - trace_.step) {
    series_.Advance(0);
    CloseStep(last, last - (boundary - trace_.step));
  }
  trace_.end = last;
  if (options.progress) options.progress(1.0);
  return Status::Ok();
}

}  // namespace

Result<ReplayTrace> RunReplay(const Inventory& inventory, const EngineOptions& options,
                              const SimPolicy& policy, const Workload& workload,
                              const ReplayOptions& replay_options) {
  if (workload.jobs.empty()) return InvalidArgument("trace: no jobs to replay");
  Result<std::unique_ptr<Engine>> engine = Engine::Create(inventory, policy.Apply(options));
  if (!engine.ok()) return engine.status();
  ReplayTrace trace;
  Replayer replayer(engine->get(), &workload, &trace);
  Status run = replayer.Run(replay_options);
  if (!run.ok()) return run;
  return trace;
}

}  // namespace allot
