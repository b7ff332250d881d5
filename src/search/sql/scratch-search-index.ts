/**
 * A search index on a fresh database of its own, for tests and benchmarks: a new SQLite file in a
 * temporary directory, or a new uniquely named PostgreSQL database (dropped again by `close`).
 * Only the search migration is applied. The server instead passes the store's Kysely instance to
 * `createSqlSearchIndex`, where the store's migrations have created the same tables.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { SearchIndex } from '../search-index.js';
import type { SearchDialect, SearchTables } from './search-tables.js';
import { createSqlSearchIndex } from './sql-search-index.js';

export interface ScratchSearchIndex {
  dialect: SearchDialect;
  index: SearchIndex;
  db: Kysely<SearchTables>;
  /** Empties every search table (a fresh index without a new database). */
  clear(): Promise<void>;
  /** Closes the connection and deletes the database. */
  close(): Promise<void>;
}

export interface ScratchOptions {
  /** PostgreSQL server to create the database on (the admin database's URL). */
  pgAdminUrl?: string;
}

const TABLES = ['search_stores', 'search_chunks', 'search_postings', 'search_vectors'];
const DEFAULT_PG_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function migrationSql(dialect: SearchDialect): string {
  return readFileSync(new URL(`../../store/${dialect}/migrations/0010_search_index.sql`, import.meta.url), 'utf8');
}

export async function openScratchSearchIndex(dialect: SearchDialect, options: ScratchOptions = {}): Promise<ScratchSearchIndex> {
  return dialect === 'sqlite' ? openSqlite() : openPostgres(options.pgAdminUrl ?? DEFAULT_PG_ADMIN_URL);
}

function openSqlite(): ScratchSearchIndex {
  const dir = mkdtempSync(join(tmpdir(), 'oa-search-'));
  const sqlite = new Database(join(dir, 'search.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec(migrationSql('sqlite'));
  const db = new Kysely<SearchTables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return {
    dialect: 'sqlite',
    index: createSqlSearchIndex(db, 'sqlite'),
    db,
    async clear() {
      sqlite.exec(TABLES.map((t) => `DELETE FROM ${t};`).join('\n'));
    },
    async close() {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function openPostgres(adminUrl: string): Promise<ScratchSearchIndex> {
  const name = `oa_search_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4 });
  pool.on('error', () => undefined); // an idle connection dropped by DROP DATABASE … WITH (FORCE)
  await pool.query(migrationSql('postgres'));
  const db = new Kysely<SearchTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: 'postgres',
    index: createSqlSearchIndex(db, 'postgres'),
    db,
    async clear() {
      await pool.query(`TRUNCATE ${TABLES.join(', ')} RESTART IDENTITY`);
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
