/**
 * Regression (found with the PostgreSQL restart of faults.test.ts): the event bus's LISTEN
 * connection, lost when PostgreSQL went away, was reconnected once a second later and never again
 * if that attempt failed (a restart takes seconds). From then on a process no longer heard what
 * the others published: a stream opened on one process for a run executed by another hung.
 * Here the database refuses connections for a few seconds while every backend is terminated; once
 * it takes them again, a stream on the API-only process must carry the other process's run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, PG_ADMIN_URL, startTestServer, type TestServer } from '../../helpers/server.js';
import { api, judgeTextStream, ok, streamRun } from '../support/http.js';
import { sleep } from '../support/report.js';

async function admin(text: string, values: unknown[] = []): Promise<void> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    await c.query(text, values);
  } finally {
    await c.end();
  }
}

describe('regression: the event bus listens again after PostgreSQL comes back', { skip: !BACKENDS.includes('postgres') && 'PostgreSQL not in OA_TEST_BACKENDS' }, () => {
  let upstream: ScriptedUpstream;
  let worker: TestServer;
  let front: TestServer;
  let database = '';

  before(async () => {
    upstream = await startScriptedUpstream();
    worker = await startTestServer('postgres', { env: { UPSTREAM_BASE_URL: upstream.baseURL, CODE_INTERPRETER: 'off', RUN_POLL_MS: '100' } });
    const url = worker.server.config.database.kind === 'postgres' ? worker.server.config.database.url : '';
    database = new URL(url).pathname.slice(1);
    front = await startTestServer('postgres', { env: { UPSTREAM_BASE_URL: upstream.baseURL, DATABASE_URL: url, RUN_CONCURRENCY: '0', CODE_INTERPRETER: 'off' } });
  });
  after(async () => {
    await admin(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await front?.close();
    await worker?.close();
    await upstream?.close();
  });

  it('a stream on one process receives a run executed by another, after an outage longer than a second', async () => {
    const words = ['one ', 'two ', 'three ', 'four'];
    upstream.scriptFn('relisten', () => ({ text: words, delayMs: 5 }));
    const assistant = await ok(front.baseURL, 'POST', '/assistants', { model: 'relisten' });

    // the outage: no connections for 2.5 s, every open one terminated
    await admin(`ALTER DATABASE ${database} ALLOW_CONNECTIONS false`);
    await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
    await sleep(2500);
    await admin(`ALTER DATABASE ${database} ALLOW_CONNECTIONS true`);

    // both processes answer again
    for (const s of [front, worker]) {
      for (const deadline = Date.now() + 10_000; ; await sleep(100)) {
        const res = await api(s.baseURL, 'GET', '/assistants?limit=1').catch(() => undefined);
        if (res?.status === 200) break;
        assert.ok(Date.now() < deadline, 'a server did not answer again within 10 s');
      }
    }
    await sleep(1500); // a reconnect attempt is due every second

    const thread = await ok(front.baseURL, 'POST', '/threads', { messages: [{ role: 'user', content: 'count' }] });
    const streamed = await Promise.race([
      streamRun(front.baseURL, `/threads/${thread.id}/runs`, { assistant_id: assistant.id }),
      sleep(10_000).then(() => undefined),
    ]);
    assert.ok(streamed, 'the stream on the API-only process never ended: it did not hear the worker process');
    assert.deepEqual(judgeTextStream(streamed.events, { deltas: words.length, text: words.join('') }), []);
  });
});
