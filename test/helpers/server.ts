/**
 * Starts the real server on a free port for end-to-end tests, on a fresh store: a new SQLite file
 * in a temporary directory, or a new PostgreSQL database (dropped again on close).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/core/clock.js';
import { startServer, type RunningServer } from '../../src/main.js';

export type Backend = 'sqlite' | 'postgres';

/** Backends to run on: `OA_TEST_BACKENDS=sqlite,postgres` (the default is both). */
export const BACKENDS: Backend[] = (process.env.OA_TEST_BACKENDS ?? 'sqlite,postgres')
  .split(',')
  .map((b) => b.trim())
  .filter((b): b is Backend => b === 'sqlite' || b === 'postgres');

/** The PostgreSQL server used for tests; each test server gets its own database on it. */
export const PG_ADMIN_URL = process.env.OA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestServer {
  backend: Backend;
  baseURL: string;
  dataDir: string;
  server: RunningServer;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Extra environment, e.g. `{ API_KEYS: 'sk-a:proj-a,sk-b:proj-b' }`. */
  env?: Record<string, string>;
  clock?: Clock;
}

/** A fresh, uniquely named PostgreSQL database on the test server; `drop()` removes it. */
export async function createDatabase(prefix = 'oa_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function startTestServer(backend: Backend, options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oa-test-'));
  const db = backend === 'postgres' ? await createDatabase() : undefined;
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.OA_TEST_LOG_LEVEL ?? 'silent',
    ...(db && { DATABASE_URL: db.url }),
    ...options.env,
  });
  const server = await startServer(config, { clock: options.clock });
  return {
    backend,
    baseURL: server.baseUrl,
    dataDir,
    server,
    async close() {
      await server.close();
      await db?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
