import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import type { Attributes, ChunkingStrategy, VectorStore, VectorStoreFile, VectorStoreFileBatch } from '../../core/wire.js';
import type { StoredFileBatch, StoredVectorStore, StoredVectorStoreFile } from '../../store/store.js';
import { AUTO_CHUNKING as AUTO_CHUNK_SIZES, validateChunking } from '../../ingest/chunk.js';
import type { Deps } from '../deps.js';

export const AUTO_CHUNKING: ChunkingStrategy = { type: 'static', static: { ...AUTO_CHUNK_SIZES } };

type ChunkingInput =
  | { type: 'auto' }
  | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } }
  | undefined;

/** `auto` is reported back as the static 800/400 it means; static bounds as in ingest/chunk.ts. */
export function resolveChunking(input: ChunkingInput, param = 'chunking_strategy'): ChunkingStrategy {
  if (!input || input.type === 'auto') return AUTO_CHUNKING;
  const problem = validateChunking(input.static, `${param}.static`);
  if (problem) throw Errors.invalidRequest(problem.message, problem.param, 'invalid_value');
  return { type: 'static', static: { max_chunk_size_tokens: input.static.max_chunk_size_tokens, chunk_overlap_tokens: input.static.chunk_overlap_tokens } };
}

export function toWireFile(f: StoredVectorStoreFile): VectorStoreFile {
  return {
    id: f.id,
    object: 'vector_store.file',
    usage_bytes: f.usage_bytes,
    created_at: f.created_at,
    vector_store_id: f.vector_store_id,
    status: f.status,
    last_error: f.last_error,
    chunking_strategy: f.chunking_strategy,
    attributes: f.attributes,
  };
}

