import type { FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import { arr, int, literal, obj, oneOf, parseBody, str } from '../../core/validate.js';
import type { FilePurpose } from '../../core/wire.js';
import type { StoredFile, StoredUpload, StoredUploadPart } from '../../store/store.js';
import type { Deps } from '../deps.js';
import { parseFileExpiry } from '../files/routes.js';
import { storedFileName } from '../files/filename.js';
import { guessMimeType } from '../files/mime.js';
import { serializeUpload } from '../files/serialize.js';

type IdParams = { Params: { upload_id: string } };

const UPLOAD_TTL_SECONDS = 3600;

const createUploadBody = obj(
  {
    filename: str({ min: 1, max: 1024, allowNul: true }),
    purpose: oneOf(['assistants', 'batch', 'fine-tune', 'vision']),
    bytes: int({ min: 0 }),
    mime_type: str({ min: 3, max: 255, pattern: /^[\w.+-]+\/[\w.+-]+$/, patternRule: 'expected a MIME type such as text/plain.' }),
    expires_after: obj({ anchor: literal('created_at'), seconds: int() }, { required: ['anchor', 'seconds'] }),
  },
  { required: ['filename', 'purpose', 'bytes', 'mime_type'] },
);

const completeUploadBody = obj({ part_ids: arr(str({ min: 1 })), md5: str() }, { required: ['part_ids'] });

export function uploadRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, blobs, clock, ids, limits } = deps;

  async function fileOf(projectId: string, u: StoredUpload): Promise<StoredFile | undefined> {
    return u.file_id ? store.files.get(projectId, u.file_id, unixSeconds(clock)) : undefined;
  }

  async function discardParts(projectId: string, uploadId: string): Promise<void> {
    for (const p of await store.uploads.listParts(projectId, uploadId)) await blobs.delete(p.blob_key);
  }

  /** Loads an upload that must still accept changes; an expired one is marked so on the way. */
  async function loadPending(projectId: string, id: string): Promise<StoredUpload> {
    const u = await store.uploads.get(projectId, id);
    if (!u) throw Errors.notFound('upload', id);
    if (u.status === 'pending' && u.expires_at <= unixSeconds(clock)) {
      await store.uploads.finish(projectId, { ...u, status: 'expired' });
      await discardParts(projectId, id);
      u.status = 'expired';
    }
    if (u.status !== 'pending') {
      throw Errors.conflict(`Upload ${id} has already been ${u.status}; it no longer accepts changes.`);
    }
    return u;
  }

  app.post('/uploads', async (request) => {
    const body = parseBody(createUploadBody, request.body);
    if (body.bytes > limits.uploadBytes) throw Errors.numberAboveMax('bytes', limits.uploadBytes, body.bytes, true);
    const expiresAfter = body.expires_after
      ? parseFileExpiry(body.expires_after.anchor, body.expires_after.seconds)
      : null;
    const now = unixSeconds(clock);
    const upload: StoredUpload = {
      id: ids.next('upload'),
      object: 'upload',
      bytes: body.bytes,
      created_at: now,
      filename: storedFileName(body.filename),
      purpose: body.purpose,
      status: 'pending',
      expires_at: now + UPLOAD_TTL_SECONDS,
      file_id: null,
      mime_type: body.mime_type,
      file_expires_after_seconds: expiresAfter,
    };
    await store.uploads.insert(request.projectId, upload);
    return serializeUpload(upload, undefined);
  });

  app.post<IdParams>('/uploads/:upload_id/parts', async (request) => {
    if (!request.isMultipart()) {
      throw Errors.unsupportedContentType(String(request.headers['content-type'] ?? 'none'), 'multipart/form-data');
    }
    const upload = await loadPending(request.projectId, request.params.upload_id);
    const part: StoredUploadPart = {
      id: ids.next('part'),
      object: 'upload.part',
      created_at: unixSeconds(clock),
      upload_id: upload.id,
      bytes: 0,
      blob_key: '',
    };
    part.blob_key = `uploads/${upload.id}/${part.id}`;
    let received = false;
    try {
      for await (const p of request.parts({ limits: { fileSize: limits.uploadPartBytes } })) {
        if (p.type !== 'file' || p.fieldname !== 'data') {
          if (p.type === 'file') p.file.resume();
          throw Errors.unknownParameter(p.fieldname);
        }
        if (received) throw Errors.invalidRequest("Only one 'data' part may be sent per request.", 'data');
        const put = await blobs.put(part.blob_key, p.file, { maxBytes: limits.uploadPartBytes });
        if (put.truncated || p.file.truncated) {
          throw Errors.invalidRequest(`Upload parts may be at most ${limits.uploadPartBytes} bytes.`, 'data', 'part_too_large');
        }
        part.bytes = put.bytes;
        received = true;
      }
      if (!received) throw Errors.missingParameter('data');
      await store.uploads.insertPart(request.projectId, part);
    } catch (err) {
      await blobs.delete(part.blob_key).catch(() => undefined);
      throw err;
    }
    return { id: part.id, object: part.object, created_at: part.created_at, upload_id: part.upload_id };
  });

  app.post<IdParams>('/uploads/:upload_id/complete', async (request) => {
    const body = parseBody(completeUploadBody, request.body);
    const upload = await loadPending(request.projectId, request.params.upload_id);
    const parts = new Map((await store.uploads.listParts(request.projectId, upload.id)).map((p) => [p.id, p]));
    const ordered: StoredUploadPart[] = [];
    const seen = new Set<string>();
    for (const [i, id] of body.part_ids.entries()) {
      const part = parts.get(id);
      if (!part) throw Errors.invalidRequest(`No part found with id '${id}' in upload ${upload.id}.`, `part_ids[${i}]`, 'invalid_value');
      if (seen.has(id)) throw Errors.invalidRequest(`Part '${id}' is listed more than once.`, `part_ids[${i}]`, 'invalid_value');
      seen.add(id);
      ordered.push(part);
    }
    const total = ordered.reduce((n, p) => n + p.bytes, 0);
    if (total !== upload.bytes) {
      throw Errors.invalidRequest(
        `The parts add up to ${total} bytes, but the upload was created with bytes=${upload.bytes}.`,
        'part_ids',
        'invalid_value',
      );
    }

    const fileId = ids.next('file');
    const blobKey = `files/${fileId}`;
    async function* concatenated() {
      for (const p of ordered) yield* blobs.get(p.blob_key);
    }
    const put = await blobs.put(blobKey, concatenated());
    try {
      if (body.md5 !== undefined && body.md5.toLowerCase() !== put.md5) {
        throw Errors.invalidRequest(`The md5 checksum ${body.md5} does not match the uploaded bytes (${put.md5}).`, 'md5', 'checksum_mismatch');
      }
      const now = unixSeconds(clock);
      const file: StoredFile = {
        id: fileId,
        object: 'file',
        bytes: put.bytes,
        created_at: now,
        expires_at: upload.file_expires_after_seconds === null ? null : now + upload.file_expires_after_seconds,
        filename: upload.filename,
        purpose: upload.purpose as FilePurpose,
        status: 'processed',
        status_details: null,
        blob_key: blobKey,
        mime_type: guessMimeType(upload.filename, upload.mime_type),
      };
      const done: StoredUpload = { ...upload, status: 'completed', file_id: fileId };
      // the File and the upload's completion are one write: a crash between them would leave a
      // File for an upload still pending (and a second File when the client completes it again)
      if (!(await store.uploads.finish(request.projectId, done, file))) {
        throw Errors.conflict(`Upload ${upload.id} was completed or cancelled by another request.`);
      }
      await discardParts(request.projectId, upload.id);
      return serializeUpload(done, file);
    } catch (err) {
      await blobs.delete(blobKey).catch(() => undefined);
      throw err;
    }
  });

  app.post<IdParams>('/uploads/:upload_id/cancel', async (request) => {
    const upload = await loadPending(request.projectId, request.params.upload_id);
    const cancelled: StoredUpload = { ...upload, status: 'cancelled' };
    if (!(await store.uploads.finish(request.projectId, cancelled))) {
      throw Errors.conflict(`Upload ${upload.id} was completed or cancelled by another request.`);
    }
    await discardParts(request.projectId, upload.id);
    return serializeUpload(cancelled, await fileOf(request.projectId, cancelled));
  });
}
