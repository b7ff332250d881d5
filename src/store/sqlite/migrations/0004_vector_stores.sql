-- Vector stores, their files (each one an ingestion job with a worker lease) and file batches.
-- Counts, usage and statuses are derived from vector_store_files when read.

CREATE TABLE vector_stores (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  expires_after TEXT,
  expires_at INTEGER,
  last_active_at INTEGER,
  metadata TEXT NOT NULL
);
CREATE INDEX vector_stores_project ON vector_stores (project_id, id);

CREATE TABLE vector_store_files (
  vector_store_id TEXT NOT NULL,
  file_id TEXT NOT NULL,
  project_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  usage_bytes INTEGER NOT NULL,
  last_error TEXT,
  chunking_strategy TEXT NOT NULL,
  attributes TEXT,
  batch_id TEXT,
  attempts INTEGER NOT NULL,
  locked_by TEXT,
  locked_until INTEGER,
  PRIMARY KEY (vector_store_id, file_id)
);
CREATE INDEX vector_store_files_file ON vector_store_files (file_id);
CREATE INDEX vector_store_files_batch ON vector_store_files (batch_id);
CREATE INDEX vector_store_files_pending ON vector_store_files (status, locked_until) WHERE status = 'in_progress';

CREATE TABLE vector_store_file_batches (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  vector_store_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  cancelled INTEGER NOT NULL
);
CREATE INDEX vector_store_file_batches_store ON vector_store_file_batches (vector_store_id);

-- Whether a run's file_search results carry their content (include[] on create).
ALTER TABLE runs ADD COLUMN include_content INTEGER NOT NULL DEFAULT 0;
