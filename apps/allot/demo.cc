#include "demo.h"

#include <fmt/format.h>

#include <fstream>
#include <string>
#include <vector>

#include "server/chargeback.h"

namespace allot {
namespace {

Request Member(const char* tenant, int64_t gpu_milli, int64_t cpu_milli, int64_t memory_mib,
               int64_t members = 1) {
  Request request;
  request.tenant = tenant;
  request.member.resources[kGpu] = gpu_milli;
  request.member.resources[kCpu] = cpu_milli;
  request.member.resources[kMemory] = memory_mib;
  request.members = members;
  return request;
}

class Script {
 public:
  Script(Engine* engine, std::ostream& out) : engine_(engine), out_(out) {}

  Decision Submit(std::string_view what, const Request& request) {
    Decision decision = engine_->Submit(request, now_);
    Print(what, decision);
    Flush();
    return decision;
  }
  void Release(LeaseId lease, const UsageReport* usage = nullptr) {
    Status status = engine_->Release(lease, now_, usage);
    out_ << fmt::format("t={:>5}s  release lease {}: {}\n", now_ / kMicrosPerSecond, lease.value,
                        status.ToString());
    Flush();
  }
  void NodeState(std::string_view node, NodeState state) {
    Status status = engine_->SetNodeState(node, state, now_);
    out_ << fmt::format("t={:>5}s  node {} -> {}: {}\n", now_ / kMicrosPerSecond, node,
                        NodeStateName(state), status.ToString());
    Flush();
  }
  void Tick(Duration advance) {
    now_ += advance;
    engine_->Tick(now_);
    out_ << fmt::format("t={:>5}s  tick\n", now_ / kMicrosPerSecond);
    Flush();
  }
  void Advance(Duration advance) { now_ += advance; }
  Time now() const { return now_; }
  // Usage records of the leases ended so far.
  std::vector<UsageRecord>& usage() { return usage_; }

 private:
  void Print(std::string_view what, const Decision& decision) {
    out_ << fmt::format("t={:>5}s  {:<34} {}\n", now_ / kMicrosPerSecond, what,
                        DescribeDecision(decision, engine_->inventory()));
  }
  // Decisions the command caused for others.
  void Flush() {
    for (const Decision& decision : engine_->TakeDecisions()) {
      out_ << fmt::format("{:>9}  {:<34} {}\n", "", "  (follows)",
                          DescribeDecision(decision, engine_->inventory()));
    }
    for (UsageRecord& record : engine_->TakeUsage()) usage_.push_back(std::move(record));
  }

