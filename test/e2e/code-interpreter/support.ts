/**
 * What the code_interpreter e2e files share: per backend one scripted upstream and one server that
 * talks to it (with the real bubblewrap sandbox), a client per SDK major (the shared facade for
 * files, assistants and threads, the runs facade for runs and steps, on the same key), scripted
 * cells, the step and upstream views a test reads, and the checks that the server still serves.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type Backend, type TestServer } from '../../helpers/server.js';
import { RUN_SDKS, type Message, type Run, type RunFacade, type RunStep } from '../runs/sdk.js';
import { SDKS, type Facade, type FileObject, type SdkName } from '../sdks.js';
import { http as plainHttp, type HttpResult } from '../support/http.js';
import { docBytes } from '../vector-stores/support.js';

export { BACKENDS, docBytes };
export type { Backend, Message, Run, RunStep };

export const CI_API_KEY = 'sk-e2e-code-interpreter';

export interface CiContext {
  backend: Backend;
  readonly server: TestServer;
  readonly baseURL: string;
  readonly upstream: ScriptedUpstream;
}

export interface CiOptions {
  /** Extra server environment (sandbox limits, CODE_INTERPRETER=off). */
  env?: Record<string, string>;
}

/** One describe per backend with its own upstream and server. */
export function describeCi(title: string, options: CiOptions, define: (ctx: CiContext) => void): void {
  for (const backend of BACKENDS) {
    describe(`${title} · ${backend}`, () => {
      let upstream: ScriptedUpstream | undefined;
      let server: TestServer | undefined;
      before(async () => {
        upstream = await startScriptedUpstream();
        server = await startTestServer(backend, {
          env: {
            UPSTREAM_BASE_URL: upstream.baseURL,
            UPSTREAM_API_KEY: 'sk-upstream',
            UPSTREAM_RETRY_BASE_MS: '10',
            UPSTREAM_MAX_RETRIES: '1',
            RUN_POLL_MS: '50',
            ...options.env,
          },
        });
      });
      after(async () => {
        await server?.close();
        await upstream?.close();
      });
      define({
        backend,
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

/** An SDK major's clients on one server and key. */
export interface CiClient {
  name: SdkName;
  /** files, assistants, threads, messages */
  base: Facade;
  /** runs (poll, stream), steps */
  runApi: RunFacade;
}

export interface CiSdk {
  name: SdkName;
  make(baseURL: string, apiKey?: string): CiClient;
}

export const CI_SDKS: CiSdk[] = SDKS.map((sdk) => ({
  name: sdk.name,
  make: (baseURL, apiKey = CI_API_KEY) => ({
    name: sdk.name,
    base: sdk.make(baseURL, apiKey),
    runApi: RUN_SDKS.find((r) => r.name === sdk.name)!.make(baseURL, apiKey),
  }),
}));

/** The newest SDK major of the run: what the once-per-backend tests use. */
export function newestSdk(): CiSdk {
  const sdk = CI_SDKS.at(-1);
  assert.ok(sdk, 'no SDK major selected (OA_TEST_SDKS)');
  return sdk;
}

/** A tag no other test uses (model names, file names). */
export function unique(tag: string): string {
  return `${tag}-${randomBytes(4).toString('hex')}`;
}

/** Scripts `model` to run each cell in its own turn, then to answer `answer`. */
export function scriptCells(upstream: ScriptedUpstream, model: string, cells: string[], answer = 'Done.'): void {
  for (const code of cells) upstream.script(model, { toolCalls: [{ name: 'code_interpreter', arguments: { code } }] });
  upstream.script(model, { text: answer });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export interface CodeCall {
  id: string;
  type: 'code_interpreter';
  code_interpreter: { input: string; outputs: Array<{ type: 'logs'; logs: string } | { type: 'image'; image: { file_id: string } }> };
}

/** The code_interpreter calls of a tool_calls step. */
export function codeCalls(step: RunStep): CodeCall[] {
  assert.equal(step.type, 'tool_calls', `step ${step.id} is a tool_calls step`);
  const details = step.step_details as Any;
  return (details.tool_calls as Any[]).filter((c) => c.type === 'code_interpreter');
}

/** The logs output of a call ('' when it has none). */
export function logsOf(call: CodeCall): string {
  return call.code_interpreter.outputs.flatMap((o) => (o.type === 'logs' ? [o.logs] : [])).join('\n');
}

/** The image file ids of a call. */
export function imagesOf(call: CodeCall): string[] {
  return call.code_interpreter.outputs.flatMap((o) => (o.type === 'image' ? [o.image.file_id] : []));
}

/** Every code_interpreter call of a run, in order, over its steps (listed oldest first). */
export async function runCodeCalls(client: CiClient, threadId: string, runId: string): Promise<CodeCall[]> {
  const steps = await client.runApi.steps.list(threadId, runId, { order: 'asc', limit: 100 });
  return steps.data.filter((s) => s.type === 'tool_calls').flatMap(codeCalls);
}

/** The `tool` messages the model was sent, in order, over every request of `model` (each once). */
export function toolMessages(upstream: ScriptedUpstream, model: string): Array<{ tool_call_id: string; content: string }> {
  const seen = new Map<string, string>();
  for (const req of upstream.requests(model)) {
    for (const m of req.body.messages ?? []) {
      if (m.role !== 'tool') continue;
      const id = String(m.tool_call_id);
      const content = typeof m.content === 'string' ? m.content : JSON.stringify(m.content);
      if (!seen.has(id)) seen.set(id, content);
    }
  }
  return [...seen].map(([tool_call_id, content]) => ({ tool_call_id, content }));
}

/** Downloads a File's bytes through the SDK's `files.content`. */
export async function download(client: CiClient, fileId: string): Promise<Buffer> {
  const res = await client.base.files.content(fileId);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A File the run's code made: purpose `assistants_output`, processed, named as given. */
export async function assertOutputFile(client: CiClient, fileId: string, filename: string | RegExp): Promise<FileObject> {
  const file = await client.base.files.retrieve(fileId);
  assert.equal(file.purpose, 'assistants_output');
  assert.equal(file.status, 'processed');
  if (typeof filename === 'string') assert.equal(file.filename, filename);
  else assert.match(file.filename, filename);
  return file;
}

/** Plain fetch with the suite's key. */
export function http(baseURL: string, path: string): Promise<HttpResult> {
  return plainHttp(baseURL, path, { apiKey: CI_API_KEY, headers: { 'openai-beta': 'assistants=v2' } });
}

/** An assistant on `model` with the code_interpreter tool and a thread holding one user message. */
export async function setupThread(
  client: CiClient,
  model: string,
  question = 'Please run some code.',
): Promise<{ assistantId: string; threadId: string }> {
  const assistant = await client.base.assistants.create({ model, tools: [{ type: 'code_interpreter' }] });
  const thread = await client.base.threads.create({ messages: [{ role: 'user', content: question }] });
  return { assistantId: assistant.id, threadId: thread.id };
}

/**
 * The server still serves after an attack: health answers, a new assistant can be created and
 * read back, and the attacked run can be retrieved.
 */
export async function assertServing(ctx: CiContext, client: CiClient, run: { thread_id: string; id: string }): Promise<void> {
  const health = await http(ctx.baseURL, '/health');
  assert.equal(health.status, 200, health.text);
  assert.equal((health.json as Any).status, 'ok');
  const assistant = await client.base.assistants.create({ model: 'after-attack', name: unique('alive') });
  assert.equal((await client.base.assistants.retrieve(assistant.id)).name, assistant.name);
  const again = await client.runApi.runs.retrieve(run.thread_id, run.id);
  assert.equal(again.id, run.id);
}
