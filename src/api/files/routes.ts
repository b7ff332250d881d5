import type { FastifyInstance } from 'fastify';
import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import { toListResponse } from '../../core/page.js';
import type { FilePurpose } from '../../core/wire.js';
import type { StoredFile } from '../../store/store.js';
import type { Deps } from '../deps.js';
import { parseListQuery, queryString } from '../pagination.js';
import { contentDisposition, storedFileName } from './filename.js';
import { guessMimeType } from './mime.js';
import { serializeFile } from './serialize.js';

type IdParams = { Params: { file_id: string } };

export const CREATE_PURPOSES = ['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals'] as const;
const BATCH_DEFAULT_EXPIRY = 30 * 24 * 3600;

/** Validates `expires_after` (anchor `created_at`, 3600–2592000 seconds) given as strings or numbers. */
export function parseFileExpiry(anchor: unknown, seconds: unknown, param = 'expires_after'): number | null {
  if (anchor === undefined && seconds === undefined) return null;
  if (anchor === undefined) throw Errors.missingParameter(`${param}.anchor`);
  if (seconds === undefined) throw Errors.missingParameter(`${param}.seconds`);
  if (anchor !== 'created_at') throw Errors.invalidValue(`${param}.anchor`, anchor, ['created_at']);
  const n = typeof seconds === 'number' ? seconds : Number(seconds);
  if (!Number.isInteger(n) || (typeof seconds === 'string' && seconds.trim() === '')) {
    throw Errors.invalidType(`${param}.seconds`, 'an integer', JSON.stringify(seconds));
  }
  if (n < 3600) throw Errors.numberBelowMin(`${param}.seconds`, 3600, n, true);
  if (n > 2_592_000) throw Errors.numberAboveMax(`${param}.seconds`, 2_592_000, n, true);
  return n;
}

export function fileRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, blobs, clock, ids, limits } = deps;

  async function load(projectId: string, id: string): Promise<StoredFile> {
    const f = await store.files.get(projectId, id, unixSeconds(clock));
    if (!f) throw Errors.notFound('file', id);
    return f;
  }

  app.post('/files', async (request) => {
    if (!request.isMultipart()) {
      throw Errors.unsupportedContentType(String(request.headers['content-type'] ?? 'none'), 'multipart/form-data');
    }
    const id = ids.next('file');
    const blobKey = `files/${id}`;
    const fields: Record<string, string> = {};
    let upload: { filename: string; mimetype: string; bytes: number } | undefined;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          if (part.fieldname !== 'file') throw Errors.unknownParameter(part.fieldname);
          if (upload) throw Errors.invalidRequest("Only one 'file' may be uploaded per request.", 'file');
          const put = await blobs.put(blobKey, part.file, { maxBytes: limits.fileBytes });
          if (put.truncated || part.file.truncated) throw Errors.fileTooLarge(limits.fileBytes);
          upload = { filename: storedFileName(part.filename || 'file'), mimetype: part.mimetype, bytes: put.bytes };
        } else {
          fields[part.fieldname] = String(part.value);
        }
      }
      const { purpose, ...rest } = fields;
      const anchor = rest['expires_after[anchor]'];
      const seconds = rest['expires_after[seconds]'];
      delete rest['expires_after[anchor]'];
      delete rest['expires_after[seconds]'];
      const unknown = Object.keys(rest)[0];
      if (unknown !== undefined) throw Errors.unknownParameter(unknown);
      if (!upload) throw Errors.missingParameter('file');
      if (purpose === undefined) throw Errors.missingParameter('purpose');
      if (!(CREATE_PURPOSES as readonly string[]).includes(purpose)) {
        throw Errors.invalidValue('purpose', purpose, CREATE_PURPOSES);
      }
      const expiresAfter = parseFileExpiry(anchor, seconds) ?? (purpose === 'batch' ? BATCH_DEFAULT_EXPIRY : null);
      const now = unixSeconds(clock);
      const file: StoredFile = {
        id,
        object: 'file',
        bytes: upload.bytes,
        created_at: now,
        expires_at: expiresAfter === null ? null : now + expiresAfter,
        filename: upload.filename,
        purpose: purpose as FilePurpose,
        status: 'processed',
        status_details: null,
        blob_key: blobKey,
        mime_type: guessMimeType(upload.filename, upload.mimetype),
      };
      await store.files.insert(request.projectId, file);
      return serializeFile(file);
    } catch (err) {
      await blobs.delete(blobKey).catch(() => undefined);
      throw err;
    }
  });

  app.get('/files', async (request) => {
    const purpose = queryString(request.query, 'purpose');
    const page = await store.files.list(request.projectId, {
      ...parseListQuery(request.query, { defaultLimit: 10_000, maxLimit: 10_000 }),
      ...(purpose !== undefined && { purpose }),
      now: unixSeconds(clock),
    });
    return toListResponse({ data: page.data.map(serializeFile), hasMore: page.hasMore });
  });

  app.get<IdParams>('/files/:file_id', async (request) => serializeFile(await load(request.projectId, request.params.file_id)));

  app.get<IdParams>('/files/:file_id/content', async (request, reply) => {
    const file = await load(request.projectId, request.params.file_id);
    return reply
      .header('content-type', file.mime_type)
      .header('content-length', String(file.bytes))
      .header('content-disposition', contentDisposition(file.filename))
      .send(blobs.get(file.blob_key));
  });

  app.delete<IdParams>('/files/:file_id', async (request) => {
    const file = await load(request.projectId, request.params.file_id);
    const stores = await store.vectorStoreFiles.storesOf(request.projectId, file.id);
    if (!(await store.files.delete(request.projectId, file.id))) throw Errors.notFound('file', file.id);
    // A deleted File leaves every vector store it was in.
    for (const vectorStoreId of stores) {
      await store.vectorStoreFiles.delete(request.projectId, vectorStoreId, file.id);
      await deps.index.removeFile(vectorStoreId, file.id);
    }
    await blobs.delete(file.blob_key);
    await blobs.delete(`text/${file.id}`);
    return { id: file.id, object: 'file', deleted: true };
  });
}
