// The SQLite journal: durability across reopen, group commit, durability
// callbacks, snapshots pruning commands, usage queries, damaged files and
// the behaviour after Close or a failed commit. Each test has its own
// directory, removed afterwards.
#include "store/journal.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <thread>

namespace allot {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = ::testing::TempDir() + "allot_journal_XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Journal> Open(JournalOptions options = {}) {
    Result<std::unique_ptr<Journal>> journal = Journal::Open(dir_, options);
    EXPECT_TRUE(journal.ok()) << journal.status().ToString();
    return journal.ok() ? std::move(journal).value() : nullptr;
  }
  // Options by position (designated initializers would have to name the
  // before_commit hook, which has no default member initializer).
  static JournalOptions Options(bool fsync, int max_batch = JournalOptions().max_batch) {
    JournalOptions options;
    options.fsync_each_commit = fsync;
    options.max_batch = max_batch;
    return options;
  }
  // Blocks until `seq` is durable (or failed) and returns the status.
  static Status Wait(Journal& journal, int64_t seq) {
    std::promise<Status> promise;
    journal.WhenDurable(seq, [&](const Status& status) { promise.set_value(status); });
    return promise.get_future().get();
  }
  static std::string Command(int64_t i) {
    return R"({"kind":"tick","at":)" + std::to_string(i) + "}";
  }
  static std::vector<std::string> Jsons(const std::vector<JournalCommand>& commands) {
    std::vector<std::string> out;
    for (const JournalCommand& command : commands) out.push_back(command.json);
    return out;
  }

  std::string dir_;
};

TEST_F(JournalTest, AppendsSurviveReopen) {
  {
    std::unique_ptr<Journal> journal = Open();
    Result<Journal::Recovery> empty = journal->Recover();
    ASSERT_TRUE(empty.ok()) << empty.status().ToString();
    EXPECT_EQ(empty->snapshot_seq, 0);
    EXPECT_TRUE(empty->commands.empty());
    for (int64_t i = 1; i <= 3; ++i) EXPECT_EQ(journal->Append(Command(i), {}), i);
    EXPECT_EQ(journal->last_seq(), 3);
    ASSERT_TRUE(Wait(*journal, 3).ok());
    EXPECT_EQ(journal->durable_seq(), 3);
    journal->Close();
  }
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/allot.db"));
  std::unique_ptr<Journal> reopened = Open();
  Result<Journal::Recovery> recovery = reopened->Recover();
  ASSERT_TRUE(recovery.ok()) << recovery.status().ToString();
  EXPECT_EQ(recovery->snapshot_seq, 0);
  EXPECT_EQ(recovery->snapshot_json, "");
  ASSERT_EQ(recovery->commands.size(), 3u);
  for (int64_t i = 1; i <= 3; ++i) {
    EXPECT_EQ(recovery->commands[static_cast<size_t>(i - 1)].seq, i);
    EXPECT_EQ(recovery->commands[static_cast<size_t>(i - 1)].json, Command(i));
  }
  // Numbering continues after what is stored.
  EXPECT_EQ(reopened->last_seq(), 3);
  EXPECT_EQ(reopened->durable_seq(), 3);
  EXPECT_EQ(reopened->Append(Command(4), {}), 4);
}

TEST_F(JournalTest, CloseCommitsWhatIsPending) {
  {
    std::unique_ptr<Journal> journal = Open();
    for (int64_t i = 1; i <= 500; ++i) journal->Append(Command(i), {});
  }  // the destructor closes without anyone waiting
  std::unique_ptr<Journal> reopened = Open();
  EXPECT_EQ(reopened->Recover()->commands.size(), 500u);
}

TEST_F(JournalTest, CreatesNestedDirectories) {
  std::string nested = dir_ + "/a/b";  // inside dir_, so TearDown removes it
  Result<std::unique_ptr<Journal>> journal = Journal::Open(nested);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  EXPECT_TRUE(std::filesystem::exists(nested + "/allot.db"));
}

