// The writer side of the journal: Append and Snapshot queue work under
// mutex_, one thread takes up to max_batch items per transaction (group
// commit: the fsync of one COMMIT covers every command in it), then calls the
// durability callbacks of what it committed, in sequence order.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <utility>

#include "store/journal_impl.h"

namespace allot {

int64_t Journal::Impl::Append(std::string command_json, std::vector<JournalUsage> usage,
                              bool wake) {
  std::lock_guard lock(mutex_);
  int64_t seq = ++last_seq_;
  // Closed or failed: the command is not queued and its waiters are told so
  // (WhenDurable), so the server never acknowledges it.
  if (closing_ || !failed_.ok()) return seq;
  accepted_seq_ = seq;
  pending_.push_back({false, seq, std::move(command_json), std::move(usage)});
  if (wake) wake_.notify_one();
  return seq;
}

void Journal::Impl::Flush() {
  std::lock_guard lock(mutex_);
  if (!pending_.empty()) wake_.notify_one();
}

void Journal::Impl::WhenDurable(int64_t seq, Callback done) {
  Status now;
  {
    std::lock_guard lock(mutex_);
    if (seq > fired_seq_) {
      // Committed but the writer is still calling earlier waiters: join its
      // next round rather than overtake them. Not committed yet: wait,
      // unless the journal failed or closed before taking it.
      bool wait = seq <= durable_seq_ || (failed_.ok() && !(closing_ && seq > accepted_seq_));
      if (wait) {
        waiters_.emplace(seq, std::move(done));
        return;
      }
      now = failed_.ok() ? Unavailable("journal: closed") : failed_;
    }
  }
  done(now);
}

int64_t Journal::Impl::last_seq() const {
  std::lock_guard lock(mutex_);
  return last_seq_;
}

int64_t Journal::Impl::durable_seq() const {
  std::lock_guard lock(mutex_);
  return durable_seq_;
}

void Journal::Impl::Snapshot(int64_t seq, std::string snapshot_json) {
  std::lock_guard lock(mutex_);
  if (closing_ || !failed_.ok()) return;
  // A snapshot past the last command would let later commands take numbers
  // it already covers (and recovery skip them): number them after it.
  last_seq_ = accepted_seq_ = std::max(last_seq_, seq);
  pending_.push_back({true, seq, std::move(snapshot_json), {}});
  wake_.notify_one();
}

void Journal::Impl::PruneUsage(Time before) {
  std::lock_guard lock(mutex_);
  if (closing_ || !failed_.ok() || before <= usage_prune_before_) return;
  usage_prune_before_ = before;
  usage_prune_pending_ = true;
  wake_.notify_one();
}

int64_t Journal::Impl::usage_rows_pruned() const {
  std::lock_guard lock(mutex_);
  return usage_pruned_;
}

void Journal::Impl::PruneUsageChunk() {
  Time before = 0;
  {
    std::lock_guard lock(mutex_);
    before = usage_prune_before_;
  }
  int64_t deleted = 0;
  Status status = write_db_.Exec("BEGIN IMMEDIATE");
  if (status.ok()) {
    prune_usage_.Bind(1, before);
    prune_usage_.Bind(2, kUsagePruneChunk);
    status = prune_usage_.Run();
    prune_usage_.Reset();
    deleted = write_db_.changes();
    status = status.ok() ? write_db_.Exec("COMMIT") : status;
    if (!status.ok()) (void)write_db_.Exec("ROLLBACK");
  }
  std::lock_guard lock(mutex_);
  if (status.ok()) usage_pruned_ += deleted;
  // Done when a chunk came back short (or failed: retention is housekeeping,
  // the next PruneUsage tries again), unless the bound moved meanwhile.
  if ((!status.ok() || deleted < kUsagePruneChunk) && before == usage_prune_before_) {
    usage_prune_pending_ = false;
  }
}

Journal::CommitStats Journal::Impl::TakeStats() {
  std::lock_guard lock(mutex_);
  return std::exchange(stats_, CommitStats{});
}

void Journal::Impl::Close() {
  std::lock_guard close_lock(close_mutex_);
  {
    std::lock_guard lock(mutex_);
    closing_ = true;
    wake_.notify_one();
  }
  if (writer_.joinable()) writer_.join();
  // Nothing more is written: another process may take the directory.
  if (lock_fd_ >= 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
  }
  // The writer drained everything accepted; what still waits was never
  // appended (or the writer stopped on an error and told its waiters).
  std::multimap<int64_t, Callback> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(waiters_);
  }
  for (auto& [seq, done] : left) done(Unavailable("journal: closed"));
}

