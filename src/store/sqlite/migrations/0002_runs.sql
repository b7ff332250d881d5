-- Runs and run steps. The wire object lives in `body` (JSON); the columns hold what queries and
-- concurrent writers need: status (compare-and-set), metadata (changed by clients while a
-- worker owns the run) and the worker's lease.

CREATE TABLE runs (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  expires_at INTEGER,
  body TEXT NOT NULL,
  metadata TEXT NOT NULL,
  locked_by TEXT,
  locked_until INTEGER
);
CREATE INDEX runs_thread ON runs (thread_id, id);
CREATE INDEX runs_status ON runs (status, id);
CREATE INDEX runs_waiting ON runs (expires_at) WHERE status = 'requires_action';
-- One active run per thread, enforced by the database itself: a second insert fails.
CREATE UNIQUE INDEX runs_one_active_per_thread ON runs (thread_id)
  WHERE status IN ('queued', 'in_progress', 'requires_action', 'cancelling');

CREATE TABLE run_steps (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  run_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX run_steps_run ON run_steps (run_id, id);
CREATE INDEX run_steps_thread ON run_steps (thread_id);
