/**
 * What every run-engine e2e file shares: per backend one scripted upstream and one server that
 * talks to it (started in `before`, closed in `after`), a describe per SDK major, unique model
 * names (the upstream is scripted per model, so tests never consume each other's turns), plain
 * HTTP/SSE access and polling helpers.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import type { Clock } from '../../../src/core/clock.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type Backend, type TestServer } from '../../helpers/server.js';
import { RUN_SDKS, type AssistantStream, type AssistantStreamEvent, type Run, type RunFacade, type RunSdk, type RunSdkName } from './sdk.js';

export { BACKENDS, RUN_SDKS };
export type { Backend };

export const API_KEY = 'sk-e2e-runs';

/** Environment every runs server gets unless a file overrides it: fast retries and polling. */
export const BASE_ENV: Record<string, string> = {
  UPSTREAM_API_KEY: 'sk-upstream',
  UPSTREAM_RETRY_BASE_MS: '10',
  UPSTREAM_MAX_RETRIES: '3',
  RUN_POLL_MS: '50',
};

export interface RunsContext {
  backend: Backend;
  /** The server's clock when the file gave one (`options.clock`). */
  readonly clock: Clock | undefined;
  readonly server: TestServer;
  readonly baseURL: string;
  readonly upstream: ScriptedUpstream;
}

export interface SdkContext extends RunsContext {
  sdk: RunSdk;
  readonly client: RunFacade;
}

export interface RunsOptions {
  /** Extra server environment; gets the upstream's base URL. `UPSTREAM_BASE_URL: ''` removes it. */
  env?: (upstreamURL: string) => Record<string, string>;
  clock?: () => Clock;
}

/** One describe per backend with its own upstream and server. */
export function describeRuns(title: string, options: RunsOptions, define: (ctx: RunsContext) => void): void {
  for (const backend of BACKENDS) {
    describe(`${title} · ${backend}`, () => {
      let upstream: ScriptedUpstream | undefined;
      let server: TestServer | undefined;
      const clock = options.clock?.();
      before(async () => {
        upstream = await startScriptedUpstream();
        const env: Record<string, string> = { ...BASE_ENV, UPSTREAM_BASE_URL: upstream.baseURL, ...options.env?.(upstream.baseURL) };
        for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
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
          if (!upstream) throw new Error('the scripted upstream is not running');
          return upstream;
        },
      });
    });
  }
}

/** Inside a `describeRuns`: one describe per SDK major, sharing the server. */
export function eachSdk(ctx: RunsContext, define: (t: SdkContext) => void): void {
  for (const sdk of RUN_SDKS) {
    describe(sdk.name, () => {
      let client: RunFacade | undefined;
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
          client ??= sdk.make(ctx.baseURL, API_KEY);
          return client;
        },
      });
    });
  }
}

let modelSeq = 0;
/** A model name no other test uses, so its upstream script is its own. */
export function uniqueModel(tag: string): string {
  return `m-${tag}-${++modelSeq}-${randomBytes(3).toString('hex')}`;
}

export const WEATHER_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

