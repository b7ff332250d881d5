import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { readMigrations } from '../migrations.js';
import { createSqlStore, type SqlStore } from '../sql/sql-store.js';
import type { Tables } from '../sql/tables.js';

// BIGINT columns hold Unix seconds and byte counts, all far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/** The scale-out store: PostgreSQL through a connection pool. */
export async function openPostgresStore(connectionString: string, poolSize = 10): Promise<SqlStore> {
  const pool = new pg.Pool({ connectionString, max: poolSize });
  // An idle connection can die (PostgreSQL restarted, the backend terminated, or terminated while
  // the pool shuts down). The pool drops it and connects anew on demand; without a listener the
  // pool's 'error' event would be an uncaught exception that takes the whole process down.
  pool.on('error', (err) => {
    if (!pool.ending) process.stderr.write(`postgres store: an idle connection failed: ${err.message}\n`);
  });
  // A connection checked out of the pool has no listener of the pool's: if PostgreSQL ends it
  // while it sits between two statements (a transaction awaiting the application, a checkout
  // before its query), its 'error' event would be uncaught and take the process down. The next
  // statement on it fails instead, and the pool drops it when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  await migrate(pool);
  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  return createSqlStore(kysely, 'postgres');
}

/**
 * pgvector, for the file-search vector index, when the server has it and we may create it (it
 * needs a superuser; once created it stays). Otherwise the index falls back to exact search in
 * the application and says why at startup (src/search/sql/vector-setup.ts), so a failure here is
 * not an error.
 */
async function createVectorExtension(client: pg.PoolClient): Promise<void> {
  const { rows } = await client.query<{ installed: boolean; available: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed,
            EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available`,
  );
  if (rows[0].installed || !rows[0].available) return;
  await client.query('CREATE EXTENSION IF NOT EXISTS vector').catch(() => undefined);
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    // Several server processes may start at once: one migrates, the others wait for the lock.
    await client.query('SELECT pg_advisory_lock(7368201)');
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    for (const m of readMigrations(new URL('./migrations/', import.meta.url))) {
      if (applied.has(m.version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          Math.floor(Date.now() / 1000),
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    await createVectorExtension(client);
  } finally {
    await client.query('SELECT pg_advisory_unlock(7368201)').catch(() => undefined);
    client.release();
  }
}
