import type { FastifyInstance } from 'fastify';
import { join } from 'node:path';
import { createApp } from './api/app.js';
import { createAuthenticator } from './api/auth.js';
import { FsBlobStore } from './blobs/fs/fs-blob-store.js';
import { DEFAULT_PROJECT, type Config } from './config/config.js';
import { systemClock, type Clock } from './core/clock.js';
import { SortableIdGenerator } from './core/ids.js';
import { RunWorker } from './engine/worker.js';
import type { EventBus } from './events/event-bus.js';
import { MemoryEventBus } from './events/memory-event-bus.js';
import { PgEventBus } from './events/postgres/pg-event-bus.js';
import { controlSocketPath, startControlSocket } from './admin/control-socket.js';
import { startSweeper } from './maintenance/sweeper.js';
import { TextWorkerPool } from './ingest/text-worker-pool.js';
import { buildProviders } from './model/ai-sdk/providers.js';
import { createModelRouter } from './model/router.js';
import { createOpenAICompatibleEmbedder } from './model/ai-sdk/ai-sdk-embedder.js';
import { IngestWorker } from './jobs/ingest-worker.js';
import { openSqlSearchIndex } from './search/sql/sql-search-index.js';
import { BwrapSandbox } from './sandbox/bwrap/bwrap-sandbox.js';
import { openPostgresStore } from './store/postgres/connect.js';
import { openSqliteStore } from './store/sqlite/connect.js';
import type { SqlStore } from './store/sql/sql-store.js';
import type { Store } from './store/store.js';

export interface RunningServer {
  app: FastifyInstance;
  store: Store;
  config: Config;
  worker: RunWorker;
  ingest: IngestWorker;
  /** `http://host:port/v1` */
  baseUrl: string;
  close(): Promise<void>;
}

export async function openStore(config: Config): Promise<SqlStore> {
  return config.database.kind === 'postgres'
    ? openPostgresStore(config.database.url, config.database.poolSize)
    : openSqliteStore(config.database.filename);
}

