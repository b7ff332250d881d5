import type { onSendHookHandler } from 'fastify';

/**
 * A response can be ready before its request body has arrived: a GET or DELETE carrying a body no
 * route reads, an early 401, 404 or 415. When the client asked for `Connection: close`, Node closes
 * the socket right after the response with the rest of the body unread, and the kernel answers the
 * unread bytes with a reset that can destroy the response in flight (a 200 list was cut off after
 * 128 KB). Reading the rest of the body first — up to the body limit, for at most `timeoutMs` —
 * lets the response arrive whole. A body declared larger than the limit is not waited for.
 */
export function drainUnreadBody(limitBytes: number, timeoutMs: number): onSendHookHandler {
  return (request, _reply, payload, done) => {
    const raw = request.raw;
    if (raw.complete || raw.destroyed || Number(raw.headers['content-length']) > limitBytes) return done(null, payload);
    let seen = 0;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      raw.off('data', onData).off('end', finish).off('close', finish).off('error', finish);
      done(null, payload);
    };
    const onData = (chunk: Buffer): void => {
      seen += chunk.length;
      if (seen > limitBytes) finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    raw.on('data', onData).once('end', finish).once('close', finish).once('error', finish);
    raw.resume();
  };
}