TEST_F(JournalTest, GroupCommitBatches) {
  std::unique_ptr<Journal> journal = Open(Options(true, 4096));
  constexpr int kCommands = 10'000;
  for (int i = 1; i <= kCommands; ++i) journal->Append(Command(i), {});
  ASSERT_TRUE(Wait(*journal, kCommands).ok());
  Journal::CommitStats stats = journal->TakeStats();
  int total = 0;
  for (int size : stats.batch_sizes) {
    EXPECT_LE(size, 4096);
    total += size;
  }
  EXPECT_EQ(total, kCommands);
  EXPECT_EQ(stats.commit_seconds.size(), stats.batch_sizes.size());
  // One transaction per command would be 10,000 commits (and fsyncs).
  EXPECT_LT(stats.batch_sizes.size(), static_cast<size_t>(kCommands / 10))
      << "commits: " << stats.batch_sizes.size();
  EXPECT_TRUE(journal->TakeStats().batch_sizes.empty());  // taken
}

TEST_F(JournalTest, MaxBatchBoundsATransaction) {
  std::unique_ptr<Journal> journal = Open(Options(false, 7));
  for (int i = 1; i <= 100; ++i) journal->Append(Command(i), {});
  ASSERT_TRUE(Wait(*journal, 100).ok());
  Journal::CommitStats stats = journal->TakeStats();
  ASSERT_FALSE(stats.batch_sizes.empty());
  for (int size : stats.batch_sizes) EXPECT_LE(size, 7);
  EXPECT_GE(stats.batch_sizes.size(), 15u);  // ceil(100 / 7)
}

TEST_F(JournalTest, WhenDurableFiresOnceInOrder) {
  std::unique_ptr<Journal> journal = Open(Options(false));
  std::mutex mutex;
  std::vector<int64_t> fired;
  auto record = [&](int64_t seq) {
    return [&, seq](const Status& status) {
      EXPECT_TRUE(status.ok()) << status.ToString();
      std::lock_guard lock(mutex);
      fired.push_back(seq);
    };
  };
  constexpr int kCommands = 2000;
  for (int64_t i = 1; i <= kCommands; ++i) {
    journal->WhenDurable(journal->Append(Command(i), {}), record(i));
  }
  ASSERT_TRUE(Wait(*journal, kCommands).ok());
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(fired.size(), static_cast<size_t>(kCommands));
    for (int64_t i = 0; i < kCommands; ++i) EXPECT_EQ(fired[static_cast<size_t>(i)], i + 1);
  }
  // Once the writer is done (Close joins it), an already durable seq is
  // called at once, on this thread.
  journal->Close();
  std::thread::id caller;
  journal->WhenDurable(5, [&](const Status& status) {
    EXPECT_TRUE(status.ok());
    caller = std::this_thread::get_id();
  });
  EXPECT_EQ(caller, std::this_thread::get_id());
  std::lock_guard lock(mutex);
  EXPECT_EQ(fired.size(), static_cast<size_t>(kCommands));  // none fired twice
}

// A snapshot over many commands prunes them a chunk per later commit (one
// DELETE of them all held up the commands behind it); recovery is right at
// every point, and Close leaves none behind.
TEST_F(JournalTest, LargePrunesAreSpreadOverLaterCommits) {
  constexpr int kCovered = 3000;
  auto stored_commands = [&]() {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open((dir_ + "/allot.db").c_str(), &db), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM commands", -1, &statement, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return n;
  };
  {
    std::unique_ptr<Journal> journal = Open();
    for (int i = 1; i <= kCovered; ++i) journal->Append(Command(i), {});
    journal->Snapshot(kCovered, R"({"snapshot":1})");
    ASSERT_TRUE(Wait(*journal, kCovered).ok());
    int64_t after_snapshot = stored_commands();
    EXPECT_GT(after_snapshot, 0);  // not all in the snapshot's transaction
    EXPECT_LT(after_snapshot, kCovered);
    int64_t seq = kCovered;
    for (int commit = 0; commit < 10; ++commit) {
      seq = journal->Append(Command(seq + 1), {});
      ASSERT_TRUE(Wait(*journal, seq).ok());
      Result<Journal::Recovery> recovery = journal->Recover();
      ASSERT_TRUE(recovery.ok()) << recovery.status().ToString();
      EXPECT_EQ(recovery->snapshot_seq, kCovered);
      EXPECT_EQ(recovery->commands.size(), static_cast<size_t>(seq - kCovered));
    }
    EXPECT_EQ(stored_commands(), seq - kCovered);  // the covered ones are gone
    journal->Snapshot(seq, R"({"snapshot":2})");
    journal->Close();
  }
  EXPECT_EQ(stored_commands(), 0);
}

