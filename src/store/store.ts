/**
 * The persistence seam. One interface, per-entity repositories, two backends (SQLite and
 * PostgreSQL) that share a Kysely implementation in `sql/` and differ only in connection and
 * migrations. Every read and write is scoped to a project: an id from another project is absent.
 */
import type {
  Assistant,
  Attributes,
  FileCounts,
  Message,
  Metadata,
  OpenAIFile,
  Run,
  RunStatus,
  RunStep,
  Thread,
  Upload,
  UploadPart,
  VectorStoreFile,
  VectorStoreFileStatus,
} from '../core/wire.js';
import type { ListQuery, Page } from '../core/page.js';

export interface AssistantRepo {
  insert(projectId: string, assistant: Assistant): Promise<void>;
  get(projectId: string, id: string): Promise<Assistant | undefined>;
  /** The same assistant as wire JSON, byte for byte `JSON.stringify` of what `get` returns. */
  getJson(projectId: string, id: string): Promise<string | undefined>;
  /** Replaces the stored object; false when it no longer exists. */
  update(projectId: string, assistant: Assistant): Promise<boolean>;
  delete(projectId: string, id: string): Promise<boolean>;
  list(projectId: string, query: ListQuery): Promise<Page<Assistant>>;
}

export interface ThreadRepo {
  /** Inserts the thread and its initial messages atomically. */
  insert(projectId: string, thread: Thread, messages: Message[]): Promise<void>;
  get(projectId: string, id: string): Promise<Thread | undefined>;
  /** The same thread as wire JSON, byte for byte `JSON.stringify` of what `get` returns. */
  getJson(projectId: string, id: string): Promise<string | undefined>;
  update(projectId: string, thread: Thread): Promise<boolean>;
  /** Deletes the thread with everything that hangs off it (messages, runs, steps). */
  delete(projectId: string, id: string): Promise<boolean>;
}

export interface MessageListQuery extends ListQuery {
  runId?: string;
}

export interface MessageRepo {
  insert(projectId: string, message: Message): Promise<void>;
  get(projectId: string, threadId: string, id: string): Promise<Message | undefined>;
  update(projectId: string, message: Message): Promise<boolean>;
  delete(projectId: string, threadId: string, id: string): Promise<boolean>;
  list(projectId: string, threadId: string, query: MessageListQuery): Promise<Page<Message>>;
  /** Every message of a thread in creation order (prompt building). */
  all(projectId: string, threadId: string): Promise<Message[]>;
  /** Messages a run wrote that are still in_progress (crash recovery). */
  inProgressForRun(projectId: string, threadId: string, runId: string): Promise<Message[]>;
}

export interface StoredFile extends OpenAIFile {
  /** Where the bytes live in the blob store. */
  blob_key: string;
  mime_type: string;
}

export interface FileListQuery extends ListQuery {
  purpose?: string;
  /** Files whose `expires_at` is at or before this second are not listed. */
  now: number;
}

export interface FileRepo {
  insert(projectId: string, file: StoredFile): Promise<void>;
  /** Expired files (expires_at <= now) are absent. */
  get(projectId: string, id: string, now: number): Promise<StoredFile | undefined>;
  delete(projectId: string, id: string): Promise<boolean>;
  list(projectId: string, query: FileListQuery): Promise<Page<StoredFile>>;
  /** Expired files of every project, oldest first, for the sweeper. */
  listExpired(now: number, limit: number): Promise<Array<{ projectId: string; file: StoredFile }>>;
}

export interface StoredUpload extends Omit<Upload, 'file'> {
  /** The File made by `complete`, once there is one. */
  file_id: string | null;
  mime_type: string;
  file_expires_after_seconds: number | null;
}

export interface StoredUploadPart extends UploadPart {
  bytes: number;
  blob_key: string;
}

export interface UploadRepo {
  insert(projectId: string, upload: StoredUpload): Promise<void>;
  get(projectId: string, id: string): Promise<StoredUpload | undefined>;
  /**
   * Moves an upload out of `pending` (to completed/cancelled/expired) only if it is still
   * pending; false when another request got there first. Completing, `file` is created in the
   * same transaction: a completed upload always has its File, and no File outlives a failed one.
   */
  finish(projectId: string, upload: StoredUpload, file?: StoredFile): Promise<boolean>;
  insertPart(projectId: string, part: StoredUploadPart): Promise<void>;
  listParts(projectId: string, uploadId: string): Promise<StoredUploadPart[]>;
  /** Pending uploads past their expiry, for the sweeper. */
  listExpired(now: number, limit: number): Promise<Array<{ projectId: string; upload: StoredUpload }>>;
}

