import type { FastifyInstance } from 'fastify';
import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import { toListResponse } from '../../core/page.js';
import { parseBody } from '../../core/validate.js';
import { searchStores } from '../../tools/search-stores.js';
import type { Deps } from '../deps.js';
import { parseListQuery, queryString } from '../pagination.js';
import { matchesFilter } from './filters.js';
import {
  createFileBatchBody,
  createVectorStoreBody,
  createVectorStoreFileBody,
  modifyVectorStoreBody,
  searchBody,
  updateVectorStoreFileBody,
  VS_FILE_FILTERS,
} from './schema.js';
import { createVectorStoreService, resolveChunking, toWireFile } from './service.js';

type VsParams = { Params: { vector_store_id: string } };
type VsFileParams = { Params: { vector_store_id: string; file_id: string } };
type BatchParams = { Params: { vector_store_id: string; batch_id: string } };

/** SDK poll helpers wait 5 s between polls unless told otherwise. */
const POLL_AFTER_MS = '200';

function statusFilter(query: unknown) {
  const f = queryString(query, 'filter');
  if (f === undefined) return undefined;
  if (!(VS_FILE_FILTERS as readonly string[]).includes(f)) throw Errors.invalidValue('filter', f, VS_FILE_FILTERS);
  return f as (typeof VS_FILE_FILTERS)[number];
}

