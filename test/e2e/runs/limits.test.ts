/**
 * Token limits and truncation: `max_completion_tokens` and `max_prompt_tokens` end runs
 * `incomplete` (checklist §3.4, §4.3), `truncation_strategy` decides which thread messages the
 * upstream sees, and `auto` truncation fits the prompt into a small configured context window.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { messageTokens } from '../../../src/engine/tokens.js';
import type { RunFacade } from './sdk.js';
import {
  RUN_SDKS,
  WEATHER_TOOL,
  assertStreamInvariants,
  describeRuns,
  eachSdk,
  eventShape,
  recordIncomplete,
  textOf,
  uniqueModel,
  upstreamMessages,
} from './support.js';

const CONTEXT_WINDOW = 1000;
/** The engine keeps min(4096, window / 4) free for the answer. */
const PROMPT_LIMIT = CONTEXT_WINDOW - CONTEXT_WINDOW / 4;
/** Client-facing model names with a 1000-token window, one per SDK and test, routed to `upstream`. */
const smallModel = (sdk: string, tag: string) => `small-${tag}-${sdk.replace('@', '')}`;
const SMALL_TAGS = ['window', 'window-tools'];

function writeConfig(upstreamURL: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'oa-runs-config-'));
  const models: Record<string, unknown> = {};
  for (const sdk of RUN_SDKS) {
    for (const tag of SMALL_TAGS) {
      models[smallModel(sdk.name, tag)] = { target: `upstream/${smallModel(sdk.name, tag)}-up`, contextWindow: CONTEXT_WINDOW };
    }
    models[`alt-${sdk.name.replace('@', '')}`] = `alt/alt-${sdk.name.replace('@', '')}-up`;
  }
  const file = join(dir, 'open-assistants.json');
  writeFileSync(file, JSON.stringify({ providers: { alt: { baseURL: upstreamURL, apiKey: 'sk-alt' } }, models }, null, 2));
  return file;
}

/** A paragraph of about `words` words, different per `seed`. */
function paragraph(seed: number, words: number): string {
  const vocabulary = ['river', 'stone', 'lantern', 'orchard', 'copper', 'meadow', 'harbor', 'violet', 'thunder', 'saddle'];
  return Array.from({ length: words }, (_, i) => vocabulary[(seed * 7 + i * 3) % vocabulary.length]).join(' ') + ` (#${seed})`;
}

const userTokens = (text: string) => messageTokens({ role: 'user', content: [{ type: 'text', text }] });
const systemTokens = (text: string) => messageTokens({ role: 'system', content: text });

async function threadOf(client: RunFacade, texts: string[]): Promise<string> {
  const thread = await client.threads.create({ messages: texts.map((content) => ({ role: 'user' as const, content })) });
  return thread.id;
}

