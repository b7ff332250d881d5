/**
 * Function tools: requires_action with parallel calls, the SDK's tool-call stream handlers,
 * submitting outputs (stream, poll, plain), several rounds in one run, what goes back upstream,
 * and the submissions the server must refuse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Run } from './sdk.js';
import {
  RUN_SDKS,
  TIME_TOOL,
  WEATHER_TOOL,
  assertStreamInvariants,
  describeRuns,
  eachSdk,
  eventShape,
  expectApiError,
  record,
  setup,
  textOf,
  uniqueModel,
  upstreamMessages,
} from './support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dataOf = (e: { data: unknown }) => e.data as any;

function callsOf(run: Run) {
  assert.equal(run.status, 'requires_action', `run is ${run.status}: ${JSON.stringify(run.last_error)}`);
  assert.ok(run.required_action);
  assert.equal(run.required_action.type, 'submit_tool_outputs');
  return run.required_action.submit_tool_outputs.tool_calls;
}

describeRuns('runs: function tools', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('two parallel calls in one turn: one requires_action with both, then submitToolOutputsStream finishes the run', async () => {
      const model = uniqueModel('parallel-calls');
      t.upstream.script(
        model,
        {
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Paris' } },
            { name: 'get_time', arguments: { city: 'Rome' } },
          ],
          argumentChunks: 4,
          usage: { prompt_tokens: 50, completion_tokens: 20 },
        },
        { text: 'Paris is sunny; it is noon in Rome.', usage: { prompt_tokens: 80, completion_tokens: 10 } },
      );
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL, TIME_TOOL] });

      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      const created: Array<{ id?: string; name?: string; arguments?: string }> = [];
      const argDeltas = new Map<string, string>();
      stream.on('toolCallCreated', (call) => {
        assert.equal(call.type, 'function');
        if (call.type === 'function') created.push({ id: call.id, name: call.function.name, arguments: call.function.arguments });
      });
      stream.on('toolCallDelta', (delta, snapshot) => {
        if (delta.type !== 'function' || snapshot.type !== 'function') return;
        const piece = delta.function?.arguments ?? '';
        argDeltas.set(snapshot.id, (argDeltas.get(snapshot.id) ?? '') + piece);
        // the snapshot accumulates the deltas so far
        assert.equal(snapshot.function.arguments, argDeltas.get(snapshot.id));
      });
      const events = await record(stream);
      assertStreamInvariants(events);
      assert.deepEqual(eventShape(events), [
        'thread.run.created',
        'thread.run.queued',
        'thread.run.in_progress',
        'thread.run.step.created',
        'thread.run.step.in_progress',
        'thread.run.step.delta*',
        'thread.run.requires_action',
      ]);
      assert.equal(events.filter((e) => e.event === 'thread.run.requires_action').length, 1);

      const run = await stream.finalRun();
      const calls = callsOf(run);
      assert.equal(calls.length, 2);
      for (const c of calls) {
        assert.match(c.id, /^call_[A-Za-z0-9]+$/);
        assert.equal(c.type, 'function');
      }
      assert.notEqual(calls[0].id, calls[1].id);
      assert.deepEqual(
        calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)]),
        [
          ['get_weather', { city: 'Paris' }],
          ['get_time', { city: 'Rome' }],
        ],
      );
      assert.deepEqual(run.usage, { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70 });
      assert.ok(run.expires_at !== null && run.expires_at > run.created_at, 'a waiting run has an expires_at');

      // the SDK handlers saw each call start with empty arguments, then its argument pieces
      assert.deepEqual(
        created.map((c) => [c.id, c.name, c.arguments]),
        calls.map((c) => [c.id, c.function.name, '']),
      );
      assert.equal(argDeltas.get(calls[0].id), calls[0].function.arguments);
      assert.equal(argDeltas.get(calls[1].id), calls[1].function.arguments);
      const argumentDeltaCount = events.filter(
        (e) => e.event === 'thread.run.step.delta' && dataOf(e).delta.step_details.tool_calls[0].function.arguments,
      ).length;
      assert.ok(argumentDeltaCount >= 4, `the arguments arrived incrementally (${argumentDeltaCount} deltas)`);

      const stepCreated = dataOf(events.find((e) => e.event === 'thread.run.step.created')!);
      assert.equal(stepCreated.type, 'tool_calls');
      assert.deepEqual(stepCreated.step_details, { type: 'tool_calls', tool_calls: [] });
      const firstDelta = dataOf(events.find((e) => e.event === 'thread.run.step.delta')!);
      assert.deepEqual(firstDelta.delta.step_details.tool_calls, [
        { index: 0, id: calls[0].id, type: 'function', function: { name: 'get_weather', arguments: '', output: null } },
      ]);

      // submit both outputs on a stream
      const resumed = t.client.runs.submitToolOutputsStream(threadId, run.id, [
        { tool_call_id: calls[1].id, output: '12:00' },
        { tool_call_id: calls[0].id, output: 'sunny' },
      ]);
      let text = '';
      resumed.on('textDelta', (d) => (text += d.value ?? ''));
      const after = await record(resumed);
      assertStreamInvariants(after);
      assert.deepEqual(eventShape(after), [
        'thread.run.step.completed',
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
      const toolStep = dataOf(after[0]);
      assert.equal(toolStep.id, stepCreated.id);
      assert.equal(toolStep.status, 'completed');
      assert.deepEqual(
        toolStep.step_details.tool_calls.map((c: { id: string; function: { output: string } }) => [c.id, c.function.output]),
        [
          [calls[0].id, 'sunny'],
          [calls[1].id, '12:00'],
        ],
      );
      assert.equal(text, 'Paris is sunny; it is noon in Rome.');
      const done = await resumed.finalRun();
      assert.equal(done.status, 'completed');
      assert.equal(done.required_action, null);
      assert.equal(done.expires_at, null);
      assert.deepEqual(done.usage, { prompt_tokens: 130, completion_tokens: 30, total_tokens: 160 });

      // the outputs went back upstream as tool messages answering the assistant's calls
      const second = t.upstream.requests(model)[1];
      const sent = upstreamMessages(second.body);
      assert.deepEqual(sent.slice(0, 2), [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Hello?' },
      ]);
      const assistantTurn = sent[2] as { role: string; tool_calls: Array<{ id: string; type: string; function: { name: string; arguments: string } }> };
      assert.equal(assistantTurn.role, 'assistant');
      assert.deepEqual(
        assistantTurn.tool_calls.map((c) => [c.id, c.type, c.function.name, JSON.parse(c.function.arguments)]),
        [
          [calls[0].id, 'function', 'get_weather', { city: 'Paris' }],
          [calls[1].id, 'function', 'get_time', { city: 'Rome' }],
        ],
      );
      assert.deepEqual(sent.slice(3), [
        { role: 'tool', content: 'sunny', tool_call_id: calls[0].id },
        { role: 'tool', content: '12:00', tool_call_id: calls[1].id },
      ]);

      // steps: the tool step with outputs, then the answer
      const steps = await t.client.steps.list(threadId, run.id, { order: 'asc' });
      assert.deepEqual(
        steps.data.map((s) => [s.type, s.status]),
        [
          ['tool_calls', 'completed'],
          ['message_creation', 'completed'],
        ],
      );
      const messages = await t.client.messages.all(threadId);
      assert.equal(messages.length, 2, 'a tool turn writes no message');
      assert.equal(textOf(messages[1]), 'Paris is sunny; it is noon in Rome.');
    });

    it('three rounds of tool calls in one run, each answered with submitToolOutputs', async () => {
      const model = uniqueModel('rounds');
      t.upstream.script(
        model,
        { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], usage: { prompt_tokens: 10, completion_tokens: 1 } },
        { toolCalls: [{ name: 'get_time', arguments: { city: 'Oslo' } }], usage: { prompt_tokens: 20, completion_tokens: 2 } },
        {
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'Bergen' } },
            { name: 'get_weather', arguments: { city: 'Tromsø' } },
          ],
          usage: { prompt_tokens: 30, completion_tokens: 3 },
        },
        { text: 'Done after three rounds.', usage: { prompt_tokens: 40, completion_tokens: 4 } },
      );
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL, TIME_TOOL] });
      let run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const allCalls: Array<{ id: string; output: string }> = [];
      for (let round = 1; round <= 3; round++) {
        const calls = callsOf(run);
        assert.equal(calls.length, round === 3 ? 2 : 1);
        const outputs = calls.map((c, i) => ({ tool_call_id: c.id, output: `out-${round}-${i}` }));
        allCalls.push(...outputs.map((o) => ({ id: o.tool_call_id, output: o.output })));
        const queued = await t.client.runs.submitToolOutputs(threadId, run.id, outputs);
        assert.equal(queued.id, run.id);
        assert.ok(['queued', 'in_progress', 'requires_action', 'completed'].includes(queued.status));
        assert.equal(queued.required_action, null);
        run = await t.client.runs.poll(threadId, run.id);
      }
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      assert.deepEqual(run.usage, { prompt_tokens: 100, completion_tokens: 10, total_tokens: 110 });
      assert.equal(new Set(allCalls.map((c) => c.id)).size, 4, 'every call id is unique across rounds');

      const requests = t.upstream.requests(model);
      assert.equal(requests.length, 4);
      const last = upstreamMessages(requests[3].body);
      const toolResults = last.filter((m) => m.role === 'tool').map((m) => [m.tool_call_id, m.content]);
      assert.deepEqual(toolResults, allCalls.map((c) => [c.id, c.output]));
      assert.deepEqual(
        last.map((m) => m.role),
        ['system', 'user', 'assistant', 'tool', 'assistant', 'tool', 'assistant', 'tool', 'tool'],
      );

      const steps = await t.client.steps.list(threadId, run.id, { order: 'asc' });
      assert.deepEqual(
        steps.data.map((s) => [s.type, s.status]),
        [
          ['tool_calls', 'completed'],
          ['tool_calls', 'completed'],
          ['tool_calls', 'completed'],
          ['message_creation', 'completed'],
        ],
      );
      const outputs = steps.data.flatMap((s) =>
        s.step_details.type === 'tool_calls'
          ? s.step_details.tool_calls.map((c) => (c.type === 'function' ? [c.id, c.function.output] : []))
          : [],
      );
      assert.deepEqual(outputs, allCalls.map((c) => [c.id, c.output]));
      const messages = await t.client.messages.all(threadId);
      assert.equal(textOf(messages.at(-1)!), 'Done after three rounds.');
    });

    it('submitToolOutputsAndPoll resumes the run to completion', async () => {
      const model = uniqueModel('submit-poll');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Lima' } }] }, { text: 'Warm.' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const waiting = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const [call] = callsOf(waiting);
      assert.deepEqual(JSON.parse(call.function.arguments), { city: 'Lima' });
      const run = await t.client.runs.submitToolOutputsAndPoll(threadId, waiting.id, [{ tool_call_id: call.id, output: '25C' }]);
      assert.equal(run.status, 'completed');
      const messages = await t.client.messages.all(threadId);
      assert.equal(textOf(messages.at(-1)!), 'Warm.');
    });

    it('reassembles arguments streamed in many small pieces, unicode included', async () => {
      const model = uniqueModel('chunky-args');
      const args = { city: 'Tromsø', note: 'naïve café — “quoted” 🌧️', days: [1, 2, 3] };
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: args }], argumentChunks: 25 });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const [call] = callsOf(run);
      assert.equal(call.function.arguments, JSON.stringify(args));
      await t.client.runs.cancel(threadId, run.id);
    });

    it('sends the tool call arguments back upstream with the next turn (same JSON)', async () => {
      const model = uniqueModel('raw-args');
      const args = '{"city": "Paris",  "unit":"C", "days": [1, 2]}';
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: args }] }, { text: 'ok' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const [call] = callsOf(run);
      assert.equal(call.function.arguments, args, 'required_action shows the arguments verbatim');
      await t.client.runs.submitToolOutputsAndPoll(threadId, run.id, [{ tool_call_id: call.id, output: 'x' }]);
      const turn = upstreamMessages(t.upstream.requests(model)[1].body)[2] as { tool_calls: Array<{ function: { arguments: string } }> };
      // (the AI SDK re-serializes valid JSON, so whitespace may differ; the value may not)
      assert.deepEqual(JSON.parse(turn.tool_calls[0].function.arguments), JSON.parse(args));
    });

    it(
      'sends arguments that are not valid JSON back upstream as the model produced them',
      {
        todo:
          'the AI SDK openai-compatible provider JSON-encodes a tool-call input string that does not parse, so the upstream ' +
          'sees "\\"{\\\"city\\\": \\\"Par\\"" instead of {"city": "Par; fixing it means bypassing the provider\'s message conversion',
      },
      async () => {
        const model = uniqueModel('bad-json-args');
        const args = '{"city": "Par';
        t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: args }] }, { text: 'ok' });
        const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
        const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
        const [call] = callsOf(run);
        assert.equal(call.function.arguments, args);
        await t.client.runs.submitToolOutputsAndPoll(threadId, run.id, [{ tool_call_id: call.id, output: 'x' }]);
        const turn = upstreamMessages(t.upstream.requests(model)[1].body)[2] as { tool_calls: Array<{ function: { arguments: string } }> };
        assert.equal(turn.tool_calls[0].function.arguments, args);
      },
    );

    it('refuses outputs for an unknown call, a missing call, a duplicated call, and then accepts the right ones', async () => {
      const model = uniqueModel('bad-outputs');
      t.upstream.script(
        model,
        {
          toolCalls: [
            { name: 'get_weather', arguments: { city: 'A' } },
            { name: 'get_weather', arguments: { city: 'B' } },
          ],
        },
        { text: 'ok' },
      );
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const [a, b] = callsOf(run);

      await expectApiError(
        t.client,
        t.client.runs.submitToolOutputs(threadId, run.id, [
          { tool_call_id: a.id, output: '1' },
          { tool_call_id: 'call_doesnotexist', output: '2' },
        ]),
        { status: 400, message: /call_doesnotexist/ },
      );
      await expectApiError(t.client, t.client.runs.submitToolOutputs(threadId, run.id, [{ tool_call_id: a.id, output: '1' }]), {
        status: 400,
        message: new RegExp(b.id),
      });
      await expectApiError(
        t.client,
        t.client.runs.submitToolOutputs(threadId, run.id, [
          { tool_call_id: a.id, output: '1' },
          { tool_call_id: a.id, output: '1 again' },
          { tool_call_id: b.id, output: '2' },
        ]),
        { status: 400, message: new RegExp(a.id) },
      );
      await expectApiError(t.client, t.client.runs.submitToolOutputs(threadId, run.id, []), { status: 400 });

      // none of that moved the run
      const still = await t.client.runs.retrieve(threadId, run.id);
      assert.equal(still.status, 'requires_action');
      assert.deepEqual(callsOf(still).map((c) => c.id), [a.id, b.id]);
      assert.equal(t.upstream.requests(model).length, 1);

      const done = await t.client.runs.submitToolOutputsAndPoll(threadId, run.id, [
        { tool_call_id: a.id, output: '1' },
        { tool_call_id: b.id, output: '2' },
      ]);
      assert.equal(done.status, 'completed');

      // a run that is not waiting for outputs refuses them
      await expectApiError(t.client, t.client.runs.submitToolOutputs(threadId, run.id, [{ tool_call_id: a.id, output: '1' }]), {
        status: 400,
        message: /completed/,
      });
    });

    it('five concurrent submissions of the same outputs: exactly one resumes the run', async () => {
      const model = uniqueModel('double-submit');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Cork' } }] }, { text: 'Once.' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const waiting = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const [call] = callsOf(waiting);
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => t.client.runs.submitToolOutputs(threadId, waiting.id, [{ tool_call_id: call.id, output: 'wet' }])),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') await expectApiError(t.client, Promise.reject(r.reason), { status: 400 });
      const run = await t.client.runs.poll(threadId, waiting.id);
      assert.equal(run.status, 'completed');
      assert.equal(t.upstream.requests(model).length, 2);
      const messages = await t.client.messages.all(threadId);
      assert.deepEqual(messages.map(textOf), ['Hello?', 'Once.']);
    });

    it('refuses tool outputs for a run that never asked for any', async () => {
      const model = uniqueModel('no-action');
      t.upstream.script(model, { text: 'plain' });
      const { assistantId, threadId } = await setup(t.client, model);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(run.status, 'completed');
      await expectApiError(t.client, t.client.runs.submitToolOutputs(threadId, run.id, [{ tool_call_id: 'call_x', output: 'y' }]), {
        status: 400,
      });
    });

    it('createAndPoll stops at requires_action; retrieve shows the same pending calls', async () => {
      const model = uniqueModel('poll-stops');
      t.upstream.script(model, { toolCalls: [{ name: 'get_time', arguments: '{"city":"Tokyo"}' }] });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [TIME_TOOL] });
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const calls = callsOf(run);
      const again = await t.client.runs.retrieve(threadId, run.id);
      assert.deepEqual(again.required_action, run.required_action);
      assert.deepEqual(calls[0].function, { name: 'get_time', arguments: '{"city":"Tokyo"}' });
      const steps = await t.client.steps.list(threadId, run.id);
      assert.equal(steps.data.length, 1);
      const step = steps.data[0];
      assert.equal(step.status, 'in_progress');
      assert.equal(step.type, 'tool_calls');
      assert.deepEqual(step.step_details, {
        type: 'tool_calls',
        tool_calls: [{ id: calls[0].id, type: 'function', function: { name: 'get_time', arguments: '{"city":"Tokyo"}', output: null } }],
      });
      await t.client.runs.cancel(threadId, run.id);
    });
  });

  // A race inside the server, not a matter of SDK: once per backend, through the newest SDK. The
  // window (a worker claiming a resumed run before its outputs were written) depends on timing, so
  // this is a stress test; it caught the bug (fixed by writing both in one transaction) when it
  // surfaced as empty tool results.
  describe('resuming many runs at once', () => {
    it('30 runs resumed at once each send their own outputs upstream (the outputs are stored before the run can be picked up)', async () => {
      const client = RUN_SDKS.at(-1)!.make(ctx.baseURL);
      const model = uniqueModel('resume-many');
      ctx.upstream.scriptFn(model, (req) => {
        const messages = req.body.messages ?? [];
        const tool = messages.find((m) => m.role === 'tool') as { content: string } | undefined;
        if (tool) return { text: `saw ${tool.content}` };
        const user = messages.find((m) => m.role === 'user') as { content: string };
        return { toolCalls: [{ name: 'get_weather', arguments: { city: user.content } }] };
      });
      const assistant = await client.assistants.create({ model, tools: [WEATHER_TOOL] });
      const waiting = await Promise.all(
        Array.from({ length: 30 }, async (_, i) => {
          const thread = await client.threads.create({ messages: [{ role: 'user', content: `city${i}` }] });
          return client.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
        }),
      );
      const done = await Promise.all(
        waiting.map((run) => {
          const [call] = callsOf(run);
          const city = (JSON.parse(call.function.arguments) as { city: string }).city;
          return client.runs.submitToolOutputsAndPoll(run.thread_id, run.id, [{ tool_call_id: call.id, output: `weather-of-${city}` }]);
        }),
      );
      for (const [i, run] of done.entries()) {
        assert.equal(run.status, 'completed');
        const messages = await client.messages.all(run.thread_id);
        assert.equal(textOf(messages.at(-1)!), `saw weather-of-city${i}`);
      }
    });
  });
});
