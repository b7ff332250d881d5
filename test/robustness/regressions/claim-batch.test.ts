/**
 * Found by load.test.ts on PostgreSQL: 1,000 streaming runs started at once waited up to half a
 * minute to be claimed (first token p50 18.9 s), because the worker took one queued run per round
 * trip through a pool busy with the running ones. Workers now claim a batch per statement (as many
 * as they have free slots, up to 32). What must hold: a batch is the oldest queued runs, in order,
 * and two workers claiming at once never share a run.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, startTestServer, type TestServer } from '../../helpers/server.js';
import { ok } from '../support/http.js';
import { pool } from '../support/report.js';

for (const backend of BACKENDS) {
  describe(`regression: runs are claimed in batches · ${backend}`, () => {
    let server: TestServer;
    before(async () => {
      // this process executes nothing: the runs stay queued for the claims below
      server = await startTestServer(backend, { env: { RUN_CONCURRENCY: '0', CODE_INTERPRETER: 'off' } });
    });
    after(async () => {
      await server?.close();
    });

    it('the oldest queued runs, oldest first; concurrent claimers never share one', async () => {
      const base = server.baseURL;
      const assistant = await ok(base, 'POST', '/assistants', { model: 'never-called' });
      const created: string[] = [];
      for (let i = 0; i < 40; i++) {
        const run = await ok(base, 'POST', '/threads/runs', { assistant_id: assistant.id, thread: { messages: [{ role: 'user', content: `q${i}` }] } });
        created.push(run.id);
      }
      const runs = server.server.store.runs;
      const now = Date.now();
      const [a, b] = await Promise.all([runs.claim('worker-a', now, 60_000, 16), runs.claim('worker-b', now, 60_000, 16)]);
      for (const batch of [a, b]) {
        assert.equal(batch.length, 16);
        const ids = batch.map((o) => o.run.id);
        assert.deepEqual(ids, [...ids].sort(), 'a batch comes oldest first');
        for (const o of batch) assert.equal(o.run.status, 'in_progress');
      }
      const both = [...a, ...b].map((o) => o.run.id);
      assert.equal(new Set(both).size, 32, 'no run claimed twice');
      assert.deepEqual([...both].sort(), created.slice(0, 32), 'the 32 oldest');
      const rest = await runs.claim('worker-c', now, 60_000, 16);
      assert.deepEqual(rest.map((o) => o.run.id), created.slice(32));
      assert.deepEqual(await runs.claim('worker-c', now, 60_000, 16), []);
      // one at a time still works (the default)
      const states = await pool(created, 8, async (id) => {
        const owned = [...a, ...b, ...rest].find((o) => o.run.id === id)!;
        return (await ok(base, 'GET', `/threads/${owned.run.thread_id}/runs/${id}`)).status;
      });
      assert.deepEqual(new Set(states), new Set(['in_progress']));
    });
  });
}
