// Opening the journal, its reads (on their own connection, see
// journal_impl.h) and the public class's forwarding to Impl.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>

#include "store/journal_impl.h"
#include "store/journal_schema.h"

namespace allot {

using store::SqliteDb;
using store::SqliteStatement;

Status Journal::Impl::Start(const std::string& dir, JournalOptions options) {
  options_ = options;
  options_.max_batch = std::max(options_.max_batch, 1);
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Internal("journal: cannot create directory " + dir + ": " + error.message());
  ALLOT_RETURN_IF_ERROR(LockDirectory(dir));
  path_ = (std::filesystem::path(dir) / "allot.db").string();

  Result<SqliteDb> write = SqliteDb::Open(path_, /*create=*/true);
  if (!write.ok()) return write.status();
  write_db_ = std::move(write).value();
  ALLOT_RETURN_IF_ERROR(store::PrepareJournalSchema(write_db_, path_, options_.fsync_each_commit));
  Result<int64_t> max_seq = store::MaxStoredSeq(write_db_);
  if (!max_seq.ok()) return max_seq.status();
  last_seq_ = accepted_seq_ = durable_seq_ = fired_seq_ = *max_seq;
  // Commands a stored snapshot covers may be left from before a stop.
  Result<int64_t> snapshot_seq = store::LatestSnapshotSeq(write_db_);
  if (!snapshot_seq.ok()) return snapshot_seq.status();
  prune_to_ = *snapshot_seq;
  prune_pending_ = prune_to_ > 0;

  struct {
    SqliteStatement* statement;
    const char* sql;
  } const statements[] = {
      {&insert_command_, "INSERT INTO commands(seq, json) VALUES (?1, ?2)"},
      {&insert_usage_,
       "INSERT INTO usage(seq, lease, tenant, end_us, json) VALUES (?1, ?2, ?3, ?4, ?5)"},
      // REPLACE: two snapshots after the same command (no command between)
      // are one snapshot, not a constraint error that ends the journal.
      {&insert_snapshot_, "INSERT OR REPLACE INTO snapshots(seq, json) VALUES (?1, ?2)"},
      {&prune_commands_,
       "DELETE FROM commands WHERE seq IN "
       "(SELECT seq FROM commands WHERE seq <= ?1 ORDER BY seq LIMIT ?2)"},
      {&prune_snapshots_, "DELETE FROM snapshots WHERE seq < ?1"},
      {&prune_usage_,
       "DELETE FROM usage WHERE id IN "
       "(SELECT id FROM usage WHERE end_us < ?1 ORDER BY end_us LIMIT ?2)"},
  };
  for (const auto& [statement, sql] : statements) {
    Result<SqliteStatement> prepared = write_db_.Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *statement = std::move(prepared).value();
  }

  Result<SqliteDb> read = SqliteDb::Open(path_, /*create=*/false);
  if (!read.ok()) return read.status();
  read_db_ = std::move(read).value();
  ALLOT_RETURN_IF_ERROR(read_db_.Exec("PRAGMA query_only=1"));

  writer_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status Journal::Impl::LockDirectory(const std::string& dir) {
  std::string lock_path = (std::filesystem::path(dir) / "allot.lock").string();
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Internal("journal: cannot open " + lock_path + ": " + std::strerror(errno));
  }
  // flock, not fcntl locks: it belongs to this open file, so a second
  // journal on the same directory in this process is refused too, and the
  // kernel releases it when the process dies however it dies.
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int why = errno;
    char pid[32] = {};
    ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
    ::close(fd);
    std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    if (why == EWOULDBLOCK) {
      return FailedPrecondition("data directory " + dir +
                                " is in use by another allot process (pid " + holder +
                                ", lock file " + lock_path + ")");
    }
    return Internal("journal: cannot lock " + lock_path + ": " + std::strerror(why));
  }
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message of a refused second
    // server loses its detail.
  }
  lock_fd_ = fd;
  return Status::Ok();
}

Journal::Impl::~Impl() { Close(); }  // Close releases the lock

Result<Journal::Recovery> Journal::Impl::Recover() {
  std::lock_guard lock(read_mutex_);
  // One read transaction: a snapshot written meanwhile prunes commands, and
  // both reads must see the same state.
  ALLOT_RETURN_IF_ERROR(read_db_.Exec("BEGIN"));
  Recovery recovery;
  Status status = [&]() -> Status {
    Result<SqliteStatement> snapshot =
        read_db_.Prepare("SELECT seq, json FROM snapshots ORDER BY seq DESC LIMIT 1");
    if (!snapshot.ok()) return snapshot.status();
    Result<bool> row = snapshot->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      recovery.snapshot_seq = snapshot->Int(0);
      recovery.snapshot_json = snapshot->Text(1);
    }
    Result<SqliteStatement> commands =
        read_db_.Prepare("SELECT seq, json FROM commands WHERE seq > ?1 ORDER BY seq");
    if (!commands.ok()) return commands.status();
    commands->Bind(1, recovery.snapshot_seq);
    int64_t expected = recovery.snapshot_seq + 1;
    while (true) {
      row = commands->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      int64_t seq = commands->Int(0);
      // Commands are gap-free and a snapshot prunes only what it covers, so
      // a gap means rows were lost.
      if (seq != expected) {
        return DataLoss("journal: " + path_ + ": command " + std::to_string(expected) +
                        " is missing (next stored is " + std::to_string(seq) + ")");
      }
      ++expected;
      recovery.commands.push_back({seq, commands->Text(1)});
    }
    return Status::Ok();
  }();
  (void)read_db_.Exec("COMMIT");
  if (!status.ok()) return status;
  return recovery;
}

