/**
 * Streamed runs: the canonical SSE event order (checklist §8.2) seen through each SDK's raw
 * stream and its AssistantStream helpers, the SSE framing on the wire, and create-and-run.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AssistantStreamEvent } from './sdk.js';
import {
  API_KEY,
  WEATHER_TOOL,
  assertStreamInvariants,
  describeRuns,
  drain,
  eachSdk,
  eventShape,
  http,
  parseSse,
  record,
  setup,
  textOf,
  uniqueModel,
  upstreamMessages,
} from './support.js';

/** §8.2 for a run that answers with one message. */
const CANONICAL = [
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
];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const dataOf = (e: AssistantStreamEvent) => e.data as any;

describeRuns('runs: streaming', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('runs.stream emits the canonical event order, and the helpers agree with it', async () => {
      const model = uniqueModel('stream');
      const pieces = ['The ', 'quick ', 'brown ', 'fox.'];
      t.upstream.script(model, { text: pieces, usage: { prompt_tokens: 30, completion_tokens: 4 } });
      const { assistantId, threadId } = await setup(t.client, model);

      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      let deltas = '';
      const messagesDone: string[] = [];
      const stepsDone: string[] = [];
      stream.on('textDelta', (delta) => (deltas += delta.value ?? ''));
      stream.on('messageDone', (m) => messagesDone.push(`${m.id}:${m.status}:${textOf(m)}`));
      stream.on('runStepDone', (s) => stepsDone.push(s.id));
      const events = await record(stream);

      assert.deepEqual(eventShape(events), CANONICAL);
      assert.equal(events.filter((e) => e.event === 'thread.message.delta').length, pieces.length);
      assertStreamInvariants(events);

      const runEvents = events.filter((e) => e.event.startsWith('thread.run.') && !e.event.startsWith('thread.run.step.'));
      const runId = dataOf(runEvents[0]).id;
      assert.match(runId, /^run_/);
      assert.deepEqual(
        runEvents.map((e) => [dataOf(e).id, dataOf(e).status]),
        [
          [runId, 'queued'],
          [runId, 'queued'],
          [runId, 'in_progress'],
          [runId, 'completed'],
        ],
      );
      const stepIds = new Set(events.filter((e) => e.event.startsWith('thread.run.step.')).map((e) => dataOf(e).id));
      const messageIds = new Set(events.filter((e) => e.event.startsWith('thread.message.')).map((e) => dataOf(e).id));
      assert.equal(stepIds.size, 1, 'one step id across the step events');
      assert.equal(messageIds.size, 1, 'one message id across the message events');
      const [messageId] = messageIds;
      const stepCreated = dataOf(events.find((e) => e.event === 'thread.run.step.created')!);
      assert.equal(stepCreated.type, 'message_creation');
      assert.deepEqual(stepCreated.step_details, { type: 'message_creation', message_creation: { message_id: messageId } });
      assert.equal(stepCreated.usage, null);
      const stepCompleted = dataOf(events.find((e) => e.event === 'thread.run.step.completed')!);
      assert.equal(stepCompleted.status, 'completed');
      assert.deepEqual(stepCompleted.usage, { prompt_tokens: 30, completion_tokens: 4, total_tokens: 34 });
      const messageCompleted = dataOf(events.find((e) => e.event === 'thread.message.completed')!);
      assert.equal(messageCompleted.status, 'completed');
      assert.equal(textOf(messageCompleted), 'The quick brown fox.');
      assert.deepEqual(dataOf(events.at(-1)!).usage, { prompt_tokens: 30, completion_tokens: 4, total_tokens: 34 });

      // the AssistantStream helpers
      assert.equal(deltas, 'The quick brown fox.');
      const finalRun = await stream.finalRun();
      assert.equal(finalRun.id, runId);
      assert.equal(finalRun.status, 'completed');
      // (the SDK's message snapshots keep the status of thread.message.created; messageDone gets the final one)
      const finalMessages = await stream.finalMessages();
      assert.deepEqual(finalMessages.map((m) => [m.id, textOf(m)]), [[messageId, 'The quick brown fox.']]);
      const finalSteps = await stream.finalRunSteps();
      assert.deepEqual(finalSteps.map((s) => [s.id, s.status, s.type]), [[stepCreated.id, 'completed', 'message_creation']]);
      assert.deepEqual(messagesDone, [`${messageId}:completed:The quick brown fox.`]);
      assert.deepEqual(stepsDone, [stepCreated.id]);

      // what was streamed is what is stored
      const stored = await t.client.messages.all(threadId);
      assert.equal(stored.at(-1)!.id, messageId);
      assert.equal(textOf(stored.at(-1)!), 'The quick brown fox.');
      const run = await t.client.runs.retrieve(threadId, runId);
      assert.equal(run.status, 'completed');
    });

    it('runs.create with stream: true gives the SDK raw Stream of the same events', async () => {
      const model = uniqueModel('raw-stream');
      t.upstream.script(model, { text: 'Raw hello' });
      const { assistantId, threadId } = await setup(t.client, model);
      const events = await drain(await t.client.runs.createStreaming(threadId, { assistant_id: assistantId }));
      assert.deepEqual(eventShape(events), CANONICAL);
      assertStreamInvariants(events);
      const deltas = events.filter((e) => e.event === 'thread.message.delta').map((e) => dataOf(e).delta.content[0].text.value);
      assert.equal(deltas.join(''), 'Raw hello');
    });

    it('the message and step an event names can be read as soon as the event arrives', async () => {
      const model = uniqueModel('rows-first');
      t.upstream.script(model, { text: ['Rows ', 'before ', 'events.'], delayMs: 20 });
      const { assistantId, threadId } = await setup(t.client, model);
      const res = await fetch(`${t.baseURL}/threads/${threadId}/runs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'openai-beta': 'assistants=v2', 'content-type': 'application/json' },
        body: JSON.stringify({ assistant_id: assistantId, stream: true }),
      });
      const reads: Array<Promise<string>> = [];
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const [frame] = parseSse(buffer.slice(0, cut + 2));
          buffer = buffer.slice(cut + 2);
          if (!frame || frame.data === '[DONE]') continue;
          const data = JSON.parse(frame.data);
          // read at once, while the stream goes on
          if (frame.event === 'thread.message.created') {
            reads.push(http(t.baseURL, `/threads/${threadId}/messages/${data.id}`).then((r) => `message ${r.status}`));
          }
          if (frame.event === 'thread.run.step.created') {
            reads.push(http(t.baseURL, `/threads/${threadId}/runs/${data.run_id}/steps/${data.id}`).then((r) => `step ${r.status}`));
          }
        }
      }
      assert.deepEqual((await Promise.all(reads)).sort(), ['message 200', 'step 200']);
    });

    it('frames the SSE body per the spec and ends it with event: done / data: [DONE]', async () => {
      const model = uniqueModel('sse-wire');
      t.upstream.script(model, { text: 'Wire check' });
      const { assistantId, threadId } = await setup(t.client, model);
      const res = await http(t.baseURL, `/threads/${threadId}/runs`, { json: { assistant_id: assistantId, stream: true } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.ok(res.text.endsWith('event: done\ndata: [DONE]\n\n'), `the body ends with the done event: …${res.text.slice(-80)}`);
      const frames = parseSse(res.text);
      assert.deepEqual(frames.at(-1), { event: 'done', data: '[DONE]' });
      for (const f of frames.slice(0, -1)) {
        assert.ok(!f.data.includes('\n'), 'each data line is single-line JSON');
        assert.doesNotThrow(() => JSON.parse(f.data), `${f.event} data is JSON`);
      }
      // every frame is exactly `event: <name>\ndata: <json>\n\n`
      const blocks = res.text.split('\n\n').filter((b) => b && !b.startsWith(':'));
      for (const b of blocks) assert.match(b, /^event: [a-z_.]+\ndata: .+$/);
      assert.deepEqual(eventShape(frames.slice(0, -1)), CANONICAL);
    });

    it('createAndRunStream starts with thread.created, then the canonical order; the thread holds the initial messages', async () => {
      const model = uniqueModel('thread-run-stream');
      t.upstream.script(model, { text: 'Created and run.' });
      const assistant = await t.client.assistants.create({ model, instructions: 'Sys.' });
      const stream = t.client.runs.createAndRunStream({
        assistant_id: assistant.id,
        thread: {
          messages: [
            { role: 'user', content: 'First' },
            { role: 'user', content: 'Second' },
          ],
          metadata: { via: 'createAndRunStream' },
        },
      });
      const events = await record(stream);
      assert.equal(events[0].event, 'thread.created');
      const thread = dataOf(events[0]);
      assert.match(thread.id, /^thread_/);
      assert.equal(thread.object, 'thread');
      assert.deepEqual(thread.metadata, { via: 'createAndRunStream' });
      assert.deepEqual(eventShape(events.slice(1)), CANONICAL);
      assertStreamInvariants(events);
      const run = await stream.finalRun();
      assert.equal(run.thread_id, thread.id);
      assert.equal(run.status, 'completed');

      const messages = await t.client.messages.all(thread.id);
      assert.deepEqual(
        messages.map((m) => [m.role, textOf(m)]),
        [
          ['user', 'First'],
          ['user', 'Second'],
          ['assistant', 'Created and run.'],
        ],
      );
      assert.deepEqual(upstreamMessages(t.upstream.requests(model)[0].body), [
        { role: 'system', content: 'Sys.' },
        { role: 'user', content: 'First' },
        { role: 'user', content: 'Second' },
      ]);
    });

    it('createAndRunPoll completes on a new thread holding the initial messages', async () => {
      const model = uniqueModel('thread-run-poll');
      t.upstream.script(model, { text: 'Polled.' });
      const assistant = await t.client.assistants.create({ model });
      const run = await t.client.runs.createAndRunPoll({
        assistant_id: assistant.id,
        thread: { messages: [{ role: 'user', content: 'Only one' }] },
        metadata: { k: 'v' },
      });
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.metadata, { k: 'v' });
      assert.match(run.thread_id, /^thread_/);
      const messages = await t.client.messages.all(run.thread_id);
      assert.deepEqual(
        messages.map((m) => [m.role, textOf(m), m.run_id]),
        [
          ['user', 'Only one', null],
          ['assistant', 'Polled.', run.id],
        ],
      );
    });

    it('createAndRun with stream: true over the wire sends thread.created first and ends with done', async () => {
      const model = uniqueModel('thread-run-wire');
      t.upstream.script(model, { text: 'ok' });
      const assistant = await t.client.assistants.create({ model });
      const res = await http(t.baseURL, '/threads/runs', {
        json: { assistant_id: assistant.id, stream: true, thread: { messages: [{ role: 'user', content: 'hi' }] } },
      });
      assert.equal(res.status, 200);
      const frames = parseSse(res.text);
      assert.equal(frames[0].event, 'thread.created');
      assert.deepEqual(frames.at(-1), { event: 'done', data: '[DONE]' });
      assert.equal(frames.at(-2)!.event, 'thread.run.completed');
    });

    it('text and tool calls in one turn: the message closes before the tool step opens', async () => {
      const model = uniqueModel('text-then-tools');
      t.upstream.script(model, { text: 'Let me check. ', toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      const events = await record(stream);
      assertStreamInvariants(events);
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
        'thread.run.step.created',
        'thread.run.step.in_progress',
        'thread.run.step.delta*',
        'thread.run.requires_action',
      ]);
      const run = await stream.finalRun();
      assert.equal(run.status, 'requires_action');
      const messages = await t.client.messages.all(threadId);
      assert.equal(textOf(messages.at(-1)!), 'Let me check. ');
      assert.equal(messages.at(-1)!.status, 'completed');
      await t.client.runs.cancel(threadId, run.id);
    });

    it('an empty answer still streams a created and completed message with empty text', async () => {
      const model = uniqueModel('empty');
      t.upstream.script(model, { text: '' });
      const { assistantId, threadId } = await setup(t.client, model);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      const events = await record(stream);
      assertStreamInvariants(events);
      assert.deepEqual(
        eventShape(events),
        CANONICAL.filter((e) => e !== 'thread.message.delta*'),
      );
      assert.equal((await stream.finalRun()).status, 'completed');
      const answer = (await t.client.messages.all(threadId)).at(-1)!;
      assert.equal(answer.role, 'assistant');
      assert.equal(answer.status, 'completed');
      assert.equal(textOf(answer), '');
    });

    it('20 runs streaming at once each get exactly their own events', async () => {
      const model = uniqueModel('many');
      t.upstream.scriptFn(model, (req) => {
        const last = req.body.messages?.at(-1) as { content: string } | undefined;
        return { text: `answer to ${last?.content} in several small pieces`, delayMs: 5 };
      });
      const assistant = await t.client.assistants.create({ model });
      const results = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const thread = await t.client.threads.create({ messages: [{ role: 'user', content: `q${i}` }] });
          const stream = t.client.runs.stream(thread.id, { assistant_id: assistant.id });
          let text = '';
          stream.on('textDelta', (d) => (text += d.value ?? ''));
          const events = await record(stream);
          return { thread, events, text, run: await stream.finalRun() };
        }),
      );
      for (const [i, r] of results.entries()) {
        assertStreamInvariants(r.events);
        assert.deepEqual(eventShape(r.events), CANONICAL);
        assert.equal(r.text, `answer to q${i} in several small pieces`);
        assert.equal(r.run.thread_id, r.thread.id);
        for (const e of r.events) {
          const d = dataOf(e);
          if (d.thread_id !== undefined) assert.equal(d.thread_id, r.thread.id, `${e.event} belongs to its own thread`);
        }
      }
    });

    it('a client that disconnects mid-stream does not stop the run', async () => {
      const model = uniqueModel('disconnect');
      t.upstream.script(model, { text: 'one two three four five six', delayMs: 30 });
      const { assistantId, threadId } = await setup(t.client, model);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistantId });
      let runId: string | undefined;
      for await (const e of stream) {
        if (e.event === 'thread.run.created') runId = e.data.id;
        if (e.event === 'thread.message.delta') break; // leaves the loop: the SDK aborts the request
      }
      assert.ok(runId);
      const run = await t.client.runs.poll(threadId, runId);
      assert.equal(run.status, 'completed');
      const messages = await t.client.messages.all(threadId);
      assert.equal(textOf(messages.at(-1)!), 'one two three four five six');
    });
  });
});
