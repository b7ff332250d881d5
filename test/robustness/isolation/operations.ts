/**
 * The 48 operations of the Assistants v2 spec, each with what the isolation suite needs to aim it
 * at another project: the id chains for its path, valid request bodies made from the caller's
 * own objects, the places where a request names another object by id ("use by reference"), and
 * the lists it returns. `specOperations()` reads the spec, so a new operation cannot be missed.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Req } from './http.js';
import type { Kind } from './ids.js';
import { FILE_SEARCH_CONTENT, type World } from './world.js';

export const SPEC_PATH = fileURLToPath(new URL('../../../../shared/openai-spec/assistants-v2.openapi.json', import.meta.url));

/** `METHOD /path/{param}` for every operation of the spec. */
export function specOperations(): string[] {
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const out: string[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of Object.keys(item)) {
      if (['get', 'post', 'delete', 'put', 'patch'].includes(method)) out.push(`${method.toUpperCase()} ${path}`);
    }
  }
  return out.sort();
}

export type Chain = Record<string, string>;

/** A request part (body, query) for an operation, from the caller's own objects. */
export interface Variant {
  label: string;
  json?: unknown;
  query?: Record<string, string>;
  multipart?: Req['multipart'];
}

/**
 * A foreign id inside an otherwise valid request on the caller's own objects. `refused`: the
 * request must fail (400/404); `empty`: it may succeed but must return nothing (a list filter).
 */
export interface Ref {
  label: string;
  kind: Kind;
  pick: (victim: World) => string;
  build: (own: World, id: string) => Req;
  expect?: 'refused' | 'empty';
}

/** An object the caller creates with this operation, and how another project would read it. */
export interface Fresh {
  create: (own: World, ctx: FreshContext) => Promise<Array<{ ids: string[]; kinds: Kind[]; read: (ids: string[]) => Req }>>;
}

export interface FreshContext {
  waitForRun(own: World, threadId: string, runId: string): Promise<void>;
  uploadFile(own: World, name: string, text: string): Promise<string>;
}

export interface OpDef {
  /** Path ids of one project, consistent with each other; the first is the ordinary set. */
  chains?: (w: World) => Chain[];
  variants?: (own: World) => Variant[];
  refs?: Ref[];
  /** Requests listing the caller's own objects, some with the other project's ids as cursors. */
  lists?: (own: World, victim: World) => Req[];
  fresh?: Fresh;
}

const meta = { metadata: { probe: 'x' } };
const part = (bytes: string): Req['multipart'] => ({
  fields: {},
  file: { field: 'data', filename: 'blob', contentType: 'application/octet-stream', bytes: Buffer.from(bytes) },
});
const cursors = (path: string, victimIds: string[], extra: Record<string, string> = {}): Req[] => [
  { method: 'GET', path, query: { ...extra } },
  { method: 'GET', path, query: { ...extra, order: 'asc', limit: '100' } },
  { method: 'GET', path, query: { ...extra, order: 'desc', limit: '1' } },
  ...victimIds.flatMap((id): Req[] => [
    { method: 'GET', path, query: { ...extra, after: id } },
    { method: 'GET', path, query: { ...extra, before: id } },
    { method: 'GET', path, query: { ...extra, after: id, order: 'asc' } },
  ]),
];

/** tool_resources naming a foreign file or store, three ways. */
function toolResourceRefs(build: (own: World, toolResources: unknown) => Req, prefix: string): Ref[] {
  return [
    {
      label: `${prefix}tool_resources.code_interpreter.file_ids`,
      kind: 'file',
      pick: (v) => v.file,
      build: (own, id) => build(own, { code_interpreter: { file_ids: [own.file3, id] } }),
    },
    {
      label: `${prefix}tool_resources.file_search.vector_store_ids`,
      kind: 'vector_store',
      pick: (v) => v.vectorStore,
      build: (own, id) => build(own, { file_search: { vector_store_ids: [id] } }),
    },
    {
      label: `${prefix}tool_resources.file_search.vector_stores[0].file_ids`,
      kind: 'file',
      pick: (v) => v.file,
      build: (own, id) => build(own, { file_search: { vector_stores: [{ file_ids: [own.file3, id] }] } }),
    },
  ];
}

