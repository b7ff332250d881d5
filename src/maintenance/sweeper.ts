import type { FastifyBaseLogger } from 'fastify';
import type { BlobStore } from '../blobs/blob-store.js';
import { unixSeconds, type Clock } from '../core/clock.js';
import type { Store } from '../store/store.js';

/** A blob's partial write untouched this long belongs to a put that died (a crash mid-upload). */
export const ABANDONED_BLOB_MS = 60 * 60 * 1000;

/**
 * Deletes what has expired: files past `expires_at` (already invisible to the API) and pending
 * uploads past their hour, with their bytes.
 */
export async function sweepOnce(deps: { store: Store; blobs: BlobStore; clock: Clock }): Promise<number> {
  const { store, blobs, clock } = deps;
  const now = unixSeconds(clock);
  let removed = 0;
  for (const { projectId, file } of await store.files.listExpired(now, 500)) {
    if (await store.files.delete(projectId, file.id)) removed++;
    await blobs.delete(file.blob_key);
  }
  for (const { projectId, upload } of await store.uploads.listExpired(now, 500)) {
    if (await store.uploads.finish(projectId, { ...upload, status: 'expired' })) removed++;
    for (const part of await store.uploads.listParts(projectId, upload.id)) await blobs.delete(part.blob_key);
  }
  return removed;
}

export function startSweeper(
  deps: { store: Store; blobs: BlobStore; clock: Clock; logger: FastifyBaseLogger },
  /** Other periodic clean-ups (e.g. the event bus's stored batches). */
  extraTasks: Array<() => Promise<unknown>> = [],
  intervalMs = 60_000,
): { stop(): void } {
  let running = false;
  let lastBlobSweep = -Infinity;
  // partial blob writes: walking the blob directory is not free, so once an hour (first at the first tick)
  const sweepBlobs = async (): Promise<number> => {
    const now = deps.clock.nowMs();
    if (now - lastBlobSweep < ABANDONED_BLOB_MS) return 0;
    lastBlobSweep = now;
    const removed = await deps.blobs.removeAbandoned(now - ABANDONED_BLOB_MS);
    if (removed > 0) deps.logger.info({ removed }, 'removed partial file writes abandoned by a stopped process');
    return removed;
  };
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    Promise.all([sweepOnce(deps), sweepBlobs(), ...extraTasks.map((t) => t())])
      .catch((err) => deps.logger.error({ err }, 'sweeper failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
