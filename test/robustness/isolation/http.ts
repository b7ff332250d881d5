/**
 * Plain-fetch access for the isolation suite: one request shape for JSON, multipart and SSE, and a
 * journal of every exchange, so that at the end each response can be scanned for what its caller
 * must never see (another project's ids and canaries, any API key).
 */
export type Method = 'GET' | 'POST' | 'DELETE';

export interface FilePart {
  field: string;
  /** A plain `filename="…"` parameter (the caller keeps it free of `"`, CR and LF). */
  filename?: string;
  /** An RFC 5987 `filename*=UTF-8''…` parameter instead (any string, percent-encoded). */
  filenameStar?: string;
  contentType: string;
  bytes: Uint8Array;
}

export interface Req {
  method: Method;
  /** Under `/v1`, e.g. `/threads/thread_…/runs`. */
  path: string;
  query?: Record<string, string>;
  json?: unknown;
  multipart?: { fields: Record<string, string>; file?: FilePart };
  /** Aborts a response that does not finish (a stream that should never have started). */
  timeoutMs?: number;
}

export interface Res {
  status: number;
  headers: Record<string, string>;
  bytes: Buffer;
  text: string;
  json: any;
}

export interface Exchange {
  actor: string;
  req: Req;
  /** The request as text (path, query, body), to tell which ids the caller itself sent. */
  sent: string;
  res: Res;
}

/** Every exchange of one server, in order. */
export class Journal {
  readonly entries: Exchange[] = [];
  add(e: Exchange): void {
    this.entries.push(e);
  }
}

function multipartBody(mp: NonNullable<Req['multipart']>): { body: Buffer; type: string } {
  const boundary = `----oa-iso-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(mp.fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  if (mp.file) {
    const f = mp.file;
    const param =
      f.filenameStar !== undefined
        ? `filename*=UTF-8''${encodeRfc8187(f.filenameStar)}`
        : `filename="${f.filename ?? 'file'}"`;
    chunks.push(Buffer.from(`--${boundary}\r\ncontent-disposition: form-data; name="${f.field}"; ${param}\r\ncontent-type: ${f.contentType}\r\n\r\n`));
    chunks.push(Buffer.from(f.bytes));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

/** RFC 8187 value-chars: attr-char stays, everything else is %-encoded UTF-8. */
export function encodeRfc8187(s: string): string {
  return Array.from(Buffer.from(s, 'utf8'))
    .map((b) => (/[A-Za-z0-9!#$&+\-.^_`|~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

export function describeReq(req: Req): string {
  const q = req.query ? `?${new URLSearchParams(req.query)}` : '';
  return `${req.method} ${req.path}${q}`;
}

/** One caller (an API key) of one server. */
export class Client {
  constructor(
    readonly baseURL: string,
    readonly key: string,
    readonly actor: string,
    private readonly journal: Journal,
  ) {}

  async send(req: Req): Promise<Res> {
    const url = new URL(`${this.baseURL}${req.path}`);
    for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.append(k, v);
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    let body: Buffer | string | undefined;
    if (req.multipart) {
      const mp = multipartBody(req.multipart);
      body = mp.body;
      headers['content-type'] = mp.type;
    } else if (req.json !== undefined) {
      body = JSON.stringify(req.json);
      headers['content-type'] = 'application/json';
    }
    const signal = AbortSignal.timeout(req.timeoutMs ?? 30_000);
    const response = await fetch(url, { method: req.method, headers, body, signal });
    let bytes: Buffer;
    try {
      bytes = Buffer.from(await response.arrayBuffer());
    } catch (err) {
      throw new Error(`${describeReq(req)} as ${this.actor}: the response did not finish (${String(err)}); status ${response.status}`);
    }
    const text = bytes.toString('utf8');
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    const res: Res = { status: response.status, headers: Object.fromEntries(response.headers), bytes, text, json };
    const sent = `${url.pathname}${url.search} ${req.json !== undefined ? JSON.stringify(req.json) : ''} ${
      req.multipart ? JSON.stringify(req.multipart.fields) + (req.multipart.file?.filename ?? req.multipart.file?.filenameStar ?? '') : ''
    }`;
    this.journal.add({ actor: this.actor, req, sent, res });
    return res;
  }

  /** A request that must answer 200; returns the parsed JSON. */
  async ok<T = any>(req: Req): Promise<T> {
    const res = await this.send(req);
    if (res.status !== 200) throw new Error(`${describeReq(req)} as ${this.actor} → ${res.status} ${res.text.slice(0, 400)}`);
    return res.json as T;
  }

  get<T = any>(path: string, query?: Record<string, string>): Promise<T> {
    return this.ok<T>({ method: 'GET', path, ...(query && { query }) });
  }

  post<T = any>(path: string, json: unknown = {}): Promise<T> {
    return this.ok<T>({ method: 'POST', path, json });
  }
}

/** The SSE events of a stream body, in order. */
export function sseEvents(text: string): Array<{ event: string; data: string }> {
  const out: Array<{ event: string; data: string }> = [];
  for (const block of text.split('\n\n')) {
    let event = '';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (event) out.push({ event, data: data.join('\n') });
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Runs `tasks` with at most `limit` in flight; results in input order. */
export async function pool<T>(limit: number, tasks: Array<() => Promise<T>>): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
    }
  });
  await Promise.all(workers);
  return out;
}
