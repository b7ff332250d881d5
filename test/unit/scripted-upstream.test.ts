/**
 * The scripted upstream, driven through the real `@ai-sdk/openai-compatible` provider the run
 * engine uses. The assertions double as documentation of how the provider surfaces each upstream
 * behaviour (see the comments on cut, malformed and in-stream errors).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, type LanguageModelV3CallOptions, type LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';

let upstream: ScriptedUpstream;
let provider: ReturnType<typeof createOpenAICompatible>;

before(async () => {
  upstream = await startScriptedUpstream();
  provider = createOpenAICompatible({ name: 'upstream', baseURL: upstream.baseURL, apiKey: 'x', includeUsage: true });
});
after(() => upstream.close());

const PROMPT: LanguageModelV3CallOptions['prompt'] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: [{ type: 'text', text: 'What is the weather in Paris and Rome?' }] },
];
const TOOLS: LanguageModelV3CallOptions['tools'] = [
  {
    type: 'function',
    name: 'get_weather',
    description: 'Weather for a city',
    inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];

type Part = LanguageModelV3StreamPart;
type Outcome = { parts: Part[]; thrown?: unknown };

/** Streams one call; a rejection from doStream or from reading the stream lands in `thrown`. */
async function stream(model: string, options: Partial<LanguageModelV3CallOptions> = {}): Promise<Outcome> {
  const parts: Part[] = [];
  try {
    const result = await provider.chatModel(model).doStream({ prompt: PROMPT, ...options });
    for await (const part of result.stream) parts.push(part);
    return { parts };
  } catch (thrown) {
    return { parts, thrown };
  }
}

const ofType = <T extends Part['type']>(parts: Part[], type: T): Array<Extract<Part, { type: T }>> =>
  parts.filter((p): p is Extract<Part, { type: T }> => p.type === type);
const textOf = (parts: Part[]): string => ofType(parts, 'text-delta').map((p) => p.delta).join('');
const finishOf = (parts: Part[]) => {
  const finishes = ofType(parts, 'finish');
  assert.equal(finishes.length, 1, 'exactly one finish part');
  return finishes[0];
};

