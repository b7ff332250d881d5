/**
 * A search index on a fresh database of its own, for tests and benchmarks: a new SQLite file in a
 * temporary directory, or a new uniquely named PostgreSQL database (dropped again by `close`).
 * Only the search migrations are applied, and the vector extension is made available as the
 * store's connections do (unless `extension: false`). The server instead passes the store's
 * Kysely instance to `openSqlSearchIndex`, where the store's migrations have created the same
 * tables.
 */
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { SearchDialect, SearchTables } from './search-tables.js';
import { openSqlSearchIndex, type SqlSearchIndex } from './sql-search-index.js';
import type { VectorSetupOptions } from './vector-setup.js';

export interface ScratchSearchIndex {
  dialect: SearchDialect;
  index: SqlSearchIndex;
  db: Kysely<SearchTables>;
  /** The SQLite file, or the PostgreSQL database's URL. */
  location: string;
  /** Makes the vector extension available now (after `extension: false`); reopen the index to use it. */
  enableExtension(): Promise<void>;
  /** Empties every search table (a fresh index without a new database; vector tables stay, empty). */
  clear(): Promise<void>;
  /** Closes the connection and deletes the database. */
  close(): Promise<void>;
}

export interface ScratchOptions {
  /** PostgreSQL server to create the database on (the admin database's URL). */
  pgAdminUrl?: string;
  /** false: leave the vector extension out, as on a machine without it (default true). */
  extension?: boolean;
  vectors?: VectorSetupOptions['mode'];
  log?: VectorSetupOptions['log'];
}

const TABLES = ['search_stores', 'search_chunks', 'search_postings', 'search_vectors'];
const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

const MIGRATIONS = ['0010_search_index.sql', '0011_search_vector_dims.sql'];

function migrationSql(dialect: SearchDialect): string {
  return MIGRATIONS.map((m) => readFileSync(new URL(`../../store/${dialect}/migrations/${m}`, import.meta.url), 'utf8')).join('\n');
}

async function vectorTables(db: Kysely<SearchTables>): Promise<string[]> {
  const rows = await db.selectFrom('search_vector_dims').select('dim').execute();
  return rows.map((r) => `search_vec_${Number(r.dim)}`);
}

export async function openScratchSearchIndex(dialect: SearchDialect, options: ScratchOptions = {}): Promise<ScratchSearchIndex> {
  return dialect === 'sqlite' ? openSqlite(options) : openPostgres(options.pgAdminUrl ?? DEFAULT_PG_ADMIN_URL, options);
}

async function openSqlite(options: ScratchOptions): Promise<ScratchSearchIndex> {
  const dir = mkdtempSync(join(tmpdir(), 'oa-search-'));
  const file = join(dir, 'search.db');
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  if (options.extension !== false) sqliteVec.load(sqlite);
  sqlite.exec(migrationSql('sqlite'));
  const db = new Kysely<SearchTables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    dialect: 'sqlite',
    index: await openSqlSearchIndex(db, 'sqlite', { mode: options.vectors, log: options.log }),
    db,
    location: file,
    async enableExtension() {
      sqliteVec.load(sqlite);
    },
    async clear() {
      sqlite.exec([...TABLES, ...(await vectorTables(db))].map((t) => `DELETE FROM ${t};`).join('\n'));
    },
    async close() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(adminUrl: string, options: ScratchOptions): Promise<ScratchSearchIndex> {
  const name = `oa_search_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on('error', () => undefined); // an idle connection dropped by DROP DATABASE … WITH (FORCE)
  await pool.query(migrationSql('postgres'));
  if (options.extension !== false) await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
  const db = new Kysely<SearchTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    index: await openSqlSearchIndex(db, 'postgres', { mode: options.vectors, log: options.log }),
    db,
    location: url.toString(),
    async enableExtension() {
      await pool.query('CREATE EXTENSION IF NOT EXISTS vector');
    },
    async clear() {
      await pool.query(`TRUNCATE ${[...TABLES, ...(await vectorTables(db))].join(', ')} RESTART IDENTITY`);
    },
    async close() {
      await db.destroy();
      await admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function admin(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
