import { sql, type Kysely } from 'kysely';
import type { Store } from '../store.js';
import type { RunRow, Tables } from './tables.js';

/**
 * Claims the oldest queued runs (up to `limit`) for a worker in one statement: the status moves to
 * in_progress and the lease is taken together, so two workers (or two processes) can never both
 * win a run. PostgreSQL skips rows another transaction is claiming (`FOR UPDATE SKIP LOCKED`)
 * instead of waiting on them; SQLite has a single writer, so the sub-select is already serialised.
 * A burst of runs is taken a batch per round trip rather than one (with PostgreSQL's pool busy
 * serving the running ones, one claim per round trip queued a thousand runs for half a minute).
 */
export async function claimRuns(
  db: Kysely<Tables>,
  dialect: Store['dialect'],
  workerId: string,
  nowMs: number,
  leaseMs: number,
  limit: number,
): Promise<RunRow[]> {
  const n = Math.max(1, Math.floor(limit));
  const pick = sql`
      SELECT id FROM runs
      WHERE status = 'queued' AND (locked_until IS NULL OR locked_until < ${nowMs})
      ORDER BY id LIMIT ${n}`;
  // PostgreSQL may run an `IN (sub-select)` more than once, and with SKIP LOCKED each run finds
  // other rows (a LIMIT 16 claimed 40): the pick is materialised once, first.
  const result =
    dialect === 'postgres'
      ? await sql<RunRow>`
    WITH picked AS MATERIALIZED (${pick} FOR UPDATE SKIP LOCKED)
    UPDATE runs SET status = 'in_progress', locked_by = ${workerId}, locked_until = ${nowMs + leaseMs}
    WHERE id IN (SELECT id FROM picked) AND status = 'queued'
    RETURNING *`.execute(db)
      : await sql<RunRow>`
    UPDATE runs SET status = 'in_progress', locked_by = ${workerId}, locked_until = ${nowMs + leaseMs}
    WHERE id IN (${pick}) AND status = 'queued'
    RETURNING *`.execute(db);
  return [...result.rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
