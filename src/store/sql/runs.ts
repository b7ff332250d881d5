import type { Kysely } from 'kysely';
import type { Metadata, Run, RunStatus } from '../../core/wire.js';
import { ActiveRunConflict, type OwnedRun, type RunRepo, type Store } from '../store.js';
import { claimRuns } from './claim-run.js';
import { messageToRow } from './messages.js';
import { paginate } from './paginate.js';
import type { RunRow, Tables } from './tables.js';
import { threadToRow } from './threads.js';

const ACTIVE: RunStatus[] = ['queued', 'in_progress', 'requires_action', 'cancelling'];

/** The stored body is the wire object without the columns that other writers own. */
function bodyOf(run: Run): string {
  const { status: _status, metadata: _metadata, ...rest } = run;
  return JSON.stringify(rest);
}

export function runFromRow(r: Pick<RunRow, 'body' | 'status' | 'metadata'>): Run {
  const body = JSON.parse(r.body) as Omit<Run, 'status' | 'metadata'>;
  return { ...body, status: r.status as RunStatus, metadata: JSON.parse(r.metadata) } as Run;
}

function owned(r: RunRow): OwnedRun {
  return { projectId: r.project_id, run: runFromRow(r), includeContent: Number(r.include_content) === 1 };
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string };
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === '23505';
}

export function runRepo(db: Kysely<Tables>, dialect: Store['dialect']): RunRepo {
  const repo: RunRepo = {
    async insert(projectId, run, with_) {
      // one row needs no transaction (on PostgreSQL, BEGIN and COMMIT are two more round trips)
      const single = !with_.thread && !with_.messages.length;
      const write = async (tx: Kysely<Tables>) => {
        if (with_.thread) await tx.insertInto('threads').values(threadToRow(projectId, with_.thread)).execute();
        await tx
          .insertInto('runs')
          .values({
            id: run.id,
            project_id: projectId,
            thread_id: run.thread_id,
            created_at: run.created_at,
            status: run.status,
            expires_at: run.expires_at,
            body: bodyOf(run),
            metadata: JSON.stringify(run.metadata),
            locked_by: with_.hold?.by ?? null,
            locked_until: with_.hold?.untilMs ?? null,
            include_content: with_.includeContent ? 1 : 0,
          })
          .execute();
        if (with_.messages.length) {
          await tx
            .insertInto('messages')
            .values(with_.messages.map((m) => messageToRow(projectId, m)))
            .execute();
        }
      };
      try {
        await (single ? write(db) : db.transaction().execute(write));
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        const active = await repo.active(projectId, run.thread_id);
        throw new ActiveRunConflict(run.thread_id, active?.id);
      }
    },
    async get(projectId, threadId, id) {
      const row = await db
        .selectFrom('runs')
        .select(['body', 'status', 'metadata'])
        .where('id', '=', id)
        .where('thread_id', '=', threadId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row && runFromRow(row);
    },
    async list(projectId, threadId, q) {
      const page = await paginate(
        db.selectFrom('runs').selectAll().where('thread_id', '=', threadId).where('project_id', '=', projectId),
        q,
      );
      return { data: page.data.map(runFromRow), hasMore: page.hasMore };
    },
    async active(projectId, threadId) {
      const row = await db
        .selectFrom('runs')
        .select(['body', 'status', 'metadata'])
        .where('thread_id', '=', threadId)
        .where('project_id', '=', projectId)
        .where('status', 'in', ACTIVE)
        .executeTakeFirst();
      return row && runFromRow(row);
    },
    async save(projectId, run, expected, steps = [], messages = [], hold) {
      const write = async (tx: Kysely<Tables>) => {
        const res = await tx
          .updateTable('runs')
          .set({
            status: run.status,
            expires_at: run.expires_at,
            body: bodyOf(run),
            ...(hold && { locked_by: hold.by, locked_until: hold.untilMs }),
          })
          .where('id', '=', run.id)
          .where('project_id', '=', projectId)
          .where('status', 'in', [...expected])
          .executeTakeFirst();
        if (res.numUpdatedRows === 0n) return false;
        for (const step of steps) {
          await tx
            .updateTable('run_steps')
            .set({ status: step.status, body: JSON.stringify(step) })
            .where('id', '=', step.id)
            .where('project_id', '=', projectId)
            .execute();
        }
        for (const message of messages) {
          const { id, project_id, thread_id, created_at: _created, ...rest } = messageToRow(projectId, message);
          await tx
            .updateTable('messages')
            .set(rest)
            .where('id', '=', id)
            .where('thread_id', '=', thread_id)
            .where('project_id', '=', project_id)
            .execute();
        }
        return true;
      };
      return steps.length || messages.length ? db.transaction().execute(write) : write(db);
    },
    async updateMetadata(projectId, threadId, id, metadata: Metadata) {
      const res = await db
        .updateTable('runs')
        .set({ metadata: JSON.stringify(metadata) })
        .where('id', '=', id)
        .where('thread_id', '=', threadId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async claim(workerId, nowMs, leaseMs, limit = 1) {
      return (await claimRuns(db, dialect, workerId, nowMs, leaseMs, limit)).map(owned);
    },
    async heartbeat(workerId, ids, nowMs, leaseMs) {
      const out = new Map<string, RunStatus>();
      if (!ids.length) return out;
      await db
        .updateTable('runs')
        .set({ locked_until: nowMs + leaseMs })
        .where('locked_by', '=', workerId)
        .where('id', 'in', ids)
        .execute();
      const rows = await db.selectFrom('runs').select(['id', 'status']).where('id', 'in', ids).execute();
      for (const r of rows) out.set(r.id, r.status as RunStatus);
      return out;
    },
    async release(workerId, id) {
      await db
        .updateTable('runs')
        .set({ locked_by: null, locked_until: null })
        .where('id', '=', id)
        .where('locked_by', '=', workerId)
        .execute();
    },
    async listOrphaned(nowMs, limit) {
      const rows = await db
        .selectFrom('runs')
        .selectAll()
        .where('status', 'in', ['in_progress', 'cancelling'])
        .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowMs)]))
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(owned);
    },
    async listExpiring(nowSeconds, limit) {
      const rows = await db
        .selectFrom('runs')
        .selectAll()
        .where('status', '=', 'requires_action')
        .where('expires_at', '<=', nowSeconds)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(owned);
    },
  };
  return repo;
}
