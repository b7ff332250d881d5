import type { Kysely } from 'kysely';
import type { RunStep } from '../../core/wire.js';
import type { StepRepo, Store } from '../store.js';
import { messageToRow } from './messages.js';
import { paginate } from './paginate.js';
import type { RunStepRow, Tables } from './tables.js';

function fromRow(r: Pick<RunStepRow, 'body'>): RunStep {
  return JSON.parse(r.body) as RunStep;
}

function stepToRow(projectId: string, step: RunStep): RunStepRow {
  return {
    id: step.id,
    project_id: projectId,
    thread_id: step.thread_id,
    run_id: step.run_id,
    created_at: step.created_at,
    status: step.status,
    body: JSON.stringify(step),
  };
}

export function stepRepo(db: Kysely<Tables>, dialect: Store['dialect']): StepRepo {
  return {
    async insert(projectId, step, message) {
      if (!message) return void (await db.insertInto('run_steps').values(stepToRow(projectId, step)).execute());
      // The first token of an answer waits for these rows (its events name them): PostgreSQL
      // writes both in one round trip; SQLite in one transaction, one commit instead of two.
      if (dialect === 'postgres') {
        await db
          .with('step', (w) => w.insertInto('run_steps').values(stepToRow(projectId, step)))
          .insertInto('messages')
          .values(messageToRow(projectId, message))
          .execute();
        return;
      }
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('run_steps').values(stepToRow(projectId, step)).execute();
        await tx.insertInto('messages').values(messageToRow(projectId, message)).execute();
      });
    },
    async save(projectId, step) {
      await db
        .updateTable('run_steps')
        .set({ status: step.status, body: JSON.stringify(step) })
        .where('id', '=', step.id)
        .where('project_id', '=', projectId)
        .execute();
    },
    async get(projectId, threadId, runId, id) {
      const row = await db
        .selectFrom('run_steps')
        .select('body')
        .where('id', '=', id)
        .where('run_id', '=', runId)
        .where('thread_id', '=', threadId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async list(projectId, threadId, runId, q) {
      const page = await paginate(
        db
          .selectFrom('run_steps')
          .selectAll()
          .where('run_id', '=', runId)
          .where('thread_id', '=', threadId)
          .where('project_id', '=', projectId),
        q,
      );
      return { data: page.data.map(fromRow), hasMore: page.hasMore };
    },
    async forRun(projectId, runId) {
      const rows = await db
        .selectFrom('run_steps')
        .select('body')
        .where('run_id', '=', runId)
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows.map(fromRow);
    },
  };
}