/** The composition root: builds every adapter from the config and starts serving. */
export async function startServer(
  config: Config,
  options: { clock?: Clock } = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const store = await openStore(config);
  const blobs = new FsBlobStore(join(config.dataDir, 'blobs'));
  const auth = createAuthenticator({
    envKeys: config.envApiKeys,
    keys: store.apiKeys,
    clock,
    openProject: DEFAULT_PROJECT,
  });
  const ids = new SortableIdGenerator(clock);
  // Several processes may share a PostgreSQL store, so their events travel by LISTEN/NOTIFY.
  const bus: EventBus =
    config.database.kind === 'postgres'
      ? await PgEventBus.connect(config.database.url, { onError: (err) => process.stderr.write(`event bus: ${String(err)}\n`) })
      : new MemoryEventBus();
  const router = createModelRouter({
    providers: buildProviders(config.models.providers, config.runs.upstreamIdleTimeoutMs),
    aliases: config.models.aliases,
    contextWindows: config.models.contextWindows,
    defaultProvider: config.models.defaultProvider,
    defaultContextWindow: config.models.defaultContextWindow,
  });
  // without the vector extension: one warning, and exact vector search in the application
  const index = await openSqlSearchIndex(store.kysely, store.dialect, { log: (message) => process.stderr.write(`${message}\n`) });
  const embedder = config.embeddings
    ? createOpenAICompatibleEmbedder({
        ...config.embeddings,
        timeoutMs: config.runs.upstreamIdleTimeoutMs,
        maxRetries: config.runs.upstreamMaxRetries,
        retryBaseMs: config.runs.upstreamRetryBaseMs,
      })
    : null;
  const sandbox = config.sandbox ? new BwrapSandbox({ root: join(config.dataDir, 'sandbox'), ...config.sandbox }) : null;
  const toolHealth = async () => ({
    file_search: { available: true, mode: embedder ? `hybrid (${embedder.name})` : 'keyword' },
    code_interpreter: sandbox
      ? await sandbox.available().then((a) => (a.ok ? { available: true, limits: a.limits } : { available: false, reason: a.reason }))
      : { available: false, reason: 'turned off (CODE_INTERPRETER=off)' },
  });
  // The workers are created before the app so the app can signal them; they start once listening.
  let worker: RunWorker | undefined;
  let ingest: IngestWorker | undefined;
  const app = await createApp({
    store,
    blobs,
    clock,
    ids,
    auth,
    bus,
    runControl: { notify: () => worker?.notify(), abort: (id) => worker?.abort(id) ?? false, reserve: () => worker?.reserve() ?? null },
    index,
    embedder,
    toolHealth,
    ingestControl: { notify: () => ingest?.notify() },
    limits: config.limits,
    logLevel: config.logLevel,
  });
  const logger = app.log;
  worker = new RunWorker(
    {
      store,
      blobs,
      bus,
      clock,
      ids,
      router,
      logger,
      retry: { maxRetries: config.runs.upstreamMaxRetries, baseMs: config.runs.upstreamRetryBaseMs },
      index,
      embedder,
      sandbox,
    },
    {
      concurrency: config.runs.concurrency,
      leaseMs: config.runs.leaseMs,
      pollMs: config.runs.pollMs,
      exclusive: store.dialect === 'sqlite',
    },
  );
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const baseUrl = `http://${host}:${port}/v1`;

  const where = config.database.kind === 'postgres' ? 'PostgreSQL' : `SQLite at ${config.database.filename}`;
  logger.info(`open-assistants listening on ${baseUrl} (store: ${where}, blobs: ${join(config.dataDir, 'blobs')})`);
  if ((await auth.mode()) === 'open') {
    logger.warn(
      `No API keys are configured (API_KEYS unset, no keys in the store): accepting any bearer key, all objects in project '${DEFAULT_PROJECT}'.`,
    );
  }
  if (!config.models.providers.length) {
    logger.warn('No model provider is configured (UPSTREAM_BASE_URL, OPEN_ASSISTANTS_CONFIG): runs will fail until one is.');
  } else {
    logger.info(`model providers: ${config.models.providers.map((p) => `${p.name} (${p.type})`).join(', ')}`);
  }
  const textPool = config.ingest.concurrency > 0 ? new TextWorkerPool(config.ingest.concurrency) : undefined;
  ingest = new IngestWorker(
    { store, blobs, index, embedder, clock, logger, prepareText: textPool?.prepare },
    { concurrency: config.ingest.concurrency, leaseMs: config.runs.leaseMs, pollMs: config.runs.pollMs, maxAttempts: 3 },
  );
  if (config.ingest.concurrency > 0) ingest.start();
  logger.info(
    embedder
      ? `file search: hybrid (BM25 + embeddings from ${embedder.name})`
      : 'file search: keyword-only (BM25); set EMBEDDING_MODEL for hybrid search',
  );
  if (config.runs.concurrency > 0) worker.start();
  else logger.info('RUN_CONCURRENCY=0: this process serves the API only; runs execute in other processes.');
  // Probing the sandbox starts Python once (about a second); the server does not wait for it.
  void sandbox?.available().then((a) =>
    a.ok
      ? logger.info(
          `code_interpreter: available (memory ${a.limits.memoryBytes >> 20} MB by ${a.limits.memoryEnforcedBy}, ${a.limits.execTimeoutMs} ms per cell)`,
        )
      : logger.warn(`code_interpreter: NOT available (${a.reason}); runs that use it will fail until it is installed`),
  );
  // `open-assistants keys` beside a server on the embedded database goes through the server
  let control: { close(): Promise<void> } | undefined;
  if (config.database.kind === 'sqlite' && config.database.filename !== ':memory:') {
    const path = controlSocketPath(config.database.filename);
    try {
      control = await startControlSocket(path, store, (err) => logger.error({ err }, 'a control-socket command failed'));
    } catch (err) {
      logger.warn({ err }, `could not listen on ${path}: \`open-assistants keys\` cannot reach this server while it runs`);
    }
  }
  const sweeper = startSweeper({ store, blobs, clock, logger }, bus instanceof PgEventBus ? [() => bus.prune()] : []);

  return {
    app,
    store,
    config,
    worker,
    ingest,
    baseUrl,
    async close() {
      sweeper.stop();
      await app.close();
      await worker?.stop();
      await ingest?.stop();
      await textPool?.close();
      await sandbox?.close();
      await bus.close?.();
      await control?.close();
      await store.close();
    },
  };
}