export const TIME_TOOL = {
  type: 'function' as const,
  function: {
    name: 'get_time',
    description: 'Local time in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

/** An assistant on `model` and a thread holding one user message. */
export async function setup(
  client: RunFacade,
  model: string,
  options: { instructions?: string; tools?: Array<typeof WEATHER_TOOL>; messages?: string[] } = {},
): Promise<{ assistantId: string; threadId: string }> {
  const assistant = await client.assistants.create({
    model,
    instructions: options.instructions ?? 'You are terse.',
    ...(options.tools && { tools: options.tools }),
  });
  const thread = await client.threads.create({
    messages: (options.messages ?? ['Hello?']).map((content) => ({ role: 'user' as const, content })),
  });
  return { assistantId: assistant.id, threadId: thread.id };
}

export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Plain fetch; `path` is relative to `/v1`. */
export async function http(baseURL: string, path: string, init: { method?: string; json?: unknown } = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${API_KEY}`, 'openai-beta': 'assistants=v2' };
  if (init.json !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseURL}${path}`, {
    method: init.method ?? (init.json === undefined ? 'GET' : 'POST'),
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Uploads bytes through `POST /files` (multipart) and returns the file id. */
export async function uploadFile(baseURL: string, name: string, bytes: Uint8Array, type: string, purpose = 'vision'): Promise<string> {
  const form = new FormData();
  form.append('purpose', purpose);
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${baseURL}/files`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` }, body: form });
  const body = (await res.json()) as { id: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.id;
}

export interface SseFrame {
  event: string;
  data: string;
}

/** Splits an SSE body into frames (comment lines skipped). */
export function parseSse(text: string): SseFrame[] {
  const frames: SseFrame[] = [];
  for (const block of text.split(/\n\n/)) {
    if (!block.trim()) continue;
    let event = '';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (event || data.length) frames.push({ event, data: data.join('\n') });
  }
  return frames;
}

/** Drains an SDK raw `Stream` of events. */
export async function drain(stream: AsyncIterable<AssistantStreamEvent>): Promise<AssistantStreamEvent[]> {
  const out: AssistantStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

/**
 * Every event an AssistantStream sees, copied as it arrives (the SDK accumulates deltas into the
 * objects of earlier events, so kept references would show later states). Resolves at the end.
 */
export async function record(stream: AssistantStream): Promise<AssistantStreamEvent[]> {
  const out: AssistantStreamEvent[] = [];
  stream.on('event', (e) => out.push(structuredClone(e)));
  await stream.done();
  return out;
}

/**
 * `record` for a stream that ends with `thread.run.incomplete`: 4.x's AssistantStream does not
 * take that event as final (sdk-versions.md §5.3) and rejects with "Final run has not been
 * received"; that one rejection is expected there, and only there.
 */
export async function recordIncomplete(sdk: RunSdkName, stream: AssistantStream): Promise<AssistantStreamEvent[]> {
  const out: AssistantStreamEvent[] = [];
  stream.on('event', (e) => out.push(structuredClone(e)));
  if (sdk !== 'openai@4') {
    await stream.done();
    assert.equal((await stream.finalRun()).status, 'incomplete');
  } else {
    await assert.rejects(stream.done(), /Final run has not been received/);
  }
  return out;
}

export const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);

/** Polls the run over plain HTTP until `until` holds (default: a terminal status). */
export async function waitForRun(
  baseURL: string,
  threadId: string,
  runId: string,
  until: (run: Run) => boolean = (r) => TERMINAL.has(r.status),
  timeoutMs = 5000,
): Promise<Run> {
  const deadline = Date.now() + timeoutMs;
  let last: Run | undefined;
  for (;;) {
    const res = await http(baseURL, `/threads/${threadId}/runs/${runId}`);
    assert.equal(res.status, 200, res.text);
    last = res.json as Run;
    if (until(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`run ${runId} did not reach the expected state within ${timeoutMs} ms; last status ${last.status}`);
    }
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface ExpectedApiError {
  status: number;
  message?: string | RegExp;
  code?: string | null;
  type?: string;
}

/** Awaits `action` and requires this SDK's APIError with the given status and message. */
export async function expectApiError(client: RunFacade, action: Promise<unknown>, expected: ExpectedApiError): Promise<void> {
  let caught: unknown;
  try {
    await action;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected ${client.name} to throw a ${expected.status} error`);
  const fields = client.errorFields(caught);
  assert.ok(fields, `expected an APIError from ${client.name}, got ${String(caught)}`);
  assert.equal(fields.status, expected.status, fields.message);
  const inner = fields.error ?? {};
  assert.equal(inner.type, expected.type ?? 'invalid_request_error');
  if (expected.code !== undefined) assert.equal(inner.code, expected.code);
  if (typeof expected.message === 'string') assert.equal(inner.message, expected.message);
  else if (expected.message) assert.match(String(inner.message), expected.message);
}

/** The text of a message's first text part. */
export function textOf(message: { content: Array<{ type: string; text?: { value: string } }> }): string {
  return message.content.map((c) => (c.type === 'text' ? c.text?.value ?? '' : '')).join('');
}

/** Messages an upstream request carried, reduced to role + text (tool calls and results kept). */
export function upstreamMessages(body: { messages?: Array<Record<string, unknown>> }): Array<Record<string, unknown>> {
  return (body.messages ?? []).map((m) => {
    const content = m.content;
    const text = Array.isArray(content)
      ? content.map((p: { type?: string; text?: string }) => (p.type === 'text' ? p.text : `[${p.type}]`)).join('')
      : content;
    const out: Record<string, unknown> = { role: m.role, content: text };
    if (m.tool_calls) out.tool_calls = m.tool_calls;
    if (m.tool_call_id) out.tool_call_id = m.tool_call_id;
    return out;
  });
}

const RUN_TERMINAL_EVENTS = new Set([
  'thread.run.requires_action',
  'thread.run.completed',
  'thread.run.incomplete',
  'thread.run.failed',
  'thread.run.cancelled',
  'thread.run.expired',
]);

/**
 * What every SDK's AssistantStream (7.x's strict one included, checklist §8.3) needs of a stream:
 * `*.created` before any other event of that message or step, at most one open message and one
 * open step at a time, dense delta indices, the first text delta with `annotations: []`, and a
 * run event that ends the stream last.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function assertStreamInvariants(events: ReadonlyArray<{ event: string; data: any }>): void {
  const created = new Set<string>();
  let openMessage: string | undefined;
  let openStep: string | undefined;
  const toolCallCount = new Map<string, number>();
  const sawText = new Set<string>();
  for (const [i, { event, data }] of events.entries()) {
    const where = `event ${i} (${event})`;
    if (event.startsWith('thread.message.')) {
      assert.ok(typeof data.id === 'string' && data.id.startsWith('msg_'), `${where}: message id`);
      if (event === 'thread.message.created') {
        assert.equal(openMessage, undefined, `${where}: a message is created while ${openMessage} is open`);
        assert.deepEqual(data.content, [], `${where}: a created message has no content yet`);
        assert.equal(data.status, 'in_progress');
        created.add(data.id);
        openMessage = data.id;
        continue;
      }
      assert.ok(created.has(data.id), `${where}: no thread.message.created before it`);
      assert.equal(openMessage, data.id, `${where}: not the open message`);
      if (event === 'thread.message.delta') {
        assert.equal(data.object, 'thread.message.delta');
        for (const part of data.delta.content) {
          assert.equal(part.index, 0, `${where}: text deltas go to content index 0`);
          assert.equal(part.type, 'text');
          if (!sawText.has(data.id)) assert.deepEqual(part.text.annotations, [], `${where}: the first text delta carries annotations: []`);
          sawText.add(data.id);
        }
      }
      if (event === 'thread.message.completed' || event === 'thread.message.incomplete') openMessage = undefined;
      continue;
    }
    if (event.startsWith('thread.run.step.')) {
      assert.ok(typeof data.id === 'string' && data.id.startsWith('step_'), `${where}: step id`);
      if (event === 'thread.run.step.created') {
        assert.equal(openStep, undefined, `${where}: a step is created while ${openStep} is open`);
        assert.equal(data.status, 'in_progress');
        created.add(data.id);
        openStep = data.id;
        toolCallCount.set(data.id, 0);
        continue;
      }
      if (event === 'thread.run.step.delta' || event === 'thread.run.step.in_progress') {
        assert.ok(created.has(data.id), `${where}: no thread.run.step.created before it`);
      }
      if (event === 'thread.run.step.delta') {
        assert.equal(openStep, data.id, `${where}: not the open step`);
        assert.equal(data.delta.id, undefined, `${where}: a step delta must not carry delta.id`);
        for (const call of data.delta.step_details.tool_calls ?? []) {
          const n = toolCallCount.get(data.id)!;
          assert.ok(call.index === n - 1 || call.index === n, `${where}: tool call index ${call.index} is not dense (have ${n})`);
          if (call.index === n) {
            assert.match(call.id, /^call_/, `${where}: a new tool call delta carries its call_ id`);
            toolCallCount.set(data.id, n + 1);
          }
        }
        continue;
      }
      if (event === 'thread.run.step.in_progress') {
        assert.equal(openStep, data.id, `${where}: not the open step`);
        continue;
      }
      // a terminal step event; a tool step completed by submitted outputs is closed after the pause
      if (openStep === data.id) openStep = undefined;
      continue;
    }
  }
  const runEvents = events.filter((e) => e.event.startsWith('thread.run.') && !e.event.startsWith('thread.run.step.'));
  assert.ok(runEvents.length > 0, 'the stream has run events');
  const last = events.at(-1)!;
  assert.ok(RUN_TERMINAL_EVENTS.has(last.event), `the stream ends with a terminal run event, not ${last.event}`);
  assert.equal(openMessage, undefined, 'no message is left open');
  if (last.event !== 'thread.run.requires_action') assert.equal(openStep, undefined, 'no step is left open');
}

/** Event names, with runs of `thread.message.delta` / `thread.run.step.delta` collapsed to one `…delta*`. */
export function eventShape(events: ReadonlyArray<{ event: string }>): string[] {
  const out: string[] = [];
  for (const { event } of events) {
    const name = event.endsWith('.delta') ? `${event}*` : event;
    if (name.endsWith('*') && out.at(-1) === name) continue;
    out.push(name);
  }
  return out;
}
