/**
 * Sends fuzz requests (fetch; node:http when the method carries a body fetch refuses; a raw
 * socket for broken HTTP framing) and checks each answer: no 5xx, no hang, and every 4xx is
 * `application/json` in the OpenAI error shape with all four keys.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';

export interface FuzzRequest {
  method: string;
  /** Path (from `/v1`) and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send with node:http (e.g. a body on GET/DELETE). */
  viaNodeHttp?: boolean;
}

export interface RawRequest {
  /** The whole request as bytes; `{HOST}` in it is replaced by host:port. */
  bytes: Buffer;
  /**
   * Whether the server owes an answer. When it does, the connection stays open until the answers
   * arrive; when it does not (a body the client cut off), the client half-closes after writing,
   * as a client that died would.
   */
  expectResponse: boolean;
  /** How many answers to wait for (pipelined requests); default 1. */
  responses?: number;
}

export interface Outcome {
  /** HTTP status, or `none` when the connection closed without an answer. */
  status: number | 'none';
  problems: string[];
  ms: number;
  /** The start of the response body, for reports. */
  excerpt: string;
}

const TIMEOUT_MS = 30_000;

/** Problems with one answer (empty when it is fine). */
export function checkAnswer(status: number, contentType: string | undefined, body: string, method: string): string[] {
  const problems: string[] = [];
  if (status >= 500) problems.push(`status ${status}`);
  if (status >= 400) {
    if (!/^application\/json(;|$)/i.test(contentType ?? '')) problems.push(`error content-type ${JSON.stringify(contentType ?? null)}`);
    if (method === 'HEAD') return problems; // no body to check
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      problems.push('error body is not JSON');
      return problems;
    }
    const err = (parsed as { error?: Record<string, unknown> } | null)?.error;
    if (!err || typeof err !== 'object' || Array.isArray(err)) {
      problems.push('error body has no "error" object');
      return problems;
    }
    for (const key of ['message', 'type', 'param', 'code']) if (!(key in err)) problems.push(`error.${key} missing`);
    if (typeof err.message !== 'string' || err.message === '') problems.push('error.message is not a non-empty string');
    if (typeof err.type !== 'string') problems.push('error.type is not a string');
    if ('param' in err && err.param !== null && typeof err.param !== 'string') problems.push('error.param is neither string nor null');
    if ('code' in err && err.code !== null && typeof err.code !== 'string') problems.push('error.code is neither string nor null');
    if (Object.keys(parsed as object).length !== 1) problems.push('error body has keys besides "error"');
  }
  return problems;
}

export async function send(baseURL: string, req: FuzzRequest, timeoutMs = TIMEOUT_MS): Promise<Outcome> {
  const started = Date.now();
  if (req.viaNodeHttp) return sendNodeHttp(baseURL, req, timeoutMs, started);
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(`${baseURL}${req.path}`, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined && { body: req.body }),
      redirect: 'manual',
      signal,
    });
  } catch (err) {
    const e = err as Error & { cause?: Error };
    const reason = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : `request failed: ${e.message}${e.cause ? ` (${e.cause.message})` : ''}`;
    return { status: 'none', problems: [reason], ms: Date.now() - started, excerpt: '' };
  }
  let body = '';
  try {
    body = await res.text();
  } catch (err) {
    const e = err as Error;
    return { status: res.status, problems: [e.name === 'TimeoutError' ? `body not finished within ${timeoutMs} ms` : `body read failed: ${e.message}`], ms: Date.now() - started, excerpt: '' };
  }
  const problems = checkAnswer(res.status, res.headers.get('content-type') ?? undefined, body, req.method);
  if (res.status === 200 && /event-stream/.test(res.headers.get('content-type') ?? '') && !/data: \[DONE\]/.test(body)) {
    problems.push('event stream ended without data: [DONE]');
  }
  return { status: res.status, problems, ms: Date.now() - started, excerpt: body.slice(0, 300) };
}