TEST_F(JournalTest, SnapshotPrunesCommandsAndRecoveryStartsFromIt) {
  {
    std::unique_ptr<Journal> journal = Open();
    for (int i = 1; i <= 5; ++i) journal->Append(Command(i), {});
    journal->Snapshot(3, R"({"snapshot":3})");
    journal->Snapshot(3, R"({"snapshot":"3 again"})");  // the same point twice replaces it
    journal->Append(Command(6), {});
    journal->Snapshot(6, R"({"snapshot":6})");
    journal->Append(Command(7), {});
    ASSERT_TRUE(Wait(*journal, 7).ok());
    Result<Journal::Recovery> recovery = journal->Recover();
    ASSERT_TRUE(recovery.ok()) << recovery.status().ToString();
    EXPECT_EQ(recovery->snapshot_seq, 6);
    EXPECT_EQ(recovery->snapshot_json, R"({"snapshot":6})");
    EXPECT_EQ(Jsons(recovery->commands), std::vector<std::string>{Command(7)});
  }
  // What is stored: only the latest snapshot and the commands after it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/allot.db").c_str(), &db), SQLITE_OK);
  auto count = [&](const char* sql) {
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &statement, nullptr), SQLITE_OK);
    EXPECT_EQ(sqlite3_step(statement), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return n;
  };
  EXPECT_EQ(count("SELECT count(*) FROM snapshots"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM commands"), 1);
  EXPECT_EQ(count("SELECT min(seq) FROM commands"), 7);
  sqlite3_close(db);
  // Reopened: the same recovery, and numbering continues after 7.
  std::unique_ptr<Journal> reopened = Open();
  Result<Journal::Recovery> recovery = reopened->Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->snapshot_seq, 6);
  EXPECT_EQ(recovery->commands.size(), 1u);
  EXPECT_EQ(reopened->Append(Command(8), {}), 8);
}

TEST_F(JournalTest, SequenceContinuesFromASnapshotWithNoLaterCommand) {
  {
    std::unique_ptr<Journal> journal = Open();
    for (int i = 1; i <= 4; ++i) journal->Append(Command(i), {});
    journal->Snapshot(4, "{}");
  }
  std::unique_ptr<Journal> reopened = Open();
  Result<Journal::Recovery> recovery = reopened->Recover();
  ASSERT_TRUE(recovery.ok());
  EXPECT_EQ(recovery->snapshot_seq, 4);
  EXPECT_TRUE(recovery->commands.empty());
  EXPECT_EQ(reopened->Append(Command(5), {}), 5);
}

