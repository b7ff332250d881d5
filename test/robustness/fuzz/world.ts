/**
 * The real objects a fuzz run works against: a few of each kind, created over plain HTTP, so that
 * path ids and ids inside bodies can be real as well as fake. Operations that consume their
 * target (deletes, cancels, completes, tool-output submissions) get a fresh one each time.
 */
import type { ScriptedUpstream } from '../../fixtures/scripted-upstream.js';

/** Models the scripted upstream answers: plain text, a tool call (then text), or never. */
export const MODELS = { text: 'fuzz-text', tool: 'fuzz-tool', hang: 'fuzz-hang' } as const;
export const TOOL_NAME = 'fuzz_fn';

/** Scripts the upstream for the fuzz models and for `extraTextModels` (the spec's model enum). */
export function scriptUpstream(upstream: ScriptedUpstream, extraTextModels: readonly string[]): void {
  for (const model of [MODELS.text, ...extraTextModels]) upstream.scriptFn(model, () => ({ text: 'ok' }));
  upstream.scriptFn(MODELS.tool, (req) =>
    (req.body.messages ?? []).some((m) => m.role === 'tool')
      ? { text: 'done' }
      : { toolCalls: [{ name: TOOL_NAME, arguments: { q: 1 } }] },
  );
  upstream.scriptFn(MODELS.hang, () => ({ hang: true }));
}

export interface Tuple {
  [param: string]: string;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled', 'expired', 'incomplete']);

export class World {
  readonly assistants: string[] = [];
  readonly threads: string[] = [];
  readonly messages: Array<{ thread_id: string; message_id: string }> = [];
  readonly runs: Array<{ thread_id: string; run_id: string }> = [];
  readonly steps: Array<{ thread_id: string; run_id: string; step_id: string }> = [];
  readonly files: string[] = [];
  readonly vectorStores: string[] = [];
  readonly vsFiles: Array<{ vector_store_id: string; file_id: string }> = [];
  readonly batches: Array<{ vector_store_id: string; batch_id: string }> = [];
  readonly uploads: string[] = [];
  readonly upstreamModels: readonly string[];
  private toolAssistant = '';
  private hangAssistant = '';
  /** Requests made to set things up (not counted as fuzz inputs). */
  setupRequests = 0;

  constructor(
    readonly baseURL: string,
    readonly headers: Record<string, string>,
    upstreamModels: readonly string[],
  ) {
    this.upstreamModels = upstreamModels;
  }