export interface ApiKeyRecord {
  id: string;
  project_id: string;
  name: string | null;
  key_hash: string;
  key_hint: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ApiKeyRepo {
  insert(key: ApiKeyRecord): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  list(): Promise<ApiKeyRecord[]>;
  revoke(idOrHint: string, at: number): Promise<ApiKeyRecord | undefined>;
  countActive(): Promise<number>;
}

/** Thrown by `runs.insert` when the thread already has a run in an active status. */
export class ActiveRunConflict extends Error {
  constructor(readonly threadId: string, readonly activeRunId: string | undefined) {
    super(`thread ${threadId} already has an active run ${activeRunId ?? ''}`);
  }
}

/**
 * A lease taken by whoever writes a run into `queued`, so no worker claims it before that writer has
 * published its events (`release(by, id)` then frees it; if the writer dies it lapses).
 */
export interface RunHold {
  by: string;
  untilMs: number;
}

export interface OwnedRun {
  projectId: string;
  run: Run;
  /** file_search results carry their content in this run's events (include[] on create). */
  includeContent: boolean;
}

export interface RunRepo {
  /**
   * Inserts a run, atomically with a new thread (create-and-run) and any messages that go in first
   * (`additional_messages`). Throws ActiveRunConflict when the thread has an active run. The run is
   * `queued`, under `hold` while its writer publishes its events; or, when the writer's process
   * executes it at once, already claimed: `in_progress` with that worker's lease as `hold`.
   */
  insert(projectId: string, run: Run, with_: { thread?: Thread; messages: Message[]; includeContent?: boolean; hold?: RunHold }): Promise<void>;
  get(projectId: string, threadId: string, id: string): Promise<Run | undefined>;
  list(projectId: string, threadId: string, query: ListQuery): Promise<Page<Run>>;
  active(projectId: string, threadId: string): Promise<Run | undefined>;
  /**
   * Writes the run only if its stored status is one of `expected` (compare-and-set), and with it,
   * in the same transaction, `steps` (so a worker never sees the run without them) and
   * `messages` (so a run's last answer is finished exactly when the run is).
   */
  save(projectId: string, run: Run, expected: readonly RunStatus[], steps?: RunStep[], messages?: Message[], hold?: RunHold): Promise<boolean>;
  updateMetadata(projectId: string, threadId: string, id: string, metadata: Metadata): Promise<boolean>;
  /** Takes the oldest queued runs (up to `limit`, default 1) whose lease is free, moving them to in_progress under `workerId`; oldest first. */
  claim(workerId: string, nowMs: number, leaseMs: number, limit?: number): Promise<OwnedRun[]>;
  /** Extends the lease of runs this worker holds; returns their current statuses. */
  heartbeat(workerId: string, ids: string[], nowMs: number, leaseMs: number): Promise<Map<string, RunStatus>>;
  /** Clears the lease (the run stays in whatever status it was saved with). */
  release(workerId: string, id: string): Promise<void>;
  /** Runs in in_progress/cancelling whose worker lease has lapsed (the worker died). */
  listOrphaned(nowMs: number, limit: number): Promise<OwnedRun[]>;
  /** Runs waiting in requires_action past `expires_at`. */
  listExpiring(nowSeconds: number, limit: number): Promise<OwnedRun[]>;
}

export interface StepRepo {
  /**
   * Inserts a step; with `message` (the one a message_creation step creates), both at once, in
   * one statement or transaction.
   */
  insert(projectId: string, step: RunStep, message?: Message): Promise<void>;
  save(projectId: string, step: RunStep): Promise<void>;
  get(projectId: string, threadId: string, runId: string, id: string): Promise<RunStep | undefined>;
  list(projectId: string, threadId: string, runId: string, query: ListQuery): Promise<Page<RunStep>>;
  /** Every step of a run in creation order. */
  forRun(projectId: string, runId: string): Promise<RunStep[]>;
}

/** A vector store as stored; counts, usage and status are derived from its files when read. */
export interface StoredVectorStore {
  id: string;
  created_at: number;
  name: string;
  description: string | null;
  expires_after: { anchor: 'last_active_at'; days: number } | null;
  expires_at: number | null;
  last_active_at: number | null;
  metadata: Metadata;
}

export interface VectorStoreStats {
  file_counts: FileCounts;
  usage_bytes: number;
}

export interface VectorStoreRepo {
  insert(projectId: string, vs: StoredVectorStore): Promise<void>;
  get(projectId: string, id: string): Promise<StoredVectorStore | undefined>;
  update(projectId: string, vs: StoredVectorStore): Promise<boolean>;
  /** Deletes the store with its file records and batches (the search index is the caller's). */
  delete(projectId: string, id: string): Promise<boolean>;
  list(projectId: string, query: ListQuery): Promise<Page<StoredVectorStore>>;
  stats(ids: string[]): Promise<Map<string, VectorStoreStats>>;
}

/** A file in a vector store, which is also its ingestion job. */
export interface StoredVectorStoreFile extends Omit<VectorStoreFile, 'object'> {
  project_id: string;
  batch_id: string | null;
  attempts: number;
}

export interface VectorStoreFileListQuery extends ListQuery {
  status?: VectorStoreFileStatus;
  batchId?: string;
}

export interface VectorStoreFileRepo {
  /** Adds a file to a store, or re-adds it (back to in_progress) if it is already there. */
  upsert(file: StoredVectorStoreFile): Promise<void>;
  get(projectId: string, vectorStoreId: string, fileId: string): Promise<StoredVectorStoreFile | undefined>;
  list(projectId: string, vectorStoreId: string, query: VectorStoreFileListQuery): Promise<Page<StoredVectorStoreFile>>;
  /** Every file of a store (filters, attribute look-ups). */
  all(projectId: string, vectorStoreId: string): Promise<StoredVectorStoreFile[]>;
  setAttributes(projectId: string, vectorStoreId: string, fileId: string, attributes: Attributes | null): Promise<boolean>;
  delete(projectId: string, vectorStoreId: string, fileId: string): Promise<boolean>;
  /** The stores a file is in (deleting a File removes it from all of them). */
  storesOf(projectId: string, fileId: string): Promise<string[]>;
  /** Takes the oldest waiting ingestion job whose lease is free (attempts + 1). */
  claim(workerId: string, nowMs: number, leaseMs: number): Promise<StoredVectorStoreFile | undefined>;
  /** Extends leases; returns the jobs still held (a deleted or cancelled file drops out). */
  heartbeat(workerId: string, keys: Array<{ vectorStoreId: string; fileId: string }>, nowMs: number, leaseMs: number): Promise<void>;
  /**
   * Ends a job this worker holds: status, usage and error, only if it is still in_progress under
   * this worker (false when it was deleted or cancelled meanwhile).
   */
  finish(
    workerId: string,
    vectorStoreId: string,
    fileId: string,
    result: { status: 'completed' | 'failed'; usage_bytes: number; last_error: VectorStoreFile['last_error'] },
  ): Promise<boolean>;
  /** Cancels a batch's files that no worker has started. */
  cancelUnstarted(batchId: string): Promise<number>;
  batchCounts(batchIds: string[]): Promise<Map<string, FileCounts>>;
  /** Waiting jobs, for status reporting at start-up. */
  countPending(): Promise<number>;
}

export interface StoredFileBatch {
  id: string;
  vector_store_id: string;
  created_at: number;
  cancelled: boolean;
}

export interface FileBatchRepo {
  insert(projectId: string, batch: StoredFileBatch): Promise<void>;
  get(projectId: string, vectorStoreId: string, id: string): Promise<StoredFileBatch | undefined>;
  markCancelled(projectId: string, id: string): Promise<void>;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly assistants: AssistantRepo;
  readonly threads: ThreadRepo;
  readonly messages: MessageRepo;
  readonly files: FileRepo;
  readonly uploads: UploadRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly runs: RunRepo;
  readonly steps: StepRepo;
  readonly vectorStores: VectorStoreRepo;
  readonly vectorStoreFiles: VectorStoreFileRepo;
  readonly fileBatches: FileBatchRepo;
  close(): Promise<void>;
}
