import type { Kysely } from 'kysely';
import type { Store } from '../store.js';
import { apiKeyRepo } from './api-keys.js';
import { assistantRepo } from './assistants.js';
import { fileRepo } from './files.js';
import { messageRepo } from './messages.js';
import type { ReadNow } from './prepared.js';
import type { Tables } from './tables.js';
import { threadRepo } from './threads.js';
import { uploadRepo } from './uploads.js';
import { runRepo } from './runs.js';
import { stepRepo } from './steps.js';
import { fileBatchRepo, vectorStoreFileRepo, vectorStoreRepo } from './vector-stores.js';

/** A Store over Kysely, with the Kysely instance for other SQL components (the search index). */
export interface SqlStore extends Store {
  readonly kysely: Kysely<Tables>;
}

/**
 * The Store over Kysely: the same queries serve SQLite and PostgreSQL. `readNow` lets the hot
 * by-id reads skip Kysely's executor where the backend can run them synchronously (SQLite).
 */
export function createSqlStore(db: Kysely<Tables>, dialect: Store['dialect'], readNow?: ReadNow): SqlStore {
  return {
    kysely: db,
    dialect,
    assistants: assistantRepo(db, readNow),
    threads: threadRepo(db, readNow),
    messages: messageRepo(db),
    files: fileRepo(db),
    uploads: uploadRepo(db),
    apiKeys: apiKeyRepo(db),
    runs: runRepo(db, dialect),
    steps: stepRepo(db, dialect),
    vectorStores: vectorStoreRepo(db),
    vectorStoreFiles: vectorStoreFileRepo(db),
    fileBatches: fileBatchRepo(db),
    close: () => db.destroy(),
  };
}
