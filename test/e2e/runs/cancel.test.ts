/**
 * Cancelling runs: mid-stream (the upstream request is aborted, streaming clients see the end),
 * while waiting to retry, while waiting for tool outputs, while still queued; and the statuses
 * that cannot be cancelled.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  WEATHER_TOOL,
  assertStreamInvariants,
  describeRuns,
  eachSdk,
  eventShape,
  expectApiError,
  http,
  parseSse,
  record,
  setup,
  textOf,
  uniqueModel,
  waitForRun,
} from './support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dataOf = (e: { data: unknown }) => e.data as any;

describeRuns('runs: cancel', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('cancel mid-stream: the upstream request is aborted, the run is cancelled within 1 s, the stream ends', async () => {
      const model = uniqueModel('cancel-hang');
      t.upstream.script(model, { hang: { afterChunks: 2, text: 'Partial answer that never ends' } });
      const { assistantId, threadId } = await setup(t.client, model);

      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      let text = '';
      const twoDeltas = new Promise<void>((resolve) =>
        stream.on('textDelta', (d) => {
          text += d.value ?? '';
          if (text === 'Partial answer ') resolve();
        }),
      );
      const eventsP = record(stream);
      await twoDeltas;
      const runId = stream.currentRun()!.id;
      const [req] = t.upstream.requests(model);
      assert.equal(req.aborted, false);

      const asked = Date.now();
      const cancelling = await t.client.runs.cancel(threadId, runId);
      assert.equal(cancelling.id, runId);
      assert.ok(['cancelling', 'cancelled'].includes(cancelling.status), cancelling.status);
      const run = await waitForRun(t.baseURL, threadId, runId, (r) => r.status !== 'cancelling' && r.status !== 'in_progress', 1000);
      assert.ok(Date.now() - asked < 1000, `cancelled after ${Date.now() - asked} ms`);
      assert.equal(run.status, 'cancelled');
      assert.ok(run.cancelled_at !== null);
      assert.equal(run.completed_at, null);
      assert.equal(run.failed_at, null);
      assert.equal(run.expires_at, null);
      assert.equal(run.last_error, null);
      await t.upstream.waitFor(() => req.aborted, 1000);

      const events = await eventsP;
      assertStreamInvariants(events);
      assert.deepEqual(eventShape(events).slice(-5), [
        'thread.message.delta*',
        'thread.run.cancelling',
        'thread.message.incomplete',
        'thread.run.step.cancelled',
        'thread.run.cancelled',
      ]);
      assert.equal((await stream.finalRun()).status, 'cancelled');

      const messages = await t.client.messages.all(threadId);
      const partial = messages.at(-1)!;
      assert.equal(partial.role, 'assistant');
      assert.equal(partial.status, 'incomplete');
      assert.deepEqual(partial.incomplete_details, { reason: 'run_cancelled' });
      assert.ok(partial.incomplete_at !== null);
      assert.equal(textOf(partial), 'Partial answer ', 'the text streamed before the cancel is kept, once');
      const steps = await t.client.steps.list(threadId, runId);
      assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['message_creation', 'cancelled']]);
      assert.ok(steps.data[0].cancelled_at !== null);
      assert.equal(t.upstream.requests(model).length, 1, 'a cancelled run is not retried');
    });

    it('cancel during a slow stream: the raw SSE body ends with thread.run.cancelled and done', async () => {
      const model = uniqueModel('cancel-slow');
      t.upstream.script(model, { text: 'one two three four five six seven eight nine ten', delayMs: 150 });
      const { assistantId, threadId } = await setup(t.client, model);
      const body = http(t.baseURL, `/threads/${threadId}/runs`, { json: { assistant_id: assistantId, stream: true } });
      const req = await t.upstream.waitForRequest(model);
      const list = await t.client.runs.list(threadId);
      const runId = list.data[0].id;
      await waitForRun(t.baseURL, threadId, runId, (r) => r.status === 'in_progress');
      const asked = Date.now();
      await t.client.runs.cancel(threadId, runId);
      const res = await body;
      assert.ok(Date.now() - asked < 1000, `the stream ended ${Date.now() - asked} ms after the cancel`);
      assert.ok(res.text.endsWith('event: done\ndata: [DONE]\n\n'), res.text.slice(-200));
      const frames = parseSse(res.text);
      assert.equal(frames.at(-2)!.event, 'thread.run.cancelled');
      assert.ok(frames.some((f) => f.event === 'thread.run.cancelling'));
      await t.upstream.waitFor(() => req.aborted, 1000);
      const run = await t.client.runs.retrieve(threadId, runId);
      assert.equal(run.status, 'cancelled');
    });

    it('cancel while tool call arguments stream: the tool step is cancelled, nothing is asked of the client', async () => {
      const model = uniqueModel('cancel-tool-stream');
      t.upstream.script(model, {
        toolCalls: [{ name: 'get_weather', arguments: { city: 'Reykjavik', note: 'a long argument string to stream slowly' } }],
        argumentChunks: 20,
        delayMs: 100,
      });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      const firstArgs = new Promise<void>((resolve) =>
        stream.on('toolCallDelta', (d) => {
          if (d.type === 'function' && d.function?.arguments) resolve();
        }),
      );
      const eventsP = record(stream);
      await firstArgs;
      const runId = stream.currentRun()!.id;
      await t.client.runs.cancel(threadId, runId);
      const events = await eventsP;
      assertStreamInvariants(events);
      assert.deepEqual(eventShape(events).slice(-4), [
        'thread.run.step.delta*',
        'thread.run.cancelling',
        'thread.run.step.cancelled',
        'thread.run.cancelled',
      ]);
      const run = await stream.finalRun();
      assert.equal(run.status, 'cancelled');
      assert.equal(run.required_action, null);
      const steps = await t.client.steps.list(threadId, runId);
      assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['tool_calls', 'cancelled']]);
      await t.upstream.waitFor(() => t.upstream.requests(model)[0].aborted, 1000);
    });

    it('cancel while the engine waits to retry a rate-limited upstream', async () => {
      const model = uniqueModel('cancel-backoff');
      t.upstream.script(model, { error: { status: 429, headers: { 'retry-after': '30' } } });
      const { assistantId, threadId } = await setup(t.client, model);
      const created = await t.client.runs.create(threadId, { assistant_id: assistantId });
      await t.upstream.waitForRequest(model);
      await waitForRun(t.baseURL, threadId, created.id, (r) => r.status === 'in_progress');
      const asked = Date.now();
      await t.client.runs.cancel(threadId, created.id);
      const run = await waitForRun(t.baseURL, threadId, created.id, (r) => r.status === 'cancelled', 1000);
      assert.ok(Date.now() - asked < 1000);
      assert.equal(run.last_error, null);
      assert.equal(t.upstream.requests(model).length, 1);
    });

    it('cancel a run waiting for tool outputs: cancelled at once, its tool step cancelled', async () => {
      const model = uniqueModel('cancel-action');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Nice' } }] }, { text: 'after' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const waiting = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(waiting.status, 'requires_action');
      const run = await t.client.runs.cancel(threadId, waiting.id);
      assert.equal(run.status, 'cancelled');
      assert.equal(run.required_action, null);
      assert.ok(run.cancelled_at !== null);
      assert.equal(run.expires_at, null);
      assert.equal((await t.client.runs.retrieve(threadId, waiting.id)).status, 'cancelled');
      const steps = await t.client.steps.list(threadId, waiting.id);
      assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['tool_calls', 'cancelled']]);
      await expectApiError(
        t.client,
        t.client.runs.submitToolOutputs(threadId, waiting.id, [
          { tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0].id, output: 'x' },
        ]),
        { status: 400 },
      );
      // the thread is free again
      const next = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId, tool_choice: 'none' });
      assert.equal(next.status, 'completed');
    });

    it('refuses to cancel a completed run and an already cancelled one', async () => {
      const model = uniqueModel('cancel-done');
      t.upstream.script(model, { text: 'finished' }, { toolCalls: [{ name: 'get_weather', arguments: { city: 'X' } }] });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const done = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(done.status, 'completed');
      await expectApiError(t.client, t.client.runs.cancel(threadId, done.id), { status: 400, message: /completed/ });
      assert.equal((await t.client.runs.retrieve(threadId, done.id)).status, 'completed');

      const waiting = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal((await t.client.runs.cancel(threadId, waiting.id)).status, 'cancelled');
      await expectApiError(t.client, t.client.runs.cancel(threadId, waiting.id), { status: 400, message: /cancelled/ });
    });

    it('cancel of an unknown run is a 404', async () => {
      const model = uniqueModel('cancel-404');
      const { threadId } = await setup(t.client, model);
      await expectApiError(t.client, t.client.runs.cancel(threadId, 'run_doesnotexist'), {
        status: 404,
        message: "No run found with id 'run_doesnotexist'.",
      });
    });
  });
});

describeRuns('runs: cancel a queued run', { env: () => ({ RUN_CONCURRENCY: '1' }) }, (ctx) => {
  eachSdk(ctx, (t) => {
    it('a run still queued (the only worker slot is busy) is cancelled at once and never executes', async () => {
      const busyModel = uniqueModel('busy');
      t.upstream.script(busyModel, { hang: true });
      const busy = await setup(t.client, busyModel);
      const busyRun = await t.client.runs.create(busy.threadId, { assistant_id: busy.assistantId });
      await t.upstream.waitForRequest(busyModel);

      const model = uniqueModel('queued');
      t.upstream.script(model, { text: 'should never be asked' });
      const { assistantId, threadId } = await setup(t.client, model);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      const eventsP = record(stream);
      const queuedEvent = await new Promise<{ id: string; status: string }>((resolve) => stream.on('event', (e) => e.event === 'thread.run.queued' && resolve(dataOf(e))));
      assert.equal(queuedEvent.status, 'queued');
      assert.equal((await t.client.runs.retrieve(threadId, queuedEvent.id)).status, 'queued');

      const run = await t.client.runs.cancel(threadId, queuedEvent.id);
      assert.equal(run.status, 'cancelled');
      assert.ok(run.cancelled_at !== null);
      assert.equal(run.started_at, null);
      const events = await eventsP;
      assert.deepEqual(eventShape(events), ['thread.run.created', 'thread.run.queued', 'thread.run.cancelled']);
      assert.equal((await stream.finalRun()).status, 'cancelled');

      // free the slot; the cancelled run must not be picked up afterwards
      await t.client.runs.cancel(busy.threadId, busyRun.id);
      await waitForRun(t.baseURL, busy.threadId, busyRun.id, (r) => r.status === 'cancelled', 1000);
      const follow = uniqueModel('follow');
      t.upstream.script(follow, { text: 'next' });
      const other = await setup(t.client, follow);
      assert.equal((await t.client.runs.createAndPoll(other.threadId, { assistant_id: other.assistantId })).status, 'completed');
      assert.equal(t.upstream.requests(model).length, 0, 'the cancelled queued run never reached the upstream');
      assert.equal((await t.client.runs.retrieve(threadId, queuedEvent.id)).status, 'cancelled');
      assert.deepEqual(await t.client.steps.list(threadId, queuedEvent.id).then((p) => p.data), []);
    });
  });
});
