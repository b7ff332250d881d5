/**
 * The server as a child process (`node --import tsx src/cli.ts serve`) on a store that outlives
 * it: a SQLite file or a PostgreSQL database, plus the blob directory. It can be killed with
 * SIGKILL and started again on the same store; its peak RSS is read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PG_ADMIN_URL, type Backend } from '../../helpers/server.js';
import { API_KEY } from './http.js';
import { sleep } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

export interface Store {
  backend: Backend;
  dataDir: string;
  /** DATA_DIR, and DATABASE_URL for PostgreSQL. */
  env: Record<string, string>;
  drop(): Promise<void>;
}

/** A new empty store: a temporary DATA_DIR, and for PostgreSQL a new database on the test cluster. */
export async function freshStore(backend: Backend, tag: string): Promise<Store> {
  const dataDir = mkdtempSync(join(tmpdir(), `oa-${tag}-`));
  if (backend === 'sqlite') {
    return { backend, dataDir, env: { DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `oa_${tag.replace(/\W/g, '_')}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    backend,
    dataDir,
    env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One statement on the admin database, retried while PostgreSQL is (re)starting. */
export async function adminQuery(text: string, timeoutMs = 30_000): Promise<pg.QueryResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    c.on('error', () => undefined);
    try {
      await c.connect();
      return await c.query(text);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const transient = code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P03' || code === '57P01' || /terminat|shut ?down|starting up/i.test(String(err));
      if (!transient || Date.now() > deadline) throw err;
      await sleep(200);
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

export interface ChildServer {
  process: ChildProcess;
  pid: number;
  /** `http://127.0.0.1:PORT/v1` */
  baseURL: string;
  /** performance.now() when it first answered HTTP. */
  readyAt: number;
  /** Milliseconds from spawn to the first HTTP answer. */
  startMs: number;
  exited: Promise<void>;
  alive(): boolean;
  stderr(): string;
  /** VmHWM of the process, MB (null once it is gone). */
  peakRssMb(): number | null;
  /** SIGKILL, resolved once the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful close), then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const SCRUBBED = ['DATABASE_URL', 'DATA_DIR', 'OPEN_ASSISTANTS_CONFIG', 'API_KEYS', 'UPSTREAM_BASE_URL', 'UPSTREAM_API_KEY', 'PORT', 'HOST', 'EMBEDDING_MODEL'];

/** Starts `src/cli.ts serve` with `env` on a free port; resolves once it answers HTTP. */
export async function startChild(env: Record<string, string>, timeoutMs = 60_000, nodeArgs: string[] = []): Promise<ChildServer> {
  const port = await freePort();
  const inherited = { ...process.env };
  for (const k of SCRUBBED) delete inherited[k];
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { LOG_LEVEL: 'silent', CODE_INTERPRETER: 'off', ...inherited, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString();
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const baseURL = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server exited with ${child.exitCode ?? child.signalCode}: ${stderr}`);
    try {
      const res = await fetch(`${baseURL}/assistants?limit=1`, { headers: { authorization: `Bearer ${API_KEY}` } });
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start within ${timeoutMs} ms: ${stderr}`);
    }
    await sleep(50);
  }
  const readyAt = performance.now();
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    process: child,
    pid: child.pid!,
    baseURL,
    readyAt,
    startMs: readyAt - t0,
    exited,
    alive,
    stderr: () => stderr,
    peakRssMb() {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) / 1024 : null;
      } catch {
        return null;
      }
    },
    async kill9() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(graceMs)]);
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
  };
}
