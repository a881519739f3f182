#pragma once

// Minimal owners of SQLite handles for the journal, reporting errors as
// Status (the C API returns codes, so nothing here throws). A damaged or
// foreign file (SQLITE_CORRUPT, SQLITE_NOTADB) is DataLoss; anything else
// (I/O, disk full, busy) is Internal. Move-only; each handle is used by one
// thread at a time.

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace allot::store {

// "<what>: <SQLite's message>" with the code mapped as above.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

class SqliteStatement {
 public:
  SqliteStatement() = default;
  SqliteStatement(sqlite3* db, sqlite3_stmt* statement) : db_(db), statement_(statement) {}
  SqliteStatement(SqliteStatement&& other) noexcept { *this = std::move(other); }
  SqliteStatement& operator=(SqliteStatement&& other) noexcept;
  ~SqliteStatement();

  // Parameters are numbered from 1, as in SQL's ?1.
  void Bind(int index, int64_t value);
  // The text is copied (SQLITE_TRANSIENT), so it need not outlive the step.
  void Bind(int index, std::string_view text);
  // True with a row to read, false when done.
  Result<bool> Step();
  // Runs a statement that returns no rows to its end.
  Status Run();
  // Ready for the next use: reset, bindings cleared.
  void Reset();
  int64_t Int(int column) const;
  std::string Text(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
};

class SqliteDb {
 public:
  SqliteDb() = default;
  SqliteDb(SqliteDb&& other) noexcept { *this = std::move(other); }
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  ~SqliteDb();

  // Opens (with SQLITE_OPEN_CREATE when `create`) and sets a busy timeout, so
  // a checkpoint or another connection's short write makes it wait, not fail.
  static Result<SqliteDb> Open(const std::string& path, bool create);

  Status Exec(const char* sql);
  Result<SqliteStatement> Prepare(std::string_view sql);
  sqlite3* get() const { return db_; }
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int64_t changes() const { return sqlite3_changes64(db_); }

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace allot::store
