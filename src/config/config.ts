import { resolve } from 'node:path';
import { loadModelRouting } from './model-routing.js';

/** Everything the server reads from its environment, parsed once (see `loadConfig`). */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<path>` (default `<dataDir>/open-assistants.db`) or a `postgres://` URL. */
  database: { kind: 'sqlite'; filename: string } | { kind: 'postgres'; url: string; poolSize: number };
  /** Keys from `API_KEYS` (`key` or `key:project`, comma-separated); empty means "none from env". */
  envApiKeys: Array<{ key: string; projectId: string }>;
  limits: {
    /** Largest JSON request body, bytes. */
    bodyBytes: number;
    /** Largest file accepted by `POST /files`, bytes. */
    fileBytes: number;
    /** Largest upload part, bytes. */
    uploadPartBytes: number;
    /** Largest `bytes` an Upload may declare. */
    uploadBytes: number;
    /** Requests per minute per API key; 0 means no limit. */
    requestsPerMinute: number;
    /** Streaming responses open at once per API key; 0 means no limit. */
    streamsPerKey: number;
  };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Which provider serves which model (`UPSTREAM_BASE_URL`, `OPEN_ASSISTANTS_CONFIG`). */
  models: ModelRouting;
  /** An OpenAI-compatible embeddings endpoint for semantic file search; null means keyword-only. */
  embeddings: { baseUrl: string; apiKey: string | null; model: string } | null;
  ingest: {
    /** Files one process ingests at once. */
    concurrency: number;
  };
  /** The code_interpreter sandbox; null when turned off (`CODE_INTERPRETER=off`). */
  sandbox: {
    memoryBytes: number;
    execTimeoutMs: number;
    maxSessions: number;
    idleTimeoutMs: number;
  } | null;
  runs: {
    /** Runs one process executes at once; 0 serves the API only (another process runs them). */
    concurrency: number;
    /** Abort an upstream request when it sends nothing for this long. */
    upstreamIdleTimeoutMs: number;
    /** Retries of a 429, 5xx or timed-out upstream call before the run fails. */
    upstreamMaxRetries: number;
    /** First back-off delay; doubles per retry (a `retry-after` header wins). */
    upstreamRetryBaseMs: number;
    /** How long a worker's claim on a run lasts without a heartbeat. */
    leaseMs: number;
    /** How often workers look for runs queued elsewhere, orphaned runs and expired tool waits. */
    pollMs: number;
  };
}

export class ConfigError extends Error {}

export const DEFAULT_PROJECT = 'default';

