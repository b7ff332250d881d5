import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
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

/**
 * Errors Fastify's router raises before any route or hook runs: a path that does not decode
 * (`%ff`, a lone `%`) or an id longer than the router takes. Neither can name an object, so both
 * answer like an unknown path.
 */
export function sendFrameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('x-request-id', request.id);
  const path = request.url.split('?')[0];
  if (err.code === 'FST_ERR_BAD_URL' || err.code === 'FST_ERR_MAX_PARAM_LENGTH') return sendError(reply, Errors.invalidUrl(request.method, path));
  request.log.error({ err, reqId: request.id }, 'unhandled framework error');
  return sendError(reply, Errors.internal(request.id));
}

/**
 * A request Node's HTTP parser rejected (bad framing, conflicting lengths, headers too large,
 * too slow): answered on the raw socket, since there is no request to reply to, in the same wire
 * shape as every other error, and the connection closed (its framing can no longer be trusted).
 */
export function onClientError(err: Error & { code?: string; reason?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const error =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? Errors.headersTooLarge(maxHeaderSize)
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? Errors.requestTimeout()
        : Errors.invalidRequest(`Malformed HTTP request: ${err.reason ?? err.message}.`, null, 'malformed_request');
  if (socket.writable) {
    const body = JSON.stringify(error.toWire());
    socket.write(
      `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

/** An `Expect` other than 100-continue (Node would answer a bare 417 without a body). */
export function onCheckExpectation(requestId: () => string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const error = Errors.expectationFailed(String(req.headers.expect ?? ''));
    const body = JSON.stringify(error.toWire());
    res.writeHead(error.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-request-id': requestId(),
      connection: 'close',
    });
    res.end(body);
  };
}
