import type { Kysely } from 'kysely';
import type { Message } from '../../core/wire.js';
import type { MessageRepo } from '../store.js';
import { paginate } from './paginate.js';
import { fromJson, toJson, type MessageRow, type Tables } from './tables.js';

export function messageToRow(projectId: string, m: Message): MessageRow {
  return {
    id: m.id,
    project_id: projectId,
    thread_id: m.thread_id,
    created_at: m.created_at,
    assistant_id: m.assistant_id,
    run_id: m.run_id,
    role: m.role,
    content: toJson(m.content),
    attachments: toJson(m.attachments),
    metadata: toJson(m.metadata),
    status: m.status,
    incomplete_details: m.incomplete_details === null ? null : toJson(m.incomplete_details),
    completed_at: m.completed_at,
    incomplete_at: m.incomplete_at,
  };
}

function fromRow(r: MessageRow): Message {
  return {
    id: r.id,
    object: 'thread.message',
    created_at: r.created_at,
    assistant_id: r.assistant_id,
    thread_id: r.thread_id,
    run_id: r.run_id,
    role: r.role as Message['role'],
    content: JSON.parse(r.content),
    attachments: JSON.parse(r.attachments),
    metadata: JSON.parse(r.metadata),
    status: r.status as Message['status'],
    incomplete_details: fromJson(r.incomplete_details),
    completed_at: r.completed_at,
    incomplete_at: r.incomplete_at,
  };
}

export function messageRepo(db: Kysely<Tables>): MessageRepo {
  return {
    async insert(projectId, m) {
      await db.insertInto('messages').values(messageToRow(projectId, m)).execute();
    },
    async get(projectId, threadId, id) {
      const row = await db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', id)
        .where('thread_id', '=', threadId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async update(projectId, m) {
      const { id, project_id, thread_id, created_at, ...rest } = messageToRow(projectId, m);
      const res = await db
        .updateTable('messages')
        .set(rest)
        .where('id', '=', id)
        .where('thread_id', '=', thread_id)
        .where('project_id', '=', project_id)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async delete(projectId, threadId, id) {
      const res = await db
        .deleteFrom('messages')
        .where('id', '=', id)
        .where('thread_id', '=', threadId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return res.numDeletedRows > 0n;
    },
    async list(projectId, threadId, q) {
      let qb = db.selectFrom('messages').selectAll().where('thread_id', '=', threadId).where('project_id', '=', projectId);
      if (q.runId !== undefined) qb = qb.where('run_id', '=', q.runId);
      const page = await paginate(qb, q);
      return { data: page.data.map(fromRow), hasMore: page.hasMore };
    },
    async all(projectId, threadId) {
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('thread_id', '=', threadId)
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows.map(fromRow);
    },
    async inProgressForRun(projectId, threadId, runId) {
      const rows = await db
        .selectFrom('messages')
        .selectAll()
        .where('thread_id', '=', threadId)
        .where('run_id', '=', runId)
        .where('project_id', '=', projectId)
        .where('status', '=', 'in_progress')
        .execute();
      return rows.map(fromRow);
    },
  };
}