const MB = 1024 * 1024;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.DATA_DIR || './data');
  const dbUrl = env.DATABASE_URL?.trim();
  let database: Config['database'];
  if (!dbUrl) database = { kind: 'sqlite', filename: resolve(dataDir, 'open-assistants.db') };
  else if (/^postgres(ql)?:\/\//.test(dbUrl)) {
    database = { kind: 'postgres', url: dbUrl, poolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 1000) };
  } else if (dbUrl.startsWith('sqlite:') && dbUrl.length > 'sqlite:'.length) {
    database = { kind: 'sqlite', filename: resolve(dbUrl.slice('sqlite:'.length)) };
  } else {
    throw new ConfigError(
      `DATABASE_URL must be a postgres:// URL or sqlite:<path>; got "${dbUrl}". Leave it unset for SQLite under DATA_DIR.`,
    );
  }
  if (env.EMBEDDING_MODEL && !env.EMBEDDING_BASE_URL && !env.UPSTREAM_BASE_URL) {
    throw new ConfigError('EMBEDDING_MODEL is set, but neither EMBEDDING_BASE_URL nor UPSTREAM_BASE_URL says where to send embedding requests.');
  }
  const logLevel = (env.LOG_LEVEL || 'info') as Config['logLevel'];
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "${logLevel}".`);
  }
  return {
    host: env.HOST || '127.0.0.1',
    port: int(env, 'PORT', 8080, 0, 65535),
    dataDir,
    database,
    envApiKeys: parseApiKeys(env.API_KEYS),
    limits: {
      bodyBytes: int(env, 'MAX_BODY_BYTES', 32 * MB, 1024, 1024 * MB),
      fileBytes: int(env, 'MAX_FILE_BYTES', 512 * MB, 1, 1024 * 1024 * MB),
      uploadPartBytes: int(env, 'MAX_UPLOAD_PART_BYTES', 64 * MB, 1, 1024 * 1024 * MB),
      uploadBytes: int(env, 'MAX_UPLOAD_BYTES', 8 * 1024 * MB, 1, 1024 * 1024 * MB),
      requestsPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 0, 0, 100_000_000),
      streamsPerKey: int(env, 'MAX_STREAMS_PER_KEY', 0, 0, 1_000_000),
    },
    logLevel,
    models: loadModelRouting(env),
    embeddings: env.EMBEDDING_MODEL
      ? {
          baseUrl: (env.EMBEDDING_BASE_URL || env.UPSTREAM_BASE_URL || '').replace(/\/+$/, ''),
          apiKey: env.EMBEDDING_API_KEY || env.UPSTREAM_API_KEY || null,
          model: env.EMBEDDING_MODEL,
        }
      : null,
    ingest: { concurrency: int(env, 'INGEST_CONCURRENCY', 2, 0, 64) },
    sandbox:
      env.CODE_INTERPRETER === 'off'
        ? null
        : {
            memoryBytes: int(env, 'SANDBOX_MEMORY_MB', 1024, 64, 1024 * 1024) * MB,
            execTimeoutMs: int(env, 'SANDBOX_EXEC_TIMEOUT_MS', 60_000, 1000, 3_600_000),
            maxSessions: int(env, 'SANDBOX_MAX_SESSIONS', 8, 1, 1000),
            idleTimeoutMs: int(env, 'SANDBOX_IDLE_TIMEOUT_MS', 600_000, 1000, 86_400_000),
          },
    runs: {
      concurrency: int(env, 'RUN_CONCURRENCY', 256, 0, 100_000),
      upstreamIdleTimeoutMs: int(env, 'UPSTREAM_TIMEOUT_MS', 120_000, 10, 3_600_000),
      upstreamMaxRetries: int(env, 'UPSTREAM_MAX_RETRIES', 3, 0, 20),
      upstreamRetryBaseMs: int(env, 'UPSTREAM_RETRY_BASE_MS', 500, 0, 60_000),
      leaseMs: int(env, 'RUN_LEASE_MS', 30_000, 100, 3_600_000),
      pollMs: int(env, 'RUN_POLL_MS', 1_000, 10, 60_000),
    },
  };
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}; got "${raw}".`);
  }
  return n;
}

export function parseApiKeys(raw: string | undefined): Config['envApiKeys'] {
  if (!raw?.trim()) return [];
  return raw.split(',').map((entry, i) => {
    const item = entry.trim();
    const colon = item.lastIndexOf(':');
    const key = colon > 0 ? item.slice(0, colon) : item;
    const projectId = colon > 0 ? item.slice(colon + 1) : DEFAULT_PROJECT;
    if (!key || !/^[\x21-\x7e]+$/.test(key) || !/^[A-Za-z0-9_.-]{1,64}$/.test(projectId)) {
      // the entry is named by position with its key masked: a configuration error must not print a secret
      const shown = colon > 0 ? `${maskConfiguredKey(key)}:${projectId}` : maskConfiguredKey(key);
      throw new ConfigError(
        `API_KEYS must be comma-separated "key" or "key:project" entries (project: letters, digits, _ . -); bad entry "${shown}" (entry ${i + 1}, key masked).`,
      );
    }
    return { key, projectId };
  });
}

/** Enough of a key to recognise it by (its first characters), never the key. */
function maskConfiguredKey(key: string): string {
  return key.length > 8 ? `${key.slice(0, 3)}***` : '*'.repeat(key.length);
}

/** One model provider from the config file (or `UPSTREAM_BASE_URL`). */
export interface ProviderConfig {
  name: string;
  type: 'openai-compatible' | 'anthropic';
  baseUrl: string | null;
  apiKey: string | null;
  /** Extra HTTP headers for every request (e.g. Azure's `api-key`). */
  headers: Record<string, string>;
  /** Query parameters for every request (e.g. Azure's `api-version`). */
  queryParams: Record<string, string>;
}

export interface ModelRouting {
  providers: ProviderConfig[];
  /** Client-facing model name → `provider/model`. */
  aliases: Record<string, string>;
  /** Context window (tokens) per client-facing or provider model name. */
  contextWindows: Record<string, number>;
  defaultProvider: string | null;
  defaultContextWindow: number;
}