void Journal::Impl::Run() {
  std::vector<Item> batch;
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return !pending_.empty() || closing_ || usage_prune_pending_; });
      if (pending_.empty() && !closing_) {
        // Retention, a chunk at a time, only while no command waits.
        lock.unlock();
        PruneUsageChunk();
        continue;
      }
      if (pending_.empty()) {
        // Closing, and everything is committed: what a snapshot covers goes now.
        if (prune_pending_ && failed_.ok()) {
          lock.unlock();
          if (write_db_.Exec("BEGIN IMMEDIATE").ok()) {
            (void)(Prune(/*all=*/true).ok() ? write_db_.Exec("COMMIT")
                                            : write_db_.Exec("ROLLBACK"));
          }
        }
        return;
      }
      size_t take = std::min(pending_.size(), static_cast<size_t>(options_.max_batch));
      batch.assign(std::make_move_iterator(pending_.begin()),
                   std::make_move_iterator(pending_.begin() + static_cast<ptrdiff_t>(take)));
      pending_.erase(pending_.begin(), pending_.begin() + static_cast<ptrdiff_t>(take));
    }
    auto start = std::chrono::steady_clock::now();
    Status status = Commit(batch);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

    {
      std::lock_guard lock(mutex_);
      if (status.ok()) {
        for (const Item& item : batch) durable_seq_ = std::max(durable_seq_, item.seq);
        if (stats_.commit_seconds.size() < kMaxStats) {
          stats_.commit_seconds.push_back(seconds);
          stats_.batch_sizes.push_back(static_cast<int>(batch.size()));
        }
      } else {
        // Nothing after a failed commit may become durable out of order: the
        // journal stops, and every waiter, of this batch or later, hears why.
        failed_ = status;
        pending_.clear();
      }
    }
    // Callbacks run in rounds with no lock held. A waiter registered during a
    // round for a seq already committed joins the next one, so the waiters
    // of one thread (the engine's strand) are called in its order.
    while (true) {
      std::vector<Callback> ready;
      {
        std::lock_guard lock(mutex_);
        auto end = status.ok() ? waiters_.upper_bound(durable_seq_) : waiters_.end();
        if (end == waiters_.begin()) {
          fired_seq_ = durable_seq_;
          break;
        }
        for (auto it = waiters_.begin(); it != end; ++it) ready.push_back(std::move(it->second));
        waiters_.erase(waiters_.begin(), end);
      }
      for (Callback& done : ready) done(status);
    }
    if (!status.ok()) return;
    batch.clear();
  }
}

Status Journal::Impl::Commit(const std::vector<Item>& batch) {
  ALLOT_RETURN_IF_ERROR(write_db_.Exec("BEGIN IMMEDIATE"));
  for (const Item& item : batch) {
    Status written = Write(item);
    if (!written.ok()) {
      (void)write_db_.Exec("ROLLBACK");
      return written;
    }
  }
  if (prune_pending_) {
    Status pruned = Prune(/*all=*/false);
    if (!pruned.ok()) {
      (void)write_db_.Exec("ROLLBACK");
      return pruned;
    }
  }
  if (options_.before_commit) {
    Status injected = options_.before_commit();
    if (!injected.ok()) {
      (void)write_db_.Exec("ROLLBACK");
      return injected;
    }
  }
  Status committed = write_db_.Exec("COMMIT");
  // A failed COMMIT may leave the transaction open (SQLITE_BUSY, I/O).
  if (!committed.ok()) (void)write_db_.Exec("ROLLBACK");
  return committed;
}

Status Journal::Impl::Write(const Item& item) {
  auto run = [](store::SqliteStatement& statement) {
    Status status = statement.Run();
    statement.Reset();
    return status;
  };
  if (item.snapshot) {
    insert_snapshot_.Bind(1, item.seq);
    insert_snapshot_.Bind(2, item.json);
    ALLOT_RETURN_IF_ERROR(run(insert_snapshot_));
    prune_snapshots_.Bind(1, item.seq);
    ALLOT_RETURN_IF_ERROR(run(prune_snapshots_));
    // The commands it covers: a chunk in this transaction (Commit), the
    // rest in the next ones. (A failed commit ends the journal, so the
    // target never runs ahead of a snapshot that is not stored.)
    prune_to_ = std::max(prune_to_, item.seq);
    prune_pending_ = true;
    return Status::Ok();
  }
  insert_command_.Bind(1, item.seq);
  insert_command_.Bind(2, item.json);
  ALLOT_RETURN_IF_ERROR(run(insert_command_));
  for (const JournalUsage& row : item.usage) {
    insert_usage_.Bind(1, item.seq);
    insert_usage_.Bind(2, static_cast<int64_t>(row.lease));
    insert_usage_.Bind(3, row.tenant_path);
    insert_usage_.Bind(4, row.end);
    insert_usage_.Bind(5, row.json);
    ALLOT_RETURN_IF_ERROR(run(insert_usage_));
  }
  return Status::Ok();
}

Status Journal::Impl::Prune(bool all) {
  prune_commands_.Bind(1, prune_to_);
  prune_commands_.Bind(2, all ? std::numeric_limits<int64_t>::max() : kPruneChunk);
  Status status = prune_commands_.Run();
  prune_commands_.Reset();
  if (status.ok() && (all || write_db_.changes() < kPruneChunk)) prune_pending_ = false;
  return status;
}

}  // namespace allot
