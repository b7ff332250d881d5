import { sql, type Kysely } from 'kysely';
import type { Store } from '../store.js';
import type { RunRow, Tables } from './tables.js';

/**
 * Claims the oldest queued run for a worker in one statement: the status moves to in_progress and
 * the lease is taken together, so two workers (or two processes) can never both win a run.
 * PostgreSQL skips rows another transaction is claiming (`FOR UPDATE SKIP LOCKED`) instead of
 * waiting on them; SQLite has a single writer, so the sub-select is already serialised.
 */
export async function claimRun(
  db: Kysely<Tables>,
  dialect: Store['dialect'],
  workerId: string,
  nowMs: number,
  leaseMs: number,
): Promise<RunRow | undefined> {
  const lock = dialect === 'postgres' ? sql`FOR UPDATE SKIP LOCKED` : sql``;
  const result = await sql<RunRow>`
    UPDATE runs SET status = 'in_progress', locked_by = ${workerId}, locked_until = ${nowMs + leaseMs}
    WHERE id = (
      SELECT id FROM runs
      WHERE status = 'queued' AND (locked_until IS NULL OR locked_until < ${nowMs})
      ORDER BY id LIMIT 1 ${lock}
    ) AND status = 'queued'
    RETURNING *`.execute(db);
  return result.rows[0];
}
