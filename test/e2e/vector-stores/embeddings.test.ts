/**
 * File search with an embedder (`EMBEDDING_MODEL`), end to end: the server embeds chunks and
 * queries through the scripted upstream's `/embeddings` (the deterministic hashing embedder), so
 * hybrid search finds a paraphrase that keyword search misses — shown against a second server on
 * the same backend without an embedder. Hybrid ranking honours max_num_results, score_threshold
 * and filters; a file_search run cites the file found by meaning; failures of the embeddings
 * endpoint fail ingestion with the file's own last_error (after retries when transient) and make
 * search fall back to keyword-only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RecordedRequest } from '../../fixtures/scripted-upstream.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { VS_SDKS, type SearchBody, type SearchPage, type VsFacade } from './sdk.js';
import { describeVs, unique, uploadText } from './support.js';

const EMBED_MODEL = 'hash-embed-384';
/** Retries of a 5xx, 429 or dropped connection within one embedding call (UPSTREAM_MAX_RETRIES). */
const RETRIES = 1;
const SDK = VS_SDKS.at(-1)!;

const SHELF: Record<string, string> = {
  'observatory.md': 'Notes from the observatory: the astronomer and the mathematician charted the orbit of the comet.',
  'studio.md': 'The photographer lit each portrait with two softboxes in a small studio.',
  'clinic.md': 'Nurses vaccinated the whole village against measles during the winter campaign.',
  'bakery.md': 'Sourdough bread rises slowly overnight in a cool kitchen.',
  'station.md': 'The night train to Vienna departs from platform nine at ten.',
  'orchard.md': 'Honey bees pollinate orchards while foraging for nectar.',
  'harbour.md': 'Fishing boats unload their catch at the harbour before dawn.',
  'lab.md': 'A chemist measured the acidity of rainwater samples from the valley.',
};
/** Shares no stemmed word with observatory.md (astronomi ≠ astronom, mathemat ≠ mathematician), only word parts. */
const PARAPHRASE = 'astronomy and mathematics';

// Inputs containing these words get a scripted failure from /embeddings.
const REJECTED = 'unembeddable'; // 400: the endpoint refuses it, not worth retrying
const BROKEN = 'overheated'; // 500 every time
const THROTTLED = 'throttled'; // 429 the first time only
const QUERY_DOWN = 'seismograph'; // 500 for a query
const QUERY_STALLS = 'stalactite'; // never answered

function inputsOf(req: RecordedRequest): string[] {
  const input = req.body.input;
  return typeof input === 'string' ? [input] : Array.isArray(input) ? (input as string[]) : [];
}

const mentioning = (requests: RecordedRequest[], word: string): RecordedRequest[] =>
  requests.filter((r) => inputsOf(r).some((t) => t.includes(word)));

/** Uploads the texts into a new store, each file with its attributes, and waits until all are in. */
async function shelfStore(client: VsFacade, attributes: (name: string) => Record<string, string> = () => ({})): Promise<{ vsId: string; ids: Map<string, string>; names: Map<string, string> }> {
  const vs = await client.vectorStores.create({ name: unique('shelf') });
  const ids = new Map<string, string>();
  const names = new Map<string, string>();
  for (const [name, text] of Object.entries(SHELF)) {
    const file = await uploadText(client, name, text);
    const vf = await client.files.createAndPoll(vs.id, { file_id: file.id, attributes: attributes(name) });
    assert.equal(vf.status, 'completed', JSON.stringify(vf.last_error));
    ids.set(name, file.id);
    names.set(file.id, name);
  }
  return { vsId: vs.id, ids, names };
}

/** [filename, score] per hit, best first. */
const ranking = (page: SearchPage): Array<[string, number]> => page.data.map((h) => [h.filename, h.score]);

