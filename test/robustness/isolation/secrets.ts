/**
 * Where keys could end up: the CLI (`keys create` prints the key once; the store keeps a hash),
 * every table of the database (and, for SQLite, the raw database files), and the server's own
 * output at LOG_LEVEL=info.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { createDatabase, type TestServer } from '../../helpers/server.js';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A key in the shape `API_KEYS` accepts, long and random enough never to occur by chance. */
export function secretKey(label: string): string {
  return `sk-iso-${label}-${randomBytes(18).toString('hex')}`;
}

/** The environment of a child `open-assistants` process: ours without any key settings. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['API_KEYS', 'DATABASE_URL', 'DATA_DIR', 'LOG_LEVEL', 'PORT', 'HOST', 'UPSTREAM_BASE_URL', 'OPEN_ASSISTANTS_CONFIG']) delete env[k];
  return { ...env, ...extra };
}

/** Where the server's store lives, as the CLI's environment says it. */
export function storeEnv(server: TestServer): Record<string, string> {
  const db = server.server.config.database;
  return db.kind === 'postgres' ? { DATA_DIR: server.server.config.dataDir, DATABASE_URL: db.url } : { DATA_DIR: server.server.config.dataDir };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`open-assistants ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every row of every table, as text (what a database dump would show). */
export async function dumpTables(server: TestServer): Promise<Map<string, string>> {
  const db = (server.server.store as unknown as { kysely: Kysely<any> }).kysely;
  const names =
    server.backend === 'postgres'
      ? (await sql<{ name: string }>`SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()`.execute(db)).rows
      : (await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`.execute(db)).rows;
  const out = new Map<string, string>();
  for (const { name } of names) {
    const rows = (await sql`SELECT * FROM ${sql.table(name)}`.execute(db)).rows;
    out.set(name, JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
  }
  return out;
}

/**
 * The SQLite database files (main, WAL, shared memory) of a data directory, raw. Read by a child
 * process: closing any descriptor of a file drops every POSIX lock this process holds on it, and
 * the server in this process keeps its WAL locks on those files; without them, another process
 * opening the database (the `keys` CLI) would take the shared memory for unused and truncate it
 * under the server's mapping (SIGBUS).
 */
export function sqliteFiles(dataDir: string): Buffer[] {
  const script = `
    const { readdirSync, readFileSync } = require('node:fs');
    const dir = process.argv[1];
    const files = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isFile() && d.name.startsWith('open-assistants.db')).map((d) => d.name);
    process.stdout.write(JSON.stringify(files.map((f) => readFileSync(dir + '/' + f).toString('base64'))));`;
  const out = execFileSync(process.execPath, ['-e', script, dataDir], { maxBuffer: 1 << 30, encoding: 'utf8' });
  return (JSON.parse(out) as string[]).map((b) => Buffer.from(b, 'base64'));
}

/** A fresh PostgreSQL database for a child server; dropped by `drop`. */
export function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  return createDatabase('oa_iso');
}

/** `open-assistants serve` as a child process, its output kept. */
export class ChildServer {
  stdout = '';
  stderr = '';
  baseURL = '';
  private constructor(private readonly child: ChildProcess) {}

  static async start(env: Record<string, string>, timeoutMs = 60_000): Promise<ChildServer> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: REPO_ROOT,
      env: childEnv({ HOST: '127.0.0.1', PORT: '0', ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new ChildServer(child);
    child.stdout!.on('data', (d: Buffer) => (server.stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (server.stderr += d.toString()));
    const end = Date.now() + timeoutMs;
    while (!server.baseURL) {
      const m = /listening on (http:\/\/[^\s)"]+\/v1)/.exec(server.stdout + server.stderr);
      if (m) server.baseURL = m[1];
      else if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}\n${server.stdout}\n${server.stderr}`);
      else if (Date.now() > end) {
        child.kill('SIGKILL');
        throw new Error(`the server did not start\n${server.stdout}\n${server.stderr}`);
      } else await new Promise((r) => setTimeout(r, 50));
    }
    return server;
  }

  /** SIGTERM (a clean shutdown), SIGKILL if it lingers. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Files under `dir`, relative, recursively (symlinks are reported, not followed). */
export function walk(dir: string, prefix = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${d.name}` : d.name;
    if (d.isDirectory()) {
      out.push(`${rel}/`);
      out.push(...walk(join(dir, d.name), rel));
    } else out.push(rel);
  }
  return out;
}
