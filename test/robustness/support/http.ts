/**
 * Plain HTTP against the server (no SDK): JSON requests, multipart uploads and SSE streams, with
 * what the load and fault tests need to judge a stream (event order, text, timings).
 */
export const API_KEY = 'sk-robustness';
const AUTH = { authorization: `Bearer ${API_KEY}` };

export interface JsonResponse<T = any> {
  status: number;
  json: T;
  text: string;
}

/** One JSON request; never throws for an HTTP status (a network error does throw). */
export async function api<T = any>(base: string, method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<JsonResponse<T>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? AUTH : { ...AUTH, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
    ...(signal && { signal }),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

/** Like `api`, but anything other than 200 throws with the body. */
export async function ok<T = any>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await api<T>(base, method, path, body);
  if (res.status !== 200) throw new Error(`${method} ${path} → ${res.status} ${res.text.slice(0, 300)}`);
  return res.json;
}

/**
 * POST /files as multipart, the body streamed in `pieces` with `gapMs` between them (so a kill can
 * land while the bytes are still arriving). `onSent` is called once half the bytes went out.
 */
export async function uploadFile(
  base: string,
  filename: string,
  bytes: Uint8Array,
  options: { purpose?: string; pieces?: number; gapMs?: number; onHalf?: () => void; signal?: AbortSignal } = {},
): Promise<JsonResponse> {
  const boundary = `----oa-robustness-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\n${options.purpose ?? 'assistants'}\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: text/plain\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return multipart(base, '/files', boundary, head, bytes, tail, options);
}

/** POST /uploads/{id}/parts with `bytes` as the `data` part, streamed like `uploadFile`. */
export async function uploadPart(
  base: string,
  uploadId: string,
  bytes: Uint8Array,
  options: { pieces?: number; gapMs?: number; onHalf?: () => void; signal?: AbortSignal } = {},
): Promise<JsonResponse> {
  const boundary = `----oa-robustness-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="data"; filename="blob"\r\ncontent-type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return multipart(base, `/uploads/${uploadId}/parts`, boundary, head, bytes, tail, options);
}

async function multipart(
  base: string,
  path: string,
  boundary: string,
  head: Buffer,
  bytes: Uint8Array,
  tail: Buffer,
  options: { pieces?: number; gapMs?: number; onHalf?: () => void; signal?: AbortSignal },
): Promise<JsonResponse> {
  const pieces = Math.max(1, options.pieces ?? 1);
  const size = Math.ceil(bytes.length / pieces) || 1;
  let i = 0;
  let halfCalled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i === 0) controller.enqueue(head);
      if (i * size >= bytes.length) {
        controller.enqueue(tail);
        controller.close();
        return;
      }
      if (i > 0 && options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs));
      controller.enqueue(bytes.subarray(i * size, (i + 1) * size));
      i++;
      if (!halfCalled && i * size >= bytes.length / 2) {
        halfCalled = true;
        options.onHalf?.();
      }
    },
  });
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: 'half',
    ...(options.signal && { signal: options.signal }),
  } as RequestInit);
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when the chunk carrying it arrived. */
  at: number;
}

/** Reads an SSE body, calling `onEvent` per event; resolves at the end of the body (rejects on a broken connection). */
export async function readSse(res: Response, onEvent: (e: SseEvent) => void): Promise<void> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const at = performance.now();
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length) onEvent({ event: name, data: data.join('\n'), at });
    }
  }
}

export interface StreamedRun {
  status: number;
  events: SseEvent[];
  /** performance.now() when the request was sent. */
  sentAt: number;
  /** The error that broke the stream (a killed server), if any. */
  broken?: unknown;
  body?: string;
}

/** POST a streaming run (or thread-and-run with `path`) and read its events to the end or the break. */
export async function streamRun(base: string, path: string, body: Record<string, unknown>, onEvent?: (e: SseEvent) => void): Promise<StreamedRun> {
  const sentAt = performance.now();
  const events: SseEvent[] = [];
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, stream: true }),
    });
  } catch (err) {
    return { status: 0, events, sentAt, broken: err };
  }
  if (res.status !== 200 || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    return { status: res.status, events, sentAt, body: await res.text().catch(() => '') };
  }
  try {
    await readSse(res, (e) => {
      events.push(e);
      onEvent?.(e);
    });
  } catch (err) {
    return { status: res.status, events, sentAt, broken: err };
  }
  return { status: res.status, events, sentAt };
}

export const CANONICAL_HEAD = [
  'thread.run.created',
  'thread.run.queued',
  'thread.run.in_progress',
  'thread.run.step.created',
  'thread.run.step.in_progress',
  'thread.message.created',
  'thread.message.in_progress',
];
export const CANONICAL_TAIL = ['thread.message.completed', 'thread.run.step.completed', 'thread.run.completed', 'done'];