TEST_F(JournalTest, UsageByTimeAndTenantPrefix) {
  std::unique_ptr<Journal> journal = Open(Options(false));
  auto row = [](uint64_t lease, std::string tenant, Time end) {
    return JournalUsage{lease, tenant, end, R"({"lease":)" + std::to_string(lease) + "}"};
  };
  journal->Append(Command(1), {row(1, "acme", 100), row(2, "acme/research", 200)});
  journal->Append(Command(2), {row(3, "acme/x", 300), row(4, "acme/re", 150)});
  journal->Append(Command(3), {row(5, "acme_", 250), row(6, "other", 120), row(7, "ac%", 130)});
  int64_t last = journal->Append(Command(4), {});
  ASSERT_TRUE(Wait(*journal, last).ok());
  auto leases = [&](Time from, Time to, const std::string& prefix) {
    Result<std::vector<std::string>> rows = journal->ReadUsage(from, to, prefix);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::string joined;
    for (const std::string& json : rows.ok() ? *rows : std::vector<std::string>{}) {
      joined += json.substr(9, json.size() - 10) + " ";  // {"lease":N} -> "N "
    }
    return joined;
  };
  // Every row, in end order.
  EXPECT_EQ(leases(0, 1000, ""), "1 6 7 4 2 5 3 ");
  // [from, to): 100 is in, 300 is out.
  EXPECT_EQ(leases(100, 300, ""), "1 6 7 4 2 5 ");
  EXPECT_EQ(leases(0, 1000, "acme"), "1 4 2 3 ");
  EXPECT_EQ(leases(0, 1000, "acme/re"), "4 ");  // not acme/research
  EXPECT_EQ(leases(0, 1000, "acme/research"), "2 ");
  EXPECT_EQ(leases(0, 1000, "ac%"), "7 ");  // a wildcard is a plain character
  EXPECT_EQ(leases(0, 1000, "acm_"), "");
  EXPECT_EQ(leases(0, 250, "acme"), "1 4 2 ");
}

TEST_F(JournalTest, UsagePagesFollowTheCursorThroughEqualEndTimes) {
  std::unique_ptr<Journal> journal = Open(Options(false));
  auto row = [](uint64_t lease, std::string tenant, Time end) {
    return JournalUsage{lease, tenant, end, std::to_string(lease)};
  };
  // Three rows share end 200: a cursor on end_us alone would skip or repeat.
  journal->Append(Command(1), {row(1, "a", 100), row(2, "a/x", 200), row(3, "b", 200)});
  int64_t last = journal->Append(Command(2), {row(4, "a", 200), row(5, "a", 300)});
  ASSERT_TRUE(Wait(*journal, last).ok());
  UsagePageQuery query{.from = 0, .to = 1000, .tenant_prefix = "", .limit = 2};
  std::string seen;
  int pages = 0;
  while (true) {
    Result<UsagePage> page = journal->ReadUsagePage(query);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    ++pages;
    for (const std::string& json : page->rows) seen += json + " ";
    if (!page->more) break;
    query.after_end = page->last_end;
    query.after_id = page->last_id;
  }
  EXPECT_EQ(seen, "1 2 3 4 5 ");
  EXPECT_EQ(pages, 3);
  query = {.from = 0, .to = 1000, .tenant_prefix = "a", .limit = 10};
  Result<UsagePage> under_a = journal->ReadUsagePage(query);
  ASSERT_TRUE(under_a.ok());
  EXPECT_EQ(under_a->rows, (std::vector<std::string>{"1", "2", "4", "5"}));
  EXPECT_FALSE(under_a->more);
}

TEST_F(JournalTest, RetentionPrunesOldUsageRowsInChunks) {
  std::unique_ptr<Journal> journal = Open(Options(false));
  std::vector<JournalUsage> rows;
  for (int i = 0; i < 2500; ++i) rows.push_back({static_cast<uint64_t>(i + 1), "t", i, "{}"});
  rows.push_back({9999, "t", 5000, "{}"});
  int64_t seq = journal->Append(Command(1), std::move(rows));
  ASSERT_TRUE(Wait(*journal, seq).ok());
  journal->PruneUsage(2400);  // 2400 rows, in three transactions
  for (int i = 0; i < 2000 && journal->usage_rows_pruned() < 2400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(journal->usage_rows_pruned(), 2400);
  Result<UsagePage> left =
      journal->ReadUsagePage({.from = 0, .to = 10000, .tenant_prefix = "", .limit = 1000});
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->rows.size(), 101u);
  // Commands still commit after pruning.
  EXPECT_TRUE(Wait(*journal, journal->Append(Command(2), {})).ok());
}

TEST_F(JournalTest, SecondOpenOfADirectoryIsRefusedNamingTheHolder) {
  std::unique_ptr<Journal> first = Open();
  Result<std::unique_ptr<Journal>> second = Journal::Open(dir_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("pid " + std::to_string(getpid())), std::string::npos)
      << second.status().message();
  first.reset();  // the lock goes with the journal
  EXPECT_TRUE(Journal::Open(dir_).ok());
}

