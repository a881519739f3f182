// The journal's throughput: `in_flight` commands appended, then waited for,
// per iteration, with and without an fsync per commit; and the command
// codec, which the server runs once per journaled command.
//   build/bench/journal_bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <future>
#include <string>

#include "store/codec.h"
#include "store/journal.h"

namespace allot {
namespace {

Command SubmitCommand(int64_t i) {
  Command command;
  command.kind = Command::Kind::kSubmit;
  command.at = Seconds(1'795'219'200) + i;
  Request& request = command.request;
  request.tenant = "acme/research/agent-7";
  request.priority_class = "batch";
  request.member.resources[kGpu] = 500;
  request.member.resources[kGpuMemory] = 20480;
  request.member.resources[kCpu] = 4000;
  request.member.resources[kMemory] = 16384;
  request.estimate = Seconds(7200);
  request.ttl = Seconds(60);
  request.labels = {{"job", "eval-" + std::to_string(i)}};
  request.idempotency_key = "eval-" + std::to_string(i) + "-try-1";
  return command;
}

// Args: commands in flight per wait, fsync per commit (0/1).
void BM_JournalAppendAndWait(benchmark::State& state) {
  std::string dir = (std::filesystem::temp_directory_path() / "allot_journal_bench_XXXXXX");
  if (mkdtemp(dir.data()) == nullptr) {
    state.SkipWithError("mkdtemp failed");
    return;
  }
  {
    JournalOptions options;
    options.fsync_each_commit = state.range(1) != 0;
    Result<std::unique_ptr<Journal>> journal = Journal::Open(dir, options);
    if (!journal.ok()) {
      state.SkipWithError(journal.status().ToString().c_str());
      return;
    }
    ResourceCatalog catalog;
    std::string json = CommandToJson(SubmitCommand(1), catalog);
    int64_t in_flight = state.range(0);
    for (auto _ : state) {
      int64_t last = 0;
      for (int64_t i = 0; i < in_flight; ++i) last = (*journal)->Append(json, {});
      std::promise<void> done;
      (*journal)->WhenDurable(last, [&](const Status&) { done.set_value(); });
      done.get_future().wait();
    }
    state.SetItemsProcessed(state.iterations() * in_flight);
    Journal::CommitStats stats = (*journal)->TakeStats();
    state.counters["commits"] = static_cast<double>(stats.batch_sizes.size());
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_JournalAppendAndWait)
    ->ArgsProduct({{1, 64, 1024}, {0, 1}})
    ->ArgNames({"in_flight", "fsync"})
    ->UseRealTime();

void BM_CommandRoundTrip(benchmark::State& state) {
  ResourceCatalog catalog;
  Command command = SubmitCommand(7);
  for (auto _ : state) {
    std::string json = CommandToJson(command, catalog);
    Result<Command> back = CommandFromJson(json, catalog);
    benchmark::DoNotOptimize(back);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CommandRoundTrip);

}  // namespace
}  // namespace allot

BENCHMARK_MAIN();