export function vectorStoreRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, blobs } = deps;
  const vs = createVectorStoreService(deps);

  app.post('/vector_stores', async (request) => {
    const body = parseBody(createVectorStoreBody, request.body);
    return vs.wire(await vs.create(request.projectId, body));
  });

  app.get('/vector_stores', async (request) => {
    const page = await store.vectorStores.list(request.projectId, parseListQuery(request.query));
    return toListResponse({ data: await vs.wireMany(page.data), hasMore: page.hasMore });
  });

  app.get<VsParams>('/vector_stores/:vector_store_id', async (request) => vs.wire(await vs.load(request.projectId, request.params.vector_store_id)));

  app.post<VsParams>('/vector_stores/:vector_store_id', async (request) => {
    const body = parseBody(modifyVectorStoreBody, request.body);
    return vs.wire(await vs.modify(request.projectId, request.params.vector_store_id, body));
  });

  app.delete<VsParams>('/vector_stores/:vector_store_id', async (request) => {
    await vs.remove(request.projectId, request.params.vector_store_id);
    return { id: request.params.vector_store_id, object: 'vector_store.deleted', deleted: true };
  });

  // ---- files
  app.post<VsParams>('/vector_stores/:vector_store_id/files', async (request) => {
    const body = parseBody(createVectorStoreFileBody, request.body);
    await vs.load(request.projectId, request.params.vector_store_id);
    const chunking = resolveChunking(body.chunking_strategy);
    const [file] = await vs.addFiles(
      request.projectId,
      request.params.vector_store_id,
      [{ fileId: body.file_id, chunking, attributes: body.attributes ?? null, param: 'file_id' }],
      null,
    );
    return toWireFile(file);
  });

  app.get<VsParams>('/vector_stores/:vector_store_id/files', async (request) => {
    const query = parseListQuery(request.query);
    const status = statusFilter(request.query);
    await vs.load(request.projectId, request.params.vector_store_id);
    const page = await store.vectorStoreFiles.list(request.projectId, request.params.vector_store_id, { ...query, ...(status && { status }) });
    return toListResponse({ data: page.data.map(toWireFile), hasMore: page.hasMore });
  });

  app.get<VsFileParams>('/vector_stores/:vector_store_id/files/:file_id', async (request, reply) => {
    const f = await vs.loadFile(request.projectId, request.params.vector_store_id, request.params.file_id);
    reply.header('openai-poll-after-ms', POLL_AFTER_MS);
    return toWireFile(f);
  });

  app.post<VsFileParams>('/vector_stores/:vector_store_id/files/:file_id', async (request) => {
    const body = parseBody(updateVectorStoreFileBody, request.body);
    const { vector_store_id, file_id } = request.params;
    return toWireFile(await vs.setAttributes(request.projectId, vector_store_id, file_id, body.attributes));
  });

  app.delete<VsFileParams>('/vector_stores/:vector_store_id/files/:file_id', async (request) => {
    await vs.removeFile(request.projectId, request.params.vector_store_id, request.params.file_id);
    return { id: request.params.file_id, object: 'vector_store.file.deleted', deleted: true };
  });

  app.get<VsFileParams>('/vector_stores/:vector_store_id/files/:file_id/content', async (request) => {
    const f = await vs.loadFile(request.projectId, request.params.vector_store_id, request.params.file_id);
    let text = '';
    if (f.status === 'completed') {
      const chunks: Buffer[] = [];
      try {
        for await (const c of blobs.get(`text/${f.id}`)) chunks.push(c as Buffer);
        text = Buffer.concat(chunks).toString('utf8');
      } catch {
        text = '';
      }
    }
    return {
      object: 'vector_store.file_content.page',
      data: text ? [{ type: 'text', text }] : [],
      has_more: false,
      next_page: null,
    };
  });

  // ---- batches
  app.post<VsParams>('/vector_stores/:vector_store_id/file_batches', async (request) => {
    const body = parseBody(createFileBatchBody, request.body);
    return vs.createBatch(request.projectId, request.params.vector_store_id, body);
  });

  app.get<BatchParams>('/vector_stores/:vector_store_id/file_batches/:batch_id', async (request, reply) => {
    const b = await vs.getBatch(request.projectId, request.params.vector_store_id, request.params.batch_id);
    reply.header('openai-poll-after-ms', POLL_AFTER_MS);
    return b;
  });

  app.post<BatchParams>('/vector_stores/:vector_store_id/file_batches/:batch_id/cancel', async (request) =>
    vs.cancelBatch(request.projectId, request.params.vector_store_id, request.params.batch_id),
  );

  app.get<BatchParams>('/vector_stores/:vector_store_id/file_batches/:batch_id/files', async (request) => {
    const query = parseListQuery(request.query);
    const status = statusFilter(request.query);
    const { vector_store_id, batch_id } = request.params;
    await vs.getBatch(request.projectId, vector_store_id, batch_id);
    const page = await store.vectorStoreFiles.list(request.projectId, vector_store_id, { ...query, batchId: batch_id, ...(status && { status }) });
    return toListResponse({ data: page.data.map(toWireFile), hasMore: page.hasMore });
  });

  // ---- search
  app.post<VsParams>('/vector_stores/:vector_store_id/search', async (request) => {
    const body = parseBody(searchBody, request.body);
    const store_ = await vs.load(request.projectId, request.params.vector_store_id);
    if (store_.expires_at !== null && store_.expires_at <= unixSeconds(deps.clock)) {
      throw Errors.conflict(`Vector store ${store_.id} has expired and can no longer be searched.`);
    }
    const queries = Array.isArray(body.query) ? body.query : [body.query];
    const files = await store.vectorStoreFiles.all(request.projectId, store_.id);
    const filter = body.filters;
    const fileIds = filter ? files.filter((f) => matchesFilter(f.attributes, filter)).map((f) => f.id) : undefined;
    const results = await searchStores({ index: deps.index, embedder: deps.embedder, logger: request.log }, {
      vectorStoreIds: [store_.id],
      queries,
      ...(fileIds && { fileIds }),
      limit: body.max_num_results ?? 10,
      scoreThreshold: body.ranking_options?.score_threshold ?? 0,
    });
    await vs.touch(request.projectId, store_);
    const byId = new Map(files.map((f) => [f.id, f]));
    const names = new Map<string, string>();
    for (const id of new Set(results.map((r) => r.chunk.fileId))) {
      names.set(id, (await store.files.get(request.projectId, id, unixSeconds(deps.clock)))?.filename ?? '');
    }
    return {
      object: 'vector_store.search_results.page',
      search_query: queries,
      data: results.map((r) => ({
        file_id: r.chunk.fileId,
        filename: names.get(r.chunk.fileId) ?? '',
        score: r.score,
        attributes: byId.get(r.chunk.fileId)?.attributes ?? {},
        content: [{ type: 'text', text: r.chunk.text }],
      })),
      has_more: false,
      next_page: null,
    };
  });
}
