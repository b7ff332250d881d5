/** Row shapes of the SQL tables, shared by the SQLite and PostgreSQL backends. JSON is stored as text. */
export interface AssistantRow {
  id: string;
  project_id: string;
  created_at: number;
  name: string | null;
  description: string | null;
  model: string;
  instructions: string | null;
  tools: string;
  tool_resources: string | null;
  metadata: string;
  temperature: number | null;
  top_p: number | null;
  response_format: string | null;
  reasoning_effort: string | null;
}

export interface ThreadRow {
  id: string;
  project_id: string;
  created_at: number;
  tool_resources: string | null;
  metadata: string;
}

export interface MessageRow {
  id: string;
  project_id: string;
  thread_id: string;
  created_at: number;
  assistant_id: string | null;
  run_id: string | null;
  role: string;
  content: string;
  attachments: string;
  metadata: string;
  status: string;
  incomplete_details: string | null;
  completed_at: number | null;
  incomplete_at: number | null;
}

export interface FileRow {
  id: string;
  project_id: string;
  created_at: number;
  bytes: number;
  filename: string;
  purpose: string;
  status: string;
  status_details: string | null;
  expires_at: number | null;
  blob_key: string;
  mime_type: string;
}

export interface UploadRow {
  id: string;
  project_id: string;
  created_at: number;
  bytes: number;
  filename: string;
  purpose: string;
  mime_type: string;
  status: string;
  expires_at: number;
  file_id: string | null;
  file_expires_after_seconds: number | null;
}

export interface UploadPartRow {
  id: string;
  project_id: string;
  upload_id: string;
  created_at: number;
  bytes: number;
  blob_key: string;
}

export interface ApiKeyRow {
  id: string;
  project_id: string;
  name: string | null;
  key_hash: string;
  key_hint: string;
  created_at: number;
  revoked_at: number | null;
}

export interface RunRow {
  id: string;
  project_id: string;
  thread_id: string;
  created_at: number;
  status: string;
  expires_at: number | null;
  body: string;
  metadata: string;
  locked_by: string | null;
  locked_until: number | null;
  include_content: number;
}

export interface RunStepRow {
  id: string;
  project_id: string;
  thread_id: string;
  run_id: string;
  created_at: number;
  status: string;
  body: string;
}

export interface VectorStoreRow {
  id: string;
  project_id: string;
  created_at: number;
  name: string;
  description: string | null;
  expires_after: string | null;
  expires_at: number | null;
  last_active_at: number | null;
  metadata: string;
}

export interface VectorStoreFileRow {
  vector_store_id: string;
  file_id: string;
  project_id: string;
  created_at: number;
  status: string;
  usage_bytes: number;
  last_error: string | null;
  chunking_strategy: string;
  attributes: string | null;
  batch_id: string | null;
  attempts: number;
  locked_by: string | null;
  locked_until: number | null;
}

export interface FileBatchRow {
  id: string;
  project_id: string;
  vector_store_id: string;
  created_at: number;
  cancelled: number;
}

export interface Tables {
  assistants: AssistantRow;
  threads: ThreadRow;
  messages: MessageRow;
  files: FileRow;
  uploads: UploadRow;
  upload_parts: UploadPartRow;
  api_keys: ApiKeyRow;
  runs: RunRow;
  run_steps: RunStepRow;
  vector_stores: VectorStoreRow;
  vector_store_files: VectorStoreFileRow;
  vector_store_file_batches: FileBatchRow;
}

export function toJson(value: unknown): string {
  return JSON.stringify(value);
}

export function fromJson<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}