describe('scripted upstream', () => {
  it('streams text in word pieces, then finish with the usage chunk', async () => {
    upstream.script('text-1', { text: 'Hello there, world!' });
    const { parts, thrown } = await stream('text-1');
    assert.equal(thrown, undefined);
    assert.deepEqual(ofType(parts, 'text-delta').map((p) => p.delta), ['Hello ', 'there, ', 'world!']);
    const finish = finishOf(parts);
    assert.equal(finish.finishReason.unified, 'stop');
    assert.equal(finish.finishReason.raw, 'stop');
    assert.ok((finish.usage.inputTokens.total ?? 0) > 0);
    assert.equal(finish.usage.outputTokens.total, Math.ceil('Hello there, world!'.length / 4));
    assert.equal(parts.at(-1)?.type, 'finish');
    assert.equal(upstream.remaining('text-1'), 0);
  });

  it('streams given pieces with a chosen finish reason and usage', async () => {
    upstream.script(
      'text-2',
      { text: ['a', 'b', 'c'], finishReason: 'length', usage: { prompt_tokens: 11, completion_tokens: 3 } },
      { text: 'abcdef', chunks: 2, finishReason: 'content_filter' },
    );
    const first = await stream('text-2');
    assert.deepEqual(ofType(first.parts, 'text-delta').map((p) => p.delta), ['a', 'b', 'c']);
    const finish = finishOf(first.parts);
    assert.equal(finish.finishReason.unified, 'length');
    assert.equal(finish.usage.inputTokens.total, 11);
    assert.equal(finish.usage.outputTokens.total, 3);
    assert.deepEqual(finish.usage.raw, { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });

    const second = await stream('text-2');
    assert.deepEqual(ofType(second.parts, 'text-delta').map((p) => p.delta), ['abc', 'def']);
    assert.equal(finishOf(second.parts).finishReason.unified, 'content-filter');
  });

  it('omits the usage chunk on request, and finish then has no token counts', async () => {
    upstream.script('text-3', { text: 'x', usage: false });
    const { parts } = await stream('text-3');
    assert.equal(finishOf(parts).usage.inputTokens.total, undefined);
  });

  it('streams parallel tool calls whose arguments reassemble exactly', async () => {
    const rome = '{"city":"Rome","note":"naïve 🚀 \\"quoted\\""}';
    upstream.script('tools-1', {
      text: 'Checking.',
      toolCalls: [
        { id: 'call_paris', name: 'get_weather', arguments: { city: 'Paris' } },
        { name: 'get_weather', arguments: rome },
      ],
      argumentChunks: 4,
    });
    const { parts, thrown } = await stream('tools-1', { tools: TOOLS });
    assert.equal(thrown, undefined);
    assert.equal(textOf(parts), 'Checking.');

    const starts = ofType(parts, 'tool-input-start');
    assert.deepEqual(
      starts.map((p) => [p.id, p.toolName]),
      [['call_paris', 'get_weather'], [starts[1].id, 'get_weather']],
    );
    assert.match(starts[1].id, /^call_[0-9a-f]{8}_1$/);
    for (const [id, args] of [['call_paris', '{"city":"Paris"}'], [starts[1].id, rome]]) {
      const deltas = ofType(parts, 'tool-input-delta').filter((p) => p.id === id);
      assert.ok(deltas.length > 1, 'arguments arrive over several deltas');
      assert.equal(deltas.map((p) => p.delta).join(''), args);
    }
    const calls = ofType(parts, 'tool-call');
    assert.deepEqual(
      calls.map((c) => [c.toolCallId, c.toolName, c.input]),
      [['call_paris', 'get_weather', '{"city":"Paris"}'], [starts[1].id, 'get_weather', rome]],
    );
    assert.equal(ofType(parts, 'tool-input-end').length, 2);
    // The provider emits tool-input-end and tool-call only when the stream ends, after every delta.
    const lastDelta = parts.findLastIndex((p) => p.type === 'tool-input-delta');
    assert.ok(parts.findIndex((p) => p.type === 'tool-input-end') > lastDelta);
    assert.equal(finishOf(parts).finishReason.unified, 'tool-calls');
  });

  it('answers 429 with retry-after as a retryable APICallError', async () => {
    upstream.script('err-429', { error: { status: 429, message: 'Slow down', headers: { 'retry-after': '1' } } });
    const { parts, thrown } = await stream('err-429');
    assert.deepEqual(parts, []);
    assert.ok(APICallError.isInstance(thrown));
    assert.equal(thrown.statusCode, 429);
    assert.equal(thrown.isRetryable, true);
    assert.equal(thrown.message, 'Slow down');
    assert.equal(thrown.responseHeaders?.['retry-after'], '1');
    assert.deepEqual(JSON.parse(thrown.responseBody ?? ''), {
      error: { message: 'Slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    });
  });

  it('answers 400 as a non-retryable APICallError', async () => {
    upstream.script('err-400', { error: { status: 400, message: 'bad tools', code: 'invalid_value' } });
    const { thrown } = await stream('err-400');
    assert.ok(APICallError.isInstance(thrown));
    assert.equal(thrown.statusCode, 400);
    assert.equal(thrown.isRetryable, false);
    assert.equal(thrown.message, 'bad tools');
  });

  it('records a hanging request as aborted when the client aborts before any byte', async () => {
    upstream.script('hang-1', { hang: true });
    const controller = new AbortController();
    const pending = stream('hang-1', { abortSignal: controller.signal });
    const req = await upstream.waitForRequest('hang-1');
    assert.equal(req.aborted, false);
    controller.abort();
    const { parts, thrown } = await pending;
    // doStream itself rejects: the response headers never arrived.
    assert.deepEqual(parts, []);
    assert.equal((thrown as Error).name, 'AbortError');
    await upstream.waitFor(() => req.aborted);
    assert.ok(req.abortedAt !== undefined && req.abortedAt >= req.receivedAt);
    assert.equal(req.finishedAt, undefined);
  });

  it('records an abort mid-stream; reading the stream rejects with AbortError and no finish', async () => {
    upstream.script('hang-2', { hang: { afterChunks: 2, text: 'one two three' } });
    const controller = new AbortController();
    const parts: Part[] = [];
    const result = await provider.chatModel('hang-2').doStream({ prompt: PROMPT, abortSignal: controller.signal });
    const reader = result.stream.getReader();
    let thrown: unknown;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        if (textOf(parts) === 'one two ') controller.abort();
      }
    } catch (err) {
      thrown = err;
    }
    assert.equal((thrown as Error).name, 'AbortError');
    assert.equal(ofType(parts, 'finish').length, 0);
    const [req] = upstream.requests('hang-2');
    await upstream.waitFor(() => req.aborted);
  });

  it('surfaces a cut stream as a retryable APICallError thrown from the stream, with no finish', async () => {
    upstream.script('cut-1', { cut: { afterChunks: 2, text: 'alpha beta gamma' } });
    const { parts, thrown } = await stream('cut-1');
    assert.equal(textOf(parts), 'alpha beta ');
    assert.equal(ofType(parts, 'error').length, 0);
    assert.equal(ofType(parts, 'finish').length, 0);
    assert.ok(APICallError.isInstance(thrown));
    assert.equal(thrown.message, 'Failed to process successful response');
    assert.equal(thrown.statusCode, 200);
    assert.equal(thrown.isRetryable, true); // the socket error (UND_ERR_SOCKET) counts as a network error
    assert.equal((thrown.cause as Error).message, 'terminated');
    assert.equal(upstream.requests('cut-1')[0].aborted, false);
  });

  it('surfaces a malformed chunk as an error part, then finish with reason error', async () => {
    upstream.script('bad-1', { malformed: true });
    const { parts, thrown } = await stream('bad-1');
    assert.equal(thrown, undefined);
    assert.equal(textOf(parts), 'Hello');
    const errors = ofType(parts, 'error');
    assert.equal(errors.length, 1);
    assert.equal((errors[0].error as Error).name, 'AI_JSONParseError');
    const finish = finishOf(parts);
    assert.equal(finish.finishReason.unified, 'error');
    assert.equal(finish.usage.inputTokens.total, undefined);
  });

  it('keeps streaming past a malformed chunk: a later finish_reason wins over the error', async () => {
    upstream.script('bad-2', { malformed: { text: 'Hi', thenFinish: true } });
    const { parts } = await stream('bad-2');
    assert.equal(ofType(parts, 'error').length, 1);
    assert.equal(finishOf(parts).finishReason.unified, 'stop');
  });

  it('surfaces an in-stream error event as an error part carrying the raw error object', async () => {
    upstream.script('stream-err', { streamError: { message: 'overloaded', afterChunks: 1, text: 'partial answer' } });
    const { parts, thrown } = await stream('stream-err');
    assert.equal(thrown, undefined);
    assert.equal(textOf(parts), 'partial ');
    assert.deepEqual(ofType(parts, 'error').map((p) => p.error), [
      { message: 'overloaded', type: 'server_error', param: null, code: null },
    ]);
    assert.equal(finishOf(parts).finishReason.unified, 'error');
  });

  it('answers an unscripted request with a 500 and records it', async () => {
    const { thrown } = await stream('nobody-scripted-this');
    assert.ok(APICallError.isInstance(thrown));
    assert.equal(thrown.statusCode, 500);
    assert.equal(thrown.message, 'unscripted request for model nobody-scripted-this');
    const unscripted = upstream.unscripted.filter((r) => r.model === 'nobody-scripted-this');
    assert.equal(unscripted.length, 1);
    assert.equal(unscripted[0].answer, 'unscripted');
  });

  it('records each request with its body, headers and arrival time', async () => {
    upstream.script('record-1', { text: 'ok' });
    const startedAt = Date.now();
    await stream('record-1', {
      tools: TOOLS,
      toolChoice: { type: 'tool', toolName: 'get_weather' },
      temperature: 0.2,
      topP: 0.9,
      maxOutputTokens: 64,
      responseFormat: { type: 'json' },
      headers: { 'x-test': 'yes' },
    });
    const [req] = upstream.requests('record-1');
    assert.equal(req.method, 'POST');
    assert.equal(req.path, '/v1/chat/completions');
    assert.equal(req.headers.authorization, 'Bearer x');
    assert.equal(req.headers['x-test'], 'yes');
    assert.ok(req.receivedAt >= startedAt && req.finishedAt !== undefined && req.finishedAt >= req.receivedAt);
    assert.equal(req.answer, 'text');
    assert.equal(req.aborted, false);
    const body = req.body;
    assert.equal(body.model, 'record-1');
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'What is the weather in Paris and Rome?' },
    ]);
    assert.deepEqual(body.tools, [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather for a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ]);
    assert.deepEqual(body.tool_choice, { type: 'function', function: { name: 'get_weather' } });
    assert.equal(body.temperature, 0.2);
    assert.equal(body.top_p, 0.9);
    assert.equal(body.max_tokens, 64);
    assert.deepEqual(body.response_format, { type: 'json_object' });
  });

  it('answers with a function, which sees the request, and keeps models apart', async () => {
    upstream.scriptFn('fn-1', (req) => ({ text: `you said ${req.body.messages?.length} messages` }));
    upstream.script('fn-2', { text: 'queued' });
    const [a, b, c] = await Promise.all([stream('fn-1'), stream('fn-2'), stream('fn-1')]);
    assert.equal(textOf(a.parts), 'you said 2 messages');
    assert.equal(textOf(b.parts), 'queued');
    assert.equal(textOf(c.parts), 'you said 2 messages');
    assert.equal(upstream.requests('fn-1').length, 2);
    assert.ok(upstream.requests().length >= 3);
  });

  it('answers queued turns before the function', async () => {
    upstream.script('fn-3', { text: 'first' });
    upstream.scriptFn('fn-3', () => ({ text: 'later' }));
    assert.equal(textOf((await stream('fn-3')).parts), 'first');
    assert.equal(textOf((await stream('fn-3')).parts), 'later');
  });

  it('answers a script function that throws with a 500 and records it as unscripted', async () => {
    upstream.scriptFn('fn-throws', () => {
      throw new Error('no idea');
    });
    const { thrown } = await stream('fn-throws');
    assert.ok(APICallError.isInstance(thrown));
    assert.match(thrown.message, /script function for model fn-throws threw: Error: no idea/);
    assert.equal(upstream.unscripted.find((r) => r.model === 'fn-throws')?.answer, 'script-error');
  });

  it('delays the first byte and the chunks', async () => {
    upstream.script('slow-1', { text: ['a', 'b', 'c'], firstByteDelayMs: 60, delayMs: 30 });
    const startedAt = Date.now();
    const result = await provider.chatModel('slow-1').doStream({ prompt: PROMPT });
    const headersAt = Date.now();
    for await (const part of result.stream) void part;
    const doneAt = Date.now();
    assert.ok(headersAt - startedAt >= 55, `first byte after ${headersAt - startedAt} ms`);
    assert.ok(doneAt - headersAt >= 4 * 30 - 10, `stream took ${doneAt - headersAt} ms`); // 5 gaps between 6 events
  });

  it('answers non-streaming requests with a chat.completion object', async () => {
    upstream.script(
      'generate-1',
      { text: 'Plain answer', usage: { prompt_tokens: 5, completion_tokens: 2 } },
      { toolCalls: [{ id: 'call_x', name: 'get_weather', arguments: { city: 'Oslo' } }] },
    );
    const text = await provider.chatModel('generate-1').doGenerate({ prompt: PROMPT });
    assert.deepEqual(text.content, [{ type: 'text', text: 'Plain answer' }]);
    assert.equal(text.finishReason.unified, 'stop');
    assert.equal(text.usage.inputTokens.total, 5);
    const tools = await provider.chatModel('generate-1').doGenerate({ prompt: PROMPT, tools: TOOLS });
    assert.deepEqual(tools.content, [
      { type: 'tool-call', toolCallId: 'call_x', toolName: 'get_weather', input: '{"city":"Oslo"}' },
    ]);
    assert.equal(tools.finishReason.unified, 'tool-calls');
    assert.equal(upstream.requests('generate-1')[0].body.stream, undefined);
  });

  it('close() ends hanging requests without counting them as client aborts', async () => {
    const own = await startScriptedUpstream();
    const ownProvider = createOpenAICompatible({ name: 'upstream', baseURL: own.baseURL, apiKey: 'x', includeUsage: true });
    own.script('m', { hang: true });
    const pending = ownProvider
      .chatModel('m')
      .doStream({ prompt: PROMPT })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    const req = await own.waitForRequest('m');
    await own.close();
    const thrown = await pending;
    assert.ok(APICallError.isInstance(thrown));
    assert.equal(thrown.isRetryable, true);
    assert.equal(req.aborted, false);
  });
});
