import type { Kysely } from 'kysely';
import type { FileRepo, StoredFile } from '../store.js';
import { paginate } from './paginate.js';
import type { FileRow, Tables } from './tables.js';

export function toRow(projectId: string, f: StoredFile): FileRow {
  return {
    id: f.id,
    project_id: projectId,
    created_at: f.created_at,
    bytes: f.bytes,
    filename: f.filename,
    purpose: f.purpose,
    status: f.status,
    status_details: f.status_details,
    expires_at: f.expires_at,
    blob_key: f.blob_key,
    mime_type: f.mime_type,
  };
}

function fromRow(r: FileRow): StoredFile {
  return {
    id: r.id,
    object: 'file',
    bytes: r.bytes,
    created_at: r.created_at,
    expires_at: r.expires_at,
    filename: r.filename,
    purpose: r.purpose as StoredFile['purpose'],
    status: r.status as StoredFile['status'],
    status_details: r.status_details,
    blob_key: r.blob_key,
    mime_type: r.mime_type,
  };
}

export function fileRepo(db: Kysely<Tables>): FileRepo {
  return {
    async insert(projectId, f) {
      await db.insertInto('files').values(toRow(projectId, f)).execute();
    },
    async get(projectId, id, now) {
      const row = await db
        .selectFrom('files')
        .selectAll()
        .where('id', '=', id)
        .where('project_id', '=', projectId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async delete(projectId, id) {
      const res = await db
        .deleteFrom('files')
        .where('id', '=', id)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return res.numDeletedRows > 0n;
    },
    async list(projectId, q) {
      let qb = db
        .selectFrom('files')
        .selectAll()
        .where('project_id', '=', projectId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', q.now)]));
      if (q.purpose !== undefined) qb = qb.where('purpose', '=', q.purpose);
      const page = await paginate(qb, q);
      return { data: page.data.map(fromRow), hasMore: page.hasMore };
    },
    async listExpired(now, limit) {
      const rows = await db
        .selectFrom('files')
        .selectAll()
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ projectId: r.project_id, file: fromRow(r) }));
    },
  };
}
