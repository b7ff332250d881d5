/**
 * The file_search tool in runs, against the scripted upstream: the model calls `file_search`,
 * the next upstream request carries the tool output (result markers and the chunk text of the
 * right file), the markers in the final answer become `file_citation` annotations whose text and
 * indices match the message exactly, and the run step records the call with ranking_options and
 * results (content only with `include[]`), polled, streamed and listed; the assistant's and the
 * thread's stores are both searched; file_search next to a function call pauses for its output.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { assertStreamInvariants, record, textOf, upstreamMessages, WEATHER_TOOL } from '../runs/support.js';
import type { Message, RunStep } from '../runs/sdk.js';
import type { VsFacade } from './sdk.js';
import { describeVs, eachSdk, expectApiError, unique, uploadText, waitForStore } from './support.js';

const INCLUDE = 'step_details.tool_calls[*].file_search.results[*].content' as const;

const LIGHTHOUSE = 'The lighthouse keeper climbed the spiral stairs every evening to light the great lamp above the harbour.';
const GLACIER = 'Glaciers carve deep valleys; crevasses open where the ice flows over uneven bedrock.';
const ORCHARD = 'In the orchard the lighthouse painter rested under pear trees, far from any harbour.';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

interface Citation {
  type: 'file_citation';
  text: string;
  start_index: number;
  end_index: number;
  file_citation: { file_id: string };
}

function textPart(message: Message): { value: string; annotations: Citation[] } {
  assert.equal(message.content.length, 1);
  const part = message.content[0];
  assert.equal(part.type, 'text');
  if (part.type !== 'text') throw new Error('not text');
  return part.text as unknown as { value: string; annotations: Citation[] };
}

/**
 * Every annotation is a file_citation whose indices cut exactly its text out of the value. An
 * AssistantStream snapshot is accumulated from the deltas, whose annotations carry their `index`.
 */
function assertCitations(value: string, annotations: Citation[], fromDeltas = false): void {
  const keys = ['end_index', 'file_citation', ...(fromDeltas ? ['index'] : []), 'start_index', 'text', 'type'];
  for (const a of annotations) {
    assert.deepEqual(Object.keys(a).sort(), keys);
    assert.equal(a.type, 'file_citation');
    assert.equal(value.slice(a.start_index, a.end_index), a.text, `annotation ${JSON.stringify(a)} matches the text`);
    assert.deepEqual(Object.keys(a.file_citation), ['file_id']);
  }
}

function fileSearchCalls(step: RunStep): Array<{ id: string; type: string; file_search: Any }> {
  assert.equal(step.type, 'tool_calls');
  assert.equal(step.step_details.type, 'tool_calls');
  if (step.step_details.type !== 'tool_calls') return [];
  return step.step_details.tool_calls.filter((c) => c.type === 'file_search') as Any;
}

/** A store holding the given texts (completed), returning the store and the file id per name. */
async function storeWith(client: VsFacade, files: Record<string, string>): Promise<{ vsId: string; ids: Record<string, string> }> {
  const ids: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) ids[name] = (await uploadText(client, name, text)).id;
  const vs = await client.vectorStores.create({ file_ids: Object.values(ids) });
  await waitForStore(client, vs.id, (v) => v.file_counts.completed === Object.keys(files).length);
  return { vsId: vs.id, ids };
}