  Engine* engine_;
  std::ostream& out_;
  std::vector<UsageRecord> usage_;
  Time now_ = Seconds(1'800'000'000);  // an injected clock: the demo is reproducible
};

}  // namespace

int RunDemo(Config config, std::ostream& out, const std::string& usage_path,
            const std::string& usage_format) {
  Result<std::unique_ptr<Engine>> created = Engine::Create(config.inventory, config.engine);
  if (!created.ok()) {
    out << "error: " << created.status().ToString() << "\n";
    return 2;
  }
  Engine& engine = **created;
  const Inventory& inventory = engine.inventory();
  int64_t gpus = 0;
  for (const Node& node : inventory.nodes) gpus += static_cast<int64_t>(node.devices.size());
  out << fmt::format("allot engine demo: {} pools, {} nodes, {} GPUs, placement {}\n\n",
                     inventory.pools.size(), inventory.nodes.size(), gpus,
                     PlacementKindName(engine.placement_kind()));
  Script script(&engine, out);

  Request training = Member("research", 8000, 96000, 512 * 1024);
  training.gpu_models = {"H100-80GB"};
  training.estimate = Seconds(6 * 3600);
  Decision first = script.Submit("8 x H100 training job", training);

  Request notebook = Member("agents", 250, 4000, 16 * 1024);
  notebook.node_selector = {{"zone", "b"}};
  script.Submit("quarter of an L4 for a notebook", notebook);

  Request mig = Member("agents", 0, 8000, 32 * 1024);
  mig.member.mig_profile = "3g.20gb";
  script.Submit("MIG 3g.20gb for inference", mig);
  mig.member.mig_profile = "1g.5gb";
  script.Submit("MIG 1g.5gb for an agent", mig);

  Request gang = Member("research", 4000, 64000, 256 * 1024, 2);
  gang.gpu_models = {"H100-80GB"};
  script.Submit("gang: 2 members x 4 H100", gang);

  Request waiting = Member("research", 8000, 96000, 512 * 1024);
  waiting.gpu_models = {"H100-80GB"};
  script.Submit("another 8 x H100 job (at limit)", waiting);

  Request heartbeat = Member("agents", 500, 2000, 8 * 1024);
  heartbeat.ttl = Seconds(60);
  heartbeat.idempotency_key = "agent-7/step-42";
  script.Submit("half an L4, 60 s TTL", heartbeat);
  script.Submit("same again (retried, same key)", heartbeat);

  Request negative = Member("agents", -500, 1000, 1024);
  script.Submit("bad input: negative gpu", negative);
  Request unknown = Member("agents", 1000, 1000, 1024);
  unknown.gpu_models = {"B300"};
  script.Submit("bad input: unknown GPU model", unknown);
  Request huge = Member("research", 16000, 1000, 1024);
  script.Submit("impossible: 16 GPUs in one member", huge);
  Request chat = Member("agents", 8000, 1000, 1024);
  chat.priority_class = "interactive";
  script.Submit("interactive 8 GPUs (class rejects)", chat);
  Request stranger = Member("nobody", 1000, 1000, 1024);
  script.Submit("bad input: unknown tenant", stranger);

  Request call = Member("agents", 0, 100, 256);
  call.pool = "cpu";
  call.model = "llama-3.1-70b";
  call.input_tokens = 1200;
  call.max_output_tokens = 400;
  Decision model_call = script.Submit("agent model call (llama-3.1-70b)", call);
  Request costly = Member("agents", 4000, 8000, 64 * 1024);
  costly.gpu_models = {"H100-80GB"};
  costly.estimate = Seconds(48 * 3600);
  script.Submit("4 x H100 for 48 h (daily budget)", costly);
  Time start = script.now();
  script.Advance(Seconds(30));
  UsageReport used;
  used.tokens = {1100, 600, 350};
  script.Release(model_call.lease, &used);
  script.Release(first.lease);
  script.Tick(Seconds(120));
  script.NodeState("l4-0", NodeState::kDown);
  script.NodeState("h100-1", NodeState::kDraining);

  EngineSnapshot snapshot = engine.Snapshot();
  Result<std::unique_ptr<Engine>> restored =
      Engine::Restore(config.inventory, config.engine, snapshot);
  bool same = restored.ok() && (*restored)->Snapshot() == snapshot;
  out << fmt::format("\nsnapshot: {} leases, {} queued; restored copy identical: {}\n\n",
                     snapshot.leases.size(), snapshot.queue.size(), same ? "yes" : "no");
  // Chargeback: the ended leases and, as if they ended now, the running ones.
  std::vector<UsageRecord> records = script.usage();
  for (UsageRecord& record : engine.OpenUsage()) records.push_back(std::move(record));
  PrintChargeback(engine, records, start, script.now(), out);
  if (!usage_path.empty()) {
    Result<std::string> text = ExportUsage(engine, records, usage_format);
    if (!text.ok()) {
      out << "error: " << text.status().message() << "\n";
      return 2;
    }
    std::ofstream file(usage_path);
    file << *text;
    if (!file) {
      out << "error: cannot write " << usage_path << "\n";
      return 2;
    }
    out << fmt::format("\nwrote {} usage records to {} ({})\n", records.size(), usage_path,
                       usage_format);
  }
  return same ? 0 : 1;
}

}  // namespace allot