/**
 * Judges a text-only streamed run against what the upstream streamed: every event in canonical
 * order, `deltas` message deltas whose text joins to `text`, one run / step / message id
 * throughout. `cut` (a stream broken by a kill): the events must be a prefix of that. `failed` (the
 * run failed under it): a prefix, then the failure's tail (message incomplete, step failed, run failed).
 * Returns the problems found (empty when the stream is right).
 */
export function judgeTextStream(
  events: readonly SseEvent[],
  expected: { deltas: number; text: string },
  how: 'completed' | 'cut' | 'failed' | boolean = 'completed',
): string[] {
  if (how === 'failed') {
    // a run that failed: some prefix of the canonical stream, then the failure's own tail
    const names = events.map((e) => e.event);
    const tail = names.includes('thread.message.created')
      ? ['thread.message.incomplete', 'thread.run.step.failed', 'thread.run.failed', 'done']
      : ['thread.run.failed', 'done'];
    const end = names.slice(-tail.length);
    if (JSON.stringify(end) !== JSON.stringify(tail)) return [`a failed run's stream ends ${end.join(' ')}, expected ${tail.join(' ')}`];
    const problems = judgeTextStream(events.slice(0, -tail.length), expected, 'cut');
    const failed = JSON.parse(events.at(-2)!.data);
    if (failed.status !== 'failed') problems.push(`thread.run.failed carries status ${failed.status}`);
    return problems;
  }
  const prefixOnly = how === true || how === 'cut';
  const problems: string[] = [];
  const want = [...CANONICAL_HEAD, ...Array<string>(expected.deltas).fill('thread.message.delta'), ...CANONICAL_TAIL];
  const names = events.map((e) => e.event);
  const upTo = prefixOnly ? Math.min(names.length, want.length) : want.length;
  if (!prefixOnly && names.length !== want.length) problems.push(`${names.length} events, expected ${want.length}`);
  if (prefixOnly && names.length > want.length) problems.push(`${names.length} events, more than the ${want.length} expected`);
  for (let i = 0; i < upTo; i++) {
    if (names[i] !== want[i]) {
      problems.push(`event ${i} is ${names[i]}, expected ${want[i]}`);
      break;
    }
  }
  const runIds = new Set<string>();
  const messageIds = new Set<string>();
  let text = '';
  for (const e of events) {
    if (e.event === 'done') {
      if (e.data !== '[DONE]') problems.push(`done carries ${e.data}`);
      continue;
    }
    let data: any;
    try {
      data = JSON.parse(e.data);
    } catch {
      problems.push(`${e.event}: data is not JSON`);
      continue;
    }
    if (e.event.startsWith('thread.run.step.')) runIds.add(data.run_id);
    else if (e.event.startsWith('thread.run.')) runIds.add(data.id);
    if (e.event === 'thread.message.delta') {
      messageIds.add(data.id);
      for (const c of data.delta?.content ?? []) if (c.type === 'text' && typeof c.text?.value === 'string') text += c.text.value;
    } else if (e.event.startsWith('thread.message.')) messageIds.add(data.id);
    if (e.event === 'thread.message.completed') {
      const stored = data.content?.[0]?.text?.value;
      if (stored !== expected.text) problems.push(`thread.message.completed carries ${JSON.stringify(stored)?.slice(0, 80)}`);
    }
  }
  if (runIds.size > 1) problems.push(`events of ${runIds.size} runs in one stream`);
  if (messageIds.size > 1) problems.push(`events of ${messageIds.size} messages in one stream`);
  if (prefixOnly ? !expected.text.startsWith(text) : text !== expected.text) {
    problems.push(`streamed text ${JSON.stringify(text.slice(0, 60))}… is not ${prefixOnly ? 'a prefix of ' : ''}the upstream's`);
  }
  return problems;
}

/** The run object of the last `thread.run.*` event, if any. */
export function lastRun(events: readonly SseEvent[]): any {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.event.startsWith('thread.run.') && !e.event.startsWith('thread.run.step.')) return JSON.parse(e.data);
  }
  return undefined;
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);

/** Text of a message's text content parts, joined. */
export function textOf(message: any): string {
  return (message?.content ?? []).filter((c: any) => c.type === 'text').map((c: any) => c.text.value).join('');
}

/** Every item of a list endpoint, page by page (`limit` per page, `after` cursors). */
export async function listAll(base: string, path: string, limit = 100, order: 'asc' | 'desc' = 'asc'): Promise<any[]> {
  const out: any[] = [];
  let after: string | undefined;
  const sep = path.includes('?') ? '&' : '?';
  for (;;) {
    const page = await ok(base, 'GET', `${path}${sep}limit=${limit}&order=${order}${after ? `&after=${after}` : ''}`);
    out.push(...page.data);
    if (!page.has_more) return out;
    after = page.last_id;
  }
}
