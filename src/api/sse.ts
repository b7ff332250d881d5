import type { FastifyReply, FastifyRequest } from 'fastify';
import { STREAM_END_EVENTS, type AssistantStreamEvent } from '../core/events.js';
import type { EventBus } from '../events/event-bus.js';

const KEEPALIVE_MS = 15_000;

/** One SSE frame. `error` events carry the wrapped form every SDK major turns into an APIError. */
export function frame(e: AssistantStreamEvent): string {
  if (e.event === 'error') return `event: error\ndata: ${JSON.stringify({ error: e.data, ...e.data })}\n\n`;
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

/**
 * Streams a run's events from `fromSeq` until the run ends or pauses for tool outputs, then
 * `event: done` / `data: [DONE]`. A client that goes away only unsubscribes: the run goes on.
 * `prelude` events (e.g. `thread.created`) are written first.
 */
export async function streamRun(
  request: FastifyRequest,
  reply: FastifyReply,
  bus: EventBus,
  runId: string,
  fromSeq: number,
  prelude: AssistantStreamEvent[] = [],
  /** Gives back the caller's stream slot when the stream ends. */
  release: () => void = () => undefined,
): Promise<void> {
  const subscription = bus.subscribe(runId, fromSeq);
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-request-id': request.id,
    'x-accel-buffering': 'no',
  });
  let open = true;
  const onClose = () => {
    open = false;
    subscription.close();
  };
  res.on('close', onClose);
  const keepalive = setInterval(() => {
    if (open) res.write(': keep-alive\n\n');
  }, KEEPALIVE_MS);
  try {
    for (const e of prelude) res.write(frame(e));
    for await (const { event } of subscription) {
      if (!open) break;
      res.write(frame(event));
      if (STREAM_END_EVENTS.has(event.event)) break;
    }
    if (open) res.write('event: done\ndata: [DONE]\n\n');
  } catch (err) {
    // Headers are sent: the failure goes out as an `error` event, then the stream ends.
    request.log.error({ err, reqId: request.id }, 'run stream failed');
    if (open) {
      res.write(
        frame({
          event: 'error',
          data: {
            message: `The stream failed on the server (request ${request.id}); the run goes on and can be retrieved.`,
            type: 'server_error',
            param: null,
            code: null,
          },
        }),
      );
      res.write('event: done\ndata: [DONE]\n\n');
    }
  } finally {
    clearInterval(keepalive);
    subscription.close();
    res.off('close', onClose);
    release();
    if (open) res.end();
  }
}
