/**
 * One active run per thread (checklist §6): concurrent creates race for the thread and exactly
 * one wins; messages cannot be added while a run is active; the thread frees up once the run ends.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { WEATHER_TOOL, describeRuns, eachSdk, expectApiError, http, setup, textOf, uniqueModel, waitForRun } from './support.js';

describeRuns('runs: one active run per thread', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('50 concurrent runs.create on one thread: exactly one wins, 49 get 400 naming the winner', async () => {
      const model = uniqueModel('race');
      t.upstream.script(model, { hang: true });
      const { assistantId, threadId } = await setup(t.client, model);

      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          t.client.runs.create(threadId, {
            assistant_id: assistantId,
            additional_messages: [{ role: 'user', content: `attempt ${i}` }],
          }),
        ),
      );
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ run: r.value, i }] : []));
      assert.equal(won.length, 1, `exactly one create succeeds (got ${won.length})`);
      const [{ run: winner, i: winnerIndex }] = won;
      assert.equal(winner.status, 'queued');
      for (const r of results) {
        if (r.status === 'fulfilled') continue;
        await expectApiError(t.client, Promise.reject(r.reason), {
          status: 400,
          message: `Thread ${threadId} already has an active run ${winner.id}.`,
        });
      }

      // the losers' additional_messages were not written
      const messages = await t.client.messages.all(threadId);
      assert.deepEqual(messages.map(textOf), ['Hello?', `attempt ${winnerIndex}`]);
      const runs = await t.client.runs.list(threadId);
      assert.deepEqual(runs.data.map((r) => r.id), [winner.id]);

      await t.upstream.waitForRequest(model);
      await t.client.runs.cancel(threadId, winner.id);
      await waitForRun(t.baseURL, threadId, winner.id, (r) => r.status === 'cancelled', 2000);
    });

    it('messages.create during an active run is a 400; after cancel, messages and a new run work', async () => {
      const model = uniqueModel('locked');
      t.upstream.script(model, { hang: true }, { text: 'Now I can answer.' });
      const { assistantId, threadId } = await setup(t.client, model);
      const run = await t.client.runs.create(threadId, { assistant_id: assistantId });
      await t.upstream.waitForRequest(model);

      await expectApiError(t.client, t.client.messages.create(threadId, { role: 'user', content: 'Interrupting' }), {
        status: 400,
        message: `Can't add messages to ${threadId} while a run ${run.id} is active.`,
      });
      await expectApiError(t.client, t.client.runs.create(threadId, { assistant_id: assistantId }), {
        status: 400,
        message: `Thread ${threadId} already has an active run ${run.id}.`,
      });

      await t.client.runs.cancel(threadId, run.id);
      await waitForRun(t.baseURL, threadId, run.id, (r) => r.status === 'cancelled', 2000);
      await t.client.messages.create(threadId, { role: 'user', content: 'Now?' });
      const next = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(next.status, 'completed');
      // (the cancelled run had produced no text, so it left no message)
      const messages = await t.client.messages.all(threadId);
      assert.deepEqual(
        messages.map((m) => [m.role, textOf(m), m.status]),
        [
          ['user', 'Hello?', 'completed'],
          ['user', 'Now?', 'completed'],
          ['assistant', 'Now I can answer.', 'completed'],
        ],
      );
    });

    it('a streamed create on a locked thread fails with the 400 before any stream starts', async () => {
      const model = uniqueModel('locked-stream');
      t.upstream.script(model, { hang: true });
      const { assistantId, threadId } = await setup(t.client, model);
      const run = await t.client.runs.create(threadId, { assistant_id: assistantId });
      const res = await http(t.baseURL, `/threads/${threadId}/runs`, { json: { assistant_id: assistantId, stream: true } });
      assert.equal(res.status, 400);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.equal(res.json.error.message, `Thread ${threadId} already has an active run ${run.id}.`);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      await expectApiError(t.client, stream.done(), { status: 400, message: `Thread ${threadId} already has an active run ${run.id}.` });
      await t.client.runs.cancel(threadId, run.id);
      await waitForRun(t.baseURL, threadId, run.id, (r) => r.status === 'cancelled', 2000);
    });

    it('a run waiting for tool outputs keeps the thread locked', async () => {
      const model = uniqueModel('locked-action');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Bern' } }] }, { text: 'Cold.' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(run.status, 'requires_action');
      await expectApiError(t.client, t.client.runs.create(threadId, { assistant_id: assistantId }), {
        status: 400,
        message: `Thread ${threadId} already has an active run ${run.id}.`,
      });
      await expectApiError(t.client, t.client.messages.create(threadId, { role: 'user', content: 'x' }), {
        status: 400,
        message: `Can't add messages to ${threadId} while a run ${run.id} is active.`,
      });
      const done = await t.client.runs.submitToolOutputsAndPoll(threadId, run.id, [
        { tool_call_id: run.required_action!.submit_tool_outputs.tool_calls[0].id, output: '-3C' },
      ]);
      assert.equal(done.status, 'completed');
      await t.client.messages.create(threadId, { role: 'user', content: 'Thanks' });
    });

    it('runs on different threads proceed side by side', async () => {
      const model = uniqueModel('side-by-side');
      t.upstream.scriptFn(model, (req) => {
        const last = req.body.messages?.at(-1) as { content: string } | undefined;
        return { text: `echo ${last?.content}`, delayMs: 20 };
      });
      const assistant = await t.client.assistants.create({ model });
      const threads = await Promise.all(
        Array.from({ length: 8 }, (_, i) => t.client.threads.create({ messages: [{ role: 'user', content: `t${i}` }] })),
      );
      const runs = await Promise.all(threads.map((th) => t.client.runs.createAndPoll(th.id, { assistant_id: assistant.id })));
      assert.deepEqual(runs.map((r) => r.status), Array(8).fill('completed'));
      for (const [i, th] of threads.entries()) {
        const messages = await t.client.messages.all(th.id);
        assert.equal(textOf(messages.at(-1)!), `echo t${i}`);
      }
    });
  });
});