/** A message (create input) naming a foreign file, three ways. */
function messageRefs(build: (own: World, message: unknown) => Req, prefix: string): Ref[] {
  return [
    {
      label: `${prefix}attachments[file_search]`,
      kind: 'file',
      pick: (v) => v.file,
      build: (own, id) => build(own, { role: 'user', content: 'x', attachments: [{ file_id: id, tools: [{ type: 'file_search' }] }] }),
    },
    {
      label: `${prefix}attachments[code_interpreter]`,
      kind: 'file',
      pick: (v) => v.file3,
      build: (own, id) =>
        build(own, { role: 'user', content: 'x', attachments: [{ file_id: own.file3, tools: [{ type: 'code_interpreter' }] }, { file_id: id, tools: [{ type: 'code_interpreter' }] }] }),
    },
    {
      label: `${prefix}content[].image_file`,
      kind: 'file',
      pick: (v) => v.file3,
      build: (own, id) => build(own, { role: 'user', content: [{ type: 'text', text: 'see' }, { type: 'image_file', image_file: { file_id: id } }] }),
    },
  ];
}

const streamed = (refs: Ref[]): Ref[] =>
  refs.flatMap((r) => [
    r,
    {
      ...r,
      label: `${r.label} (stream)`,
      build: (own: World, id: string) => {
        const req = r.build(own, id);
        return { ...req, json: { ...(req.json as object), stream: true }, timeoutMs: 15_000 };
      },
    },
  ]);

const runCreateRefs = (pathOf: (own: World) => string, body: (own: World) => Record<string, unknown>): Ref[] =>
  streamed([
    {
      label: 'assistant_id',
      kind: 'assistant',
      pick: (v) => v.assistant,
      build: (own, id) => ({ method: 'POST', path: pathOf(own), json: { ...body(own), assistant_id: id } }),
    },
  ]);

