#include "store/journal_schema.h"

#include <set>

namespace allot::store {
namespace {

constexpr const char* kCreateSchema = R"sql(
BEGIN IMMEDIATE;
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE commands(seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
CREATE TABLE usage(id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, lease INTEGER NOT NULL,
                   tenant TEXT NOT NULL, end_us INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX usage_by_end ON usage(end_us);
CREATE TABLE snapshots(seq INTEGER PRIMARY KEY, json TEXT NOT NULL);
INSERT INTO meta(key, value) VALUES ('application', 'allot-journal'), ('schema_version', '1');
COMMIT;
)sql";

Status NotAJournal(const std::string& path, const std::string& why) {
  return DataLoss("journal: " + path + " is not an allot journal (" + why + ")");
}

// True for an empty database; DataLoss unless it is an allot journal of
// this version. Its statements are finalized on return, so no read is left
// open when the journal mode changes.
Result<bool> CheckExisting(SqliteDb& db, const std::string& path) {
  // The first read of the file: random bytes fail here with SQLITE_NOTADB.
  Result<SqliteStatement> tables =
      db.Prepare("SELECT name FROM sqlite_master WHERE type = 'table'");
  if (!tables.ok()) return NotAJournal(path, tables.status().message());
  std::set<std::string> names;
  while (true) {
    Result<bool> row = tables->Step();
    if (!row.ok()) return NotAJournal(path, row.status().message());
    if (!*row) break;
    names.insert(tables->Text(0));
  }
  if (names.empty()) return true;
  for (const char* table : {"meta", "commands", "usage", "snapshots"}) {
    if (names.count(table) == 0) return NotAJournal(path, std::string("no table ") + table);
  }
  Result<SqliteStatement> version =
      db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'");
  if (!version.ok()) return NotAJournal(path, version.status().message());
  Result<bool> row = version->Step();
  if (!row.ok()) return NotAJournal(path, row.status().message());
  if (!*row) return NotAJournal(path, "no schema_version in meta");
  std::string found = version->Text(0);
  if (found != std::to_string(kJournalSchemaVersion)) {
    return DataLoss("journal: " + path + " has schema version " + found +
                    ", this allot reads version " + std::to_string(kJournalSchemaVersion));
  }
  return false;
}

}  // namespace

Status PrepareJournalSchema(SqliteDb& db, const std::string& path, bool synchronous_full) {
  Result<bool> fresh_or_error = CheckExisting(db, path);
  if (!fresh_or_error.ok()) return fresh_or_error.status();
  bool fresh = *fresh_or_error;
  // WAL: readers (Recover, ReadUsage) never block the writer, and a commit
  // appends to the log instead of rewriting pages.
  {
    Result<SqliteStatement> mode = db.Prepare("PRAGMA journal_mode=WAL");
    if (!mode.ok()) return mode.status();
    Result<bool> row = mode->Step();
    if (!row.ok()) return row.status();
    if (!*row || mode->Text(0) != "wal") {
      return Internal("journal: " + path + " could not be switched to WAL mode");
    }
  }
  ALLOT_RETURN_IF_ERROR(
      db.Exec(synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
  if (fresh) {
    Status created = db.Exec(kCreateSchema);
    if (!created.ok()) {
      (void)db.Exec("ROLLBACK");
      return created;
    }
  }
  return Status::Ok();
}

Result<int64_t> LatestSnapshotSeq(SqliteDb& db) {
  Result<SqliteStatement> max = db.Prepare("SELECT coalesce(max(seq), 0) FROM snapshots");
  if (!max.ok()) return max.status();
  Result<bool> row = max->Step();
  if (!row.ok()) return row.status();
  return *row ? max->Int(0) : 0;
}

Result<int64_t> MaxStoredSeq(SqliteDb& db) {
  Result<SqliteStatement> max = db.Prepare(
      "SELECT max(coalesce((SELECT max(seq) FROM commands), 0), "
      "coalesce((SELECT max(seq) FROM snapshots), 0))");
  if (!max.ok()) return max.status();
  Result<bool> row = max->Step();
  if (!row.ok()) return row.status();
  return *row ? max->Int(0) : 0;
}

}  // namespace allot::store
