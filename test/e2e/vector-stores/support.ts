/**
 * What the file-search e2e files share: per backend one server (and, for runs, one scripted
 * upstream it talks to), a describe per SDK major, the real sample documents, small text files
 * and the error assertion.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type Backend, type TestServer } from '../../helpers/server.js';
import { expectSdkError, type ExpectedError } from '../support/expect-error.js';
import { http as plainHttp, type HttpRequest, type HttpResult } from '../support/http.js';
import type { FileObject } from '../sdks.js';
import { VS_API_KEY, VS_SDKS, type VectorStore, type VectorStoreFile, type VsFacade, type VsSdk } from './sdk.js';

export { BACKENDS, VS_API_KEY };
export type { Backend };

export interface VsContext {
  backend: Backend;
  readonly clock: Clock | undefined;
  readonly server: TestServer;
  readonly baseURL: string;
  /** Only when the file asked for one (`upstream: true`). */
  readonly upstream: ScriptedUpstream;
}

export interface SdkContext extends VsContext {
  sdk: VsSdk;
  /** A facade on the shared server with the default key. */
  readonly client: VsFacade;
  /** A facade on the shared server with another key. */
  as(apiKey: string): VsFacade;
}

export interface VsOptions {
  /** Extra server environment; gets the upstream's base URL when there is one. */
  env?: (upstreamURL: string | undefined) => Record<string, string>;
  clock?: () => Clock;
  /** Start a scripted upstream and point the server at it (runs). */
  upstream?: boolean;
}

/** One describe per backend with its own server (and upstream). */
export function describeVs(title: string, options: VsOptions, define: (ctx: VsContext) => void): void {
  for (const backend of BACKENDS) {
    describe(`${title} · ${backend}`, () => {
      let upstream: ScriptedUpstream | undefined;
      let server: TestServer | undefined;
      const clock = options.clock?.();
      before(async () => {
        if (options.upstream) upstream = await startScriptedUpstream();
        const env: Record<string, string> = {
          RUN_POLL_MS: '50',
          ...(upstream && {
            UPSTREAM_BASE_URL: upstream.baseURL,
            UPSTREAM_API_KEY: 'sk-upstream',
            UPSTREAM_RETRY_BASE_MS: '10',
            UPSTREAM_MAX_RETRIES: '1',
          }),
          ...options.env?.(upstream?.baseURL),
        };
        server = await startTestServer(backend, { env, clock });
      });
      after(async () => {
        await server?.close();
        await upstream?.close();
      });
      define({
        backend,
        clock,
        get server() {
          if (!server) throw new Error('the test server is not running');
          return server;
        },
        get baseURL() {
          return this.server.baseURL;
        },
        get upstream() {
          if (!upstream) throw new Error('this file has no scripted upstream');
          return upstream;
        },
      });
    });
  }
}

/** Inside a `describeVs`: one describe per SDK major, sharing the server. */
export function eachSdk(ctx: VsContext, define: (t: SdkContext) => void): void {
  for (const sdk of VS_SDKS) {
    describe(sdk.name, () => {
      let client: VsFacade | undefined;
      define({
        backend: ctx.backend,
        clock: ctx.clock,
        sdk,
        get server() {
          return ctx.server;
        },
        get baseURL() {
          return ctx.baseURL;
        },
        get upstream() {
          return ctx.upstream;
        },
        get client() {
          client ??= sdk.make(ctx.baseURL);
          return client;
        },
        as: (apiKey) => sdk.make(ctx.baseURL, apiKey),
      });
    });
  }
}

/** The sample documents: `../shared/data/docs/` next to the repository (OA_TEST_DOCS_DIR overrides). */
export const DOCS_DIR =
  process.env.OA_TEST_DOCS_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/docs');

const docCache = new Map<string, Buffer>();
export function docBytes(name: string): Buffer {
  let b = docCache.get(name);
  if (!b) docCache.set(name, (b = readFileSync(resolve(DOCS_DIR, name))));
  return b;
}

/** Uploads a sample document as a File (purpose assistants). */
export async function uploadDoc(client: VsFacade, name: string): Promise<FileObject> {
  return client.base.files.create({ file: await client.toFile(docBytes(name), name), purpose: 'assistants' });
}

/** Uploads `content` as a File named `name` (purpose assistants). */
export async function uploadText(client: VsFacade, name: string, content: string | Uint8Array): Promise<FileObject> {
  return client.base.files.create({ file: await client.toFile(content, name), purpose: 'assistants' });
}

