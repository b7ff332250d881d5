import type { BlobStore } from '../blobs/blob-store.js';
import type { Config } from '../config/config.js';
import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { EventBus } from '../events/event-bus.js';
import type { RunSlot } from '../engine/worker.js';
import type { Embedder } from '../model/embedder.js';
import type { SearchIndex } from '../search/search-index.js';
import type { Store } from '../store/store.js';
import type { Authenticator } from './auth.js';

/** Size and rate limits, as configured. */
export type Limits = Config['limits'];

/** The HTTP layer's handle on the run workers. */
export interface RunControl {
  /** A run was queued: start it now rather than at the next poll. */
  notify(): void;
  /** Aborts a run executing in this process (cancel); false when it is not here. */
  abort(runId: string): boolean;
  /** Room to start a run being queued here at once (see RunSlot); null when there is none. */
  reserve(): RunSlot | null;
}

/** Everything the HTTP layer needs, built by the composition root. */
export interface Deps {
  store: Store;
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
  auth: Authenticator;
  bus: EventBus;
  runControl: RunControl;
  /** Chunks of every vector store, for search. */
  index: SearchIndex;
  /** Semantic search when configured; keyword-only otherwise. */
  embedder: Embedder | null;
  /** What `GET /v1/health` reports about the tools (code_interpreter availability and limits). */
  toolHealth(): Promise<Record<string, unknown>>;
  /** Wakes the ingestion workers when files were added. */
  ingestControl: { notify(): void };
  limits: Limits;
  /** pino level for the server log; `silent` turns it off. */
  logLevel: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The project the caller's API key belongs to; every object lookup is scoped to it. */
    projectId: string;
    /** Who limits count against: the bearer key. */
    callerKey: string;
  }
}
