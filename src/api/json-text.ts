import type { FastifyReply } from 'fastify';

/** The content type Fastify gives the JSON it serialises itself. */
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * Answers with JSON already serialised (a store's wire JSON), under the same content type as an
 * object Fastify serialises, so a client cannot tell the two apart.
 */
export function sendJsonText(reply: FastifyReply, json: string): FastifyReply {
  return reply.header('content-type', JSON_TYPE).send(json);
}