describeVs(
  'vector stores: hybrid search with an embedder',
  {
    upstream: true,
    env: (upstreamURL) => ({
      EMBEDDING_MODEL: EMBED_MODEL,
      EMBEDDING_BASE_URL: upstreamURL!,
      // transient ingestion failures are retried when the job's lease lapses
      RUN_LEASE_MS: '3000',
      UPSTREAM_MAX_RETRIES: String(RETRIES),
      UPSTREAM_RETRY_BASE_MS: '10',
      // how long an embeddings call may go unanswered
      UPSTREAM_TIMEOUT_MS: '2000',
    }),
  },
  (ctx) => {
    let client: VsFacade;
    let keywordServer: TestServer;
    let keywordClient: VsFacade;
    let shelf: Awaited<ReturnType<typeof shelfStore>>;
    let keywordShelf: Awaited<ReturnType<typeof shelfStore>>;

    before(async () => {
      ctx.upstream.serveEmbeddings(EMBED_MODEL, {
        answer: (req, inputs) => {
          const has = (word: string) => inputs.some((t) => t.includes(word));
          if (has(REJECTED)) return { error: { status: 400, message: 'input rejected by the embedding model' } };
          if (has(BROKEN)) return { error: { status: 500, message: 'embedding server overheated' } };
          if (has(QUERY_DOWN)) return { error: { status: 500, message: 'embedding server down' } };
          if (has(QUERY_STALLS)) return { hang: true };
          if (has(THROTTLED) && mentioning(ctx.upstream.requests(EMBED_MODEL), THROTTLED).length === 1) {
            return { error: { status: 429, message: 'slow down', headers: { 'retry-after': '0' } } };
          }
          return undefined;
        },
      });
      client = SDK.make(ctx.baseURL);
      keywordServer = await startTestServer(ctx.backend, { env: { RUN_POLL_MS: '50' } });
      keywordClient = SDK.make(keywordServer.baseURL);
      shelf = await shelfStore(client);
      keywordShelf = await shelfStore(keywordClient);
    });
    after(async () => keywordServer?.close());

    describe(SDK.name, () => {
      it('uploadAndPoll embeds the chunks through /embeddings; a paraphrase keyword search misses is found first', async () => {
        const vs = await client.vectorStores.create({ name: unique('paraphrase') });
        const text = SHELF['observatory.md'];
        const vf = await client.files.uploadAndPoll(vs.id, await client.toFile(text, 'observatory.md'));
        assert.equal(vf.status, 'completed', JSON.stringify(vf.last_error));
        const embedded = ctx.upstream.requests(EMBED_MODEL).filter((r) => inputsOf(r).includes(text));
        assert.ok(embedded.length >= 1, 'the chunk text was sent to /embeddings');
        assert.equal(embedded[0].body.encoding_format, 'float');
        assert.ok(vf.usage_bytes >= Buffer.byteLength(text) + 384 * 4, `usage_bytes ${vf.usage_bytes} counts the 384-d vector`);

        const seen = ctx.upstream.requests(EMBED_MODEL).length;
        const hybrid = await client.vectorStores.search(shelf.vsId, { query: PARAPHRASE });
        assert.deepEqual(inputsOf(ctx.upstream.requests(EMBED_MODEL)[seen]), [PARAPHRASE], 'the query was embedded');
        assert.equal(hybrid.data[0]?.filename, 'observatory.md', JSON.stringify(ranking(hybrid)));
        assert.equal(hybrid.data[0].file_id, shelf.ids.get('observatory.md'));
        assert.equal(hybrid.data[0].content[0].text, SHELF['observatory.md']);

        // the same files and query on a server without an embedder: no stem in common, no hit
        const keyword = await keywordClient.vectorStores.search(keywordShelf.vsId, { query: PARAPHRASE });
        assert.deepEqual(ranking(keyword), []);
      });

      it('max_num_results cuts the fused ranking; scores are in [0, 1], best first', async () => {
        const query = 'the photographer charted the comet';
        const all = await client.vectorStores.search(shelf.vsId, { query, max_num_results: 50 });
        assert.equal(all.data.length, Object.keys(SHELF).length, 'the vector leg ranks every chunk');
        for (const [i, h] of all.data.entries()) {
          assert.ok(h.score > 0 && h.score <= 1, `score ${h.score}`);
          if (i > 0) assert.ok(h.score <= all.data[i - 1].score, 'best first');
        }
        // both files named by a query word rank above every file only the vectors found
        assert.deepEqual(all.data.slice(0, 2).map((h) => h.filename).sort(), ['observatory.md', 'studio.md']);
        for (const n of [1, 3, 5]) {
          const page = await client.vectorStores.search(shelf.vsId, { query, max_num_results: n });
          assert.deepEqual(ranking(page), ranking(all).slice(0, n), `max_num_results ${n}`);
        }
      });

      it('score_threshold keeps exactly the hits scoring at least the threshold', async () => {
        const query = 'the photographer charted the comet';
        const all = ranking(await client.vectorStores.search(shelf.vsId, { query, max_num_results: 50 }));
        const scores = [...new Set(all.map(([, s]) => s))];
        assert.ok(scores.length >= 3, 'distinct scores to cut between');
        const threshold = (scores[1] + scores[2]) / 2;
        const body: SearchBody = { query, max_num_results: 50, ranking_options: { score_threshold: threshold } };
        const kept = ranking(await client.vectorStores.search(shelf.vsId, body));
        assert.deepEqual(kept, all.filter(([, s]) => s >= threshold));
        assert.ok(kept.length >= 2 && kept.length < all.length, `kept ${kept.length} of ${all.length}`);
      });

      it('filters select files for the vector leg too: the best vector match is left out when filtered out', async () => {
        const wing = (name: string) => ({ wing: name === 'observatory.md' || name === 'lab.md' ? 'science' : 'town' });
        const store = await shelfStore(client, wing);
        const town = Object.keys(SHELF).filter((n) => wing(n).wing === 'town');
        const filtered = await client.vectorStores.search(store.vsId, {
          query: PARAPHRASE,
          max_num_results: 50,
          filters: { type: 'eq', key: 'wing', value: 'town' },
        });
        // keyword search finds nothing here, so every hit came from the vectors, and only from town files
        assert.deepEqual(filtered.data.map((h) => h.filename).sort(), town.sort());
        for (const h of filtered.data) assert.deepEqual(h.attributes, { wing: 'town' });
        const science = await client.vectorStores.search(store.vsId, {
          query: PARAPHRASE,
          filters: { type: 'eq', key: 'wing', value: 'science' },
        });
        assert.deepEqual(science.data.map((h) => h.filename), ['observatory.md', 'lab.md']);
      });

      it('a file_search run finds the paraphrase by meaning and cites that file', async () => {
        const model = unique('fs-embed');
        const answer = 'The comet was charted by an astronomer 【0:0†observatory.md】.';
        ctx.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: PARAPHRASE } }] }, { text: answer });
        const assistant = await client.base.assistants.create({
          model,
          tools: [{ type: 'file_search' }],
          tool_resources: { file_search: { vector_store_ids: [shelf.vsId] } },
        });
        const thread = await client.base.threads.create({ messages: [{ role: 'user', content: 'Who studied the comet?' }] });
        const run = await client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
        assert.equal(run.status, 'completed', JSON.stringify(run.last_error));

        const toolMsg = (ctx.upstream.requests(model)[1].body.messages ?? []).find((m) => m.role === 'tool');
        assert.ok(toolMsg && typeof toolMsg.content === 'string');
        assert.ok(toolMsg.content.startsWith(`【0:0†observatory.md】\n${SHELF['observatory.md']}`), toolMsg.content.slice(0, 200));

        const steps = await client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
        const details = steps.data[0].step_details as unknown as { tool_calls: Array<{ type: string; file_search: { results: Array<{ file_id: string; file_name: string; score: number }> } }> };
        const results = details.tool_calls.find((c) => c.type === 'file_search')!.file_search.results;
        assert.equal(results[0].file_id, shelf.ids.get('observatory.md'));
        assert.equal(results[0].file_name, 'observatory.md');
        assert.equal(results.length, Object.keys(SHELF).length, 'every chunk ranked by the vectors (20 results at most)');

        const reply = (await client.runApi.messages.all(thread.id)).at(-1)!;
        const part = reply.content[0] as unknown as { text: { value: string; annotations: Array<{ text: string; start_index: number; end_index: number; file_citation: { file_id: string } }> } };
        assert.equal(part.text.value, answer);
        assert.equal(part.text.annotations.length, 1);
        const [a] = part.text.annotations;
        assert.equal(a.file_citation.file_id, shelf.ids.get('observatory.md'));
        assert.equal(answer.slice(a.start_index, a.end_index), '【0:0†observatory.md】');
      });

      it('a file the embeddings endpoint refuses (400) fails at once with its own last_error; its chunks are not searchable', async () => {
        const vs = await client.vectorStores.create({ name: unique('refused') });
        const text = `An ${REJECTED} note about lighthouses.`;
        const vf = await client.files.uploadAndPoll(vs.id, await client.toFile(text, 'refused.md'));
        assert.equal(vf.status, 'failed');
        assert.equal(vf.last_error?.code, 'server_error');
        assert.match(vf.last_error!.message, new RegExp(`embeddings endpoint \\(model ${EMBED_MODEL}\\) failed: .*input rejected by the embedding model`));
        assert.equal(mentioning(ctx.upstream.requests(EMBED_MODEL), REJECTED).length, 1, 'a 400 is not retried');
        const found = await client.vectorStores.search(vs.id, { query: 'lighthouses' });
        assert.deepEqual(found.data, []);
        const store = await client.vectorStores.retrieve(vs.id);
        assert.deepEqual(store.file_counts, { in_progress: 0, completed: 0, failed: 1, cancelled: 0, total: 1 });
      });

      it('a 500 from the embeddings endpoint is retried (in the call, then per attempt), then the file fails with the upstream message', async () => {
        const vs = await client.vectorStores.create({ name: unique('broken') });
        const text = `The boiler ${BROKEN} twice last winter.`;
        const vf = await client.files.uploadAndPoll(vs.id, await client.toFile(text, 'boiler.md'));
        assert.equal(vf.status, 'failed');
        assert.equal(vf.last_error?.code, 'server_error');
        assert.match(vf.last_error!.message, /embeddings endpoint .*failed: .*embedding server overheated/);
        assert.equal(mentioning(ctx.upstream.requests(EMBED_MODEL), BROKEN).length, 3 * (1 + RETRIES), 'three attempts of 1 + RETRIES calls');
        assert.deepEqual((await client.vectorStores.search(vs.id, { query: 'boiler' })).data, []);
      });

      it('a 429 from the embeddings endpoint is retried at once and the file completes with its vectors', async () => {
        const vs = await client.vectorStores.create({ name: unique('throttled') });
        const text = `The observatory log was ${THROTTLED}: the astronomer and the mathematician waited.`;
        const vf = await client.files.uploadAndPoll(vs.id, await client.toFile(text, 'throttled.md'));
        assert.equal(vf.status, 'completed', JSON.stringify(vf.last_error));
        assert.deepEqual(
          mentioning(ctx.upstream.requests(EMBED_MODEL), THROTTLED).map((r) => r.answer),
          ['error', 'embeddings'],
        );
        const hits = await client.vectorStores.search(vs.id, { query: PARAPHRASE });
        assert.equal(hits.data[0]?.filename, 'throttled.md', 'found by its vector');
      });

      for (const [failure, word] of [
        ['answers 500', QUERY_DOWN],
        ['does not answer in time', QUERY_STALLS],
      ] as const) {
        it(`search falls back to keyword-only ranking when the embeddings endpoint ${failure}`, async () => {
          const query = `photographer portrait ${word}`;
          const seen = mentioning(ctx.upstream.requests(EMBED_MODEL), word).length;
          const degraded = await client.vectorStores.search(shelf.vsId, { query, max_num_results: 50 });
          // a 500 is retried within the call; a timeout is not (it has waited long enough)
          const calls = word === QUERY_DOWN ? 1 + RETRIES : 1;
          assert.equal(mentioning(ctx.upstream.requests(EMBED_MODEL), word).length, seen + calls, 'the query embedding was asked for');
          const keyword = await keywordClient.vectorStores.search(keywordShelf.vsId, { query, max_num_results: 50 });
          assert.ok(keyword.data.length >= 1);
          assert.deepEqual(ranking(degraded), ranking(keyword), 'exactly what a server without an embedder answers');
        });
      }

      it('a file_search run whose query embedding fails still completes with keyword results', async () => {
        const model = unique('fs-embed-down');
        const query = `photographer portrait ${QUERY_DOWN}`;
        ctx.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query } }] }, { text: 'Softboxes 【0:0†studio.md】.' });
        const assistant = await client.base.assistants.create({
          model,
          tools: [{ type: 'file_search' }],
          tool_resources: { file_search: { vector_store_ids: [shelf.vsId] } },
        });
        const thread = await client.base.threads.create({ messages: [{ role: 'user', content: 'How are portraits lit?' }] });
        const run = await client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
        assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
        const steps = await client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
        const details = steps.data[0].step_details as unknown as { tool_calls: Array<{ file_search: { results: Array<{ file_id: string }> } }> };
        assert.deepEqual(
          details.tool_calls[0].file_search.results.map((r) => shelf.names.get(r.file_id)),
          ['studio.md'],
          'only the keyword hit',
        );
        const reply = (await client.runApi.messages.all(thread.id)).at(-1)!;
        const part = reply.content[0] as unknown as { text: { annotations: Array<{ file_citation: { file_id: string } }> } };
        assert.equal(part.text.annotations[0]?.file_citation.file_id, shelf.ids.get('studio.md'));
      });
    });
  },
);
