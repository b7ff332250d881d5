/**
 * PostgreSQL scale-out: two server processes on one database. One serves the API only
 * (RUN_CONCURRENCY=0), the other executes runs; a stream opened on the first still receives every
 * event, carried across by LISTEN/NOTIFY.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai6';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.js';

describe('postgres scale-out', { skip: !BACKENDS.includes('postgres') && 'PostgreSQL not in OA_TEST_BACKENDS' }, () => {
  let upstream: ScriptedUpstream;
  let worker: TestServer;
  let front: TestServer;

  before(async () => {
    upstream = await startScriptedUpstream();
    worker = await startTestServer('postgres', { env: { UPSTREAM_BASE_URL: upstream.baseURL } });
    const databaseUrl = worker.server.config.database.kind === 'postgres' ? worker.server.config.database.url : '';
    front = await startTestServer('postgres', {
      env: { UPSTREAM_BASE_URL: upstream.baseURL, DATABASE_URL: databaseUrl, RUN_CONCURRENCY: '0' },
    });
  });

  after(async () => {
    await front?.close();
    await worker?.close();
    await upstream?.close();
  });

  it('streams a run executed by another process, event for event', async () => {
    const client = new OpenAI({ baseURL: front.baseURL, apiKey: 'k', maxRetries: 0 });
    upstream.script('scale-out-1', { text: ['one ', 'two ', 'three ', 'four'], delayMs: 5 });
    const assistant = await client.beta.assistants.create({ model: 'scale-out-1' });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'count' }] });
    const stream = client.beta.threads.runs.stream(thread.id, { assistant_id: assistant.id });
    const events: string[] = [];
    let text = '';
    stream.on('event', (e) => events.push(e.event));
    stream.on('textDelta', (d) => (text += d.value));
    const run = await stream.finalRun();
    assert.equal(run.status, 'completed');
    assert.equal(text, 'one two three four');
    assert.deepEqual(events, [
      'thread.run.created',
      'thread.run.queued',
      'thread.run.in_progress',
      'thread.run.step.created',
      'thread.run.step.in_progress',
      'thread.message.created',
      'thread.message.in_progress',
      'thread.message.delta',
      'thread.message.delta',
      'thread.message.delta',
      'thread.message.delta',
      'thread.message.completed',
      'thread.run.step.completed',
      'thread.run.completed',
    ]);
    assert.equal(front.server.worker.running, 0);
  });

  it('cancels a run executing in another process', async () => {
    const client = new OpenAI({ baseURL: front.baseURL, apiKey: 'k', maxRetries: 0 });
    upstream.script('scale-out-2', { hang: true });
    const assistant = await client.beta.assistants.create({ model: 'scale-out-2' });
    const thread = await client.beta.threads.create({ messages: [{ role: 'user', content: 'wait' }] });
    const run = await client.beta.threads.runs.create(thread.id, { assistant_id: assistant.id });
    await upstream.waitForRequest('scale-out-2');
    const started = Date.now();
    await client.beta.threads.runs.cancel(run.id, { thread_id: thread.id });
    let status = '';
    while (Date.now() - started < 15_000) {
      status = (await client.beta.threads.runs.retrieve(run.id, { thread_id: thread.id })).status;
      if (status === 'cancelled') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 'cancelled');
    assert.ok(Date.now() - started < 3000, `cancelled after ${Date.now() - started} ms`);
    await upstream.waitFor((reqs) => reqs.some((r) => r.model === 'scale-out-2' && r.aborted));
  });
});