TEST_F(JournalTest, InjectedCommitFailureReachesEveryWaiter) {
  std::atomic<bool> fail{false};
  std::unique_ptr<Journal> journal = Open(
      {.before_commit = [&] { return fail ? Internal("disk full (injected)") : Status::Ok(); }});
  ASSERT_TRUE(Wait(*journal, journal->Append(Command(1), {})).ok());
  fail = true;
  Status failed = Wait(*journal, journal->Append(Command(2), {}));
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("disk full"), std::string::npos);
  EXPECT_EQ(journal->durable_seq(), 1);
}

TEST_F(JournalTest, GarbageFileIsDataLoss) {
  std::filesystem::create_directories(dir_);
  {
    std::ofstream file(dir_ + "/allot.db", std::ios::binary);
    std::mt19937 random(3);
    for (int i = 0; i < 8192; ++i) file.put(static_cast<char>(random()));
  }
  Result<std::unique_ptr<Journal>> journal = Journal::Open(dir_);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), StatusCode::kDataLoss) << journal.status().ToString();
  EXPECT_NE(journal.status().message().find("not an allot journal"), std::string::npos);
}

TEST_F(JournalTest, ForeignSqliteDatabaseIsDataLossAndUntouched) {
  std::string path = dir_ + "/allot.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE meta(key TEXT, value TEXT); "
                         "CREATE TABLE commands(seq INTEGER, json TEXT); "
                         "CREATE TABLE usage(id INTEGER); CREATE TABLE snapshots(seq INTEGER);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Result<std::unique_ptr<Journal>> journal = Journal::Open(dir_);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), StatusCode::kDataLoss) << journal.status().ToString();
  EXPECT_NE(journal.status().message().find("no schema_version"), std::string::npos)
      << journal.status().message();
  // Not switched to WAL: a file that is not ours is left as it was.
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST_F(JournalTest, NewerSchemaVersionIsDataLoss) {
  { ASSERT_NE(Open(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/allot.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE meta SET value = '2' WHERE key = 'schema_version'", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Result<std::unique_ptr<Journal>> journal = Journal::Open(dir_);
  ASSERT_FALSE(journal.ok());
  EXPECT_EQ(journal.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(journal.status().message().find("schema version 2"), std::string::npos);
}

TEST_F(JournalTest, AppendAfterCloseFailsItsWaiterWithUnavailable) {
  std::unique_ptr<Journal> journal = Open();
  int64_t first = journal->Append(Command(1), {});
  journal->Close();
  EXPECT_TRUE(Wait(*journal, first).ok());  // committed by Close
  int64_t late = journal->Append(Command(2), {});
  Status status = Wait(*journal, late);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable) << status.ToString();
  journal->Close();  // twice is harmless
  std::unique_ptr<Journal> reopened = Open();
  EXPECT_EQ(reopened->Recover()->commands.size(), 1u);
}

TEST_F(JournalTest, FailedCommitFailsEveryWaiterAndStopsTheJournal) {
  std::unique_ptr<Journal> journal = Open();
  ASSERT_TRUE(Wait(*journal, journal->Append(Command(1), {})).ok());
  // Another connection makes every later insert fail, as a full disk would.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ + "/allot.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TRIGGER full BEFORE INSERT ON commands "
                         "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  int64_t second = journal->Append(Command(2), {});
  Status failed = Wait(*journal, second);
  EXPECT_EQ(failed.code(), StatusCode::kInternal) << failed.ToString();
  EXPECT_NE(failed.message().find("disk is full"), std::string::npos) << failed.message();
  EXPECT_EQ(journal->durable_seq(), 1);
  // Refused from now on, with the same error.
  EXPECT_EQ(Wait(*journal, journal->Append(Command(3), {})), failed);
  EXPECT_TRUE(Wait(*journal, 1).ok());  // what was durable stays so
}

}  // namespace
}  // namespace allot
