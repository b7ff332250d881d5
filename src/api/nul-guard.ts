import type { FastifyRequest } from 'fastify';
import { Errors } from '../core/errors.js';

/** The object kind each path parameter names, as `No <kind> found` says it. */
const KINDS: Record<string, string> = {
  assistant_id: 'assistant',
  thread_id: 'thread',
  message_id: 'message',
  run_id: 'run',
  step_id: 'run step',
  file_id: 'file',
  vector_store_id: 'vector store',
  batch_id: 'vector store file batch',
  upload_id: 'upload',
};

/**
 * A NUL (`%00`) in a path id or a query value. No id contains one, but PostgreSQL cannot even
 * compare text holding one and answered 500; SQLite looked the id up and found nothing. Both now
 * answer as SQLite did: a path id is not found (404), a query value is invalid (400).
 */
export function rejectNulInUrl(request: FastifyRequest): void {
  // Only a percent-encoded NUL decodes to one (Node refuses a raw NUL in a request line).
  if (!request.url.includes('%00')) return;
  const params = (request.params ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string' || !value.includes('\u0000')) continue;
    const kind = name === 'file_id' && request.url.startsWith('/v1/vector_stores/') ? 'vector store file' : (KINDS[name] ?? 'object');
    throw Errors.notFound(kind, value);
  }
  const query = (request.query ?? {}) as Record<string, unknown>;
  for (const [name, value] of Object.entries(query)) {
    for (const v of [value].flat()) {
      if (typeof v === 'string' && v.includes('\u0000')) {
        throw Errors.invalidRequest(`Invalid '${name}': must not contain the NUL character (U+0000).`, name, 'invalid_value');
      }
    }
  }
}