/** A tag no other test uses (names, model names). */
export function unique(tag: string): string {
  return `${tag}-${randomBytes(4).toString('hex')}`;
}

/** Awaits `action` and requires this SDK's APIError with the given fields (status, message, class…). */
export function expectApiError(client: VsFacade, action: Promise<unknown>, expected: ExpectedError): Promise<unknown> {
  return expectSdkError(client.base, action, expected);
}

export const notFound = (kind: string, id: string): ExpectedError => ({
  status: 404,
  errorClass: 'NotFoundError',
  code: null,
  message: `No ${kind} found with id '${id}'.`,
});

/** Plain fetch with the suite's key and the assistants beta header. */
export function http(baseURL: string, path: string, req: HttpRequest = {}): Promise<HttpResult> {
  return plainHttp(baseURL, path, { apiKey: VS_API_KEY, ...req, headers: { 'openai-beta': 'assistants=v2', ...req.headers } });
}

/** Re-reads the store until `until` holds (file counts are computed on read). */
export async function waitForStore(
  client: VsFacade,
  id: string,
  until: (vs: VectorStore) => boolean,
  timeoutMs = 15_000,
): Promise<VectorStore> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const vs = await client.vectorStores.retrieve(id);
    if (until(vs)) return vs;
    if (Date.now() > deadline) throw new Error(`vector store ${id} did not converge: ${JSON.stringify(vs)}`);
    await sleep(50);
  }
}

/** Polls a store's files over the SDK list until none is `in_progress`. */
export async function waitForFiles(client: VsFacade, vsId: string, timeoutMs = 15_000): Promise<VectorStoreFile[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const files: VectorStoreFile[] = [];
    for await (const f of client.files.iterate(vsId, { limit: 100 })) files.push(f);
    if (!files.some((f) => f.status === 'in_progress')) return files;
    if (Date.now() > deadline) throw new Error(`files of ${vsId} still in progress`);
    await sleep(50);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The exact shape of a VectorStore (checklist §3.6). */
export function assertVectorStoreShape(vs: VectorStore): void {
  assert.deepEqual(
    Object.keys(vs).sort(),
    [
      'created_at',
      'expires_after',
      'expires_at',
      'file_counts',
      'id',
      'last_active_at',
      'metadata',
      'name',
      'object',
      'status',
      'usage_bytes',
    ].sort(),
  );
  assert.match(vs.id, /^vs_[A-Za-z0-9]+$/);
  assert.equal(vs.object, 'vector_store');
  assert.ok(Number.isInteger(vs.created_at));
  assert.ok(Number.isInteger(vs.usage_bytes) && vs.usage_bytes >= 0);
  assert.deepEqual(Object.keys(vs.file_counts).sort(), ['cancelled', 'completed', 'failed', 'in_progress', 'total']);
  const c = vs.file_counts;
  assert.equal(c.total, c.in_progress + c.completed + c.failed + c.cancelled, 'file_counts.total is the sum');
  assert.ok(['expired', 'in_progress', 'completed'].includes(vs.status));
}

/** The exact shape of a VectorStoreFile (checklist §3.7). */
export function assertVsFileShape(f: VectorStoreFile, vsId: string): void {
  assert.deepEqual(
    Object.keys(f).sort(),
    ['attributes', 'chunking_strategy', 'created_at', 'id', 'last_error', 'object', 'status', 'usage_bytes', 'vector_store_id'].sort(),
  );
  assert.match(f.id, /^file-[A-Za-z0-9]+$/);
  assert.equal(f.object, 'vector_store.file');
  assert.equal(f.vector_store_id, vsId);
  assert.ok(Number.isInteger(f.created_at));
  assert.ok(['in_progress', 'completed', 'cancelled', 'failed'].includes(f.status));
  assert.ok(f.chunking_strategy);
  assert.ok(['static', 'other'].includes(f.chunking_strategy.type), 'never `auto` in a response');
}

export const AUTO_AS_STATIC = { type: 'static', static: { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } };

/** A real `width`×`height` RGB PNG (signature, IHDR, IDAT, IEND with their CRCs). */
export function makePng(width = 4, height = 4): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) row.set([x * 60, y * 60, 200], 1 + x * 3);
    rows.push(row);
  }
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', deflateSync(Buffer.concat(rows))),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}
