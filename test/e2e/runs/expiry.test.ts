/**
 * A run that waits for tool outputs expires 10 minutes after it started waiting (checklist §3.4,
 * §6). The server runs on a ManualClock, so the test moves time instead of waiting for it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ManualClock } from '../../../src/core/clock.js';
import { WEATHER_TOOL, describeRuns, eachSdk, expectApiError, setup, sleep, uniqueModel } from './support.js';

describeRuns('runs: expiry', { clock: () => new ManualClock() }, (ctx) => {
  const clock = () => ctx.clock as ManualClock;

  eachSdk(ctx, (t) => {
    it('a run in requires_action expires after 600 s: retrieve shows expired, its tool step expired', async () => {
      const model = uniqueModel('expire');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Quito' } }] }, { text: 'fresh run' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const waiting = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(waiting.status, 'requires_action');
      const now = Math.floor(clock().nowMs() / 1000);
      assert.equal(waiting.created_at, now, 'the server stamps times from its (manual) clock');
      assert.equal(waiting.expires_at, now + 600);
      const callId = waiting.required_action!.submit_tool_outputs.tool_calls[0].id;

      clock().advance(599_000);
      const early = await t.client.runs.retrieve(threadId, waiting.id);
      assert.equal(early.status, 'requires_action', 'not yet expired at 599 s');

      clock().advance(2_000);
      const run = await t.client.runs.retrieve(threadId, waiting.id);
      assert.equal(run.status, 'expired');
      assert.equal(run.required_action, null);
      assert.equal(run.expires_at, now + 600);
      assert.equal(run.failed_at, null);
      assert.equal(run.cancelled_at, null);
      assert.equal(run.completed_at, null);

      // (the worker's sweep may be expiring it at the same moment: it writes the step just after the run)
      let steps = await t.client.steps.list(threadId, waiting.id);
      for (let i = 0; i < 50 && steps.data[0]?.status === 'in_progress'; i++) {
        await sleep(10);
        steps = await t.client.steps.list(threadId, waiting.id);
      }
      assert.equal(steps.data.length, 1);
      const step = steps.data[0];
      assert.equal(step.type, 'tool_calls');
      assert.equal(step.status, 'expired');
      assert.equal(step.expired_at, now + 601);
      assert.deepEqual(await t.client.steps.retrieve(threadId, waiting.id, step.id), step);

      await expectApiError(t.client, t.client.runs.submitToolOutputs(threadId, waiting.id, [{ tool_call_id: callId, output: 'late' }]), {
        status: 400,
      });
      await expectApiError(t.client, t.client.runs.cancel(threadId, waiting.id), { status: 400 });

      // the thread is free again
      const next = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId, tool_choice: 'none' });
      assert.equal(next.status, 'completed');
    });

    it('the background sweep expires a waiting run nobody looks at', async () => {
      const model = uniqueModel('expire-sweep');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Lagos' } }] });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const waiting = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(waiting.status, 'requires_action');
      clock().advance(601_000);
      // runs.list does not expire on read: only the worker's periodic sweep (RUN_POLL_MS) can have done it
      const deadline = Date.now() + 3000;
      let status = '';
      while (Date.now() < deadline) {
        status = (await t.client.runs.list(threadId)).data[0].status;
        if (status === 'expired') break;
        await sleep(25);
      }
      assert.equal(status, 'expired');
      // the sweep closes the tool step right after the run (two writes): allow it that moment
      let stepStatus = '';
      while (Date.now() < deadline + 1000) {
        stepStatus = (await t.client.steps.list(threadId, waiting.id)).data[0].status;
        if (stepStatus === 'expired') break;
        await sleep(10);
      }
      assert.equal(stepStatus, 'expired');
    });
  });
});
