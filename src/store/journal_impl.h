#pragma once

// Internal to the journal: its implementation class, shared by journal.cc
// (opening, reads, the public forwarding) and journal_writer.cc (the queue,
// group commit and durability callbacks).
//
// Two SQLite connections: in WAL mode a reader sees the last committed state
// without blocking the writer, so Recover and ReadUsage may run while commits
// go on. The write connection belongs to the writer thread once it runs; the
// read connection is guarded by read_mutex_.
//
// Lock order: close_mutex_ -> mutex_; read_mutex_ alone. Callbacks are called
// with no lock held, so they may call back into the journal.

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/journal.h"
#include "store/sqlite_db.h"

namespace allot {

class Journal::Impl {
 public:
  ~Impl();
  Status Start(const std::string& dir, JournalOptions options);

  Result<Recovery> Recover();
  int64_t Append(std::string command_json, std::vector<JournalUsage> usage, bool wake);
  void Flush();
  void WhenDurable(int64_t seq, std::function<void(const Status&)> done);
  int64_t last_seq() const;
  int64_t durable_seq() const;
  void Snapshot(int64_t seq, std::string snapshot_json);
  Result<std::vector<std::string>> ReadUsage(Time from, Time to, const std::string& prefix);
  Result<UsagePage> ReadUsagePage(const UsagePageQuery& query);
  void PruneUsage(Time before);
  int64_t usage_rows_pruned() const;
  CommitStats TakeStats();
  void Close();

 private:
  // A queued command (with its usage rows) or snapshot, in sequence order.
  struct Item {
    bool snapshot = false;
    int64_t seq = 0;
    std::string json;
    std::vector<JournalUsage> usage;
  };
  using Callback = std::function<void(const Status&)>;
  // Stats kept between two TakeStats calls; a process that never scrapes
  // them keeps the first this many and drops the rest.
  static constexpr size_t kMaxStats = size_t{1} << 16;

  void Run();  // the writer thread
  Status Commit(const std::vector<Item>& batch);
  Status Write(const Item& item);
  // Deletes up to kPruneChunk commands a snapshot covers (all when `all`).
  Status Prune(bool all);
  // One transaction deleting up to kUsagePruneChunk usage rows older than
  // usage_prune_before_ (writer thread, nothing else pending).
  void PruneUsageChunk();
  // Takes an exclusive flock on DIR/allot.lock, writing our pid into it;
  // FailedPrecondition naming the holder's pid when another process has it.
  Status LockDirectory(const std::string& dir);

  // Commands covered by a snapshot are deleted a chunk per transaction, not
  // all in the snapshot's: deleting 50,000 rows at once held up the commit
  // of every command behind it for 25-50 ms. Recovery reads only the
  // commands after the latest snapshot, so rows left over are harmless.
  static constexpr int64_t kPruneChunk = 512;
  // Usage rows deleted per retention transaction (about 1-3 ms of work).
  static constexpr int64_t kUsagePruneChunk = 1000;

  JournalOptions options_;
  std::string path_;
  // Used only by the writer thread once it runs.
  int64_t prune_to_ = 0;  // commands up to here are covered by a snapshot
  bool prune_pending_ = false;
  store::SqliteDb write_db_;
  store::SqliteStatement insert_command_, insert_usage_, insert_snapshot_, prune_commands_,
      prune_snapshots_, prune_usage_;
  int lock_fd_ = -1;  // the data directory's lock, held until Close (close_mutex_)

  std::mutex read_mutex_;
  store::SqliteDb read_db_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // pending work, or closing
  std::deque<Item> pending_;
  std::multimap<int64_t, Callback> waiters_;  // by seq; equal seqs in registration order
  int64_t last_seq_ = 0;                      // last sequence number handed out
  int64_t accepted_seq_ = 0;  // last one queued for commit (Appends after Close are not)
  int64_t durable_seq_ = 0;
  int64_t fired_seq_ = 0;        // waiters up to here have been called (<= durable_seq_)
  Status failed_;                // the commit error that ended the journal
  Time usage_prune_before_ = 0;  // retention: usage rows ended before this go
  bool usage_prune_pending_ = false;
  int64_t usage_pruned_ = 0;
  bool closing_ = false;
  CommitStats stats_;

  std::mutex close_mutex_;
  std::thread writer_;
};

}  // namespace allot
