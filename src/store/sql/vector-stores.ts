import type { Kysely } from 'kysely';
import type { FileCounts, VectorStoreFileStatus } from '../../core/wire.js';
import type {
  FileBatchRepo,
  StoredFileBatch,
  StoredVectorStore,
  StoredVectorStoreFile,
  VectorStoreFileRepo,
  VectorStoreRepo,
  VectorStoreStats,
} from '../store.js';
import { idTimeMs } from '../../core/ids.js';
import { paginate } from './paginate.js';
import { fromJson, type Tables, type VectorStoreFileRow, type VectorStoreRow } from './tables.js';

function storeToRow(projectId: string, vs: StoredVectorStore): VectorStoreRow {
  return {
    id: vs.id,
    project_id: projectId,
    created_at: vs.created_at,
    name: vs.name,
    description: vs.description,
    expires_after: vs.expires_after ? JSON.stringify(vs.expires_after) : null,
    expires_at: vs.expires_at,
    last_active_at: vs.last_active_at,
    metadata: JSON.stringify(vs.metadata),
  };
}

function storeFromRow(r: VectorStoreRow): StoredVectorStore {
  return {
    id: r.id,
    created_at: r.created_at,
    name: r.name,
    description: r.description,
    expires_after: fromJson(r.expires_after),
    expires_at: r.expires_at,
    last_active_at: r.last_active_at,
    metadata: JSON.parse(r.metadata),
  };
}

function fileFromRow(r: VectorStoreFileRow): StoredVectorStoreFile {
  return {
    id: r.file_id,
    vector_store_id: r.vector_store_id,
    project_id: r.project_id,
    created_at: r.created_at,
    status: r.status as VectorStoreFileStatus,
    usage_bytes: r.usage_bytes,
    last_error: fromJson(r.last_error),
    chunking_strategy: JSON.parse(r.chunking_strategy),
    attributes: fromJson(r.attributes),
    batch_id: r.batch_id,
    attempts: r.attempts,
  };
}

