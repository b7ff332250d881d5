/**
 * Non-streaming runs through the SDK poll helpers: the run object a client sees, and what the
 * engine sends upstream for each run setting (instructions, additional_*, sampling, tools,
 * tool_choice, parallel_tool_calls, response_format, max_completion_tokens).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  TIME_TOOL,
  WEATHER_TOOL,
  describeRuns,
  eachSdk,
  http,
  setup,
  textOf,
  uniqueModel,
  uploadFile,
  upstreamMessages,
} from './support.js';

const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describeRuns('runs: createAndPoll', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('completes with the scripted text, the upstream usage and every run field set', async () => {
      const model = uniqueModel('poll');
      t.upstream.script(model, { text: 'The answer is 42.', usage: { prompt_tokens: 42, completion_tokens: 7 } });
      const { assistantId, threadId } = await setup(t.client, model, { instructions: 'Answer briefly.' });
      const startedMs = Date.now();

      // the SDK's own poll interval: the server's openai-poll-after-ms header
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId }, null);

      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      assert.match(run.id, /^run_[A-Za-z0-9]+$/);
      assert.equal(run.object, 'thread.run');
      assert.equal(run.thread_id, threadId);
      assert.equal(run.assistant_id, assistantId);
      assert.equal(run.model, model);
      assert.equal(run.instructions, 'Answer briefly.');
      assert.deepEqual(run.tools, []);
      assert.equal(run.temperature, 1);
      assert.equal(run.top_p, 1);
      assert.deepEqual(run.truncation_strategy, { type: 'auto', last_messages: null });
      assert.equal(run.response_format, 'auto');
      assert.equal(run.tool_choice, 'auto');
      assert.equal(run.parallel_tool_calls, true);
      assert.deepEqual(run.metadata, {});
      assert.equal(run.max_prompt_tokens, null);
      assert.equal(run.max_completion_tokens, null);
      assert.deepEqual(run.usage, { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 });
      assert.equal(run.required_action, null);
      assert.equal(run.last_error, null);
      assert.equal(run.incomplete_details, null);
      assert.equal(run.expires_at, null, 'expires_at is null once completed');
      assert.equal(run.failed_at, null);
      assert.equal(run.cancelled_at, null);
      const nowS = Math.ceil(Date.now() / 1000);
      assert.ok(run.created_at >= Math.floor(startedMs / 1000) - 1 && run.created_at <= nowS);
      assert.ok(run.started_at !== null && run.started_at >= run.created_at && run.started_at <= nowS);
      assert.ok(run.completed_at !== null && run.completed_at >= run.started_at! && run.completed_at <= nowS);

      const messages = await t.client.messages.all(threadId);
      assert.equal(messages.length, 2);
      const answer = messages[1];
      assert.equal(answer.role, 'assistant');
      assert.equal(answer.status, 'completed');
      assert.equal(answer.run_id, run.id);
      assert.equal(answer.assistant_id, assistantId);
      assert.equal(textOf(answer), 'The answer is 42.');
      assert.deepEqual(answer.content, [{ type: 'text', text: { value: 'The answer is 42.', annotations: [] } }]);
      assert.ok(answer.completed_at !== null);
      assert.equal(answer.incomplete_details, null);

      const [req] = t.upstream.requests(model);
      assert.equal(t.upstream.requests(model).length, 1);
      assert.equal(req.path, '/v1/chat/completions');
      assert.equal(req.headers.authorization, 'Bearer sk-upstream');
      assert.equal(req.body.stream, true);
      assert.deepEqual(upstreamMessages(req.body), [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'Hello?' },
      ]);
      assert.equal(req.body.tools, undefined, 'no tools are sent when the run has none');
    });

    it('answers run GETs with an openai-poll-after-ms header', async () => {
      const model = uniqueModel('poll-after');
      t.upstream.script(model, { text: 'ok' });
      const { assistantId, threadId } = await setup(t.client, model);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      const res = await http(t.baseURL, `/threads/${threadId}/runs/${run.id}`);
      assert.equal(res.status, 200);
      const after = res.headers.get('openai-poll-after-ms');
      assert.match(after ?? '', /^\d+$/);
      assert.ok(Number(after) > 0 && Number(after) <= 1000, `poll-after ${after} ms keeps the SDK poll helpers fast`);
    });

    it('echoes every run override and sends them upstream', async () => {
      const model = uniqueModel('overrides');
      t.upstream.script(model, { text: '{"ok":true}' });
      // The assistant names another model; the run's `model` wins.
      const { assistantId, threadId } = await setup(t.client, uniqueModel('unused'), { instructions: 'Assistant instructions.' });

      const run = await t.client.runs.createAndPoll(threadId, {
        assistant_id: assistantId,
        model,
        instructions: 'Run instructions.',
        additional_instructions: 'Also be kind.',
        additional_messages: [
          { role: 'user', content: 'Second question?' },
          { role: 'assistant', content: 'An earlier answer.' },
          { role: 'user', content: [{ type: 'text', text: 'Third question?' }] },
        ],
        tools: [WEATHER_TOOL],
        temperature: 0.3,
        top_p: 0.8,
        max_completion_tokens: 300,
        truncation_strategy: { type: 'last_messages', last_messages: 10 },
        response_format: { type: 'json_object' },
        tool_choice: 'none',
        parallel_tool_calls: false,
        metadata: { purpose: 'e2e', n: '1' },
      });

      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      assert.equal(run.model, model);
      assert.equal(run.instructions, 'Run instructions.\n\nAlso be kind.');
      assert.deepEqual(run.tools, [WEATHER_TOOL]);
      assert.equal(run.temperature, 0.3);
      assert.equal(run.top_p, 0.8);
      assert.equal(run.max_completion_tokens, 300);
      assert.deepEqual(run.truncation_strategy, { type: 'last_messages', last_messages: 10 });
      assert.deepEqual(run.response_format, { type: 'json_object' });
      assert.equal(run.tool_choice, 'none');
      assert.equal(run.parallel_tool_calls, false);
      assert.deepEqual(run.metadata, { purpose: 'e2e', n: '1' });

      // additional_messages went into the thread before the run's answer
      const messages = await t.client.messages.all(threadId);
      assert.deepEqual(
        messages.map((m) => [m.role, textOf(m), m.run_id]),
        [
          ['user', 'Hello?', null],
          ['user', 'Second question?', null],
          ['assistant', 'An earlier answer.', null],
          ['user', 'Third question?', null],
          ['assistant', '{"ok":true}', run.id],
        ],
      );

      const [req] = t.upstream.requests(model);
      assert.equal(req.body.model, model);
      assert.deepEqual(upstreamMessages(req.body), [
        { role: 'system', content: 'Run instructions.\n\nAlso be kind.' },
        { role: 'user', content: 'Hello?' },
        { role: 'user', content: 'Second question?' },
        { role: 'assistant', content: 'An earlier answer.' },
        { role: 'user', content: 'Third question?' },
      ]);
      assert.equal(req.body.temperature, 0.3);
      assert.equal(req.body.top_p, 0.8);
      assert.equal(req.body.max_tokens, 300, 'max_completion_tokens becomes the upstream max_tokens');
      assert.deepEqual(req.body.response_format, { type: 'json_object' });
      assert.equal(req.body.tool_choice, 'none');
      assert.equal(req.body.parallel_tool_calls, false);
      assert.deepEqual(req.body.tools, [WEATHER_TOOL]);
    });

    it('uses the assistant instructions plus additional_instructions when the run has no instructions', async () => {
      const model = uniqueModel('add-instr');
      t.upstream.script(model, { text: 'ok' });
      const { assistantId, threadId } = await setup(t.client, model, { instructions: 'Base.' });
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId, additional_instructions: 'Extra.' });
      assert.equal(run.status, 'completed');
      assert.equal(run.instructions, 'Base.\n\nExtra.');
      assert.deepEqual(upstreamMessages(t.upstream.requests(model)[0].body)[0], { role: 'system', content: 'Base.\n\nExtra.' });
    });

    it('maps tool_choice none / auto / required / a named function onto the upstream request', async () => {
      const model = uniqueModel('tool-choice');
      const choices = ['none', 'auto', 'required', { type: 'function', function: { name: 'get_time' } }] as const;
      t.upstream.script(model, ...choices.map(() => ({ text: 'ok' })));
      const { assistantId } = await setup(t.client, model, { tools: [WEATHER_TOOL, TIME_TOOL] });
      for (const tool_choice of choices) {
        const thread = await t.client.threads.create({ messages: [{ role: 'user', content: 'Go' }] });
        const run = await t.client.runs.createAndPoll(thread.id, { assistant_id: assistantId, tool_choice });
        assert.equal(run.status, 'completed');
        assert.deepEqual(run.tool_choice, tool_choice);
      }
      const sent = t.upstream.requests(model).map((r) => r.body.tool_choice);
      assert.deepEqual(sent, ['none', 'auto', 'required', { type: 'function', function: { name: 'get_time' } }]);
      for (const r of t.upstream.requests(model)) assert.deepEqual(r.body.tools, [WEATHER_TOOL, TIME_TOOL]);
    });

    it('rejects a named tool_choice for a function the run does not have', async () => {
      const model = uniqueModel('tool-choice-bad');
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      const res = await http(t.baseURL, `/threads/${threadId}/runs`, {
        json: { assistant_id: assistantId, tool_choice: { type: 'function', function: { name: 'nope' } } },
      });
      assert.equal(res.status, 400, res.text);
      assert.match(res.json.error.message, /nope/);
      assert.equal(t.upstream.requests(model).length, 0);
    });

    it('sends parallel_tool_calls: false only when asked', async () => {
      const model = uniqueModel('parallel');
      t.upstream.script(model, { text: 'a' }, { text: 'b' });
      const { assistantId, threadId } = await setup(t.client, model, { tools: [WEATHER_TOOL] });
      await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId, parallel_tool_calls: false });
      const [first, second] = t.upstream.requests(model);
      assert.notEqual(first.body.parallel_tool_calls, false);
      assert.equal(second.body.parallel_tool_calls, false);
    });

    it('sends response_format json_schema upstream with its name and schema', async () => {
      const model = uniqueModel('json-schema');
      t.upstream.script(model, { text: '{"city":"Paris"}' });
      const { assistantId, threadId } = await setup(t.client, model);
      const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
      const response_format = {
        type: 'json_schema' as const,
        json_schema: { name: 'city_answer', description: 'A city', schema, strict: true },
      };
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId, response_format });
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.response_format, response_format);
      const sent = t.upstream.requests(model)[0].body.response_format as Record<string, unknown>;
      assert.deepEqual(sent, {
        type: 'json_schema',
        json_schema: { name: 'city_answer', description: 'A city', schema, strict: true },
      });
    });

    it('passes json_schema strictness through as given (strict omitted means not strict)', async () => {
      const model = uniqueModel('json-schema-lax');
      t.upstream.script(model, { text: '{}' });
      const { assistantId, threadId } = await setup(t.client, model);
      const schema = { type: 'object', properties: { a: { type: 'string' } } };
      const run = await t.client.runs.createAndPoll(threadId, {
        assistant_id: assistantId,
        response_format: { type: 'json_schema', json_schema: { name: 'lax', schema } },
      });
      assert.equal(run.status, 'completed');
      const sent = t.upstream.requests(model)[0].body.response_format as { type: string; json_schema: Record<string, unknown> };
      assert.equal(sent.type, 'json_schema');
      assert.equal(sent.json_schema.name, 'lax');
      assert.deepEqual(sent.json_schema.schema, schema);
      assert.notEqual(sent.json_schema.strict, true, 'a schema without strict: true must not be enforced strictly');
    });

    it('takes temperature, top_p and response_format from the assistant when the run does not set them', async () => {
      const model = uniqueModel('asst-defaults');
      t.upstream.script(model, { text: '{}' });
      const assistant = await t.client.assistants.create({
        model,
        temperature: 0.5,
        top_p: 0.9,
        response_format: { type: 'json_object' },
      });
      const thread = await t.client.threads.create({ messages: [{ role: 'user', content: 'JSON please' }] });
      const run = await t.client.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed');
      assert.equal(run.temperature, 0.5);
      assert.equal(run.top_p, 0.9);
      assert.deepEqual(run.response_format, { type: 'json_object' });
      assert.equal(run.instructions, '', 'an assistant without instructions gives the run empty instructions');
      const [req] = t.upstream.requests(model);
      assert.equal(req.body.temperature, 0.5);
      assert.equal(req.body.top_p, 0.9);
      assert.deepEqual(req.body.response_format, { type: 'json_object' });
      assert.equal(upstreamMessages(req.body)[0].role, 'user', 'no system message without instructions');
    });

    it('sends image_url and image_file content upstream as image parts', async () => {
      const model = uniqueModel('images');
      t.upstream.script(model, { text: 'Two pictures.' });
      const fileId = await uploadFile(t.baseURL, 'pixel.png', PIXEL_PNG, 'image/png');
      const assistant = await t.client.assistants.create({ model });
      const thread = await t.client.threads.create({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What are these?' },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
              { type: 'image_file', image_file: { file_id: fileId } },
            ],
          },
        ],
      });
      const run = await t.client.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const [user] = t.upstream.requests(model)[0].body.messages!;
      assert.equal(user.role, 'user');
      const parts = user.content as Array<{ type: string; text?: string; image_url?: { url: string } }>;
      assert.deepEqual(parts.map((p) => p.type), ['text', 'image_url', 'image_url']);
      assert.equal(parts[0].text, 'What are these?');
      assert.equal(parts[1].image_url!.url, 'https://example.com/cat.png');
      assert.equal(parts[2].image_url!.url, `data:image/png;base64,${PIXEL_PNG.toString('base64')}`);
    });

    it('sends function strictness and reasoning_effort upstream', async () => {
      const model = uniqueModel('strict-reasoning');
      t.upstream.script(model, { text: 'ok' });
      const strictTool = { type: 'function' as const, function: { ...WEATHER_TOOL.function, strict: true } };
      const { assistantId, threadId } = await setup(t.client, model);
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId, tools: [strictTool], reasoning_effort: 'low' });
      assert.equal(run.status, 'completed');
      assert.deepEqual(run.tools, [strictTool]);
      const [req] = t.upstream.requests(model);
      assert.equal(req.body.tools?.[0].function.strict, true);
      assert.equal(req.body.reasoning_effort, 'low');
    });

    it('includes the earlier assistant answers of the thread in the next run', async () => {
      const model = uniqueModel('history');
      t.upstream.script(model, { text: 'First answer.' }, { text: 'Second answer.' });
      const { assistantId, threadId } = await setup(t.client, model, { instructions: 'Sys.' });
      await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      await t.client.messages.create(threadId, { role: 'user', content: 'Follow-up?' });
      const run = await t.client.runs.createAndPoll(threadId, { assistant_id: assistantId });
      assert.equal(run.status, 'completed');
      assert.deepEqual(upstreamMessages(t.upstream.requests(model)[1].body), [
        { role: 'system', content: 'Sys.' },
        { role: 'user', content: 'Hello?' },
        { role: 'assistant', content: 'First answer.' },
        { role: 'user', content: 'Follow-up?' },
      ]);
    });
  });
});
