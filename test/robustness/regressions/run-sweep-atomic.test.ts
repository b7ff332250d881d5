/**
 * Regression (found with faults.test.ts's PostgreSQL restart): when a run's executor gave up, the
 * orphan sweep wrote the run's end first and its leftovers (the in-progress message and step)
 * after, each on its own; a database blip in between left the message and step in progress for
 * good and the run's streams waiting forever for an event that never came. Now the run and its
 * leftovers are one write, tried again at the next sweep if it fails (a run expiring while it waits
 * for tool outputs ends through the same write). Faults are injected into store writes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Message, Run } from '../../../src/core/wire.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type TestServer } from '../../helpers/server.js';
import { ok, streamRun } from '../support/http.js';

const lost = () => new Error('Connection terminated unexpectedly');
const names = (events: Array<{ event: string }>) => events.map((e) => e.event).filter((e) => e !== 'thread.message.delta');

for (const backend of BACKENDS) {
  describe(`regression: the orphan sweep ends a run and its leftovers together · ${backend}`, { timeout: 60_000 }, () => {
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

    it('the executor gives up and the orphan sweep meets a lost connection: it tries again, the run ends failed with its leftovers closed', async () => {
      upstream.script('blip-c', { cut: { afterChunks: 2, text: 'Left over words here' } });
      const store = server.server.store;
      const update = store.messages.update.bind(store.messages);
      const save = store.runs.save.bind(store.runs);
      let updates = 0;
      let saves = 0;
      // the executor's own failure write meets an error it does not retry: the run is left to the
      // sweep, whose writes then meet a lost connection (each kind once)
      store.messages.update = async (projectId: string, m: Message) => {
        if (m.status === 'incomplete') {
          const n = updates++;
          if (n === 0) throw new Error('simulated: a bug in the failure path');
          if (n === 1) throw lost();
        }
        return update(projectId, m);
      };
      store.runs.save = async (projectId: string, r: Run, ...rest: Parameters<typeof save> extends [unknown, unknown, ...infer R] ? R : never) => {
        if (r.status === 'failed' && saves++ < 1) throw lost();
        return save(projectId, r, ...rest);
      };
      try {
        const { events, run: final, messages, steps } = await run('blip-c');
        assert.equal(final.status, 'failed');
        assert.match(final.last_error.message, /server stopped/);
        assert.deepEqual(names(events).slice(-4), ['thread.message.incomplete', 'thread.run.step.failed', 'thread.run.failed', 'done']);
        assert.equal(messages[1].status, 'incomplete', 'the message is not left in progress');
        assert.deepEqual(steps.map((x: any) => x.status), ['failed']);
      } finally {
        store.messages.update = update;
        store.runs.save = save;
      }
    });

  });
}