export const OPERATIONS: Record<string, OpDef> = {
  // ---- assistants
  'GET /assistants': {
    lists: (own, v) => cursors('/assistants', [v.assistant, v.deleted.assistant]),
  },
  'POST /assistants': {
    refs: toolResourceRefs((own, tr) => ({ method: 'POST', path: '/assistants', json: { model: own.model, tool_resources: tr } }), ''),
    fresh: {
      create: async (own) => {
        const a = await own.client.post('/assistants', { model: own.model, name: `${own.canary} fresh` });
        return [{ ids: [a.id], kinds: ['assistant'], read: ([id]) => ({ method: 'GET', path: `/assistants/${id}` }) }];
      },
    },
  },
  'GET /assistants/{assistant_id}': {
    chains: (w) => [{ assistant_id: w.assistant }, { assistant_id: w.deleted.assistant }],
  },
  'POST /assistants/{assistant_id}': {
    chains: (w) => [{ assistant_id: w.assistant }, { assistant_id: w.deleted.assistant }],
    variants: () => [{ label: 'metadata', json: { name: 'taken', ...meta } }, { label: 'tool_resources: null', json: { tool_resources: null } }],
    refs: toolResourceRefs((own, tr) => ({ method: 'POST', path: `/assistants/${own.assistant}`, json: { tool_resources: tr } }), ''),
  },
  'DELETE /assistants/{assistant_id}': {
    chains: (w) => [{ assistant_id: w.assistant }, { assistant_id: w.deleted.assistant }],
  },

  // ---- files
  'GET /files': {
    lists: (own, v) => [
      ...cursors('/files', [v.file, v.file3, v.deleted.file]),
      ...cursors('/files', [v.file3], { purpose: 'vision' }),
      { method: 'GET', path: '/files', query: { purpose: 'assistants' } },
      { method: 'GET', path: '/files', query: { purpose: 'assistants_output' } },
    ],
  },
  'POST /files': {
    fresh: {
      create: async (own, ctx) => {
        const id = await ctx.uploadFile(own, `${own.canary}-fresh.txt`, `fresh ${own.canary}`);
        return [
          { ids: [id], kinds: ['file'], read: ([f]) => ({ method: 'GET', path: `/files/${f}` }) },
          { ids: [id], kinds: ['file'], read: ([f]) => ({ method: 'GET', path: `/files/${f}/content` }) },
        ];
      },
    },
  },
  'GET /files/{file_id}': { chains: (w) => [{ file_id: w.file }, { file_id: w.file3 }, { file_id: w.deleted.file }] },
  'DELETE /files/{file_id}': { chains: (w) => [{ file_id: w.file }, { file_id: w.deleted.file }] },
  'GET /files/{file_id}/content': { chains: (w) => [{ file_id: w.file }, { file_id: w.file3 }, { file_id: w.deleted.file }] },

  // ---- threads
  'POST /threads': {
    refs: [
      ...toolResourceRefs((_own, tr) => ({ method: 'POST', path: '/threads', json: { tool_resources: tr } }), ''),
      ...messageRefs((_own, m) => ({ method: 'POST', path: '/threads', json: { messages: [m] } }), 'messages[0].'),
    ],
    fresh: {
      create: async (own) => {
        const t = await own.client.post('/threads', { messages: [{ role: 'user', content: `fresh ${own.canary}` }] });
        const m = (await own.client.get(`/threads/${t.id}/messages`)).data[0].id as string;
        return [
          { ids: [t.id], kinds: ['thread'], read: ([id]) => ({ method: 'GET', path: `/threads/${id}` }) },
          { ids: [t.id, m], kinds: ['thread', 'message'], read: ([tid, mid]) => ({ method: 'GET', path: `/threads/${tid}/messages/${mid}` }) },
        ];
      },
    },
  },
  'POST /threads/runs': {
    refs: [
      ...runCreateRefs(() => '/threads/runs', () => ({})),
      ...streamed(toolResourceRefs((own, tr) => ({ method: 'POST', path: '/threads/runs', json: { assistant_id: own.assistant, tool_resources: tr } }), '')),
      ...streamed(
        toolResourceRefs((own, tr) => ({ method: 'POST', path: '/threads/runs', json: { assistant_id: own.assistant, thread: { tool_resources: tr } } }), 'thread.'),
      ),
      ...streamed(
        messageRefs((own, m) => ({ method: 'POST', path: '/threads/runs', json: { assistant_id: own.assistant, thread: { messages: [m] } } }), 'thread.messages[0].'),
      ),
    ],
    fresh: {
      create: async (own, ctx) => {
        const out: Awaited<ReturnType<Fresh['create']>> = [];
        const run = await own.client.post('/threads/runs', { assistant_id: own.assistant, model: own.freshModel, tools: [] });
        await ctx.waitForRun(own, run.thread_id, run.id);
        const res = await own.client.send({
          method: 'POST',
          path: '/threads/runs',
          json: { assistant_id: own.assistant, model: own.freshModel, tools: [], stream: true },
          timeoutMs: 20_000,
        });
        if (res.status !== 200 || !res.text.includes('[DONE]')) throw new Error(`streamed create-and-run: ${res.status} ${res.text.slice(0, 300)}`);
        const created = /"id":"(run_[0-9A-Za-z]+)"[^\n]*"thread_id":"(thread_[0-9A-Za-z]+)"/.exec(res.text);
        if (!created) throw new Error(`no run in the stream: ${res.text.slice(0, 300)}`);
        for (const [r, t] of [[run.id, run.thread_id], [created[1], created[2]]]) {
          out.push({ ids: [t], kinds: ['thread'], read: ([tid]) => ({ method: 'GET', path: `/threads/${tid}` }) });
          out.push({ ids: [t, r], kinds: ['thread', 'run'], read: ([tid, rid]) => ({ method: 'GET', path: `/threads/${tid}/runs/${rid}` }) });
        }
        return out;
      },
    },
  },
  'GET /threads/{thread_id}': { chains: (w) => [{ thread_id: w.thread }, { thread_id: w.raThread }, { thread_id: w.deleted.thread }] },
  'POST /threads/{thread_id}': {
    chains: (w) => [{ thread_id: w.thread }, { thread_id: w.deleted.thread }],
    variants: () => [{ label: 'metadata', json: meta }, { label: 'tool_resources', json: { tool_resources: { code_interpreter: { file_ids: [] } } } }],
    refs: toolResourceRefs((own, tr) => ({ method: 'POST', path: `/threads/${own.thread}`, json: { tool_resources: tr } }), ''),
  },
  'DELETE /threads/{thread_id}': { chains: (w) => [{ thread_id: w.thread }, { thread_id: w.raThread }, { thread_id: w.deleted.thread }] },

  // ---- messages
  'GET /threads/{thread_id}/messages': {
    chains: (w) => [{ thread_id: w.thread }, { thread_id: w.deleted.thread }],
    variants: (own) => [{ label: 'plain' }, { label: 'run_id', query: { run_id: own.run, order: 'asc' } }],
    refs: [
      {
        label: 'run_id filter',
        kind: 'run',
        pick: (v) => v.run,
        build: (own, id) => ({ method: 'GET', path: `/threads/${own.thread}/messages`, query: { run_id: id } }),
        expect: 'empty',
      },
    ],
    lists: (own, v) => cursors(`/threads/${own.thread}/messages`, [v.message]),
  },
  'POST /threads/{thread_id}/messages': {
    chains: (w) => [{ thread_id: w.thread }, { thread_id: w.raThread }, { thread_id: w.deleted.thread }],
    variants: (own) => [
      { label: 'text', json: { role: 'user', content: 'hi' } },
      { label: 'own attachment', json: { role: 'user', content: 'hi', attachments: [{ file_id: own.file3, tools: [{ type: 'code_interpreter' }] }] } },
    ],
    refs: messageRefs((own, m) => ({ method: 'POST', path: `/threads/${own.thread}/messages`, json: m }), ''),
    fresh: {
      create: async (own) => {
        const m = await own.client.post(`/threads/${own.thread}/messages`, { role: 'user', content: `fresh ${own.canary}` });
        return [{ ids: [own.thread, m.id], kinds: ['thread', 'message'], read: ([t, id]) => ({ method: 'GET', path: `/threads/${t}/messages/${id}` }) }];
      },
    },
  },
  'GET /threads/{thread_id}/messages/{message_id}': { chains: (w) => [{ thread_id: w.thread, message_id: w.message }] },
  'POST /threads/{thread_id}/messages/{message_id}': {
    chains: (w) => [{ thread_id: w.thread, message_id: w.message }],
    variants: () => [{ label: 'metadata', json: meta }],
  },
  'DELETE /threads/{thread_id}/messages/{message_id}': { chains: (w) => [{ thread_id: w.thread, message_id: w.message }] },

  // ---- runs
  'GET /threads/{thread_id}/runs': {
    chains: (w) => [{ thread_id: w.thread }, { thread_id: w.raThread }],
    lists: (own, v) => cursors(`/threads/${own.thread}/runs`, [v.run, v.raRun]),
  },
  'POST /threads/{thread_id}/runs': {
    chains: (w) => [{ thread_id: w.thread }, { thread_id: w.raThread }, { thread_id: w.deleted.thread }],
    variants: (own) => [
      { label: 'plain', json: { assistant_id: own.assistant, model: own.freshModel } },
      { label: 'stream', json: { assistant_id: own.assistant, model: own.freshModel, stream: true } },
      { label: 'include', json: { assistant_id: own.assistant, model: own.freshModel }, query: { 'include[]': FILE_SEARCH_CONTENT } },
    ],
    refs: [
      ...runCreateRefs((own) => `/threads/${own.thread}/runs`, (own) => ({ model: own.freshModel })),
      ...streamed(
        messageRefs(
          (own, m) => ({ method: 'POST', path: `/threads/${own.thread}/runs`, json: { assistant_id: own.assistant, model: own.freshModel, additional_messages: [m] } }),
          'additional_messages[0].',
        ),
      ),
    ],
    fresh: {
      create: async (own, ctx) => {
        const run = await own.client.post(`/threads/${own.thread}/runs`, { assistant_id: own.assistant, model: own.freshModel, tools: [] });
        await ctx.waitForRun(own, own.thread, run.id);
        const res = await own.client.send({
          method: 'POST',
          path: `/threads/${own.thread}/runs`,
          json: { assistant_id: own.assistant, model: own.freshModel, tools: [], stream: true },
          timeoutMs: 20_000,
        });
        if (res.status !== 200 || !res.text.includes('[DONE]')) throw new Error(`streamed run: ${res.status} ${res.text.slice(0, 300)}`);
        const streamedRun = /"id":"(run_[0-9A-Za-z]+)"/.exec(res.text)![1];
        return [run.id, streamedRun].map((r) => ({
          ids: [own.thread, r],
          kinds: ['thread', 'run'] as Kind[],
          read: ([t, id]: string[]) => ({ method: 'GET', path: `/threads/${t}/runs/${id}` }) as Req,
        }));
      },
    },
  },
  'GET /threads/{thread_id}/runs/{run_id}': {
    chains: (w) => [{ thread_id: w.thread, run_id: w.run }, { thread_id: w.raThread, run_id: w.raRun }],
  },
  'POST /threads/{thread_id}/runs/{run_id}': {
    chains: (w) => [{ thread_id: w.thread, run_id: w.run }, { thread_id: w.raThread, run_id: w.raRun }],
    variants: () => [{ label: 'metadata', json: meta }],
  },
  'POST /threads/{thread_id}/runs/{run_id}/cancel': {
    chains: (w) => [{ thread_id: w.raThread, run_id: w.raRun }, { thread_id: w.thread, run_id: w.run }],
  },
  'GET /threads/{thread_id}/runs/{run_id}/steps': {
    chains: (w) => [{ thread_id: w.thread, run_id: w.run }, { thread_id: w.raThread, run_id: w.raRun }],
    variants: () => [{ label: 'plain' }, { label: 'include', query: { 'include[]': FILE_SEARCH_CONTENT } }],
    lists: (own, v) => cursors(`/threads/${own.thread}/runs/${own.run}/steps`, [v.step, v.raStep], { 'include[]': FILE_SEARCH_CONTENT }),
  },
  'GET /threads/{thread_id}/runs/{run_id}/steps/{step_id}': {
    chains: (w) => [
      { thread_id: w.thread, run_id: w.run, step_id: w.step },
      { thread_id: w.raThread, run_id: w.raRun, step_id: w.raStep },
    ],
    variants: () => [{ label: 'plain' }, { label: 'include', query: { 'include[]': FILE_SEARCH_CONTENT } }],
  },
  'POST /threads/{thread_id}/runs/{run_id}/submit_tool_outputs': {
    chains: (w) => [{ thread_id: w.raThread, run_id: w.raRun }, { thread_id: w.thread, run_id: w.run }],
    variants: (own) => [
      { label: 'plain', json: { tool_outputs: [{ tool_call_id: own.call, output: 'x' }] } },
      { label: 'stream', json: { tool_outputs: [{ tool_call_id: own.call, output: 'x' }], stream: true } },
    ],
    refs: streamed([
      {
        label: 'tool_outputs[0].tool_call_id',
        kind: 'call',
        pick: (v) => v.call,
        build: (own, id) => ({ method: 'POST', path: `/threads/${own.raThread}/runs/${own.raRun}/submit_tool_outputs`, json: { tool_outputs: [{ tool_call_id: id, output: 'x' }] } }),
      },
    ]),
  },

  // ---- uploads
  'POST /uploads': {
    fresh: {
      create: async (own) => {
        const u = await own.client.post('/uploads', { filename: `${own.canary}-fresh.bin`, purpose: 'assistants', bytes: 1, mime_type: 'text/plain' });
        return [
          { ids: [u.id], kinds: ['upload'], read: ([id]) => ({ method: 'POST', path: `/uploads/${id}/complete`, json: { part_ids: [] } }) },
          { ids: [u.id], kinds: ['upload'], read: ([id]) => ({ method: 'POST', path: `/uploads/${id}/parts`, multipart: part('x') }) },
        ];
      },
    },
  },
  'POST /uploads/{upload_id}/cancel': { chains: (w) => [{ upload_id: w.upload }, { upload_id: w.uploadDone }] },
  'POST /uploads/{upload_id}/complete': {
    chains: (w) => [{ upload_id: w.upload }, { upload_id: w.uploadDone }],
    variants: (own) => [
      { label: 'own part', json: { part_ids: [own.part] } },
      { label: 'no parts', json: { part_ids: [] } },
    ],
    refs: [
      {
        label: 'part_ids[0]',
        kind: 'part',
        pick: (v) => v.part,
        build: (own, id) => ({ method: 'POST', path: `/uploads/${own.upload}/complete`, json: { part_ids: [id] } }),
      },
    ],
  },
  'POST /uploads/{upload_id}/parts': {
    chains: (w) => [{ upload_id: w.upload }, { upload_id: w.uploadDone }],
    variants: () => [{ label: 'part', multipart: part('stolen bytes') }],
  },

  // ---- vector stores
  'GET /vector_stores': { lists: (own, v) => cursors('/vector_stores', [v.vectorStore, v.deleted.vectorStore]) },
  'POST /vector_stores': {
    refs: [
      {
        label: 'file_ids',
        kind: 'file',
        pick: (v) => v.file,
        build: (own, id) => ({ method: 'POST', path: '/vector_stores', json: { file_ids: [own.file3, id] } }),
      },
    ],
    fresh: {
      create: async (own) => {
        const vs = await own.client.post('/vector_stores', { name: `${own.canary} fresh` });
        return [{ ids: [vs.id], kinds: ['vector_store'], read: ([id]) => ({ method: 'GET', path: `/vector_stores/${id}` }) }];
      },
    },
  },
  'GET /vector_stores/{vector_store_id}': {
    chains: (w) => [{ vector_store_id: w.vectorStore }, { vector_store_id: w.deleted.vectorStore }],
  },
  'POST /vector_stores/{vector_store_id}': {
    chains: (w) => [{ vector_store_id: w.vectorStore }, { vector_store_id: w.deleted.vectorStore }],
    variants: () => [{ label: 'name', json: { name: 'taken', ...meta } }],
  },
  'DELETE /vector_stores/{vector_store_id}': {
    chains: (w) => [{ vector_store_id: w.vectorStore }, { vector_store_id: w.deleted.vectorStore }],
  },
  'POST /vector_stores/{vector_store_id}/file_batches': {
    chains: (w) => [{ vector_store_id: w.vectorStore }],
    variants: (own) => [{ label: 'file_ids', json: { file_ids: [own.file3] } }, { label: 'files', json: { files: [{ file_id: own.file3 }] } }],
    refs: [
      {
        label: 'file_ids',
        kind: 'file',
        pick: (v) => v.file,
        build: (own, id) => ({ method: 'POST', path: `/vector_stores/${own.vectorStore}/file_batches`, json: { file_ids: [own.file3, id] } }),
      },
      {
        label: 'files[].file_id',
        kind: 'file',
        pick: (v) => v.file2,
        build: (own, id) => ({ method: 'POST', path: `/vector_stores/${own.vectorStore}/file_batches`, json: { files: [{ file_id: id }] } }),
      },
    ],
    fresh: {
      create: async (own, ctx) => {
        const f = await ctx.uploadFile(own, `${own.canary}-batch.txt`, `batch ${own.canary}`);
        const b = await own.client.post(`/vector_stores/${own.vectorStore}/file_batches`, { file_ids: [f] });
        return [
          {
            ids: [own.vectorStore, b.id],
            kinds: ['vector_store', 'batch'],
            read: ([vs, id]) => ({ method: 'GET', path: `/vector_stores/${vs}/file_batches/${id}` }),
          },
        ];
      },
    },
  },
  'GET /vector_stores/{vector_store_id}/file_batches/{batch_id}': {
    chains: (w) => [{ vector_store_id: w.vectorStore, batch_id: w.batch }],
  },
  'POST /vector_stores/{vector_store_id}/file_batches/{batch_id}/cancel': {
    chains: (w) => [{ vector_store_id: w.vectorStore, batch_id: w.batch }],
  },
  'GET /vector_stores/{vector_store_id}/file_batches/{batch_id}/files': {
    chains: (w) => [{ vector_store_id: w.vectorStore, batch_id: w.batch }],
    variants: () => [{ label: 'plain' }, { label: 'filter', query: { filter: 'completed' } }],
    lists: (own, v) => cursors(`/vector_stores/${own.vectorStore}/file_batches/${own.batch}/files`, [v.file2]),
  },
  'GET /vector_stores/{vector_store_id}/files': {
    chains: (w) => [{ vector_store_id: w.vectorStore }, { vector_store_id: w.deleted.vectorStore }],
    variants: () => [{ label: 'plain' }, { label: 'filter', query: { filter: 'completed' } }],
    lists: (own, v) => [
      ...cursors(`/vector_stores/${own.vectorStore}/files`, [v.file, v.file2]),
      { method: 'GET', path: `/vector_stores/${own.vectorStore}/files`, query: { filter: 'completed' } },
    ],
  },
  'POST /vector_stores/{vector_store_id}/files': {
    chains: (w) => [{ vector_store_id: w.vectorStore }, { vector_store_id: w.deleted.vectorStore }],
    variants: (own) => [{ label: 'file_id', json: { file_id: own.file3 } }],
    refs: [
      {
        label: 'file_id',
        kind: 'file',
        pick: (v) => v.file,
        build: (own, id) => ({ method: 'POST', path: `/vector_stores/${own.vectorStore}/files`, json: { file_id: id } }),
      },
      {
        label: 'file_id (a file in no store)',
        kind: 'file',
        pick: (v) => v.file3,
        build: (own, id) => ({ method: 'POST', path: `/vector_stores/${own.vectorStore}/files`, json: { file_id: id, attributes: { k: 'v' } } }),
      },
    ],
    fresh: {
      create: async (own, ctx) => {
        const f = await ctx.uploadFile(own, `${own.canary}-vsf.txt`, `vs file ${own.canary}`);
        await own.client.post(`/vector_stores/${own.vectorStore}/files`, { file_id: f });
        return [
          {
            ids: [own.vectorStore, f],
            kinds: ['vector_store', 'file'],
            read: ([vs, id]) => ({ method: 'GET', path: `/vector_stores/${vs}/files/${id}` }),
          },
        ];
      },
    },
  },
  'GET /vector_stores/{vector_store_id}/files/{file_id}': {
    chains: (w) => [
      { vector_store_id: w.vectorStore, file_id: w.file },
      { vector_store_id: w.vectorStore, file_id: w.file2 },
    ],
  },
  'POST /vector_stores/{vector_store_id}/files/{file_id}': {
    chains: (w) => [{ vector_store_id: w.vectorStore, file_id: w.file }],
    variants: () => [{ label: 'attributes', json: { attributes: { stolen: true } } }, { label: 'null', json: { attributes: null } }],
  },
  'DELETE /vector_stores/{vector_store_id}/files/{file_id}': {
    chains: (w) => [
      { vector_store_id: w.vectorStore, file_id: w.file },
      { vector_store_id: w.vectorStore, file_id: w.file2 },
    ],
  },
  'GET /vector_stores/{vector_store_id}/files/{file_id}/content': {
    chains: (w) => [
      { vector_store_id: w.vectorStore, file_id: w.file },
      { vector_store_id: w.vectorStore, file_id: w.file2 },
    ],
  },
  'POST /vector_stores/{vector_store_id}/search': {
    chains: (w) => [{ vector_store_id: w.vectorStore }, { vector_store_id: w.deleted.vectorStore }],
    variants: (own) => [
      { label: 'query', json: { query: 'saffron formula' } },
      {
        label: 'queries, filter, many',
        json: { query: ['saffron', own.canary], max_num_results: 50, filters: { type: 'eq', key: 'tag', value: own.canary } },
      },
    ],
  },
};

/** The path parameters of a spec path, in order. */
export function pathParams(path: string): string[] {
  return [...path.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]);
}

export function fillPath(path: string, ids: Record<string, string>): string {
  return path.replace(/\{([a-z_]+)\}/g, (_, p: string) => {
    const id = ids[p];
    if (id === undefined) throw new Error(`no id for ${p} in ${path}`);
    return id;
  });
}
