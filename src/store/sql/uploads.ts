import type { Kysely } from 'kysely';
import type { StoredUpload, StoredUploadPart, UploadRepo } from '../store.js';
import { toRow as fileToRow } from './files.js';
import type { Tables, UploadPartRow, UploadRow } from './tables.js';

function fromRow(r: UploadRow): StoredUpload {
  return {
    id: r.id,
    object: 'upload',
    bytes: r.bytes,
    created_at: r.created_at,
    filename: r.filename,
    purpose: r.purpose,
    status: r.status as StoredUpload['status'],
    expires_at: r.expires_at,
    file_id: r.file_id,
    mime_type: r.mime_type,
    file_expires_after_seconds: r.file_expires_after_seconds,
  };
}

function partFromRow(r: UploadPartRow): StoredUploadPart {
  return {
    id: r.id,
    object: 'upload.part',
    created_at: r.created_at,
    upload_id: r.upload_id,
    bytes: r.bytes,
    blob_key: r.blob_key,
  };
}

export function uploadRepo(db: Kysely<Tables>): UploadRepo {
  return {
    async insert(projectId, u) {
      await db
        .insertInto('uploads')
        .values({
          id: u.id,
          project_id: projectId,
          created_at: u.created_at,
          bytes: u.bytes,
          filename: u.filename,
          purpose: u.purpose,
          mime_type: u.mime_type,
          status: u.status,
          expires_at: u.expires_at,
          file_id: u.file_id,
          file_expires_after_seconds: u.file_expires_after_seconds,
        })
        .execute();
    },
    async get(projectId, id) {
      const row = await db
        .selectFrom('uploads')
        .selectAll()
        .where('id', '=', id)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row && fromRow(row);
    },
    async finish(projectId, u, file) {
      const write = async (tx: Kysely<Tables>): Promise<boolean> => {
        const res = await tx
          .updateTable('uploads')
          .set({ status: u.status, file_id: u.file_id })
          .where('id', '=', u.id)
          .where('project_id', '=', projectId)
          .where('status', '=', 'pending')
          .executeTakeFirst();
        if (res.numUpdatedRows === 0n) return false;
        if (file) await tx.insertInto('files').values(fileToRow(projectId, file)).execute();
        return true;
      };
      return file ? db.transaction().execute(write) : write(db);
    },
    async insertPart(projectId, p) {
      await db
        .insertInto('upload_parts')
        .values({
          id: p.id,
          project_id: projectId,
          upload_id: p.upload_id,
          created_at: p.created_at,
          bytes: p.bytes,
          blob_key: p.blob_key,
        })
        .execute();
    },
    async listParts(projectId, uploadId) {
      const rows = await db
        .selectFrom('upload_parts')
        .selectAll()
        .where('upload_id', '=', uploadId)
        .where('project_id', '=', projectId)
        .orderBy('id')
        .execute();
      return rows.map(partFromRow);
    },
    async listExpired(now, limit) {
      const rows = await db
        .selectFrom('uploads')
        .selectAll()
        .where('status', '=', 'pending')
        .where('expires_at', '<=', now)
        .orderBy('expires_at')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ projectId: r.project_id, upload: fromRow(r) }));
    },
  };
}