describeRuns('runs: limits and truncation', { env: (url) => ({ OPEN_ASSISTANTS_CONFIG: writeConfig(url) }) }, (ctx) => {
  eachSdk(ctx, (t) => {
    it('finish_reason length with max_completion_tokens: incomplete (max_completion_tokens), message incomplete (max_tokens)', async () => {
      const model = uniqueModel('length');
      t.upstream.script(model, { text: 'A long answer that was cut', finishReason: 'length', usage: { prompt_tokens: 20, completion_tokens: 256 } });
      const assistant = await t.client.assistants.create({ model });
      const threadId = await threadOf(t.client, ['Tell me everything.']);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistant.id, max_completion_tokens: 256 });
      const events = await recordIncomplete(t.sdk.name, stream);
      assertStreamInvariants(events);
      assert.deepEqual(eventShape(events).slice(-4), [
        'thread.message.delta*',
        'thread.message.incomplete',
        'thread.run.step.completed',
        'thread.run.incomplete',
      ]);

      const runId = (await t.client.runs.list(threadId)).data[0].id;
      const run = await t.client.runs.poll(threadId, runId);
      assert.equal(run.status, 'incomplete');
      assert.deepEqual(run.incomplete_details, { reason: 'max_completion_tokens' });
      assert.equal(run.max_completion_tokens, 256);
      assert.deepEqual(run.usage, { prompt_tokens: 20, completion_tokens: 256, total_tokens: 276 });
      assert.equal(run.expires_at, null);
      assert.equal(run.last_error, null);
      assert.equal(t.upstream.requests(model)[0].body.max_tokens, 256);

      const messages = await t.client.messages.all(threadId);
      const answer = messages.at(-1)!;
      assert.equal(answer.status, 'incomplete');
      assert.deepEqual(answer.incomplete_details, { reason: 'max_tokens' });
      assert.equal(textOf(answer), 'A long answer that was cut');
      assert.ok(answer.incomplete_at !== null);
    });

    it('finish_reason content_filter: the message ends incomplete (content_filter), the run completes', async () => {
      const model = uniqueModel('content-filter');
      t.upstream.script(model, { text: 'I was about to', finishReason: 'content_filter' });
      const assistant = await t.client.assistants.create({ model });
      const threadId = await threadOf(t.client, ['Something risky.']);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed');
      const answer = (await t.client.messages.all(threadId)).at(-1)!;
      assert.equal(answer.status, 'incomplete');
      assert.deepEqual(answer.incomplete_details, { reason: 'content_filter' });
      assert.equal(textOf(answer), 'I was about to');
    });

    it('max_completion_tokens is shared by the turns of a run: the next turn asks for what is left', async () => {
      const model = uniqueModel('completion-budget');
      t.upstream.script(
        model,
        { toolCalls: [{ name: 'get_weather', arguments: { city: 'Pisa' } }], usage: { prompt_tokens: 10, completion_tokens: 200 } },
        { text: 'Sunny.', usage: { prompt_tokens: 30, completion_tokens: 5 } },
      );
      const assistant = await t.client.assistants.create({ model, tools: [WEATHER_TOOL] });
      const threadId = await threadOf(t.client, ['Weather?']);
      const waiting = await t.client.runs.createAndPoll(threadId, { assistant_id: assistant.id, max_completion_tokens: 256 });
      assert.equal(waiting.status, 'requires_action');
      const call = waiting.required_action!.submit_tool_outputs.tool_calls[0];
      const run = await t.client.runs.submitToolOutputsAndPoll(threadId, waiting.id, [{ tool_call_id: call.id, output: 'sun' }]);
      assert.equal(run.status, 'completed');
      assert.deepEqual(
        t.upstream.requests(model).map((r) => r.body.max_tokens),
        [256, 56],
      );
    });

    it('max_prompt_tokens: 256 with a long thread: auto truncation keeps the newest messages that fit', async () => {
      const model = uniqueModel('prompt-budget');
      t.upstream.script(model, { text: 'Fits.', usage: { prompt_tokens: 200, completion_tokens: 2 } });
      const assistant = await t.client.assistants.create({ model, instructions: 'Be brief.' });
      const texts = Array.from({ length: 10 }, (_, i) => paragraph(i, 40));
      const threadId = await threadOf(t.client, texts);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistant.id, max_prompt_tokens: 256 });
      assert.equal(run.status, 'completed', JSON.stringify(run.incomplete_details));
      assert.equal(run.max_prompt_tokens, 256);

      const sent = upstreamMessages(t.upstream.requests(model)[0].body);
      assert.deepEqual(sent[0], { role: 'system', content: 'Be brief.' });
      const kept = sent.slice(1).map((m) => m.content as string);
      assert.ok(kept.length >= 1 && kept.length < texts.length, `kept ${kept.length} of ${texts.length}`);
      assert.deepEqual(kept, texts.slice(texts.length - kept.length), 'the newest messages, in order');
      const used = systemTokens('Be brief.') + kept.reduce((n, m) => n + userTokens(m), 0);
      assert.ok(used <= 256, `prompt of ${used} tokens`);
      const oneMore = used + userTokens(texts[texts.length - kept.length - 1]);
      assert.ok(oneMore > 256, 'no more was dropped than needed');
    });

    it('max_prompt_tokens: 256 when even the newest message does not fit: incomplete (max_prompt_tokens), no upstream call', async () => {
      const model = uniqueModel('prompt-too-big');
      const assistant = await t.client.assistants.create({ model });
      const threadId = await threadOf(t.client, [paragraph(1, 400)]);
      const stream = t.client.runs.stream(threadId, { assistant_id: assistant.id, max_prompt_tokens: 256 });
      const events = await recordIncomplete(t.sdk.name, stream);
      assert.deepEqual(eventShape(events), [
        'thread.run.created',
        'thread.run.queued',
        'thread.run.in_progress',
        'thread.run.incomplete',
      ]);
      const runId = (await t.client.runs.list(threadId)).data[0].id;
      const run = await t.client.runs.poll(threadId, runId);
      assert.equal(run.status, 'incomplete');
      assert.deepEqual(run.incomplete_details, { reason: 'max_prompt_tokens' });
      assert.equal(t.upstream.requests(model).length, 0);
      assert.equal((await t.client.messages.all(threadId)).length, 1);
    });

    it('an upstream that reports more prompt tokens than max_prompt_tokens ends the run incomplete', async () => {
      const model = uniqueModel('prompt-reported');
      t.upstream.script(model, { text: 'Answer.', usage: { prompt_tokens: 300, completion_tokens: 2 } });
      const assistant = await t.client.assistants.create({ model });
      const threadId = await threadOf(t.client, ['Short question.']);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistant.id, max_prompt_tokens: 256 });
      assert.equal(run.status, 'incomplete');
      assert.deepEqual(run.incomplete_details, { reason: 'max_prompt_tokens' });
      assert.deepEqual(run.usage, { prompt_tokens: 300, completion_tokens: 2, total_tokens: 302 });
    });

    it("truncation_strategy last_messages: 2 sends only the thread's last 2 messages", async () => {
      const model = uniqueModel('last-2');
      t.upstream.script(model, { text: 'ok' });
      const assistant = await t.client.assistants.create({ model, instructions: 'Sys.' });
      const threadId = await threadOf(t.client, ['m1', 'm2', 'm3', 'm4', 'm5']);
      const run = await t.client.runs.createAndPoll(threadId, {
        assistant_id: assistant.id,
        truncation_strategy: { type: 'last_messages', last_messages: 2 },
      });
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.truncation_strategy, { type: 'last_messages', last_messages: 2 });
      assert.deepEqual(upstreamMessages(t.upstream.requests(model)[0].body), [
        { role: 'system', content: 'Sys.' },
        { role: 'user', content: 'm4' },
        { role: 'user', content: 'm5' },
      ]);
      // the thread itself is untouched
      assert.equal((await t.client.messages.all(threadId)).length, 6);
    });

    it("truncation last_messages never drops the run's own tool calls and outputs", async () => {
      const model = uniqueModel('last-1-tools');
      t.upstream.script(model, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Riga' } }] }, { text: 'Rainy.' });
      const assistant = await t.client.assistants.create({ model, instructions: 'Sys.', tools: [WEATHER_TOOL] });
      const threadId = await threadOf(t.client, ['old', 'new']);
      const waiting = await t.client.runs.createAndPoll(threadId, {
        assistant_id: assistant.id,
        truncation_strategy: { type: 'last_messages', last_messages: 1 },
      });
      const call = waiting.required_action!.submit_tool_outputs.tool_calls[0];
      await t.client.runs.submitToolOutputsAndPoll(threadId, waiting.id, [{ tool_call_id: call.id, output: 'rain' }]);
      const second = upstreamMessages(t.upstream.requests(model)[1].body);
      assert.deepEqual(
        second.map((m) => m.role),
        ['system', 'user', 'assistant', 'tool'],
      );
      assert.equal(second[1].content, 'new');
      assert.equal(second[3].content, 'rain');
      assert.equal(second[3].tool_call_id, call.id);
    });

    it('auto truncation with a 1000-token context window drops the oldest messages to fit (model alias routed)', async () => {
      const model = smallModel(t.sdk.name, 'window');
      const upstreamModel = `${model}-up`;
      t.upstream.script(upstreamModel, { text: 'Windowed.' });
      const assistant = await t.client.assistants.create({ model, instructions: 'Sys.' });
      const texts = Array.from({ length: 12 }, (_, i) => paragraph(i + 100, 60));
      const total = texts.reduce((n, m) => n + userTokens(m), 0);
      assert.ok(total > PROMPT_LIMIT, `the thread (${total} tokens) must not fit`);
      const threadId = await threadOf(t.client, texts);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed');
      assert.equal(run.model, model, 'the run keeps the client-facing model name');

      const [req] = t.upstream.requests(upstreamModel);
      assert.equal(req.body.model, upstreamModel, 'the alias target went upstream');
      const sent = upstreamMessages(req.body);
      assert.deepEqual(sent[0], { role: 'system', content: 'Sys.' });
      const kept = sent.slice(1).map((m) => m.content as string);
      assert.ok(kept.length >= 1 && kept.length < texts.length, `kept ${kept.length} of ${texts.length}`);
      assert.deepEqual(kept, texts.slice(texts.length - kept.length), 'the oldest were dropped, the rest kept in order');
      const used = systemTokens('Sys.') + kept.reduce((n, m) => n + userTokens(m), 0);
      assert.ok(used <= PROMPT_LIMIT, `prompt of ${used} tokens fits ${PROMPT_LIMIT}`);
      assert.ok(used + userTokens(texts[texts.length - kept.length - 1]) > PROMPT_LIMIT, 'no more was dropped than needed');
    });

    it('a model alias to another configured provider uses that provider and its key', async () => {
      const model = `alt-${t.sdk.name.replace('@', '')}`;
      t.upstream.script(`${model}-up`, { text: 'From alt.' });
      const assistant = await t.client.assistants.create({ model });
      const threadId = await threadOf(t.client, ['hi']);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const [req] = t.upstream.requests(`${model}-up`);
      assert.equal(req.headers.authorization, 'Bearer sk-alt');
    });
  });
});