function sendNodeHttp(baseURL: string, req: FuzzRequest, timeoutMs: number, started: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const url = new URL(`${baseURL}${req.path}`);
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: req.method,
        // node:http sends a GET/DELETE body unframed unless told its length
        headers: { ...req.headers, ...(req.body && { 'content-length': String(req.body.length) }) },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          resolve({ status, problems: checkAnswer(status, res.headers['content-type'], body, req.method), ms: Date.now() - started, excerpt: body.slice(0, 300) });
        });
        res.on('error', (err) => resolve({ status: res.statusCode ?? 'none', problems: [`response failed: ${err.message}`], ms: Date.now() - started, excerpt: '' }));
      },
    );
    r.on('timeout', () => {
      r.destroy();
      resolve({ status: 'none', problems: [`no answer within ${timeoutMs} ms`], ms: Date.now() - started, excerpt: '' });
    });
    r.on('error', (err) => resolve({ status: 'none', problems: [`request failed: ${err.message}`], ms: Date.now() - started, excerpt: '' }));
    r.end(req.body);
  });
}

/** Parses the HTTP responses in `buf` (as many as are complete). */
export function parseResponses(buf: Buffer): Array<{ status: number; headers: Record<string, string>; body: string; complete: boolean }> {
  const out: Array<{ status: number; headers: Record<string, string>; body: string; complete: boolean }> = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = buf.subarray(at, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!m) break;
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    let bodyEnd: number;
    if (Number(m[1]) < 200) {
      at = end + 4; // an interim response (100 Continue) has no body
      continue;
    }
    if (headers['content-length'] !== undefined) bodyEnd = end + 4 + Number(headers['content-length']);
    else if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
      // de-chunk
      let p = end + 4;
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p);
        if (lineEnd < 0) return out;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
        if (!Number.isFinite(size)) return out;
        p = lineEnd + 2;
        if (size === 0) {
          p += 2;
          break;
        }
        parts.push(buf.subarray(p, p + size));
        p += size + 2;
      }
      out.push({ status: Number(m[1]), headers, body: Buffer.concat(parts).toString('utf8'), complete: true });
      at = p;
      continue;
    } else bodyEnd = buf.length;
    if (bodyEnd > buf.length) break;
    const complete = headers['content-length'] !== undefined;
    out.push({ status: Number(m[1]), headers, body: buf.subarray(end + 4, bodyEnd).toString('utf8'), complete });
    at = bodyEnd;
  }
  return out;
}

/**
 * Writes `req.bytes` to a fresh connection and reads until the expected answers are complete, the
 * server closes, or `timeoutMs`. Checks every response that came back.
 */
export function sendRaw(baseURL: string, req: RawRequest, timeoutMs = 10_000): Promise<Outcome & { responses: number }> {
  const started = Date.now();
  const url = new URL(baseURL);
  const bytes = Buffer.from(req.bytes.toString('latin1').replaceAll('{HOST}', url.host), 'latin1');
  return new Promise((resolve) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), allowHalfOpen: true });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (timedOut: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const responses = parseResponses(Buffer.concat(chunks));
      const problems: string[] = [];
      for (const r of responses) problems.push(...checkAnswer(r.status, r.headers['content-type'], r.body, 'RAW'));
      // without an expected answer (a body cut off, then EOF) the server may answer or just close
      if (!responses.length && req.expectResponse) problems.push(timedOut ? `no answer within ${timeoutMs} ms` : 'connection closed without an answer');
      resolve({
        status: responses[0]?.status ?? 'none',
        problems,
        ms: Date.now() - started,
        excerpt: responses[0]?.body.slice(0, 300) ?? '',
        responses: responses.length,
      });
    };
    const timer = setTimeout(() => finish(true), timeoutMs);
    const wanted = req.responses ?? 1;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // a response without a length ends with the connection; otherwise stop once all are complete
      const got = parseResponses(Buffer.concat(chunks));
      if (req.expectResponse && got.length >= wanted && got.every((r) => r.complete)) finish(false);
    });
    socket.on('end', () => finish(false));
    socket.on('close', () => finish(false));
    socket.on('error', () => finish(false));
    socket.on('connect', () => {
      socket.write(bytes, () => {
        if (!req.expectResponse) socket.end();
      });
    });
  });
}
