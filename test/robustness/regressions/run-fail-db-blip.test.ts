/**
 * Regression (found by faults.test.ts's PostgreSQL restart, full mode): when the database went
 * away while a run was failing (or while its answer's message was being inserted), the executor's
 * failure writes threw, the run was left to the orphan sweep, and it ended with "The server stopped
 * while this run was in progress" instead of its own last_error. Now the failure is written again
 * while the database is away for a moment. The answer's message and its step are announced only
 * once their rows exist, so when that insert fails nothing ever names them and the run fails with
 * its own error. The database faults are injected into store writes (as node-postgres reports a
 * lost connection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message, Run } from '../../../src/core/wire.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type TestServer } from '../../helpers/server.js';
import { ok, streamRun, textOf } from '../support/http.js';

const lost = () => new Error('Connection terminated unexpectedly');
const names = (events: Array<{ event: string }>) => events.map((e) => e.event).filter((e) => e !== 'thread.message.delta');

for (const backend of BACKENDS) {
  describe(`regression: a run fails cleanly through a database blip · ${backend}`, () => {
    let upstream: ScriptedUpstream;
    let server: TestServer;
    before(async () => {
      upstream = await startScriptedUpstream();
      server = await startTestServer(backend, {
        env: { UPSTREAM_BASE_URL: upstream.baseURL, UPSTREAM_API_KEY: 'k', CODE_INTERPRETER: 'off', RUN_LEASE_MS: '500', RUN_POLL_MS: '50' },
      });
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
    });

    async function run(model: string): Promise<{ events: Array<{ event: string; data: string }>; run: any; messages: any[]; steps: any[] }> {
      const base = server.baseURL;
      const assistant = await ok(base, 'POST', '/assistants', { model });
      const thread = await ok(base, 'POST', '/threads', { messages: [{ role: 'user', content: 'Go' }] });
      const s = await streamRun(base, `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
      const runId = JSON.parse(s.events[0].data).id;
      return {
        events: s.events,
        run: await ok(base, 'GET', `/threads/${thread.id}/runs/${runId}`),
        messages: (await ok(base, 'GET', `/threads/${thread.id}/messages?order=asc`)).data,
        steps: (await ok(base, 'GET', `/threads/${thread.id}/runs/${runId}/steps`)).data,
      };
    }

    it('the upstream cuts the answer and the failure writes hit a lost connection: the run still fails with its own error', async () => {
      upstream.script('blip-a', { cut: { afterChunks: 3, text: 'One two three four five' } });
      const store = server.server.store;
      const update = store.messages.update.bind(store.messages);
      const save = store.runs.save.bind(store.runs);
      let updates = 0;
      let saves = 0;
      store.messages.update = async (projectId: string, m: Message) => {
        if (m.status === 'incomplete' && updates++ < 2) throw lost();
        return update(projectId, m);
      };
      store.runs.save = async (projectId: string, r: Run, ...rest: Parameters<typeof save> extends [unknown, unknown, ...infer R] ? R : never) => {
        if (r.status === 'failed' && saves++ < 1) throw lost();
        return save(projectId, r, ...rest);
      };
      try {
        const { events, run: final, messages, steps } = await run('blip-a');
        assert.equal(final.status, 'failed');
        assert.equal(final.last_error.code, 'server_error');
        assert.match(final.last_error.message, /upstream/i, 'the run keeps its own last_error');
        assert.deepEqual(names(events).slice(-4), ['thread.message.incomplete', 'thread.run.step.failed', 'thread.run.failed', 'done']);
        assert.equal(names(events).filter((e) => e === 'thread.message.incomplete').length, 1);
        assert.equal(messages[1].status, 'incomplete');
        assert.deepEqual(messages[1].incomplete_details, { reason: 'run_failed' });
        assert.equal(textOf(messages[1]), 'One two three ');
        assert.deepEqual(steps.map((x: any) => x.status), ['failed']);
      } finally {
        store.messages.update = update;
        store.runs.save = save;
      }
    });

    it("the answer's message could not be inserted: nothing names it, the run failed with its own error", async () => {
      upstream.script('blip-b', { text: ['Never ', 'stored.'] });
      const store = server.server.store;
      // the answer's message goes in with its message_creation step, in one write
      const insert = store.steps.insert.bind(store.steps);
      let inserts = 0;
      store.steps.insert = async (...args: Parameters<typeof insert>) => {
        if (args[2] && inserts++ < 1) throw lost();
        return insert(...args);
      };
      try {
        const { events, run: final, messages, steps } = await run('blip-b');
        assert.equal(inserts, 1, 'the fault was injected');
        assert.equal(final.status, 'failed');
        assert.equal(final.last_error.code, 'server_error');
        assert.doesNotMatch(final.last_error.message, /stopped/);
        assert.deepEqual(names(events).slice(-2), ['thread.run.failed', 'done']);
        const all = names(events);
        assert.ok(!all.some((e) => e.startsWith('thread.message.')), `no event names a message that was never written: ${all}`);
        assert.ok(!events.some((e) => e.event === 'thread.message.delta'));
        assert.equal(messages.length, 1, 'only the user message exists');
        assert.deepEqual(steps, []);
      } finally {
        store.steps.insert = insert;
      }
    });
  });
}
