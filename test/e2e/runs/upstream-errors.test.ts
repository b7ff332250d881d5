/**
 * What the engine does when the upstream misbehaves: rate limits and 5xx are retried (with
 * `retry-after`), client errors fail at once, a silent upstream times out, a stream cut after
 * output fails the run without replaying it; and a model with no provider fails with a message
 * saying how to configure one. Streaming clients always get the terminal run event.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  assertStreamInvariants,
  describeRuns,
  eachSdk,
  eventShape,
  record,
  setup,
  textOf,
  uniqueModel,
} from './support.js';

const TIMEOUT_MS = 300;
const MAX_RETRIES = 2;

describeRuns(
  'runs: upstream errors',
  { env: () => ({ UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS), UPSTREAM_MAX_RETRIES: String(MAX_RETRIES), UPSTREAM_RETRY_BASE_MS: '10' }) },
  (ctx) => {
    eachSdk(ctx, (t) => {
      it('429 with retry-after: 0 twice, then success: the run completes after 3 upstream requests', async () => {
        const model = uniqueModel('429-then-ok');
        t.upstream.script(
          model,
          { error: { status: 429, headers: { 'retry-after': '0' } } },
          { error: { status: 429, headers: { 'retry-after': '0' } } },
          { text: 'Third time lucky.' },
        );
        const { assistantId, threadId } = await setup(t.client, model);
        const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
        assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
        assert.equal(t.upstream.requests(model).length, 3);
        const messages = await t.client.messages.all(threadId);
        assert.equal(messages.length, 2);
        assert.equal(textOf(messages[1]), 'Third time lucky.');
      });

      it('429 on every attempt: failed with rate_limit_exceeded after the retries', async () => {
        const model = uniqueModel('429-forever');
        t.upstream.scriptFn(model, () => ({ error: { status: 429, message: 'Slow down, please.', headers: { 'retry-after': '0' } } }));
        const { assistantId, threadId } = await setup(t.client, model);
        const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
        const events = await record(stream);
        assert.deepEqual(eventShape(events), ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress', 'thread.run.failed']);
        const run = await stream.finalRun();
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error?.code, 'rate_limit_exceeded');
        assert.match(run.last_error!.message, /Slow down, please\./);
        assert.ok(run.failed_at !== null);
        assert.equal(run.expires_at, null);
        assert.equal(run.completed_at, null);
        assert.equal(t.upstream.requests(model).length, MAX_RETRIES + 1);
        const stored = await t.client.runs.retrieve(threadId, run.id);
        assert.deepEqual(stored.last_error, run.last_error);
        assert.equal((await t.client.messages.all(threadId)).length, 1, 'no assistant message is left behind');
        assert.deepEqual((await t.client.steps.list(threadId, run.id)).data, []);
      });

      it('500 on every attempt: failed with server_error after the retries', async () => {
        const model = uniqueModel('500-forever');
        t.upstream.scriptFn(model, () => ({ error: { status: 500, message: 'The upstream broke.' } }));
        const { assistantId, threadId } = await setup(t.client, model);
        const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error?.code, 'server_error');
        assert.match(run.last_error!.message, /The upstream broke\./);
        assert.equal(t.upstream.requests(model).length, MAX_RETRIES + 1);
      });

      it('400 from the upstream fails the run at once with the upstream message', async () => {
        const model = uniqueModel('400');
        t.upstream.scriptFn(model, () => ({
          error: { status: 400, message: "This model's maximum context length is 8 tokens.", code: 'context_length_exceeded' },
        }));
        const { assistantId, threadId } = await setup(t.client, model);
        const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error!.code, 'invalid_prompt');
        assert.match(run.last_error!.message, /maximum context length is 8 tokens/);
        assert.equal(t.upstream.requests(model).length, 1, 'a client error is not retried');
      });

      it('an upstream that never answers times out, is retried, then the run fails with server_error', async () => {
        const model = uniqueModel('hang-timeout');
        t.upstream.scriptFn(model, () => ({ hang: true }));
        const { assistantId, threadId } = await setup(t.client, model);
        const started = Date.now();
        const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
        const took = Date.now() - started;
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error?.code, 'server_error');
        assert.match(run.last_error!.message, /time/i);
        const requests = t.upstream.requests(model);
        assert.equal(requests.length, MAX_RETRIES + 1);
        await t.upstream.waitFor(() => requests.every((r) => r.aborted), 1000);
        assert.ok(took >= TIMEOUT_MS * (MAX_RETRIES + 1) - 50, `took ${took} ms`);
        assert.ok(took < TIMEOUT_MS * (MAX_RETRIES + 1) + 2000, `took ${took} ms`);
      });

      it('a stream that stalls after some text times out and fails without replaying the text', async () => {
        const model = uniqueModel('stall');
        t.upstream.scriptFn(model, () => ({ hang: { afterChunks: 2, text: 'Half an answer and' } }));
        const { assistantId, threadId } = await setup(t.client, model);
        const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error?.code, 'server_error');
        assert.equal(t.upstream.requests(model).length, 1, 'output already streamed: no retry');
        const messages = await t.client.messages.all(threadId);
        assert.equal(messages.length, 2);
        assert.equal(messages[1].status, 'incomplete');
        assert.deepEqual(messages[1].incomplete_details, { reason: 'run_failed' });
        assert.equal(textOf(messages[1]), 'Half an ');
      });

      it('a stream cut mid-answer fails the run; the partial text is kept once, the step failed', async () => {
        const model = uniqueModel('cut');
        t.upstream.script(model, { cut: { afterChunks: 3, text: 'One two three four five' } }, { text: 'never used' });
        const { assistantId, threadId } = await setup(t.client, model);
        const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
        const events = await record(stream);
        assertStreamInvariants(events);
        assert.deepEqual(eventShape(events).slice(-4), [
          'thread.message.delta*',
          'thread.message.incomplete',
          'thread.run.step.failed',
          'thread.run.failed',
        ]);
        const run = await stream.finalRun();
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error?.code, 'server_error');
        assert.equal(t.upstream.requests(model).length, 1);
        assert.equal(t.upstream.remaining(model), 1);
        const messages = await t.client.messages.all(threadId);
        assert.equal(messages.length, 2, 'one assistant message, not one per attempt');
        assert.equal(textOf(messages[1]), 'One two three ');
        assert.equal(messages[1].status, 'incomplete');
        assert.deepEqual(messages[1].incomplete_details, { reason: 'run_failed' });
        const steps = await t.client.steps.list(threadId, run.id);
        assert.equal(steps.data.length, 1);
        assert.equal(steps.data[0].status, 'failed');
        assert.ok(steps.data[0].failed_at !== null);
        assert.equal(steps.data[0].last_error?.code, 'server_error');
      });

      it('a stream cut before any text is retried and the answer appears once', async () => {
        const model = uniqueModel('cut-early');
        t.upstream.script(model, { cut: { afterChunks: 0 } }, { text: 'Clean answer.' });
        const { assistantId, threadId } = await setup(t.client, model);
        const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
        const events = await record(stream);
        assertStreamInvariants(events);
        assert.equal(events.filter((e) => e.event === 'thread.message.created').length, 1);
        assert.equal((await stream.finalRun()).status, 'completed');
        assert.equal(t.upstream.requests(model).length, 2);
        const messages = await t.client.messages.all(threadId);
        assert.deepEqual(messages.map(textOf), ['Hello?', 'Clean answer.']);
      });

      it('an error event inside the upstream stream ends the client stream with thread.run.failed', async () => {
        const model = uniqueModel('stream-error');
        t.upstream.script(model, { streamError: { message: 'Overloaded mid-answer', afterChunks: 2, text: 'Some text here' } });
        const { assistantId, threadId } = await setup(t.client, model);
        const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
        const events = await record(stream);
        assertStreamInvariants(events);
        assert.equal(events.at(-1)!.event, 'thread.run.failed');
        const run = await stream.finalRun();
        assert.equal(run.status, 'failed');
        assert.equal(run.last_error?.code, 'server_error');
        assert.match(run.last_error!.message, /Overloaded mid-answer/);
        const messages = await t.client.messages.all(threadId);
        assert.equal(messages.length, 2);
        assert.equal(textOf(messages[1]), 'Some text ');
        assert.equal(messages[1].status, 'incomplete');
      });

      it('a malformed chunk after some text fails the run without duplicating the text', async () => {
        const model = uniqueModel('malformed');
        t.upstream.script(model, { malformed: { text: 'Before the garbage' } }, { text: 'never used' });
        const { assistantId, threadId } = await setup(t.client, model);
        const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
        const messages = await t.client.messages.all(threadId);
        assert.equal(messages.length, 2);
        assert.equal(textOf(messages[1]), 'Before the garbage');
        assert.equal(run.status, 'failed', `a stream with a chunk that is not JSON ended ${run.status}`);
        assert.equal(run.last_error?.code, 'server_error');
        assert.equal(messages[1].status, 'incomplete');
        assert.equal(t.upstream.requests(model).length, 1);
      });

      it('a 503 before any output is retried invisibly to a streaming client', async () => {
        const model = uniqueModel('503-then-ok');
        t.upstream.script(model, { error: { status: 503, headers: { 'retry-after-ms': '5' } } }, { text: 'Recovered.' });
        const { assistantId, threadId } = await setup(t.client, model);
        const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
        const events = await record(stream);
        assert.deepEqual(eventShape(events), [
          'thread.run.created',
          'thread.run.queued',
          'thread.run.in_progress',
          'thread.run.step.created',
          'thread.run.step.in_progress',
          'thread.message.created',
          'thread.message.in_progress',
          'thread.message.delta*',
          'thread.message.completed',
          'thread.run.step.completed',
          'thread.run.completed',
        ]);
        assert.equal(t.upstream.requests(model).length, 2);
      });
    });
  },
);

describeRuns('runs: no provider for the model', { env: () => ({ UPSTREAM_BASE_URL: '', UPSTREAM_API_KEY: '' }) }, (ctx) => {
  eachSdk(ctx, (t) => {
    it('fails the run with a message naming the model and how to configure a provider', async () => {
      const model = uniqueModel('unrouted');
      const { assistantId, threadId } = await setup(t.client, model);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      const events = await record(stream);
      assert.deepEqual(eventShape(events), ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress', 'thread.run.failed']);
      const run = await stream.finalRun();
      assert.equal(run.status, 'failed');
      assert.equal(run.last_error?.code, 'server_error');
      assert.ok(run.last_error!.message.includes(`'${model}'`), run.last_error!.message);
      assert.match(run.last_error!.message, /UPSTREAM_BASE_URL/);
      assert.match(run.last_error!.message, /OPEN_ASSISTANTS_CONFIG/);
      assert.equal(t.upstream.requests(model).length, 0);
      const polled = await t.client.runs.retrieve(threadId, run.id);
      assert.deepEqual(polled.last_error, run.last_error);
    });
  });
});
