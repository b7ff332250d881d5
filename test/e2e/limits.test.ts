/**
 * Per-key limits: requests per minute and open streams, answered with 429 in OpenAI's shape and a
 * `retry-after` header; other keys are not affected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.js';

function call(server: TestServer, key: string, path: string, body?: unknown) {
  return fetch(`${server.baseURL}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
}

async function expect429(res: Response): Promise<void> {
  assert.equal(res.status, 429);
  assert.ok(Number(res.headers.get('retry-after')) >= 1, 'retry-after in seconds');
  const body = (await res.json()) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.code, 'rate_limit_exceeded');
}

for (const backend of BACKENDS) {
  describe(`${backend} · per-key limits`, () => {
    let upstream: ScriptedUpstream;
    let rated: TestServer;
    let streamed: TestServer;

    before(async () => {
      upstream = await startScriptedUpstream();
      rated = await startTestServer(backend, { env: { RATE_LIMIT_PER_MINUTE: '5' } });
      streamed = await startTestServer(backend, { env: { MAX_STREAMS_PER_KEY: '1', UPSTREAM_BASE_URL: upstream.baseURL } });
    });
    after(async () => {
      await rated?.close();
      await streamed?.close();
      await upstream?.close();
    });

    it('answers the request over the per-minute limit with 429 and retry-after, per key', async () => {
      for (let i = 0; i < 5; i++) assert.equal((await call(rated, 'sk-one', '/assistants')).status, 200);
      await expect429(await call(rated, 'sk-one', '/assistants'));
      assert.equal((await call(rated, 'sk-two', '/assistants')).status, 200);
    });

    it('refuses a second open stream for a key until the first ends', async () => {
      const model = `limits-${backend}`;
      upstream.script(model, { hang: true }, { text: 'ok' });
      const assistant = (await (await call(streamed, 'sk-a', '/assistants', { model })).json()) as { id: string };
      const t1 = (await (await call(streamed, 'sk-a', '/threads', {})).json()) as { id: string };
      const t2 = (await (await call(streamed, 'sk-a', '/threads', {})).json()) as { id: string };
      const first = await call(streamed, 'sk-a', `/threads/${t1.id}/runs`, { assistant_id: assistant.id, stream: true });
      assert.equal(first.status, 200);
      const reader = first.body!.getReader();
      await reader.read();
      await expect429(await call(streamed, 'sk-a', `/threads/${t2.id}/runs`, { assistant_id: assistant.id, stream: true }));
      // the refused stream created no run
      const runs = (await (await call(streamed, 'sk-a', `/threads/${t2.id}/runs`)).json()) as { data: unknown[] };
      assert.equal(runs.data.length, 0);
      // another key still streams
      const t3 = (await (await call(streamed, 'sk-b', '/threads', {})).json()) as { id: string };
      const other = await call(streamed, 'sk-b', `/threads/${t3.id}/runs`, { assistant_id: assistant.id, stream: true });
      assert.equal(other.status, 200);
      await other.text();
      // end the first stream: cancel its run, drain it
      const run = (await (await call(streamed, 'sk-a', `/threads/${t1.id}/runs`)).json()) as { data: Array<{ id: string }> };
      await call(streamed, 'sk-a', `/threads/${t1.id}/runs/${run.data[0].id}/cancel`, {});
      while (!(await reader.read()).done);
      const again = await call(streamed, 'sk-a', `/threads/${t2.id}/runs`, { assistant_id: assistant.id, stream: true });
      assert.equal(again.status, 200);
      await again.text();
    });
  });
}
