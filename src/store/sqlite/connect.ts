import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import { readMigrations } from '../migrations.js';
import type { ReadNow } from '../sql/prepared.js';
import { createSqlStore, type SqlStore } from '../sql/sql-store.js';
import type { Tables } from '../sql/tables.js';

/**
 * The embedded store: one SQLite file in WAL mode. `synchronous=NORMAL` keeps every committed
 * transaction across a process crash (kill -9); only a power loss can drop the last few.
 */
export async function openSqliteStore(filename: string): Promise<SqlStore> {
  if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
  const db = new Database(filename);
  // One process per database file (the run worker recovers every lease at start on that basis),
  // now enforced: the file is locked for this connection's lifetime, and with the lock held before
  // WAL mode starts, WAL needs no shared memory, so reads take no file locks (two syscalls fewer per
  // statement). `open-assistants keys` beside a running server goes through its control socket.
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  loadVectorExtension(db);
  migrate(db);
  const kysely = new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(db) }) });
  return createSqlStore(kysely, 'sqlite', readNow(db));
}

/**
 * Kysely prepares every query anew; preparing costs more than running a small indexed query, and
 * the server issues the same few hundred SQL texts over and over. Kysely runs one query at a time
 * on this connection (it holds a mutex), so sharing a prepared statement is safe.
 */
function withStatementCache(db: Database.Database, max = 1000) {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => db.close(),
    prepare(text: string): Database.Statement {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = db.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

/**
 * sqlite-vec, for the file-search vector index. Its binary comes in a per-platform package; where
 * there is none the index falls back to exact search in the application and says so at startup
 * (src/search/sql/vector-setup.ts), so a failure here is not an error.
 */
function loadVectorExtension(db: Database.Database): void {
  try {
    sqliteVec.load(db);
  } catch {
    // reported by the search index
  }
}

/**
 * Hot look-ups run on the spot. Outside a transaction a statement sees exactly what one run
 * through Kysely would: Kysely's queue only orders statements, and better-sqlite3 runs each to
 * completion on this turn. Their statements are kept apart from Kysely's and return rows as value
 * arrays (raw mode): building a row object property by property costs more than the look-up.
 */
function readNow(db: Database.Database): ReadNow {
  const raw = new Map<string, Database.Statement>();
  return (sql, parameters) => {
    if (db.inTransaction) return undefined;
    let stmt = raw.get(sql);
    if (!stmt) raw.set(sql, (stmt = db.prepare(sql).raw(true)));
    return (stmt.get(parameters) as unknown[] | undefined) ?? null;
  };
}

function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const apply = db.transaction((version: number, name: string, text: string) => {
    db.exec(text);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      version,
      name,
      Math.floor(Date.now() / 1000),
    );
  });
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map((r) => r.version),
  );
  for (const m of readMigrations(new URL('./migrations/', import.meta.url))) {
    // immediate: a second process migrating the same file waits instead of interleaving
    if (!applied.has(m.version)) apply.immediate(m.version, m.name, m.sql);
  }
}
