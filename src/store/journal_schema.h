#pragma once

// The journal's SQLite schema (internal to journal.cc):
//   meta(key TEXT PRIMARY KEY, value TEXT)   application = allot-journal, schema_version = 1
//   commands(seq INTEGER PRIMARY KEY, json TEXT)
//   usage(id INTEGER PRIMARY KEY, seq, lease, tenant, end_us, json), index on end_us
//   snapshots(seq INTEGER PRIMARY KEY, json TEXT)

#include <string>

#include "common/result.h"
#include "store/sqlite_db.h"

namespace allot::store {

inline constexpr int kJournalSchemaVersion = 1;

// Creates the schema in an empty database, or checks that an existing one is
// an allot journal of this schema version (DataLoss otherwise: random bytes,
// another application's database, a newer version). Only then switches the
// file to WAL, so a foreign file is never modified. `synchronous_full`:
// synchronous=FULL, else NORMAL.
Status PrepareJournalSchema(SqliteDb& db, const std::string& path, bool synchronous_full);

// The highest sequence number stored, in commands or snapshots (0: none).
// The sequence number of the latest snapshot (0: none).
Result<int64_t> LatestSnapshotSeq(SqliteDb& db);
Result<int64_t> MaxStoredSeq(SqliteDb& db);

}  // namespace allot::store
