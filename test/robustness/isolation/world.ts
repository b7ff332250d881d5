/**
 * One project's objects, one of each kind the API has (and some in more than one state): a
 * completed run with a file_search step, a run waiting for tool outputs, a pending and a
 * completed upload, a vector store with an ingested file and a batch, and deleted objects.
 * Every string the project writes carries its canary word, so a leak of content is as visible
 * as a leak of an id.
 */
import { randomBytes } from 'node:crypto';
import type { ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { Client, waitFor, type Journal } from './http.js';
import { idsIn } from './ids.js';

export interface World {
  label: string;
  client: Client;
  /** A word found in every string this project wrote (names, texts, metadata). */
  canary: string;
  model: string;
  /** Runs created by probes answer under this model (one text turn each). */
  freshModel: string;
  assistant: string;
  /** A thread with a user message, file attachments, a thread vector store and a completed run. */
  thread: string;
  message: string;
  run: string;
  /** The completed run's file_search step and its message_creation step. */
  step: string;
  messageStep: string;
  /** A thread whose run waits for a function's output. */
  raThread: string;
  raRun: string;
  raStep: string;
  call: string;
  /** In the vector store, ingested; `file2` came in by a batch. */
  file: string;
  file2: string;
  /** In no store (image_file content, code_interpreter resources). */
  file3: string;
  vectorStore: string;
  batch: string;
  upload: string;
  part: string;
  partBytes: Buffer;
  /** An upload already completed (a different status behind the same 404). */
  uploadDone: string;
  deleted: { assistant: string; thread: string; file: string; vectorStore: string };
  /** Every id seen while this project was set up. */
  owned: Set<string>;
}

export const FILE_SEARCH_CONTENT = 'step_details.tool_calls[*].file_search.results[*].content';

export async function uploadFile(client: Client, name: string, bytes: Buffer | string, purpose = 'assistants'): Promise<any> {
  return client.ok({
    method: 'POST',
    path: '/files',
    multipart: { fields: { purpose }, file: { field: 'file', filename: name, contentType: 'application/octet-stream', bytes: Buffer.from(bytes) } },
  });
}

export async function waitForRun(client: Client, threadId: string, runId: string, done: (status: string) => boolean): Promise<any> {
  return waitFor(`run ${runId}`, async () => {
    const run = await client.get(`/threads/${threadId}/runs/${runId}`);
    return done(run.status) ? run : undefined;
  });
}

export const TERMINAL = (s: string): boolean => ['completed', 'failed', 'cancelled', 'expired', 'incomplete', 'requires_action'].includes(s);

/** Builds one project's objects through its own key. */
export async function buildWorld(label: string, client: Client, upstream: ScriptedUpstream, journal: Journal): Promise<World> {
  const from = journal.entries.length;
  const canary = `zq${label}${randomBytes(5).toString('hex')}`;
  const model = `iso-${label}-${randomBytes(3).toString('hex')}`;
  const freshModel = `${model}-fresh`;
  upstream.scriptFn(freshModel, () => ({ text: `fresh answer ${canary}` }));

  const file = (await uploadFile(client, `${canary}-secret.md`, `The secret formula of team ${canary} involves saffron and ${canary} cardamom.`)).id as string;
  const file2 = (await uploadFile(client, `${canary}-notes.md`, `Batch notes of ${canary}: saffron harvest in autumn, ${canary}.`)).id as string;
  const file3 = (await uploadFile(client, `${canary}.png`, Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from(canary)]), 'vision')).id as string;

  const vs = await client.post('/vector_stores', { name: `${canary} store`, file_ids: [file], metadata: { owner: canary } });
  const batch = await client.post(`/vector_stores/${vs.id}/file_batches`, { file_ids: [file2], attributes: { team: canary } });
  await client.post(`/vector_stores/${vs.id}/files/${file}`, { attributes: { tag: canary, n: 1 } });

  const assistant = await client.post('/assistants', {
    model,
    name: `${canary} assistant`,
    instructions: `Keep the secret ${canary}.`,
    tools: [{ type: 'file_search' }, { type: 'function', function: { name: 'get_secret', parameters: { type: 'object', properties: {} } } }],
    tool_resources: { file_search: { vector_store_ids: [vs.id] }, code_interpreter: { file_ids: [file3] } },
    metadata: { owner: canary },
  });
  const thread = await client.post('/threads', {
    metadata: { owner: canary },
    messages: [
      {
        role: 'user',
        content: `What is the formula of ${canary}?`,
        attachments: [
          { file_id: file2, tools: [{ type: 'file_search' }] },
          { file_id: file3, tools: [{ type: 'code_interpreter' }] },
        ],
        metadata: { owner: canary },
      },
    ],
  });
  const threadStore = thread.tool_resources?.file_search?.vector_store_ids?.[0] as string;
  for (const id of [vs.id, threadStore]) {
    await waitFor(`vector store ${id}`, async () => {
      const v = await client.get(`/vector_stores/${id}`);
      return v.file_counts.in_progress === 0 ? v : undefined;
    });
  }
  const stored = await client.get(`/vector_stores/${vs.id}`);
  if (stored.file_counts.completed !== 2) throw new Error(`${label}: store ingestion ended ${JSON.stringify(stored.file_counts)}`);
  const message = (await client.get(`/threads/${thread.id}/messages`)).data[0].id as string;

  // a completed run: file_search, then an answer
  upstream.script(
    model,
    { toolCalls: [{ name: 'file_search', arguments: { query: 'saffron formula' } }] },
    { text: `The formula is ${canary} 【0:0†${canary}-secret.md】.` },
  );
  const run = await client.ok({
    method: 'POST',
    path: `/threads/${thread.id}/runs`,
    query: { 'include[]': FILE_SEARCH_CONTENT },
    json: { assistant_id: assistant.id, metadata: { owner: canary } },
  });
  const finished = await waitForRun(client, thread.id, run.id, TERMINAL);
  if (finished.status !== 'completed') throw new Error(`${label}: run ended ${finished.status} ${JSON.stringify(finished.last_error)}`);
  const steps = (await client.get(`/threads/${thread.id}/runs/${run.id}/steps`, { order: 'asc' })).data as any[];
  const step = steps.find((s) => s.type === 'tool_calls')?.id as string;
  const messageStep = steps.find((s) => s.type === 'message_creation')?.id as string;
  if (!step || !messageStep) throw new Error(`${label}: unexpected steps ${JSON.stringify(steps)}`);

  // a run waiting for a function output
  const raThread = await client.post('/threads', { messages: [{ role: 'user', content: `Call for ${canary}` }], metadata: { owner: canary } });
  upstream.script(model, { toolCalls: [{ name: 'get_secret', arguments: { why: canary } }] });
  const raRun = await client.post(`/threads/${raThread.id}/runs`, { assistant_id: assistant.id, tools: [{ type: 'function', function: { name: 'get_secret' } }] });
  const waiting = await waitForRun(client, raThread.id, raRun.id, TERMINAL);
  if (waiting.status !== 'requires_action') throw new Error(`${label}: the function run ended ${waiting.status}`);
  const call = waiting.required_action.submit_tool_outputs.tool_calls[0].id as string;
  const raStep = (await client.get(`/threads/${raThread.id}/runs/${raRun.id}/steps`)).data[0].id as string;

  // uploads: one pending with a part, one completed
  const partBytes = Buffer.from(`part of ${canary}`);
  const upload = await client.post('/uploads', { filename: `${canary}.bin`, purpose: 'assistants', bytes: partBytes.length, mime_type: 'application/octet-stream' });
  const part = await client.ok({
    method: 'POST',
    path: `/uploads/${upload.id}/parts`,
    multipart: { fields: {}, file: { field: 'data', filename: 'blob', contentType: 'application/octet-stream', bytes: partBytes } },
  });
  const done = await client.post('/uploads', { filename: `${canary}-done.txt`, purpose: 'assistants', bytes: 2, mime_type: 'text/plain' });
  const donePart = await client.ok({
    method: 'POST',
    path: `/uploads/${done.id}/parts`,
    multipart: { fields: {}, file: { field: 'data', filename: 'blob', contentType: 'text/plain', bytes: Buffer.from('ok') } },
  });
  await client.post(`/uploads/${done.id}/complete`, { part_ids: [donePart.id] });

  // deleted objects: an unknown id and a deleted one must look alike
  const gone = {
    assistant: (await client.post('/assistants', { model, name: `${canary} gone` })).id as string,
    thread: (await client.post('/threads', { metadata: { owner: canary } })).id as string,
    file: (await uploadFile(client, `${canary}-gone.txt`, canary)).id as string,
    vectorStore: (await client.post('/vector_stores', { name: `${canary} gone` })).id as string,
  };
  await client.ok({ method: 'DELETE', path: `/assistants/${gone.assistant}` });
  await client.ok({ method: 'DELETE', path: `/threads/${gone.thread}` });
  await client.ok({ method: 'DELETE', path: `/files/${gone.file}` });
  await client.ok({ method: 'DELETE', path: `/vector_stores/${gone.vectorStore}` });

  const owned = new Set<string>();
  for (const e of journal.entries.slice(from)) if (e.actor === label) for (const id of idsIn(e.res.text)) owned.add(id);
  owned.add(call);

  return {
    label,
    client,
    canary,
    model,
    freshModel,
    assistant: assistant.id,
    thread: thread.id,
    message,
    run: run.id,
    step,
    messageStep,
    raThread: raThread.id,
    raRun: raRun.id,
    raStep,
    call,
    file,
    file2,
    file3,
    vectorStore: vs.id,
    batch: batch.id,
    upload: upload.id,
    part: part.id,
    partBytes,
    uploadDone: done.id,
    deleted: gone,
    owned,
  };
}