export function createVectorStoreService(deps: Deps) {
  const { store, clock, ids, index, ingestControl } = deps;

  async function wire(vs: StoredVectorStore): Promise<VectorStore> {
    return (await wireMany([vs]))[0];
  }

  async function wireMany(list: StoredVectorStore[]): Promise<VectorStore[]> {
    const stats = await store.vectorStores.stats(list.map((v) => v.id));
    const now = unixSeconds(clock);
    return list.map((vs) => {
      const s = stats.get(vs.id)!;
      const expired = vs.expires_at !== null && vs.expires_at <= now;
      return {
        id: vs.id,
        object: 'vector_store',
        created_at: vs.created_at,
        name: vs.name,
        usage_bytes: s.usage_bytes,
        file_counts: s.file_counts,
        status: expired ? 'expired' : s.file_counts.in_progress > 0 ? 'in_progress' : 'completed',
        expires_after: vs.expires_after,
        expires_at: vs.expires_at,
        last_active_at: vs.last_active_at,
        metadata: vs.metadata,
      };
    });
  }

  async function load(projectId: string, id: string): Promise<StoredVectorStore> {
    const vs = await store.vectorStores.get(projectId, id);
    if (!vs) throw Errors.notFound('vector store', id);
    return vs;
  }

  async function loadFile(projectId: string, vectorStoreId: string, fileId: string): Promise<StoredVectorStoreFile> {
    const f = await store.vectorStoreFiles.get(projectId, vectorStoreId, fileId);
    if (f) return f;
    await load(projectId, vectorStoreId);
    throw Errors.notFound('vector store file', fileId);
  }

  /** Adds files as ingestion jobs; every file must exist in the project. */
  async function addFiles(
    projectId: string,
    vectorStoreId: string,
    files: Array<{ fileId: string; chunking: ChunkingStrategy; attributes: Attributes | null; param: string }>,
    batchId: string | null,
  ): Promise<StoredVectorStoreFile[]> {
    const now = unixSeconds(clock);
    for (const f of files) {
      if (!(await store.files.get(projectId, f.fileId, now))) {
        throw Errors.invalidRequest(`No file found with id '${f.fileId}'.`, f.param, 'invalid_file');
      }
    }
    const out: StoredVectorStoreFile[] = [];
    for (const f of files) {
      const rec: StoredVectorStoreFile = {
        id: f.fileId,
        vector_store_id: vectorStoreId,
        project_id: projectId,
        created_at: now,
        status: 'in_progress',
        usage_bytes: 0,
        last_error: null,
        chunking_strategy: f.chunking,
        attributes: f.attributes,
        batch_id: batchId,
        attempts: 0,
      };
      await store.vectorStoreFiles.upsert(rec);
      out.push(rec);
    }
    if (out.length) ingestControl.notify();
    return out;
  }

  function expiresAt(vs: Pick<StoredVectorStore, 'expires_after' | 'last_active_at'>): number | null {
    return vs.expires_after && vs.last_active_at !== null ? vs.last_active_at + vs.expires_after.days * 86_400 : null;
  }

  async function batchWire(projectId: string, b: StoredFileBatch): Promise<VectorStoreFileBatch> {
    const counts = (await store.vectorStoreFiles.batchCounts([b.id])).get(b.id)!;
    const status: VectorStoreFileBatch['status'] =
      counts.in_progress > 0 ? 'in_progress' : b.cancelled ? 'cancelled' : counts.total > 0 && counts.failed === counts.total ? 'failed' : 'completed';
    void projectId;
    return { id: b.id, object: 'vector_store.files_batch', created_at: b.created_at, vector_store_id: b.vector_store_id, status, file_counts: counts };
  }

  return {
    wire,
    wireMany,
    load,
    loadFile,
    addFiles,

    async create(
      projectId: string,
      input: {
        name?: string;
        description?: string;
        file_ids?: string[];
        chunking_strategy?: ChunkingInput;
        expires_after?: { anchor: 'last_active_at'; days: number };
        metadata?: Record<string, string> | null;
      },
      param = '',
    ): Promise<StoredVectorStore> {
      const now = unixSeconds(clock);
      const at = (p: string) => (param ? `${param}.${p}` : p);
      const chunking = resolveChunking(input.chunking_strategy, at('chunking_strategy'));
      const vs: StoredVectorStore = {
        id: ids.next('vectorStore'),
        created_at: now,
        name: input.name ?? '',
        description: input.description ?? null,
        expires_after: input.expires_after ?? null,
        expires_at: null,
        last_active_at: now,
        metadata: input.metadata ?? {},
      };
      vs.expires_at = expiresAt(vs);
      // Check the files before anything is written.
      for (const [i, fileId] of (input.file_ids ?? []).entries()) {
        if (!(await store.files.get(projectId, fileId, now))) {
          throw Errors.invalidRequest(`No file found with id '${fileId}'.`, at(`file_ids[${i}]`), 'invalid_file');
        }
      }
      await store.vectorStores.insert(projectId, vs);
      await addFiles(
        projectId,
        vs.id,
        (input.file_ids ?? []).map((fileId, i) => ({ fileId, chunking, attributes: null, param: at(`file_ids[${i}]`) })),
        null,
      );
      return vs;
    },

    async modify(
      projectId: string,
      id: string,
      input: { name?: string | null; expires_after?: { anchor: 'last_active_at'; days: number } | null; metadata?: Record<string, string> | null },
    ): Promise<StoredVectorStore> {
      const vs = await load(projectId, id);
      const next: StoredVectorStore = {
        ...vs,
        ...(input.name !== undefined && { name: input.name ?? '' }),
        ...(input.metadata !== undefined && { metadata: input.metadata ?? {} }),
        ...(input.expires_after !== undefined && { expires_after: input.expires_after }),
      };
      next.expires_at = expiresAt(next);
      await store.vectorStores.update(projectId, next);
      return next;
    },

    async remove(projectId: string, id: string): Promise<void> {
      await load(projectId, id);
      await store.vectorStores.delete(projectId, id);
      await index.removeStore(id);
    },

    async removeFile(projectId: string, vectorStoreId: string, fileId: string): Promise<void> {
      await loadFile(projectId, vectorStoreId, fileId);
      await store.vectorStoreFiles.delete(projectId, vectorStoreId, fileId);
      await index.removeFile(vectorStoreId, fileId);
    },

    /** Marks the store active now (searches, runs), pushing its expiry out. */
    async touch(projectId: string, vs: StoredVectorStore): Promise<void> {
      const now = unixSeconds(clock);
      if (vs.last_active_at === now) return;
      const next = { ...vs, last_active_at: now };
      next.expires_at = expiresAt(next);
      await store.vectorStores.update(projectId, next);
    },

    async setAttributes(projectId: string, vectorStoreId: string, fileId: string, attributes: Attributes | null): Promise<StoredVectorStoreFile> {
      const f = await loadFile(projectId, vectorStoreId, fileId);
      await store.vectorStoreFiles.setAttributes(projectId, vectorStoreId, fileId, attributes);
      await index.setAttributes(vectorStoreId, fileId, attributes ?? {});
      return { ...f, attributes };
    },

    async createBatch(
      projectId: string,
      vectorStoreId: string,
      input: {
        file_ids?: string[];
        files?: Array<{ file_id: string; chunking_strategy?: ChunkingInput; attributes?: Attributes | null }>;
        chunking_strategy?: ChunkingInput;
        attributes?: Attributes | null;
      },
    ): Promise<VectorStoreFileBatch> {
      await load(projectId, vectorStoreId);
      if (input.file_ids && input.files) {
        throw Errors.invalidRequest("Set either 'file_ids' or 'files', not both.", 'files', 'invalid_value');
      }
      if (!input.file_ids && !input.files) throw Errors.missingParameter('file_ids');
      const chunking = resolveChunking(input.chunking_strategy);
      const files = input.files
        ? input.files.map((f, i) => ({
            fileId: f.file_id,
            chunking: resolveChunking(f.chunking_strategy, `files[${i}].chunking_strategy`),
            attributes: f.attributes ?? null,
            param: `files[${i}].file_id`,
          }))
        : input.file_ids!.map((fileId, i) => ({ fileId, chunking, attributes: input.attributes ?? null, param: `file_ids[${i}]` }));
      const batch: StoredFileBatch = { id: ids.next('fileBatch'), vector_store_id: vectorStoreId, created_at: unixSeconds(clock), cancelled: false };
      await store.fileBatches.insert(projectId, batch);
      await addFiles(projectId, vectorStoreId, files, batch.id);
      return batchWire(projectId, batch);
    },

    async getBatch(projectId: string, vectorStoreId: string, batchId: string): Promise<VectorStoreFileBatch> {
      const b = await store.fileBatches.get(projectId, vectorStoreId, batchId);
      if (!b) {
        await load(projectId, vectorStoreId);
        throw Errors.notFound('vector store file batch', batchId);
      }
      return batchWire(projectId, b);
    },

    /** Files not yet started are cancelled; those being ingested finish (completed or failed). */
    async cancelBatch(projectId: string, vectorStoreId: string, batchId: string): Promise<VectorStoreFileBatch> {
      const b = await store.fileBatches.get(projectId, vectorStoreId, batchId);
      if (!b) {
        await load(projectId, vectorStoreId);
        throw Errors.notFound('vector store file batch', batchId);
      }
      const current = await batchWire(projectId, b);
      if (current.status !== 'in_progress') {
        throw Errors.conflict(`Cannot cancel a batch with status '${current.status}'.`);
      }
      await store.fileBatches.markCancelled(projectId, batchId);
      await store.vectorStoreFiles.cancelUnstarted(batchId);
      return batchWire(projectId, { ...b, cancelled: true });
    },
  };
}

export type VectorStoreService = ReturnType<typeof createVectorStoreService>;
