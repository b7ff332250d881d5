/**
 * Regression (found by faults.test.ts, kill -9 between two writes): a run's answer was finished
 * (message completed, its step completed) in writes of their own before the run itself was, so a
 * crash or a failed write in between left a failed run holding a completed answer. Now the message,
 * its step and the run's final state are one transaction: here the run's final write fails (as if
 * the database went away at that instant) and the answer must end like the run, failed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Run } from '../../../src/core/wire.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type TestServer } from '../../helpers/server.js';
import { ok, streamRun, textOf } from '../support/http.js';

for (const backend of BACKENDS) {
  describe(`regression: a run's last write carries its answer · ${backend}`, () => {
    let upstream: ScriptedUpstream;
    let server: TestServer;
    before(async () => {
      upstream = await startScriptedUpstream();
      server = await startTestServer(backend, { env: { UPSTREAM_BASE_URL: upstream.baseURL, UPSTREAM_API_KEY: 'sk-upstream', CODE_INTERPRETER: 'off' } });
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
    });

    it('the write that completes the run fails: the run fails and its message is incomplete, its step failed', async () => {
      const base = server.baseURL;
      upstream.script('final-write', { text: ['All ', 'of ', 'it.'] });
      const runs = server.server.store.runs;
      const save = runs.save.bind(runs);
      let failures = 0;
      runs.save = async (projectId: string, run: Run, ...rest: Parameters<typeof save> extends [unknown, unknown, ...infer R] ? R : never) => {
        if (run.status === 'completed' && failures++ === 0) throw new Error('simulated: the database went away');
        return save(projectId, run, ...rest);
      };
      try {
        const assistant = await ok(base, 'POST', '/assistants', { model: 'final-write' });
        const thread = await ok(base, 'POST', '/threads', { messages: [{ role: 'user', content: 'Go' }] });
        const s = await streamRun(base, `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
        const names = s.events.map((e) => e.event).filter((e) => e !== 'thread.message.delta');
        assert.deepEqual(names.slice(-5), ['thread.message.in_progress', 'thread.message.incomplete', 'thread.run.step.failed', 'thread.run.failed', 'done']);
        const runId = JSON.parse(s.events[0].data).id;
        const run = await ok(base, 'GET', `/threads/${thread.id}/runs/${runId}`);
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error.code, 'server_error');
        const messages = (await ok(base, 'GET', `/threads/${thread.id}/messages?order=asc`)).data;
        assert.equal(messages.length, 2);
        assert.equal(messages[1].status, 'incomplete', 'a failed run does not hold a completed answer');
        assert.deepEqual(messages[1].incomplete_details, { reason: 'run_failed' });
        assert.equal(textOf(messages[1]), 'All of it.');
        const steps = (await ok(base, 'GET', `/threads/${thread.id}/runs/${runId}/steps`)).data;
        assert.deepEqual(steps.map((x: any) => [x.type, x.status, x.last_error?.code]), [['message_creation', 'failed', 'server_error']]);
        assert.equal(failures, 1);
      } finally {
        runs.save = save;
      }
      // and without the fault the same path completes, answer and run together
      upstream.script('final-write', { text: ['Fine.'] });
      const assistant = await ok(base, 'POST', '/assistants', { model: 'final-write' });
      const thread = await ok(base, 'POST', '/threads', { messages: [{ role: 'user', content: 'Again' }] });
      const s = await streamRun(base, `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
      assert.deepEqual(s.events.map((e) => e.event).slice(-5), ['thread.message.delta', 'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed', 'done']);
      const messages = (await ok(base, 'GET', `/threads/${thread.id}/messages?order=asc`)).data;
      assert.equal(messages[1].status, 'completed');
      assert.equal(textOf(messages[1]), 'Fine.');
    });
  });
}
