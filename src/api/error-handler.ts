import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, Errors } from '../core/errors.js';
import type { Limits } from './deps.js';

/**
 * The single place where failures become wire errors. ApiErrors pass through; errors raised by
 * Fastify and its plugins are translated; anything else is logged with its request id and
 * answered as a plain 500 (never a stack trace).
 */
export function toApiError(err: unknown, request: FastifyRequest, limits: Limits): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as FastifyError;
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return Errors.bodyTooLarge(limits.bodyBytes);
    case 'FST_REQ_FILE_TOO_LARGE':
      return Errors.fileTooLarge(limits.fileBytes);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return Errors.unsupportedContentType(String(request.headers['content-type'] ?? 'none'), expectedType(request));
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return Errors.invalidRequest('Request body size did not match Content-Length.', null, 'invalid_content_length');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return Errors.invalidJson();
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return Errors.invalidRequest('Too many parts in the multipart body.', null, 'too_many_parts');
    case 'FST_PROTO_VIOLATION':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return Errors.invalidJson();
    default:
      break;
  }
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Malformed requests caught by Node or busboy (bad multipart framing, aborted bodies).
    return Errors.invalidRequest(`Malformed request: ${e.message}`, null, 'malformed_request');
  }
  if (e && /Unexpected end of (form|multipart)|Malformed part header|Multipart: Boundary not found/i.test(String(e.message))) {
    return Errors.invalidRequest(`Malformed multipart body: ${e.message}`, null, 'malformed_request');
  }
  request.log.error({ err, reqId: request.id }, 'unhandled error');
  return Errors.internal(request.id);
}

function expectedType(request: FastifyRequest): string {
  return /\/(files|parts)$/.test(request.url.split('?')[0]) ? 'multipart/form-data' : 'application/json';
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).headers(error.headers).type('application/json').send(error.toWire());
}
