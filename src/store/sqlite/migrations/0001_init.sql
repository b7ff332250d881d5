-- Core resources: assistants, threads, messages, files, uploads, API keys.
-- Ids sort in creation order (see core/ids.ts), so (scope, id) indexes serve every list.

CREATE TABLE assistants (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  name TEXT,
  description TEXT,
  model TEXT NOT NULL,
  instructions TEXT,
  tools TEXT NOT NULL,
  tool_resources TEXT,
  metadata TEXT NOT NULL,
  temperature REAL,
  top_p REAL,
  response_format TEXT,
  reasoning_effort TEXT
);
CREATE INDEX assistants_project ON assistants (project_id, id);

CREATE TABLE threads (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  tool_resources TEXT,
  metadata TEXT NOT NULL
);
CREATE INDEX threads_project ON threads (project_id, id);

CREATE TABLE messages (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  assistant_id TEXT,
  run_id TEXT,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  attachments TEXT NOT NULL,
  metadata TEXT NOT NULL,
  status TEXT NOT NULL,
  incomplete_details TEXT,
  completed_at INTEGER,
  incomplete_at INTEGER
);
CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_thread_run ON messages (thread_id, run_id, id);

CREATE TABLE files (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  filename TEXT NOT NULL,
  purpose TEXT NOT NULL,
  status TEXT NOT NULL,
  status_details TEXT,
  expires_at INTEGER,
  blob_key TEXT NOT NULL,
  mime_type TEXT NOT NULL
);
CREATE INDEX files_project ON files (project_id, id);
CREATE INDEX files_expiry ON files (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  filename TEXT NOT NULL,
  purpose TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  status TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  file_id TEXT,
  file_expires_after_seconds INTEGER
);
CREATE INDEX uploads_pending_expiry ON uploads (expires_at) WHERE status = 'pending';

CREATE TABLE upload_parts (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  blob_key TEXT NOT NULL
);
CREATE INDEX upload_parts_upload ON upload_parts (upload_id, id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  project_id TEXT NOT NULL,
  name TEXT,
  key_hash TEXT NOT NULL UNIQUE,
  key_hint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
