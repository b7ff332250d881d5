-- Core resources: assistants, threads, messages, files, uploads, API keys.
-- Ids sort in creation order (see core/ids.ts), so (scope, id) indexes serve every list.

CREATE TABLE assistants (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  name TEXT,
  description TEXT,
  model TEXT NOT NULL,
  instructions TEXT,
  tools TEXT NOT NULL,
  tool_resources TEXT,
  metadata TEXT NOT NULL,
  temperature DOUBLE PRECISION,
  top_p DOUBLE PRECISION,
  response_format TEXT,
  reasoning_effort TEXT
);
CREATE INDEX assistants_project ON assistants (project_id, id);

CREATE TABLE threads (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  tool_resources TEXT,
  metadata TEXT NOT NULL
);
CREATE INDEX threads_project ON threads (project_id, id);

CREATE TABLE messages (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  thread_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  assistant_id TEXT,
  run_id TEXT COLLATE "C",
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  attachments TEXT NOT NULL,
  metadata TEXT NOT NULL,
  status TEXT NOT NULL,
  incomplete_details TEXT,
  completed_at BIGINT,
  incomplete_at BIGINT
);
CREATE INDEX messages_thread ON messages (thread_id, id);
CREATE INDEX messages_thread_run ON messages (thread_id, run_id, id);

CREATE TABLE files (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  filename TEXT NOT NULL,
  purpose TEXT NOT NULL,
  status TEXT NOT NULL,
  status_details TEXT,
  expires_at BIGINT,
  blob_key TEXT NOT NULL,
  mime_type TEXT NOT NULL
);
CREATE INDEX files_project ON files (project_id, id);
CREATE INDEX files_expiry ON files (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE uploads (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  filename TEXT NOT NULL,
  purpose TEXT NOT NULL,
  mime_type TEXT NOT NULL,
  status TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  file_id TEXT,
  file_expires_after_seconds BIGINT
);
CREATE INDEX uploads_pending_expiry ON uploads (expires_at) WHERE status = 'pending';

CREATE TABLE upload_parts (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  upload_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  blob_key TEXT NOT NULL
);
CREATE INDEX upload_parts_upload ON upload_parts (upload_id, id);

CREATE TABLE api_keys (
  id TEXT COLLATE "C" PRIMARY KEY,
  project_id TEXT COLLATE "C" NOT NULL,
  name TEXT,
  key_hash TEXT NOT NULL UNIQUE,
  key_hint TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);
