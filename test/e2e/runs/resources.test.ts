/**
 * Runs and run steps as resources: list/retrieve/modify, step list/retrieve in both SDK
 * signatures, the `include[]` query, the 404s, and a thread delete taking its runs with it.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  WEATHER_TOOL,
  describeRuns,
  eachSdk,
  expectApiError,
  http,
  setup,
  sleep,
  uniqueModel,
  waitForRun,
} from './support.js';

const INCLUDE = 'step_details.tool_calls[*].file_search.results[*].content' as const;

describeRuns('runs: resources', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('lists runs newest first with cursor paging; retrieve returns the listed object', async () => {
      const model = uniqueModel('list');
      t.upstream.script(model, { text: 'a' }, { text: 'b' }, { text: 'c' });
      const { assistantId, threadId } = await setup(t.client, model);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId })).id);

      const all = await t.client.runs.list(threadId);
      assert.equal(all.object, 'list');
      assert.deepEqual(all.data.map((r) => r.id), [...ids].reverse());
      assert.equal(all.has_more, false);
      assert.equal(all.first_id, ids[2]);
      assert.equal(all.last_id, ids[0]);

      const page1 = await t.client.runs.list(threadId, { limit: 2 });
      assert.deepEqual(page1.data.map((r) => r.id), [ids[2], ids[1]]);
      assert.equal(page1.has_more, true);
      const page2 = await t.client.runs.list(threadId, { limit: 2, after: page1.last_id! });
      assert.deepEqual(page2.data.map((r) => r.id), [ids[0]]);
      assert.equal(page2.has_more, false);
      const asc = await t.client.runs.list(threadId, { order: 'asc' });
      assert.deepEqual(asc.data.map((r) => r.id), ids);
      const before = await t.client.runs.list(threadId, { order: 'asc', before: ids[2] });
      assert.deepEqual(before.data.map((r) => r.id), [ids[0], ids[1]]);

      for (const listed of all.data) assert.deepEqual(await t.client.runs.retrieve(threadId, listed.id), listed);
      await expectApiError(t.client, t.client.runs.list('thread_doesnotexist'), {
        status: 404,
        message: "No thread found with id 'thread_doesnotexist'.",
      });
    });

    it('retrieve of an unknown run, or of a run under another thread, is a 404', async () => {
      const model = uniqueModel('404');
      t.upstream.script(model, { text: 'x' });
      const { assistantId, threadId } = await setup(t.client, model);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const other = await t.client.threads.create();
      await expectApiError(t.client, t.client.runs.retrieve(threadId, 'run_doesnotexist'), {
        status: 404,
        message: "No run found with id 'run_doesnotexist'.",
      });
      await expectApiError(t.client, t.client.runs.retrieve(other.id, run.id), { status: 404, message: `No run found with id '${run.id}'.` });
      await expectApiError(t.client, t.client.runs.retrieve('thread_doesnotexist', run.id), { status: 404 });
    });

    it('modifies run metadata, also while the run is in progress, without the engine overwriting it', async () => {
      const model = uniqueModel('metadata');
      t.upstream.script(model, { text: 'one two three four five', delayMs: 40 });
      const { assistantId, threadId } = await setup(t.client, model);
      const created = await t.client.runs.create(threadId, { assistant_id: assistantId, metadata: { initial: 'yes' } });
      assert.deepEqual(created.metadata, { initial: 'yes' });
      await t.upstream.waitForRequest(model);
      const updated = await t.client.runs.update(threadId, created.id, { stage: 'mid-run' });
      assert.deepEqual(updated.metadata, { stage: 'mid-run' });
      assert.equal(updated.id, created.id);

      const done = await t.client.runs.poll(threadId, created.id);
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.metadata, { stage: 'mid-run' }, 'the engine kept the metadata set during the run');
      const listed = (await t.client.runs.list(threadId)).data[0];
      assert.deepEqual(listed.metadata, { stage: 'mid-run' });

      const again = await t.client.runs.update(threadId, created.id, { a: '1', b: '2' });
      assert.deepEqual(again.metadata, { a: '1', b: '2' });
      assert.equal(again.status, 'completed');
      assert.deepEqual((await t.client.runs.retrieve(threadId, created.id)).metadata, { a: '1', b: '2' });
      await expectApiError(t.client, t.client.runs.update(threadId, 'run_doesnotexist', { a: '1' }), { status: 404 });
    });

    it('lists and retrieves run steps (with include[]), newest first by default', async () => {
      const model = uniqueModel('steps');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Kyiv' } }] }, { text: 'Mild.' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const waiting = await t.client.runs.create(threadId, { assistant_id: assistantId, include: [INCLUDE] });
      const paused = await t.client.runs.poll(threadId, waiting.id);
      assert.equal(paused.status, 'requires_action');
      const call = paused.required_action!.submit_tool_outputs.tool_calls[0];
      const run = await t.client.runs.submitToolOutputsAndPoll(threadId, waiting.id, [{ tool_call_id: call.id, output: '18C' }]);
      assert.equal(run.status, 'completed');

      const steps = await t.client.steps.list(threadId, run.id);
      assert.equal(steps.object, 'list');
      assert.deepEqual(steps.data.map((s) => s.type), ['message_creation', 'tool_calls']);
      const [answer, tool] = steps.data;
      for (const s of steps.data) {
        assert.match(s.id, /^step_/);
        assert.equal(s.object, 'thread.run.step');
        assert.equal(s.run_id, run.id);
        assert.equal(s.thread_id, threadId);
        assert.equal(s.assistant_id, assistantId);
        assert.equal(s.status, 'completed');
        assert.ok(s.completed_at !== null);
        assert.equal(s.failed_at, null);
        assert.equal(s.cancelled_at, null);
        assert.equal(s.expired_at, null);
        assert.equal(s.last_error, null);
        assert.deepEqual(s.metadata, {});
        assert.ok(s.usage && s.usage.total_tokens === s.usage.prompt_tokens + s.usage.completion_tokens);
      }
      assert.deepEqual(tool.step_details, {
        type: 'tool_calls',
        tool_calls: [{ id: call.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Kyiv"}', output: '18C' } }],
      });
      assert.equal(answer.step_details.type, 'message_creation');

      const asc = await t.client.steps.list(threadId, run.id, { order: 'asc', include: [INCLUDE] });
      assert.deepEqual(asc.data.map((s) => s.id), [tool.id, answer.id]);
      const first = await t.client.steps.list(threadId, run.id, { limit: 1 });
      assert.equal(first.has_more, true);
      const rest = await t.client.steps.list(threadId, run.id, { limit: 1, after: first.data[0].id });
      assert.deepEqual(rest.data.map((s) => s.id), [tool.id]);

      assert.deepEqual(await t.client.steps.retrieve(threadId, run.id, tool.id), tool);
      assert.deepEqual(await t.client.steps.retrieve(threadId, run.id, answer.id, [INCLUDE]), answer);
      await expectApiError(t.client, t.client.steps.retrieve(threadId, run.id, 'step_doesnotexist'), {
        status: 404,
        message: "No run step found with id 'step_doesnotexist'.",
      });
      await expectApiError(t.client, t.client.steps.list(threadId, 'run_doesnotexist'), {
        status: 404,
        message: "No run found with id 'run_doesnotexist'.",
      });

      // the messages of a run can be listed by run_id
      const byRun = await http(t.baseURL, `/threads/${threadId}/messages?run_id=${run.id}`);
      assert.equal(byRun.status, 200);
      assert.deepEqual(
        byRun.json.data.map((m: { id: string }) => m.id),
        [(answer.step_details as { message_creation: { message_id: string } }).message_creation.message_id],
      );
    });

    it('accepts the include[] query on run create and steps, and rejects unknown include values', async () => {
      const model = uniqueModel('include');
      t.upstream.script(model, { text: 'x' });
      const { assistantId, threadId } = await setup(t.client, model);
      const q = `include%5B%5D=${encodeURIComponent(INCLUDE)}`;
      const created = await http(t.baseURL, `/threads/${threadId}/runs?${q}`, { json: { assistant_id: assistantId } });
      assert.equal(created.status, 200, created.text);
      const run = await waitForRun(t.baseURL, threadId, created.json.id);
      assert.equal(run.status, 'completed');
      assert.equal((await http(t.baseURL, `/threads/${threadId}/runs/${run.id}/steps?${q}`)).status, 200);
      const steps = await t.client.steps.list(threadId, run.id);
      assert.equal((await http(t.baseURL, `/threads/${threadId}/runs/${run.id}/steps/${steps.data[0].id}?${q}`)).status, 200);

      const bad = await http(t.baseURL, `/threads/${threadId}/runs/${run.id}/steps?include%5B%5D=nope`);
      assert.equal(bad.status, 400, bad.text);
      assert.equal(bad.json.error.param, 'include');
    });

    it('deleting a thread deletes its runs and steps', async () => {
      const model = uniqueModel('thread-delete');
      t.upstream.script(model, { text: 'soon gone' });
      const { assistantId, threadId } = await setup(t.client, model);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const steps = await t.client.steps.list(threadId, run.id);
      assert.equal(steps.data.length, 1);
      await t.client.threads.delete(threadId);
      await expectApiError(t.client, t.client.runs.retrieve(threadId, run.id), { status: 404 });
      await expectApiError(t.client, t.client.runs.list(threadId), { status: 404 });
      await expectApiError(t.client, t.client.steps.retrieve(threadId, run.id, steps.data[0].id), { status: 404 });
    });

    it('deleting a thread with a run in progress stops the run and ends its stream', async () => {
      const model = uniqueModel('thread-delete-active');
      t.upstream.script(model, { hang: { afterChunks: 1 } });
      const { assistantId, threadId } = await setup(t.client, model);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      const firstDelta = new Promise<void>((resolve) => stream.on('textDelta', () => resolve()));
      const ended = stream.done().then(
        () => undefined,
        (err: unknown) => err,
      );
      await firstDelta;
      const runId = stream.currentRun()!.id;
      const [req] = t.upstream.requests(model);
      await t.client.threads.delete(threadId);
      await expectApiError(t.client, t.client.runs.retrieve(threadId, runId), { status: 404 });
      // the engine lets go of the upstream request rather than streaming on for a deleted thread
      await t.upstream.waitFor(() => req.aborted, 1000);
      // and a client streaming the run is not left hanging: the stream ends with an error event
      const err = await Promise.race([ended, sleep(2000).then(() => 'still open')]);
      assert.notEqual(err, 'still open', 'the stream of the deleted run ended');
      assert.ok(err instanceof Error, `the stream ended with an error, got ${String(err)}`);
      assert.match(err.message, new RegExp(threadId));
    });
  });
});
