import type { BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Store } from '../store/store.js';
import type { Authenticator } from './auth.js';

export interface Limits {
  bodyBytes: number;
  fileBytes: number;
  uploadPartBytes: number;
  uploadBytes: number;
}

/** Everything the HTTP layer needs, built by the composition root. */
export interface Deps {
  store: Store;
  blobs: BlobStore;
  clock: Clock;
  ids: IdGenerator;
  auth: Authenticator;
  limits: Limits;
  /** pino level for the server log; `silent` turns it off. */
  logLevel: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The project the caller's API key belongs to; every object lookup is scoped to it. */
    projectId: string;
  }
}
