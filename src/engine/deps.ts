import type { BlobStore } from '../blobs/blob-store.js';
import type { Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { EventBus } from '../events/event-bus.js';
import type { Embedder } from '../model/embedder.js';
import type { ModelRouter } from '../model/router.js';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { SearchIndex } from '../search/search-index.js';
import type { Store } from '../store/store.js';

export interface EngineLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EngineDeps {
  store: Store;
  blobs: BlobStore;
  bus: EventBus;
  clock: Clock;
  ids: IdGenerator;
  router: ModelRouter;
  logger: EngineLogger;
  retry: { maxRetries: number; baseMs: number };
  /** file_search reads vector stores through these. */
  index: SearchIndex;
  embedder: Embedder | null;
  /** code_interpreter runs here; null when the server has no sandbox. */
  sandbox: Sandbox | null;
}