Result<std::vector<std::string>> Journal::Impl::ReadUsage(Time from, Time to,
                                                          const std::string& prefix) {
  std::lock_guard lock(read_mutex_);
  // substr instead of LIKE: no wildcard in a tenant path can widen the match,
  // and the '/' keeps "acme/re" from matching "acme/research".
  Result<SqliteStatement> query = read_db_.Prepare(
      "SELECT json FROM usage WHERE end_us >= ?1 AND end_us < ?2 AND "
      "(?3 = '' OR tenant = ?3 OR substr(tenant, 1, length(?3) + 1) = ?3 || '/') "
      "ORDER BY end_us, id");
  if (!query.ok()) return query.status();
  query->Bind(1, from);
  query->Bind(2, to);
  query->Bind(3, std::string_view(prefix));
  std::vector<std::string> rows;
  while (true) {
    Result<bool> row = query->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    rows.push_back(query->Text(0));
  }
  return rows;
}

Result<UsagePage> Journal::Impl::ReadUsagePage(const UsagePageQuery& query) {
  std::lock_guard lock(read_mutex_);
  // Keyset pagination on (end_us, id): usage_by_end holds the rowid, so
  // each page is an index range scan from the cursor, not an OFFSET that
  // re-reads every earlier row.
  Result<SqliteStatement> statement = read_db_.Prepare(
      "SELECT end_us, id, json FROM usage WHERE end_us >= ?1 AND end_us < ?2 AND "
      "(?3 = '' OR tenant = ?3 OR substr(tenant, 1, length(?3) + 1) = ?3 || '/') AND "
      "(?5 = 0 OR end_us > ?4 OR (end_us = ?4 AND id > ?5)) "
      "ORDER BY end_us, id LIMIT ?6");
  if (!statement.ok()) return statement.status();
  int64_t limit = std::max<int64_t>(query.limit, 1);
  statement->Bind(1, query.from);
  statement->Bind(2, query.to);
  statement->Bind(3, std::string_view(query.tenant_prefix));
  statement->Bind(4, query.after_end);
  statement->Bind(5, query.after_id);
  statement->Bind(6, limit + 1);  // one more than asked: is there a next page?
  UsagePage page;
  while (true) {
    Result<bool> row = statement->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int64_t>(page.rows.size()) == limit) {
      page.more = true;
      break;
    }
    page.last_end = statement->Int(0);
    page.last_id = statement->Int(1);
    page.rows.push_back(statement->Text(2));
  }
  return page;
}

// The public face forwards to Impl, which owns the thread and the handles.

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir, JournalOptions options) {
  auto impl = std::make_unique<Impl>();
  ALLOT_RETURN_IF_ERROR(impl->Start(dir, options));
  return std::unique_ptr<Journal>(new Journal(std::move(impl)));
}

Journal::Journal(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Journal::~Journal() = default;  // ~Impl closes
Result<Journal::Recovery> Journal::Recover() { return impl_->Recover(); }
int64_t Journal::Append(std::string command_json, std::vector<JournalUsage> usage, bool wake) {
  return impl_->Append(std::move(command_json), std::move(usage), wake);
}
void Journal::Flush() { impl_->Flush(); }
void Journal::WhenDurable(int64_t seq, std::function<void(const Status&)> done) {
  impl_->WhenDurable(seq, std::move(done));
}
int64_t Journal::last_seq() const { return impl_->last_seq(); }
int64_t Journal::durable_seq() const { return impl_->durable_seq(); }
void Journal::Snapshot(int64_t seq, std::string snapshot_json) {
  impl_->Snapshot(seq, std::move(snapshot_json));
}
Result<std::vector<std::string>> Journal::ReadUsage(Time from, Time to,
                                                    const std::string& tenant_prefix) {
  return impl_->ReadUsage(from, to, tenant_prefix);
}
Result<UsagePage> Journal::ReadUsagePage(const UsagePageQuery& query) {
  return impl_->ReadUsagePage(query);
}
void Journal::PruneUsage(Time before) { impl_->PruneUsage(before); }
int64_t Journal::usage_rows_pruned() const { return impl_->usage_rows_pruned(); }
Journal::CommitStats Journal::TakeStats() { return impl_->TakeStats(); }
void Journal::Close() { impl_->Close(); }

}  // namespace allot
