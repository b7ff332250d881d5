import { randomBytes } from 'node:crypto';
import { unixSeconds, type Clock } from '../core/clock.js';
import { ExtractError } from '../ingest/extract-types.js';
import { ingestFile, type IngestDeps } from '../ingest/ingest-file.js';
import { ClaimLoop } from './claim-loop.js';
import { ModelError } from '../model/language-model.js';
import type { Store, StoredVectorStoreFile } from '../store/store.js';
import { isTransientStoreError } from '../store/transient-errors.js';

export interface IngestWorkerDeps extends IngestDeps {
  store: Store;
  clock: Clock;
  logger: { error(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
}

export interface IngestWorkerOptions {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  /** Attempts before a file that keeps failing for transient reasons (crash, embedder or database down) fails. */
  maxAttempts: number;
}

/**
 * Ingests files added to vector stores, one job per vector-store file, claimed from the store with
 * a lease. Nothing runs inside the upload request. A worker that dies leaves its job to be claimed
 * again when the lease lapses; a file that cannot be read ends `failed` with its own `last_error`.
 */
export class IngestWorker {
  readonly id = `ingest_${randomBytes(6).toString('hex')}`;
  private readonly active = new Map<string, { job: StoredVectorStoreFile; controller: AbortController; done: Promise<void> }>();
  private readonly claims: ClaimLoop;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: IngestWorkerDeps,
    private readonly options: IngestWorkerOptions,
  ) {
    this.claims = new ClaimLoop({
      pollMs: options.pollMs,
      hasCapacity: () => this.active.size < this.options.concurrency,
      claimOne: async () => {
        const job = await this.deps.store.vectorStoreFiles.claim(this.id, this.deps.clock.nowMs(), this.options.leaseMs);
        if (job) this.run(job);
        return !!job;
      },
      onError: (err) => this.deps.logger.error({ err }, 'claiming an ingestion job failed'),
    });
  }

  start(): void {
    this.claims.start();
    this.timer = setInterval(() => void this.heartbeat(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    this.timer.unref();
  }

  notify(): void {
    this.claims.notify();
  }

  /** Resolves once no job is running or waiting in this process's view (tests, benchmarks). */
  get running(): number {
    return this.active.size;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.claims.stop();
    for (const a of this.active.values()) a.controller.abort();
    await Promise.all([...this.active.values()].map((a) => a.done));
  }

  private run(job: StoredVectorStoreFile): void {
    const key = `${job.vector_store_id}:${job.id}`;
    const controller = new AbortController();
    const done = this.process(job, controller.signal)
      .catch((err) => this.deps.logger.error({ err, key }, 'ingestion crashed'))
      .finally(() => {
        this.active.delete(key);
        this.notify();
      });
    this.active.set(key, { job, controller, done });
  }

  private async process(job: StoredVectorStoreFile, signal: AbortSignal): Promise<void> {
    const { store, clock } = this.deps;
    const finish = async (result: Parameters<Store['vectorStoreFiles']['finish']>[3]): Promise<boolean> => {
      const owned = await store.vectorStoreFiles.finish(this.id, job.vector_store_id, job.id, result);
      // A failed file keeps no chunks: an interrupted or failed attempt may have indexed some.
      if (owned && result.status === 'failed') {
        await this.deps.index
          .removeFile(job.vector_store_id, job.id)
          .catch((err) => this.deps.logger.error({ err, file: job.id }, 'removing the chunks of a failed file failed'));
      }
      return owned;
    };
    if (job.attempts > this.options.maxAttempts) {
      await finish({
        status: 'failed',
        usage_bytes: 0,
        last_error: { code: 'server_error', message: `Processing the file was interrupted ${job.attempts - 1} times; giving up.` },
      });
      return;
    }
    const file = await store.files.get(job.project_id, job.id, unixSeconds(clock));
    if (!file) {
      await finish({ status: 'failed', usage_bytes: 0, last_error: { code: 'invalid_file', message: `File ${job.id} no longer exists.` } });
      return;
    }
    try {
      const { usageBytes } = await ingestFile(this.deps, job, file, signal);
      if (!(await finish({ status: 'completed', usage_bytes: usageBytes, last_error: null }))) {
        // Removed from the store (or its batch cancelled) while it was being read: drop its chunks.
        const still = await store.vectorStoreFiles.get(job.project_id, job.vector_store_id, job.id);
        if (!still || still.status !== 'completed') await this.deps.index.removeFile(job.vector_store_id, job.id);
      }
    } catch (err) {
      if (signal.aborted) return; // shutting down: the lease lapses and another worker takes it
      if (err instanceof ExtractError) {
        await finish({ status: 'failed', usage_bytes: 0, last_error: { code: err.code, message: err.message } });
        return;
      }
      // the embedder or the database went away for a moment (PostgreSQL restarting): not the file's fault
      const transient = (err instanceof ModelError && err.retryable) || isTransientStoreError(err);
      if (transient && job.attempts < this.options.maxAttempts) {
        // leave it in_progress with a short lease: it will be claimed again
        this.deps.logger.warn({ err, file: job.id }, 'ingestion will be retried');
        return;
      }
      this.deps.logger.error({ err, file: job.id }, 'ingestion failed');
      const message = err instanceof Error ? err.message : String(err);
      await finish({ status: 'failed', usage_bytes: 0, last_error: { code: 'server_error', message: `Processing the file failed: ${message}` } });
    }
  }

  private async heartbeat(): Promise<void> {
    if (!this.active.size) return;
    try {
      await this.deps.store.vectorStoreFiles.heartbeat(
        this.id,
        [...this.active.values()].map((a) => ({ vectorStoreId: a.job.vector_store_id, fileId: a.job.id })),
        this.deps.clock.nowMs(),
        this.options.leaseMs,
      );
    } catch (err) {
      this.deps.logger.error({ err }, 'ingestion heartbeat failed');
    }
  }
}