  async api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    this.setupRequests++;
    const res = await fetch(`${this.baseURL}${path}`, {
      method,
      headers: { ...this.headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`setup ${method} ${path} → ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  async uploadFile(name = 'fuzz.txt', content = 'The quick brown fox jumps over the lazy dog. Fuzzing is fun.\n'): Promise<string> {
    this.setupRequests++;
    const form = new FormData();
    form.append('purpose', 'assistants');
    form.append('file', new Blob([content], { type: 'text/plain' }), name);
    const res = await fetch(`${this.baseURL}/files`, { method: 'POST', headers: this.headers, body: form, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    if (!res.ok) throw new Error(`setup upload → ${res.status}: ${text.slice(0, 500)}`);
    return (JSON.parse(text) as { id: string }).id;
  }

  async waitRun(thread: string, run: string, until: (status: string) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.api(`GET`, `/threads/${thread}/runs/${run}`);
      if (until(String(r.status))) return r;
      if (Date.now() > deadline) throw new Error(`run ${run} stayed ${String(r.status)}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  /** Creates the shared objects. */
  async seed(): Promise<void> {
    for (let i = 0; i < 4; i++) this.files.push(await this.uploadFile(`seed-${i}.txt`, `Seed file ${i}: the quick brown fox ${i}.\n`));
    for (let i = 0; i < 3; i++) {
      const a = await this.api<{ id: string }>('POST', '/assistants', { model: MODELS.text, name: `fuzz ${i}`, tools: [{ type: 'file_search' }] });
      this.assistants.push(a.id);
    }
    this.toolAssistant = (
      await this.api<{ id: string }>('POST', '/assistants', {
        model: MODELS.tool,
        tools: [{ type: 'function', function: { name: TOOL_NAME, parameters: { type: 'object', properties: { q: { type: 'number' } } } } }],
      })
    ).id;
    this.hangAssistant = (await this.api<{ id: string }>('POST', '/assistants', { model: MODELS.hang })).id;
    for (let i = 0; i < 3; i++) {
      const t = await this.api<{ id: string }>('POST', '/threads', { messages: [{ role: 'user', content: `hello ${i}` }], metadata: { i: String(i) } });
      this.threads.push(t.id);
      const m = await this.api<{ id: string }>('POST', `/threads/${t.id}/messages`, { role: 'user', content: 'another message' });
      this.messages.push({ thread_id: t.id, message_id: m.id });
    }
    for (const thread of this.threads.slice(0, 2)) {
      const run = await this.api<{ id: string }>('POST', `/threads/${thread}/runs`, { assistant_id: this.assistants[0] });
      await this.waitRun(thread, run.id, (s) => TERMINAL.has(s));
      this.runs.push({ thread_id: thread, run_id: run.id });
      const steps = await this.api<{ data: Array<{ id: string }> }>('GET', `/threads/${thread}/runs/${run.id}/steps`);
      for (const s of steps.data) this.steps.push({ thread_id: thread, run_id: run.id, step_id: s.id });
    }
    for (let i = 0; i < 2; i++) {
      const vs = await this.api<{ id: string }>('POST', '/vector_stores', { name: `fuzz store ${i}`, file_ids: [this.files[i]] });
      this.vectorStores.push(vs.id);
      this.vsFiles.push({ vector_store_id: vs.id, file_id: this.files[i] });
    }
    const batch = await this.api<{ id: string }>('POST', `/vector_stores/${this.vectorStores[0]}/file_batches`, { file_ids: [this.files[2]] });
    this.batches.push({ vector_store_id: this.vectorStores[0], batch_id: batch.id });
    this.vsFiles.push({ vector_store_id: this.vectorStores[0], file_id: this.files[2] });
    this.uploads.push(await this.freshUpload(1_000_000));
  }

  async freshUpload(bytes = 5): Promise<string> {
    return (await this.api<{ id: string }>('POST', '/uploads', { filename: 'part.txt', purpose: 'assistants', bytes, mime_type: 'text/plain' })).id;
  }

  /** An upload whose one part holds `bytes` bytes: ready to complete with that part. */
  async uploadWithPart(bytes = 5): Promise<{ upload_id: string; part_id: string }> {
    const upload_id = await this.freshUpload(bytes);
    this.setupRequests++;
    const form = new FormData();
    form.append('data', new Blob(['x'.repeat(bytes)]), 'blob');
    const res = await fetch(`${this.baseURL}/uploads/${upload_id}/parts`, { method: 'POST', headers: this.headers, body: form });
    const text = await res.text();
    if (!res.ok) throw new Error(`setup part → ${res.status}: ${text.slice(0, 300)}`);
    return { upload_id, part_id: (JSON.parse(text) as { id: string }).id };
  }

  async freshThread(): Promise<string> {
    return (await this.api<{ id: string }>('POST', '/threads', {})).id;
  }

  /** A run stuck `in_progress` (its upstream never answers): something to cancel. */
  async activeRun(): Promise<Tuple> {
    const thread_id = await this.freshThread();
    const run = await this.api<{ id: string }>('POST', `/threads/${thread_id}/runs`, { assistant_id: this.hangAssistant });
    return { thread_id, run_id: run.id };
  }

  /** A run waiting for the output of one function call. */
  async requiresActionRun(): Promise<Tuple & { tool_call_id: string }> {
    const thread_id = await this.freshThread();
    const run = await this.api<{ id: string }>('POST', `/threads/${thread_id}/runs`, { assistant_id: this.toolAssistant });
    const r = await this.waitRun(thread_id, run.id, (s) => s === 'requires_action' || TERMINAL.has(s));
    const calls = (r.required_action as { submit_tool_outputs?: { tool_calls?: Array<{ id: string }> } } | null)?.submit_tool_outputs?.tool_calls;
    if (!calls?.length) throw new Error(`run ${run.id} did not ask for tool outputs: ${JSON.stringify(r).slice(0, 300)}`);
    return { thread_id, run_id: run.id, tool_call_id: calls[0].id };
  }

  /** A batch whose files are probably still being ingested (something to cancel). */
  async freshVectorStore(): Promise<string> {
    return (await this.api<{ id: string }>('POST', '/vector_stores', { name: 'fresh' })).id;
  }

  async freshBatch(): Promise<Tuple> {
    const vector_store_id = await this.freshVectorStore();
    const files = [await this.uploadFile('b1.txt'), await this.uploadFile('b2.txt')];
    const b = await this.api<{ id: string }>('POST', `/vector_stores/${vector_store_id}/file_batches`, { file_ids: files });
    return { vector_store_id, batch_id: b.id };
  }

  async freshVsFile(): Promise<Tuple> {
    const vector_store_id = await this.freshVectorStore();
    const file_id = await this.uploadFile('victim.txt');
    await this.api('POST', `/vector_stores/${vector_store_id}/files`, { file_id });
    return { vector_store_id, file_id };
  }
}