export function emptyCounts(): FileCounts {
  return { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
}

function addCount(counts: FileCounts, status: string, n: number): void {
  if (status === 'in_progress' || status === 'completed' || status === 'failed' || status === 'cancelled') counts[status] += n;
  counts.total += n;
}

export function vectorStoreRepo(db: Kysely<Tables>): VectorStoreRepo {
  return {
    async insert(projectId, vs) {
      await db.insertInto('vector_stores').values(storeToRow(projectId, vs)).execute();
    },
    async get(projectId, id) {
      const row = await db.selectFrom('vector_stores').selectAll().where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
      return row && storeFromRow(row);
    },
    async update(projectId, vs) {
      const { id, project_id, created_at, ...rest } = storeToRow(projectId, vs);
      const res = await db.updateTable('vector_stores').set(rest).where('id', '=', id).where('project_id', '=', project_id).executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async delete(projectId, id) {
      return db.transaction().execute(async (tx) => {
        const res = await tx.deleteFrom('vector_stores').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst();
        if (res.numDeletedRows === 0n) return false;
        await tx.deleteFrom('vector_store_files').where('vector_store_id', '=', id).execute();
        await tx.deleteFrom('vector_store_file_batches').where('vector_store_id', '=', id).execute();
        return true;
      });
    },
    async list(projectId, q) {
      const page = await paginate(db.selectFrom('vector_stores').selectAll().where('project_id', '=', projectId), q);
      return { data: page.data.map(storeFromRow), hasMore: page.hasMore };
    },
    async stats(ids) {
      const out = new Map<string, VectorStoreStats>(ids.map((id) => [id, { file_counts: emptyCounts(), usage_bytes: 0 }]));
      if (!ids.length) return out;
      const rows = await db
        .selectFrom('vector_store_files')
        .select((eb) => ['vector_store_id', 'status', eb.fn.countAll<number | string>().as('n'), eb.fn.sum<number | string>('usage_bytes').as('bytes')])
        .where('vector_store_id', 'in', ids)
        .groupBy(['vector_store_id', 'status'])
        .execute();
      for (const r of rows) {
        const s = out.get(r.vector_store_id)!;
        addCount(s.file_counts, r.status, Number(r.n));
        if (r.status === 'completed') s.usage_bytes += Number(r.bytes ?? 0);
      }
      return out;
    },
  };
}

export function vectorStoreFileRepo(db: Kysely<Tables>): VectorStoreFileRepo {
  return {
    async upsert(f) {
      const row: VectorStoreFileRow = {
        vector_store_id: f.vector_store_id,
        file_id: f.id,
        project_id: f.project_id,
        created_at: f.created_at,
        status: f.status,
        usage_bytes: f.usage_bytes,
        last_error: f.last_error ? JSON.stringify(f.last_error) : null,
        chunking_strategy: JSON.stringify(f.chunking_strategy),
        attributes: f.attributes ? JSON.stringify(f.attributes) : null,
        batch_id: f.batch_id,
        attempts: f.attempts,
        locked_by: null,
        locked_until: null,
      };
      const { vector_store_id, file_id, ...rest } = row;
      await db
        .insertInto('vector_store_files')
        .values(row)
        .onConflict((oc) => oc.columns(['vector_store_id', 'file_id']).doUpdateSet(rest))
        .execute();
    },
    async get(projectId, vectorStoreId, fileId) {
      const row = await db
        .selectFrom('vector_store_files')
        .selectAll()
        .where('vector_store_id', '=', vectorStoreId)
        .where('file_id', '=', fileId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return row && fileFromRow(row);
    },
    async list(projectId, vectorStoreId, q) {
      let qb = db
        .selectFrom('vector_store_files')
        .selectAll()
        .where('vector_store_id', '=', vectorStoreId)
        .where('project_id', '=', projectId);
      if (q.status) qb = qb.where('status', '=', q.status);
      if (q.batchId) qb = qb.where('batch_id', '=', q.batchId);
      // Listed by when each file was added (created_at), ties by file id. Cursors are file ids: the
      // position is the cursor row's (created_at, file_id), or, once that row is gone, the time its
      // sortable id carries.
      const page = await paginate(qb, q, {
        columns: ['created_at', 'file_id'],
        at: async (fileId) => {
          const row = await db
            .selectFrom('vector_store_files')
            .select('created_at')
            .where('vector_store_id', '=', vectorStoreId)
            .where('file_id', '=', fileId)
            .executeTakeFirst();
          return [row ? Number(row.created_at) : Math.floor((idTimeMs(fileId) ?? 0) / 1000), fileId];
        },
      });
      return { data: page.data.map(fileFromRow), hasMore: page.hasMore };
    },
    async all(projectId, vectorStoreId) {
      const rows = await db
        .selectFrom('vector_store_files')
        .selectAll()
        .where('vector_store_id', '=', vectorStoreId)
        .where('project_id', '=', projectId)
        .orderBy('created_at')
        .orderBy('file_id')
        .execute();
      return rows.map(fileFromRow);
    },
    async setAttributes(projectId, vectorStoreId, fileId, attributes) {
      const res = await db
        .updateTable('vector_store_files')
        .set({ attributes: attributes ? JSON.stringify(attributes) : null })
        .where('vector_store_id', '=', vectorStoreId)
        .where('file_id', '=', fileId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async delete(projectId, vectorStoreId, fileId) {
      const res = await db
        .deleteFrom('vector_store_files')
        .where('vector_store_id', '=', vectorStoreId)
        .where('file_id', '=', fileId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return res.numDeletedRows > 0n;
    },
    async storesOf(projectId, fileId) {
      const rows = await db
        .selectFrom('vector_store_files')
        .select('vector_store_id')
        .where('file_id', '=', fileId)
        .where('project_id', '=', projectId)
        .execute();
      return rows.map((r) => r.vector_store_id);
    },
    async claim(workerId, nowMs, leaseMs) {
      return db.transaction().execute(async (tx) => {
        const next = await tx
          .selectFrom('vector_store_files')
          .select(['vector_store_id', 'file_id'])
          .where('status', '=', 'in_progress')
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowMs)]))
          .orderBy('created_at')
          .limit(1)
          .executeTakeFirst();
        if (!next) return undefined;
        // The guard repeats the condition, so two claimers of the same row cannot both win.
        const res = await tx
          .updateTable('vector_store_files')
          .set((eb) => ({ locked_by: workerId, locked_until: nowMs + leaseMs, attempts: eb('attempts', '+', 1) }))
          .where('vector_store_id', '=', next.vector_store_id)
          .where('file_id', '=', next.file_id)
          .where('status', '=', 'in_progress')
          .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', nowMs)]))
          .executeTakeFirst();
        if (res.numUpdatedRows === 0n) return undefined;
        const row = await tx
          .selectFrom('vector_store_files')
          .selectAll()
          .where('vector_store_id', '=', next.vector_store_id)
          .where('file_id', '=', next.file_id)
          .executeTakeFirstOrThrow();
        return fileFromRow(row);
      });
    },
    async heartbeat(workerId, keys, nowMs, leaseMs) {
      for (const k of keys) {
        await db
          .updateTable('vector_store_files')
          .set({ locked_until: nowMs + leaseMs })
          .where('vector_store_id', '=', k.vectorStoreId)
          .where('file_id', '=', k.fileId)
          .where('locked_by', '=', workerId)
          .execute();
      }
    },
    async finish(workerId, vectorStoreId, fileId, result) {
      const res = await db
        .updateTable('vector_store_files')
        .set({
          status: result.status,
          usage_bytes: result.usage_bytes,
          last_error: result.last_error ? JSON.stringify(result.last_error) : null,
          locked_by: null,
          locked_until: null,
        })
        .where('vector_store_id', '=', vectorStoreId)
        .where('file_id', '=', fileId)
        .where('status', '=', 'in_progress')
        .where('locked_by', '=', workerId)
        .executeTakeFirst();
      return res.numUpdatedRows > 0n;
    },
    async cancelUnstarted(batchId) {
      const res = await db
        .updateTable('vector_store_files')
        .set({ status: 'cancelled' })
        .where('batch_id', '=', batchId)
        .where('status', '=', 'in_progress')
        .where('locked_by', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    },
    async batchCounts(batchIds) {
      const out = new Map<string, FileCounts>(batchIds.map((id) => [id, emptyCounts()]));
      if (!batchIds.length) return out;
      const rows = await db
        .selectFrom('vector_store_files')
        .select((eb) => ['batch_id', 'status', eb.fn.countAll<number | string>().as('n')])
        .where('batch_id', 'in', batchIds)
        .groupBy(['batch_id', 'status'])
        .execute();
      for (const r of rows) if (r.batch_id) addCount(out.get(r.batch_id)!, r.status, Number(r.n));
      return out;
    },
    async countPending() {
      const row = await db
        .selectFrom('vector_store_files')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('status', '=', 'in_progress')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export function fileBatchRepo(db: Kysely<Tables>): FileBatchRepo {
  return {
    async insert(projectId, b: StoredFileBatch) {
      await db
        .insertInto('vector_store_file_batches')
        .values({ id: b.id, project_id: projectId, vector_store_id: b.vector_store_id, created_at: b.created_at, cancelled: b.cancelled ? 1 : 0 })
        .execute();
    },
    async get(projectId, vectorStoreId, id) {
      const r = await db
        .selectFrom('vector_store_file_batches')
        .selectAll()
        .where('id', '=', id)
        .where('vector_store_id', '=', vectorStoreId)
        .where('project_id', '=', projectId)
        .executeTakeFirst();
      return r && { id: r.id, vector_store_id: r.vector_store_id, created_at: r.created_at, cancelled: Number(r.cancelled) === 1 };
    },
    async markCancelled(projectId, id) {
      await db.updateTable('vector_store_file_batches').set({ cancelled: 1 }).where('id', '=', id).where('project_id', '=', projectId).execute();
    },
  };
}
