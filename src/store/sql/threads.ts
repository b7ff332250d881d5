import type { Kysely } from 'kysely';
import type { Thread } from '../../core/wire.js';
import type { ThreadRepo } from '../store.js';
import { messageToRow } from './messages.js';
import { preparedFirst, type ReadNow } from './prepared.js';
import { fromJson, toJson, type Tables, type ThreadRow } from './tables.js';

export function threadToRow(projectId: string, t: Thread): ThreadRow {
  return {
    id: t.id,
    project_id: projectId,
    created_at: t.created_at,
    tool_resources: t.tool_resources === null ? null : toJson(t.tool_resources),
    metadata: toJson(t.metadata),
  };
}

function fromRow(r: LookedUp): Thread {
  return {
    id: r.id,
    object: 'thread',
    created_at: r.created_at,
    tool_resources: fromJson(r.tool_resources),
    metadata: JSON.parse(r.metadata),
  };
}

/** A thread row without its project, as the hot look-up selects it, in this column order. */
type LookedUp = Omit<ThreadRow, 'project_id'>;
const COLUMNS = ['id', 'created_at', 'tool_resources', 'metadata'] as const;

function fromValues(v: unknown[]): LookedUp {
  return { id: v[0] as string, created_at: v[1] as number, tool_resources: v[2] as string | null, metadata: v[3] as string };
}

const str = JSON.stringify;

/** `JSON.stringify(fromRow(r))` without building the object (see assistants.ts rowJson). */
function rowJson(r: LookedUp): string {
  return (
    `{"id":${str(r.id)},"object":"thread","created_at":${str(r.created_at)},` +
    `"tool_resources":${r.tool_resources ?? 'null'},"metadata":${r.metadata}}`
  );
}

export function threadRepo(db: Kysely<Tables>, readNow?: ReadNow): ThreadRepo {
  const byId = preparedFirst(
    db,
    (id: string, projectId: string) =>
      db.selectFrom('threads').select(COLUMNS).where('id', '=', id).where('project_id', '=', projectId),
    fromValues,
    readNow,
  );
  return {
    async insert(projectId, thread, messages) {
      await db.transaction().execute(async (tx) => {
        await tx.insertInto('threads').values(threadToRow(projectId, thread)).execute();
        if (messages.length) {
          await tx
            .insertInto('messages')
            .values(messages.map((m) => messageToRow(projectId, m)))
            .execute();
        }
      });
    },
    async get(projectId, id) {
      const row = await byId(id, projectId);
      return row && fromRow(row);
    },
    async getJson(projectId, id) {
      const row = await byId(id, projectId);
      return row && rowJson(row);
    },
    async update(projectId, t) {
      const { id, project_id, created_at, ...rest } = threadToRow(projectId, t);
      const res = await db
        .updateTable('threads')
        .set(rest)
        .where('id', '=', id)
        .where('project_id', '=', project_id)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async delete(projectId, id) {
      return db.transaction().execute(async (tx) => {
        const res = await tx
          .deleteFrom('threads')
          .where('id', '=', id)
          .where('project_id', '=', projectId)
          .executeTakeFirst();
        if (res.numDeletedRows === 0n) return false;
        await tx.deleteFrom('messages').where('thread_id', '=', id).execute();
        await tx.deleteFrom('run_steps').where('thread_id', '=', id).execute();
        await tx.deleteFrom('runs').where('thread_id', '=', id).execute();
        return true;
      });
    },
  };
}
