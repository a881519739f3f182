#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"

namespace allot {

struct JournalOptions {
  // synchronous=FULL: a commit is on disk (fsync of the WAL) before it counts
  // as durable. NORMAL is faster and survives a process crash, not power loss.
  bool fsync_each_commit = true;
  // A group commit takes every command pending when it starts, up to this many.
  int max_batch = 4096;
  // Test seam for failure handling: called on the writer thread before each
  // COMMIT; a non-OK status fails that commit as a full disk would. Empty:
  // none.
  std::function<Status()> before_commit = nullptr;
};

// One journaled command, as it is stored: its sequence number (1, 2, ...,
// gap-free) and its JSON (CommandToJson, store/codec.h), which holds the
// engine time it was applied at.
struct JournalCommand {
  int64_t seq = 0;
  std::string json;
};

// The usage record rows a command produced (one per ended lease), written in
// the same transaction as the command, so a restart never loses or repeats one.
struct JournalUsage {
  uint64_t lease = 0;
  std::string tenant_path;
  Time end = 0;      // microseconds since the epoch
  std::string json;  // the record as one JSON object (metering/usage_jsonl.h)
};

// A page of usage rows (Journal::ReadUsagePage): the rows that ended in
// [from, to) under `tenant_prefix` (empty: all), after the row (after_end,
// after_id) in (end_us, id) order, at most `limit` of them.
struct UsagePageQuery {
  Time from = 0;
  Time to = 0;
  std::string tenant_prefix = {};
  Time after_end = 0;
  int64_t after_id = 0;  // 0: from the start of the window
  int64_t limit = 1000;
};

struct UsagePage {
  std::vector<std::string> rows;  // JSON lines, in (end_us, id) order
  // Where the next page starts (the last row's key); `more` is false when
  // the window has no row after it.
  Time last_end = 0;
  int64_t last_id = 0;
  bool more = false;
};

// The durable log of the server: a SQLite database file (WAL mode) holding
// commands, the usage records they produced, and snapshots of the engine.
//
// Threads: Append and Snapshot are called from the engine's strand (one
// thread at a time) and never block on the disk; a writer thread takes what
// is pending, commits it in one transaction (group commit) and then calls the
// durability callbacks in sequence order. Reads (Recover, ReadUsage) use their
// own connection and may run on any thread.
class Journal {
 public:
  // Opens or creates DIR/allot.db (creating DIR). DataLoss when the file is
  // not an allot journal or is damaged.
  static Result<std::unique_ptr<Journal>> Open(const std::string& dir, JournalOptions options = {});
  ~Journal();  // Close()

  // What start-up replays: the latest snapshot (if any), then every command
  // after it in sequence order.
  struct Recovery {
    int64_t snapshot_seq = 0;   // 0: no snapshot
    std::string snapshot_json;  // empty when none
    std::vector<JournalCommand> commands;
  };
  Result<Recovery> Recover();

  // Queues a command and its usage rows for the next group commit; returns its
  // sequence number. Never blocks on I/O. With `wake` false the writer is not
  // woken for it: a caller that appends several commands in a row calls
  // Flush once after them (fewer, larger group commits, one wake-up).
  int64_t Append(std::string command_json, std::vector<JournalUsage> usage, bool wake = true);
  // Wakes the writer for what was appended without waking it.
  void Flush();
  // Calls `done(status)` on the writer thread once everything up to `seq` is
  // committed (at once, on the caller's thread, when it already is and the
  // writer has called the earlier waiters; so the waiters registered by one
  // thread are called in its order, never one overtaking another). A failed
  // commit reports its error to every waiter of that batch and all later ones;
  // the journal is then unusable (the server stops acknowledging).
  void WhenDurable(int64_t seq, std::function<void(const Status&)> done);
  int64_t last_seq() const;     // last appended
  int64_t durable_seq() const;  // last committed

  // Queues a snapshot of the state after command `seq` (committed in order
  // with the commands). Once written, older snapshots are deleted, and the
  // commands up to `seq` a chunk per later commit (all of them by Close);
  // usage rows are kept. A second snapshot at the same
  // `seq` replaces the first; a `seq` past last_seq() moves numbering past it.
  void Snapshot(int64_t seq, std::string snapshot_json);

  // Usage rows that ended in [from, to), in end order, optionally only those
  // whose tenant path is `tenant_prefix` or below it (empty: all).
  Result<std::vector<std::string>> ReadUsage(Time from, Time to, const std::string& tenant_prefix);
  // One page of them; memory is bounded by `limit`, so a report over
  // millions of rows reads them a page at a time. Any thread.
  Result<UsagePage> ReadUsagePage(const UsagePageQuery& query);

  // Retention: deletes the usage rows that ended before `before`, on the
  // writer thread, kUsagePruneChunk rows per transaction between group
  // commits (a large delete never holds up a command's commit for long).
  // Later calls move the bound; it never moves back.
  void PruneUsage(Time before);
  // Rows deleted by PruneUsage since Open.
  int64_t usage_rows_pruned() const;

  // Commit latencies (seconds) and batch sizes since the last call, for metrics.
  struct CommitStats {
    std::vector<double> commit_seconds;
    std::vector<int> batch_sizes;
  };
  CommitStats TakeStats();

  // Commits what is pending and stops the writer thread; later Appends fail
  // their waiters with Unavailable.
  void Close();

  class Impl;

 private:
  explicit Journal(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace allot