describeVs('vector stores: file_search in runs', { upstream: true }, (ctx) => {
  eachSdk(ctx, (t) => {
    it('polled run: the tool output goes upstream, the markers become exact file_citation annotations, the step records results', async () => {
      const model = unique('fs-poll');
      const { vsId, ids } = await storeWith(t.client, { 'lighthouse.md': LIGHTHOUSE, 'glacier.md': GLACIER });
      const answer = 'Every evening the keeper lit the lamp 【0:0†lighthouse.md】. Nothing else is known 【0:7†ghost.md】.';
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'lighthouse keeper lamp' } }] }, { text: answer });
      const assistant = await t.client.base.assistants.create({
        model,
        tools: [{ type: 'file_search' }],
        tool_resources: { file_search: { vector_store_ids: [vsId] } },
      });
      const thread = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'Who lights the lamp?' }] });
      const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));

      // what the model was offered and what it got back
      const [first, second] = t.upstream.requests(model);
      const offered = (first.body.tools ?? []).map((x) => x.function.name);
      assert.deepEqual(offered, ['file_search']);
      assert.deepEqual(Object.keys((first.body.tools![0].function.parameters as Any).properties), ['query']);
      const sent = upstreamMessages(second.body);
      const call = sent.find((m) => m.role === 'assistant' && m.tool_calls) as Any;
      assert.ok(call, 'the assistant tool call is replayed');
      assert.equal(call.tool_calls[0].function.name, 'file_search');
      assert.deepEqual(JSON.parse(call.tool_calls[0].function.arguments), { query: 'lighthouse keeper lamp' });
      const toolMsg = sent.find((m) => m.role === 'tool') as Any;
      assert.ok(toolMsg, 'a tool message carries the search output');
      assert.equal(toolMsg.tool_call_id, call.tool_calls[0].id);
      assert.match(toolMsg.content, /【0:0†lighthouse\.md】/);
      assert.ok(toolMsg.content.includes(LIGHTHOUSE), 'the chunk text of the right file');
      assert.ok(!toolMsg.content.includes(GLACIER), 'not the unrelated file');

      // the answer and its citations
      const messages = await t.client.runApi.messages.all(thread.id);
      const reply = messages.at(-1)!;
      assert.equal(reply.role, 'assistant');
      assert.equal(reply.run_id, run.id);
      const { value, annotations } = textPart(reply);
      assert.equal(value, answer, 'the markers stay in the text');
      assertCitations(value, annotations);
      assert.equal(annotations.length, 1, 'an unknown marker gets no annotation');
      assert.deepEqual(annotations[0], {
        type: 'file_citation',
        text: '【0:0†lighthouse.md】',
        start_index: answer.indexOf('【0:0'),
        end_index: answer.indexOf('【0:0') + '【0:0†lighthouse.md】'.length,
        file_citation: { file_id: ids['lighthouse.md'] },
      });

      // the steps: a tool_calls step with the file_search call, then the message
      const steps = await t.client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
      assert.deepEqual(steps.data.map((s) => s.type), ['tool_calls', 'message_creation']);
      const [fs] = fileSearchCalls(steps.data[0]);
      assert.match(fs.id, /^call_/);
      assert.deepEqual(Object.keys(fs.file_search).sort(), ['ranking_options', 'results']);
      assert.equal(typeof fs.file_search.ranking_options.ranker, 'string');
      assert.equal(fs.file_search.ranking_options.score_threshold, 0);
      assert.ok(fs.file_search.results.length >= 1);
      assert.deepEqual(fs.file_search.results[0].file_id, ids['lighthouse.md']);
      for (const r of fs.file_search.results) {
        assert.deepEqual(Object.keys(r).sort(), ['file_id', 'file_name', 'score'], 'no content without include[]');
        assert.ok(r.score >= 0 && r.score <= 1);
      }
      assert.equal(fs.file_search.results[0].file_name, 'lighthouse.md');
      assert.equal(steps.data[0].status, 'completed');
      assert.equal((steps.data[1].step_details as Any).message_creation.message_id, reply.id);

      // include[] adds the chunk text, on list and on retrieve; without it, retrieve has none
      const withContent = await t.client.runApi.steps.list(thread.id, run.id, { order: 'asc', include: [INCLUDE] });
      const [fsc] = fileSearchCalls(withContent.data[0]);
      assert.deepEqual(fsc.file_search.results[0].content, [{ type: 'text', text: LIGHTHOUSE }]);
      for (const r of fsc.file_search.results) assert.deepEqual(Object.keys(r).sort(), ['content', 'file_id', 'file_name', 'score']);
      const retrieved = await t.client.runApi.steps.retrieve(thread.id, run.id, steps.data[0].id, [INCLUDE]);
      assert.deepEqual(fileSearchCalls(retrieved)[0].file_search.results[0].content, [{ type: 'text', text: LIGHTHOUSE }]);
      const plain = await t.client.runApi.steps.retrieve(thread.id, run.id, steps.data[0].id);
      assert.equal(fileSearchCalls(plain)[0].file_search.results[0].content, undefined);
      assert.deepEqual(plain, steps.data[0]);
    });

    it('several citations, non-ASCII text before them: each annotation cuts its marker out and points at its file', async () => {
      const model = unique('fs-multi');
      const { vsId, ids } = await storeWith(t.client, { 'lighthouse.md': LIGHTHOUSE, 'orchard.md': ORCHARD });
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'lighthouse harbour' } }] });
      t.upstream.scriptFn(model, (req) => {
        // cite the results in the order the server numbered them
        const tool = upstreamMessages(req.body).find((m) => m.role === 'tool') as Any;
        const markers = [...String(tool.content).matchAll(/【0:\d+†[^】]+】/g)].map((m) => m[0]);
        return { text: `Über 🦆 Leuchttürme ${markers[0]} und Gärten ${markers[1]} — 完 ${markers[0]}.` };
      });
      const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [vsId] } } });
      const thread = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'Tell me about the harbour.' }] });
      const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const steps = await t.client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
      const results = fileSearchCalls(steps.data[0])[0].file_search.results as Array<{ file_id: string; file_name: string }>;
      assert.deepEqual(results.map((r) => r.file_id).sort(), [ids['lighthouse.md'], ids['orchard.md']].sort());

      const reply = (await t.client.runApi.messages.all(thread.id)).at(-1)!;
      const { value, annotations } = textPart(reply);
      assertCitations(value, annotations);
      assert.equal(annotations.length, 3);
      assert.deepEqual(
        annotations.map((a) => a.file_citation.file_id),
        [results[0].file_id, results[1].file_id, results[0].file_id],
      );
      assert.deepEqual(annotations.map((a) => a.text), [`【0:0†${results[0].file_name}】`, `【0:1†${results[1].file_name}】`, `【0:0†${results[0].file_name}】`]);
      assert.ok(annotations[0].start_index < annotations[1].start_index && annotations[1].start_index < annotations[2].start_index);
    });

    it('streamed: step deltas carry the results, the annotations arrive as a delta, finalMessages() has them; include[] adds content', async () => {
      for (const include of [false, true]) {
        const model = unique(`fs-stream-${include}`);
        const { vsId, ids } = await storeWith(t.client, { 'lighthouse.md': LIGHTHOUSE });
        const answer = `The keeper lights the lamp 【0:0†lighthouse.md】.`;
        t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'keeper lamp' } }] }, { text: answer });
        const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [vsId] } } });
        const thread = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'Who?' }] });
        const stream = t.client.runApi.runs.stream(thread.id, { assistant_id: assistant.id, ...(include && { include: [INCLUDE] }) });
        const toolCallsDone: Any[] = [];
        stream.on('toolCallDone', (call) => toolCallsDone.push(structuredClone(call)));
        const events = await record(stream);
        assertStreamInvariants(events);
        const run = await stream.finalRun();
        assert.equal(run.status, 'completed');

        const deltas = events.filter((e) => e.event === 'thread.run.step.delta').map((e) => (e.data as Any).delta.step_details.tool_calls[0]);
        assert.deepEqual(deltas[0], { index: 0, id: deltas[0].id, type: 'file_search', file_search: {} });
        const withResults = deltas.find((d) => d.file_search?.results);
        assert.ok(withResults, 'a step delta carries the results');
        assert.equal(withResults.index, 0);
        assert.equal(withResults.type, 'file_search');
        assert.equal(withResults.file_search.results[0].file_id, ids['lighthouse.md']);
        assert.equal(withResults.file_search.results[0].file_name, 'lighthouse.md');
        assert.ok(withResults.file_search.ranking_options);
        if (include) assert.deepEqual(withResults.file_search.results[0].content, [{ type: 'text', text: LIGHTHOUSE }]);
        else assert.equal(withResults.file_search.results[0].content, undefined);

        // the completed step event has the same results (content only with include)
        const stepDone = events.find((e) => e.event === 'thread.run.step.completed' && (e.data as Any).type === 'tool_calls')!.data as RunStep;
        const [fs] = fileSearchCalls(stepDone);
        assert.equal(fs.file_search.results[0].file_id, ids['lighthouse.md']);
        assert.equal('content' in fs.file_search.results[0], include);
        // the SDK's accumulated tool call, as its handler saw it
        assert.equal(toolCallsDone.length, 1);
        assert.equal(toolCallsDone[0].type, 'file_search');
        assert.equal(toolCallsDone[0].file_search.results[0].file_id, ids['lighthouse.md']);

        // annotations: one message delta, indexed, with the same values as the stored message
        const annDeltas = events
          .filter((e) => e.event === 'thread.message.delta')
          .map((e) => (e.data as Any).delta.content[0].text)
          .filter((x) => x.annotations && x.annotations.length);
        assert.equal(annDeltas.length, 1);
        assert.equal(annDeltas[0].annotations[0].index, 0);
        const finals = await stream.finalMessages();
        assert.equal(finals.length, 1);
        const { value, annotations: accumulated } = textPart(finals[0]);
        assert.equal(value, answer);
        assertCitations(value, accumulated, true);
        const annotations = accumulated.map(({ index: _i, ...a }: Citation & { index?: number }) => a);
        assert.equal(annotations.length, 1);
        assert.equal(annotations[0].file_citation.file_id, ids['lighthouse.md']);
        const completed = events.find((e) => e.event === 'thread.message.completed')!.data as Message;
        assertCitations(textPart(completed).value, textPart(completed).annotations);
        assert.deepEqual(textPart(completed).annotations, annotations);
        const stored = (await t.client.runApi.messages.all(thread.id)).at(-1)!;
        assert.deepEqual(textPart(stored).annotations, annotations);
        assert.equal(textOf(stored), answer);

        // include on runs create does not stick to the steps: a later list without it has no content
        const steps = await t.client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
        assert.equal(fileSearchCalls(steps.data[0])[0].file_search.results[0].content, undefined);
      }
    });

    it("searches both the assistant's and the thread's stores", async () => {
      const model = unique('fs-both');
      const a = await storeWith(t.client, { 'lighthouse.md': LIGHTHOUSE });
      const b = await storeWith(t.client, { 'orchard.md': ORCHARD });
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'lighthouse harbour' } }] }, { text: 'Both 【0:0†x】 and 【0:1†y】.' });
      const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [a.vsId] } } });
      const thread = await t.client.base.threads.create({
        messages: [{ role: 'user', content: 'harbour?' }],
        tool_resources: { file_search: { vector_store_ids: [b.vsId] } },
      });
      const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const steps = await t.client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
      const results = fileSearchCalls(steps.data[0])[0].file_search.results as Array<{ file_id: string }>;
      assert.deepEqual(results.map((r) => r.file_id).sort(), [a.ids['lighthouse.md'], b.ids['orchard.md']].sort());
      const tool = upstreamMessages(t.upstream.requests(model)[1].body).find((m) => m.role === 'tool') as Any;
      assert.ok(tool.content.includes(LIGHTHOUSE) && tool.content.includes(ORCHARD), 'the output holds both stores’ chunks');
      const { value, annotations } = textPart((await t.client.runApi.messages.all(thread.id)).at(-1)!);
      assertCitations(value, annotations);
      assert.deepEqual(annotations.map((x) => x.file_citation.file_id), results.map((r) => r.file_id));
    });

    it('file_search and a function call in one turn: requires_action for the function only, then the run completes citing the search', async () => {
      const model = unique('fs-fn');
      const { vsId, ids } = await storeWith(t.client, { 'lighthouse.md': LIGHTHOUSE });
      t.upstream.script(
        model,
        {
          toolCalls: [
            { name: 'file_search', arguments: { query: 'lighthouse keeper' } },
            { name: 'get_weather', arguments: { city: 'Brest' } },
          ],
        },
        { text: 'Windy in Brest; the keeper lights the lamp 【0:0†lighthouse.md】.' },
      );
      const assistant = await t.client.base.assistants.create({
        model,
        tools: [{ type: 'file_search' }, WEATHER_TOOL],
        tool_resources: { file_search: { vector_store_ids: [vsId] } },
      });
      const thread = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'Weather and keeper?' }] });
      const paused = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(paused.status, 'requires_action', JSON.stringify(paused.last_error));
      const calls = paused.required_action!.submit_tool_outputs.tool_calls;
      assert.equal(calls.length, 1, 'only the function call is the client’s to answer');
      assert.equal(calls[0].function.name, 'get_weather');

      const pausedSteps = await t.client.runApi.steps.list(thread.id, paused.id);
      assert.equal(pausedSteps.data.length, 1);
      const toolCalls = (pausedSteps.data[0].step_details as Any).tool_calls as Any[];
      assert.deepEqual(toolCalls.map((c) => c.type), ['file_search', 'function']);
      assert.equal(toolCalls[0].file_search.results[0].file_id, ids['lighthouse.md'], 'the search already ran');
      assert.equal(toolCalls[1].function.output, null);
      assert.equal(pausedSteps.data[0].status, 'in_progress');

      const done = await t.client.runApi.runs.submitToolOutputsAndPoll(thread.id, paused.id, [{ tool_call_id: calls[0].id, output: 'windy' }]);
      assert.equal(done.status, 'completed', JSON.stringify(done.last_error));
      const second = upstreamMessages(t.upstream.requests(model)[1].body);
      const toolMsgs = second.filter((m) => m.role === 'tool') as Any[];
      assert.equal(toolMsgs.length, 2, 'both results go back to the model');
      assert.ok(toolMsgs.some((m) => String(m.content).includes(LIGHTHOUSE) && String(m.content).includes('【0:0†lighthouse.md】')));
      assert.ok(toolMsgs.some((m) => m.content === 'windy'));

      const { value, annotations } = textPart((await t.client.runApi.messages.all(thread.id)).at(-1)!);
      assertCitations(value, annotations);
      assert.equal(annotations.length, 1, 'the search from before the pause is still citable');
      assert.equal(annotations[0].file_citation.file_id, ids['lighthouse.md']);
      const steps = await t.client.runApi.steps.list(thread.id, done.id, { order: 'asc' });
      assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['tool_calls', 'completed'], ['message_creation', 'completed']]);
    });

    it('the tool settings reach the search (max_num_results, score_threshold); no store means no results, and the run still completes', async () => {
      const model = unique('fs-opts');
      const texts: Record<string, string> = {};
      for (let i = 0; i < 5; i++) texts[`lamp-${i}.md`] = `lamp lamp number ${i} ${'filler '.repeat(i * 5)}`;
      const { vsId } = await storeWith(t.client, texts);
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'lamp' } }] }, { text: 'Done.' });
      const assistant = await t.client.base.assistants.create({
        model,
        tools: [{ type: 'file_search', file_search: { max_num_results: 2, ranking_options: { ranker: 'auto', score_threshold: 0.01 } } }],
        tool_resources: { file_search: { vector_store_ids: [vsId] } },
      });
      const thread = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'lamps?' }] });
      const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed');
      const [fs] = fileSearchCalls((await t.client.runApi.steps.list(thread.id, run.id, { order: 'asc' })).data[0]);
      assert.equal(fs.file_search.results.length, 2);
      assert.equal(fs.file_search.ranking_options.score_threshold, 0.01);
      for (const r of fs.file_search.results) assert.ok(r.score >= 0.01);

      const bare = unique('fs-none');
      t.upstream.script(bare, { toolCalls: [{ name: 'file_search', arguments: { query: 'anything' } }] }, { text: 'I found nothing 【0:0†x】.' });
      const lonely = await t.client.base.assistants.create({ model: bare, tools: [{ type: 'file_search' }] });
      const thread2 = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'anything?' }] });
      const run2 = await t.client.runApi.runs.createAndPoll(thread2.id, { assistant_id: lonely.id });
      assert.equal(run2.status, 'completed');
      const [empty] = fileSearchCalls((await t.client.runApi.steps.list(thread2.id, run2.id, { order: 'asc' })).data[0]);
      assert.deepEqual(empty.file_search.results, []);
      const tool = upstreamMessages(t.upstream.requests(bare)[1].body).find((m) => m.role === 'tool') as Any;
      assert.equal(typeof tool.content, 'string');
      assert.ok(tool.content.length > 0);
      assert.deepEqual(textPart((await t.client.runApi.messages.all(thread2.id)).at(-1)!).annotations, [], 'nothing to cite');
    });

    it('tool_choice {type: file_search} makes the model call it; the run-level tools override decides what is offered', async () => {
      const model = unique('fs-choice');
      const { vsId } = await storeWith(t.client, { 'lighthouse.md': LIGHTHOUSE });
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'lamp' } }] }, { text: 'ok' }, { text: 'no tools' });
      const assistant = await t.client.base.assistants.create({
        model,
        tools: [{ type: 'file_search' }, WEATHER_TOOL],
        tool_resources: { file_search: { vector_store_ids: [vsId] } },
      });
      const thread = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'lamp?' }] });
      const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id, tool_choice: { type: 'file_search' } });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      assert.deepEqual(run.tool_choice, { type: 'file_search' });
      const first = t.upstream.requests(model)[0].body;
      assert.deepEqual(first.tool_choice, { type: 'function', function: { name: 'file_search' } });
      assert.deepEqual((first.tools ?? []).map((x) => x.function.name).sort(), ['file_search', 'get_weather']);

      // a run whose tools leave file_search out does not offer it
      const plain = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id, tools: [WEATHER_TOOL] });
      assert.equal(plain.status, 'completed');
      const third = t.upstream.requests(model)[2].body;
      assert.deepEqual((third.tools ?? []).map((x) => x.function.name), ['get_weather']);
    });

    it('an unknown include[] value is a 400', async () => {
      const assistant = await t.client.base.assistants.create({ model: unique('fs-bad-include') });
      const thread = await t.client.base.threads.create();
      await expectApiError(t.client, t.client.runApi.runs.create(thread.id, { assistant_id: assistant.id, include: ['step_details.nope' as never] }), {
        status: 400,
      });
    });
  });
});
