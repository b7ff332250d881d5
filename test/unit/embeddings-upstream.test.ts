/**
 * The embedding test double and the server's embedder over it: the hashing embedder's vectors
 * (deterministic, unit length, nearer for texts sharing words or word parts), the scripted
 * upstream's `/embeddings` in OpenAI's wire shape (float and base64), and the AI SDK embedder's
 * batching, retries, timeout and error messages against it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOpenAICompatibleEmbedder } from '../../src/model/ai-sdk/ai-sdk-embedder.js';
import { ModelError } from '../../src/model/language-model.js';
import { cosine, HASHING_DIMS, hashingEmbedding } from '../fixtures/hashing-embedder.js';
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';

let upstream: ScriptedUpstream;
before(async () => {
  upstream = await startScriptedUpstream();
});
after(() => upstream.close());

async function post(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${upstream.baseURL}/embeddings`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const inputsOf = (r: RecordedRequest): unknown => r.body.input;

describe('hashing embedder', () => {
  it('is deterministic, unit length and 384-d', () => {
    const a = hashingEmbedding('Glaciers carve deep valleys.');
    assert.equal(a.length, HASHING_DIMS);
    assert.deepEqual(a, hashingEmbedding('Glaciers carve deep valleys.'));
    assert.ok(Math.abs(cosine(a, a) - 1) < 1e-5);
    assert.equal(hashingEmbedding('glaciers CARVE deep valleys').length, HASHING_DIMS);
    assert.ok(cosine(a, hashingEmbedding('glaciers CARVE deep valleys')) > 0.99, 'case and punctuation do not matter');
  });

  it('a text without words has the zero vector', () => {
    assert.ok(hashingEmbedding('… !!').every((x) => x === 0));
  });

  it('ranks paraphrases sharing word parts above unrelated texts', () => {
    const cases: Array<[string, string, string[]]> = [
      ['astronomy and mathematics', 'The astronomer and the mathematician charted the comet.', ['Sourdough bread rises overnight.', 'The night train departs at ten.']],
      ['photography lessons', 'A photographer teaches a lesson in the studio.', ['Nurses vaccinated the village.', 'Fishing boats unload their catch.']],
      ['vaccination of children', 'Nurses vaccinated every child in the village.', ['A photographer lit a portrait.', 'Bees pollinate orchards.']],
    ];
    for (const [query, near, far] of cases) {
      const q = hashingEmbedding(query);
      const best = cosine(q, hashingEmbedding(near));
      for (const f of far) assert.ok(best > cosine(q, hashingEmbedding(f)) + 0.1, `${query}: "${near}" (${best}) above "${f}"`);
    }
  });
});

describe('scripted upstream: /embeddings', () => {
  it('answers an array input in OpenAI wire shape, one vector per input in order', async () => {
    upstream.serveEmbeddings('emb-wire');
    const { status, json } = await post({ model: 'emb-wire', input: ['first text', 'second text'], encoding_format: 'float' });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(json).sort(), ['data', 'model', 'object', 'usage']);
    assert.equal(json.object, 'list');
    assert.equal(json.model, 'emb-wire');
    assert.deepEqual(json.usage, { prompt_tokens: 4, total_tokens: 4 });
    const data = json.data as Array<{ object: string; index: number; embedding: number[] }>;
    assert.deepEqual(data.map((d) => [d.object, d.index]), [['embedding', 0], ['embedding', 1]]);
    assert.deepEqual(Float32Array.from(data[1].embedding), hashingEmbedding('second text'));
    assert.equal(upstream.requests('emb-wire').at(-1)!.answer, 'embeddings');
  });

  it('takes a string input, and base64 encoding gives the same floats', async () => {
    upstream.serveEmbeddings('emb-b64', { dims: 64 });
    const { json } = await post({ model: 'emb-b64', input: 'one text', encoding_format: 'base64' });
    const [d] = json.data as Array<{ embedding: string }>;
    const bytes = Buffer.from(d.embedding, 'base64');
    assert.deepEqual(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), hashingEmbedding('one text', 64));
    const plain = await post({ model: 'emb-b64', input: 'one text' });
    assert.deepEqual((plain.json.data as Array<{ embedding: number[] }>)[0].embedding.length, 64, 'float by default');
  });

  it('refuses an empty or non-string input with a 400', async () => {
    upstream.serveEmbeddings('emb-bad');
    for (const input of ['', [], ['ok', ''], [1, 2, 3]]) {
      const { status, json } = await post({ model: 'emb-bad', input });
      assert.equal(status, 400, JSON.stringify(input));
      assert.equal((json.error as { type: string }).type, 'invalid_request_error');
    }
  });

  it('answers a model it does not serve with a 500 and records it as unscripted', async () => {
    const { status } = await post({ model: 'emb-unknown', input: 'x' });
    assert.equal(status, 500);
    assert.ok(upstream.unscripted.some((r) => r.model === 'emb-unknown' && r.answer === 'unscripted'));
  });

  it('answers with the error the answer function returns, per request', async () => {
    upstream.serveEmbeddings('emb-err', { answer: (_req, inputs) => (inputs.includes('boom') ? { error: { status: 503, message: 'down' } } : undefined) });
    const bad = await post({ model: 'emb-err', input: ['fine', 'boom'] });
    assert.equal(bad.status, 503);
    assert.equal((bad.json.error as { message: string }).message, 'down');
    assert.equal((await post({ model: 'emb-err', input: ['fine'] })).status, 200);
    assert.deepEqual(upstream.requests('emb-err').map((r) => r.answer), ['error', 'embeddings']);
  });
});

describe('AI SDK embedder over /embeddings', () => {
  const make = (model: string, extra: { batchSize?: number; timeoutMs?: number; maxRetries?: number } = {}) =>
    createOpenAICompatibleEmbedder({ baseUrl: upstream.baseURL, apiKey: 'sk-x', model, retryBaseMs: 1, ...extra });

  it('embeds in batches, in order, asking for floats', async () => {
    upstream.serveEmbeddings('sdk-batch');
    const texts = ['alpha one', 'beta two', 'gamma three'];
    const out = await make('sdk-batch', { batchSize: 2 }).embed(texts);
    assert.deepEqual(out, texts.map((t) => hashingEmbedding(t)));
    const reqs = upstream.requests('sdk-batch');
    assert.deepEqual(reqs.map(inputsOf), [['alpha one', 'beta two'], ['gamma three']]);
    assert.equal(reqs[0].body.encoding_format, 'float');
    assert.equal(reqs[0].headers.authorization, 'Bearer sk-x');
  });

  it('retries a 500 and a 429, then succeeds', async () => {
    let n = 0;
    upstream.serveEmbeddings('sdk-retry', {
      answer: () => (++n === 1 ? { error: { status: 500 } } : n === 2 ? { error: { status: 429, headers: { 'retry-after-ms': '1' } } } : undefined),
    });
    const [v] = await make('sdk-retry', { maxRetries: 2 }).embed(['retried text']);
    assert.deepEqual(v, hashingEmbedding('retried text'));
    assert.deepEqual(upstream.requests('sdk-retry').map((r) => r.answer), ['error', 'error', 'embeddings']);
  });

  it('gives up after maxRetries with a retryable error naming the embeddings endpoint', async () => {
    upstream.serveEmbeddings('sdk-down', { answer: () => ({ error: { status: 502, message: 'bad gateway' } }) });
    await assert.rejects(make('sdk-down', { maxRetries: 2 }).embed(['x']), (err: unknown) => {
      assert.ok(err instanceof ModelError);
      assert.equal(err.kind, 'server');
      assert.equal(err.retryable, true);
      assert.match(err.message, /^The embeddings endpoint \(model sdk-down\) failed: .*bad gateway/);
      return true;
    });
    assert.equal(upstream.requests('sdk-down').length, 3);
  });

  it('does not retry a 400', async () => {
    upstream.serveEmbeddings('sdk-400', { answer: () => ({ error: { status: 400, message: 'too long' } }) });
    await assert.rejects(make('sdk-400').embed(['x']), (err: unknown) => err instanceof ModelError && err.kind === 'client' && !err.retryable);
    assert.equal(upstream.requests('sdk-400').length, 1);
  });

  it('times out a call that gets no answer, without retrying it', async () => {
    upstream.serveEmbeddings('sdk-hang', { answer: () => ({ hang: true }) });
    await assert.rejects(make('sdk-hang', { timeoutMs: 150, maxRetries: 2 }).embed(['x']), (err: unknown) => err instanceof ModelError && err.kind === 'timeout');
    assert.equal(upstream.requests('sdk-hang').length, 1);
    await upstream.waitFor((all) => all.filter((r) => r.model === 'sdk-hang').every((r) => r.aborted));
  });

  it("ends at the caller's abort as aborted", async () => {
    upstream.serveEmbeddings('sdk-abort', { answer: () => ({ hang: true }) });
    const controller = new AbortController();
    const pending = make('sdk-abort').embed(['x'], controller.signal);
    await upstream.waitForRequest('sdk-abort');
    controller.abort();
    await assert.rejects(pending, (err: unknown) => err instanceof ModelError && err.kind === 'aborted');
  });
});
