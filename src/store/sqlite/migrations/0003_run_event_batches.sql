-- Event batches too large for a PostgreSQL NOTIFY payload. The SQLite store runs in one process,
-- whose in-memory event bus needs no table; this keeps the two schemas numbered alike.
CREATE TABLE run_event_batches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
