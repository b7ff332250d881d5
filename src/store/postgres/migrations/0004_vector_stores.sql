-- Vector stores, their files (each one an ingestion job with a worker lease) and file batches.
-- Counts, usage and statuses are derived from vector_store_files when read.

CREATE TABLE vector_stores (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  expires_after TEXT,
  expires_at BIGINT,
  last_active_at BIGINT,
  metadata TEXT NOT NULL
);
CREATE INDEX vector_stores_project ON vector_stores (project_id, id);

CREATE TABLE vector_store_files (
  vector_store_id TEXT COLLATE "C" NOT NULL,
  file_id TEXT COLLATE "C" NOT NULL,
  project_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  status TEXT NOT NULL,
  usage_bytes BIGINT NOT NULL,
  last_error TEXT,
  chunking_strategy TEXT NOT NULL,
  attributes TEXT,
  batch_id TEXT COLLATE "C",
  attempts BIGINT NOT NULL,
  locked_by TEXT,
  locked_until BIGINT,
  PRIMARY KEY (vector_store_id, file_id)
);
CREATE INDEX vector_store_files_file ON vector_store_files (file_id);
CREATE INDEX vector_store_files_batch ON vector_store_files (batch_id);
CREATE INDEX vector_store_files_pending ON vector_store_files (status, locked_until) WHERE status = 'in_progress';

CREATE TABLE vector_store_file_batches (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  vector_store_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  cancelled BIGINT NOT NULL
);
CREATE INDEX vector_store_file_batches_store ON vector_store_file_batches (vector_store_id);

-- Whether a run's file_search results carry their content (include[] on create).
ALTER TABLE runs ADD COLUMN include_content BIGINT NOT NULL DEFAULT 0;
