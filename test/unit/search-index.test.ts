/**
 * The SQL search index on a fresh SQLite file and a fresh PostgreSQL database, emptied before
 * each test (`OA_TEST_BACKENDS=sqlite,postgres`, `OA_TEST_PG_URL` as for the e2e suite).
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Chunk, ScoredChunk, SearchIndex } from '../../src/search/search-index.js';
import { openScratchSearchIndex, type ScratchSearchIndex } from '../../src/search/sql/scratch-search-index.js';
import { BM25_B, BM25_K1 } from '../../src/search/sql/keyword-query.js';
import type { SearchDialect } from '../../src/search/sql/search-tables.js';

const BACKENDS = (process.env.OA_TEST_BACKENDS ?? 'sqlite,postgres')
  .split(',')
  .map((b) => b.trim())
  .filter((b): b is SearchDialect => b === 'sqlite' || b === 'postgres');
const PG_ADMIN_URL = process.env.OA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function chunk(vectorStoreId: string, fileId: string, index: number, text: string, extra: Partial<Chunk> = {}): Chunk {
  return {
    id: `${vectorStoreId}:${fileId}:${index}`,
    projectId: 'proj_1',
    vectorStoreId,
    fileId,
    index,
    text,
    attributes: {},
    ...extra,
  };
}

const ids = (hits: ScoredChunk[]) => hits.map((h) => h.chunk.id);

/** Lucene BM25 for one term, as in the index (the reference the SQL is checked against). */
function bm25(tf: number, dl: number, avgdl: number, n: number, df: number): number {
  const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
  return (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * dl) / avgdl));
}

/** Deterministic embedding: a unit axis per named concept, mixed by weights. */
function embed(weights: Record<string, number>, dims = 8): Float32Array {
  const axes = ['fruit', 'vehicle', 'weather', 'music', 'sport', 'code', 'food', 'space'];
  const v = new Float32Array(dims);
  for (const [name, w] of Object.entries(weights)) v[axes.indexOf(name)] = w;
  return v;
}

for (const backend of BACKENDS) {
  describe(`SQL search index on ${backend}`, () => {
    let scratch: ScratchSearchIndex;
    let index: SearchIndex;

    // one database per backend; every test starts from empty tables
    before(async () => {
      scratch = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL });
      index = scratch.index;
    });

    beforeEach(async () => {
      await scratch.clear();
    });

    after(async () => {
      await scratch.close();
    });

    async function postingCount(): Promise<number> {
      const row = await scratch.db
        .selectFrom('search_postings')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    }

    it('returns added chunks with their fields, best first, with maxScore above every score', async () => {
      await index.add([
        chunk('vs_a', 'file_1', 0, 'Apples grow on apple trees.', { attributes: { lang: 'en', year: 2024, ok: true } }),
        chunk('vs_a', 'file_1', 1, 'Bananas are yellow.'),
        chunk('vs_a', 'file_2', 0, 'An apple a day keeps the doctor away.'),
      ]);
      const hits = await index.keyword({ vectorStoreIds: ['vs_a'], text: 'apple trees', limit: 10 });
      assert.deepEqual(ids(hits), ['vs_a:file_1:0', 'vs_a:file_2:0']);
      assert.deepEqual(hits[0].chunk, {
        id: 'vs_a:file_1:0',
        projectId: 'proj_1',
        vectorStoreId: 'vs_a',
        fileId: 'file_1',
        index: 0,
        text: 'Apples grow on apple trees.',
        attributes: { lang: 'en', year: 2024, ok: true },
      });
      assert.ok(hits[0].score > hits[1].score && hits[1].score > 0);
      for (const h of hits) assert.ok(h.maxScore !== undefined && h.score < h.maxScore);
    });

    it('scores BM25 exactly: N, avgdl and df over the requested stores', async () => {
      // terms after analysis: d1 [appl, appl, pie] d2 [appl, cider, press, autumn] d3 [pear, tart]
      await index.add([
        chunk('vs_a', 'f', 0, 'apple apple pie'),
        chunk('vs_a', 'f', 1, 'apple cider press autumn'),
        chunk('vs_a', 'f', 2, 'pear tart'),
      ]);
      const hits = await index.keyword({ vectorStoreIds: ['vs_a'], text: 'apples', limit: 10 });
      const avgdl = 9 / 3;
      assert.deepEqual(ids(hits), ['vs_a:f:0', 'vs_a:f:1']);
      assert.ok(Math.abs(hits[0].score - bm25(2, 3, avgdl, 3, 2)) < 1e-9);
      assert.ok(Math.abs(hits[1].score - bm25(1, 4, avgdl, 3, 2)) < 1e-9);
      const idf = Math.log(1 + (3 - 2 + 0.5) / (2 + 0.5));
      assert.ok(Math.abs(hits[0].maxScore! - idf * (BM25_K1 + 1)) < 1e-9);

      // a second store changes the statistics only for queries that cover it
      await index.add([chunk('vs_b', 'g', 0, 'apple'), chunk('vs_b', 'g', 1, 'plum jam on toast today')]);
      const alone = await index.keyword({ vectorStoreIds: ['vs_a'], text: 'apple', limit: 10 });
      assert.ok(Math.abs(alone[0].score - hits[0].score) < 1e-12);
      const both = await index.keyword({ vectorStoreIds: ['vs_a', 'vs_b'], text: 'apple', limit: 10 });
      const avg2 = (9 + 5) / 5;
      assert.deepEqual(ids(both), ['vs_b:g:0', 'vs_a:f:0', 'vs_a:f:1']);
      assert.ok(Math.abs(both[0].score - bm25(1, 1, avg2, 5, 3)) < 1e-9);
      assert.ok(Math.abs(both[1].score - bm25(2, 3, avg2, 5, 3)) < 1e-9);
    });

    it('sums query terms (a repeated query term counts twice) and favours short chunks at equal tf', async () => {
      await index.add([
        chunk('vs', 'f', 0, 'solar panel'),
        chunk('vs', 'f', 1, 'solar panel installation guide for rooftops and gardens'),
        chunk('vs', 'f', 2, 'wind turbine'),
        chunk('vs', 'f', 3, 'battery storage'),
      ]);
      const hits = await index.keyword({ vectorStoreIds: ['vs'], text: 'solar panel', limit: 10 });
      assert.deepEqual(ids(hits), ['vs:f:0', 'vs:f:1']);
      const once = await index.keyword({ vectorStoreIds: ['vs'], text: 'solar', limit: 1 });
      const twice = await index.keyword({ vectorStoreIds: ['vs'], text: 'solar solar', limit: 1 });
      assert.ok(Math.abs(twice[0].score - 2 * once[0].score) < 1e-9);
    });

    it('only searches the requested stores and files', async () => {
      await index.add([
        chunk('vs_a', 'f1', 0, 'quantum computing basics'),
        chunk('vs_a', 'f2', 0, 'quantum entanglement explained'),
        chunk('vs_b', 'f3', 0, 'quantum tunnelling'),
      ]);
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs_b'], text: 'quantum', limit: 10 })), ['vs_b:f3:0']);
      assert.equal((await index.keyword({ vectorStoreIds: ['vs_a', 'vs_b'], text: 'quantum', limit: 10 })).length, 3);
      assert.deepEqual(
        ids(await index.keyword({ vectorStoreIds: ['vs_a', 'vs_b'], text: 'quantum', fileIds: ['f2', 'f3'], limit: 10 })).sort(),
        ['vs_a:f2:0', 'vs_b:f3:0'],
      );
      assert.deepEqual(await index.keyword({ vectorStoreIds: ['vs_a'], text: 'quantum', fileIds: [], limit: 10 }), []);
      assert.deepEqual(await index.keyword({ vectorStoreIds: ['vs_c'], text: 'quantum', limit: 10 }), []);
      assert.deepEqual(await index.keyword({ vectorStoreIds: [], text: 'quantum', limit: 10 }), []);
      assert.equal((await index.keyword({ vectorStoreIds: ['vs_a', 'vs_b'], text: 'quantum', limit: 2 })).length, 2);
    });

    it('replaces a chunk added again under the same id', async () => {
      await index.add([chunk('vs', 'f', 0, 'old words about zebras'), chunk('vs', 'f', 1, 'giraffes')]);
      await index.add([chunk('vs', 'f', 0, 'new words about lions', { attributes: { v: 2 } })]);
      assert.deepEqual(await index.keyword({ vectorStoreIds: ['vs'], text: 'zebras', limit: 10 }), []);
      const hits = await index.keyword({ vectorStoreIds: ['vs'], text: 'lions', limit: 10 });
      assert.deepEqual(ids(hits), ['vs:f:0']);
      assert.deepEqual(hits[0].chunk.attributes, { v: 2 });
      assert.deepEqual(
        (await index.fileChunks('vs', 'f')).map((c) => c.text),
        ['new words about lions', 'giraffes'],
      );
      // postings: new/word/lion + giraff (stopword "about" dropped); N = 2, avgdl = 2
      assert.equal(await postingCount(), 4);
      const store = await scratch.db.selectFrom('search_stores').selectAll().executeTakeFirstOrThrow();
      assert.deepEqual([Number(store.chunk_count), Number(store.token_sum)], [2, 4]);
    });

    it('keeps the last of repeated ids within one add', async () => {
      await index.add([chunk('vs', 'f', 0, 'first'), chunk('vs', 'f', 0, 'second')]);
      assert.deepEqual((await index.fileChunks('vs', 'f')).map((c) => c.text), ['second']);
    });

    it('removes a file: its chunks, postings and vectors, not the others', async () => {
      await index.add([
        chunk('vs', 'f1', 0, 'ocean waves', { embedding: embed({ weather: 1 }) }),
        chunk('vs', 'f1', 1, 'ocean tides', { embedding: embed({ weather: 1, space: 1 }) }),
        chunk('vs', 'f2', 0, 'ocean liners', { embedding: embed({ vehicle: 1 }) }),
        chunk('vs_other', 'f1', 0, 'ocean floor'),
      ]);
      await index.removeFile('vs', 'f1');
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs', 'vs_other'], text: 'ocean', limit: 10 })).sort(), [
        'vs:f2:0',
        'vs_other:f1:0',
      ]);
      assert.deepEqual(ids(await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: embed({ weather: 1 }), limit: 10 })), [
        'vs:f2:0',
      ]);
      assert.deepEqual(await index.fileChunks('vs', 'f1'), []);
      assert.equal((await index.fileChunks('vs_other', 'f1')).length, 1);
      assert.equal(await postingCount(), 4); // ocean+liner, ocean+floor
      await index.removeFile('vs', 'nope'); // no-op
    });

    it('removes a store entirely and leaves the other stores alone', async () => {
      await index.add([
        chunk('vs_a', 'f', 0, 'mountain hiking', { embedding: embed({ sport: 1 }) }),
        chunk('vs_b', 'f', 0, 'mountain biking', { embedding: embed({ sport: 1 }) }),
      ]);
      await index.removeStore('vs_a');
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs_a', 'vs_b'], text: 'mountain', limit: 10 })), ['vs_b:f:0']);
      assert.deepEqual(ids(await index.vector({ vectorStoreIds: ['vs_a', 'vs_b'], text: '', embedding: embed({ sport: 1 }), limit: 10 })), [
        'vs_b:f:0',
      ]);
      assert.deepEqual(await index.fileChunks('vs_a', 'f'), []);
      assert.equal(await postingCount(), 2);
      await index.removeStore('vs_a'); // again: no-op
      // the store can be filled anew
      await index.add([chunk('vs_a', 'f', 0, 'mountain lakes')]);
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs_a'], text: 'mountain', limit: 10 })), ['vs_a:f:0']);
    });

    it('stems and drops stopwords on both sides', async () => {
      await index.add([chunk('vs', 'f', 0, 'The runner was running quickly'), chunk('vs', 'f', 1, 'Connections connected')]);
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs'], text: 'runs', limit: 10 })), ['vs:f:0']);
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs'], text: 'connect', limit: 10 })), ['vs:f:1']);
      assert.deepEqual(await index.keyword({ vectorStoreIds: ['vs'], text: 'the was of', limit: 10 }), []);
      assert.deepEqual(await index.keyword({ vectorStoreIds: ['vs'], text: '  ', limit: 10 }), []);
    });

    it('matches unicode text: case, width, diacritics, CJK and other scripts', async () => {
      await index.add([
        chunk('vs', 'f', 0, 'Crème brûlée at the CAFÉ'),
        chunk('vs', 'f', 1, '東京タワーは東京の観光名所です'),
        chunk('vs', 'f', 2, 'Ελληνικά κείμενα και Кириллица'),
        chunk('vs', 'f', 3, 'ＦＵＬＬＷＩＤＴＨ letters and 12,500 units of 3.5 mg'),
      ]);
      const q = async (text: string) => ids(await index.keyword({ vectorStoreIds: ['vs'], text, limit: 10 }));
      assert.deepEqual(await q('cafe creme'), ['vs:f:0']);
      assert.deepEqual(await q('東京タワー'), ['vs:f:1']);
      assert.deepEqual(await q('観光'), ['vs:f:1']);
      assert.deepEqual(await q('ελληνικά'), ['vs:f:2']);
      assert.deepEqual(await q('кириллица'), ['vs:f:2']);
      assert.deepEqual(await q('fullwidth'), ['vs:f:3']);
      assert.deepEqual(await q('3.5'), ['vs:f:3']);
      assert.deepEqual(await q('12,500'), ['vs:f:3']);
    });

    it('answers a query of thousands of distinct terms (a pasted document)', async () => {
      await index.add([chunk('vs', 'f', 0, 'w5 w17 zebra'), chunk('vs', 'f', 1, 'w3000 only')]);
      const text = Array.from({ length: 5000 }, (_, i) => `w${i}`).join(' ');
      // the first 1,024 distinct terms count: w3000 is past them
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs'], text, limit: 10 })), ['vs:f:0']);
    });

    it('updates the attributes of a file’s chunks', async () => {
      await index.add([
        chunk('vs', 'f', 0, 'alpha', { attributes: { tag: 'a' } }),
        chunk('vs', 'f', 1, 'beta', { attributes: { tag: 'a' } }),
        chunk('vs', 'g', 0, 'alpha', { attributes: { tag: 'a' } }),
      ]);
      await index.setAttributes('vs', 'f', { tag: 'b', n: 3, flag: false });
      assert.deepEqual(
        (await index.fileChunks('vs', 'f')).map((c) => c.attributes),
        [
          { tag: 'b', n: 3, flag: false },
          { tag: 'b', n: 3, flag: false },
        ],
      );
      const hits = await index.keyword({ vectorStoreIds: ['vs'], text: 'alpha', limit: 10 });
      assert.deepEqual(
        Object.fromEntries(hits.map((h) => [h.chunk.fileId, h.chunk.attributes])),
        { f: { tag: 'b', n: 3, flag: false }, g: { tag: 'a' } },
      );
    });

    it('lists a file’s chunks in order', async () => {
      await index.add([chunk('vs', 'f', 2, 'two'), chunk('vs', 'f', 0, 'zero'), chunk('vs', 'f', 1, 'one')]);
      assert.deepEqual((await index.fileChunks('vs', 'f')).map((c) => [c.index, c.text]), [
        [0, 'zero'],
        [1, 'one'],
        [2, 'two'],
      ]);
    });

    it('adds many chunks in one call (batched statements)', async () => {
      const many = Array.from({ length: 1234 }, (_, i) => chunk('vs', `f${i % 7}`, i, `item number ${i} common ${i % 2 ? 'odd' : 'even'}`));
      await index.add(many);
      assert.equal((await index.keyword({ vectorStoreIds: ['vs'], text: 'common', limit: 2000 })).length, 1234);
      assert.equal((await index.keyword({ vectorStoreIds: ['vs'], text: 'odd', limit: 2000 })).length, 617);
      assert.deepEqual(ids(await index.keyword({ vectorStoreIds: ['vs'], text: '1000', limit: 10 })), ['vs:f6:1000']);
      await index.removeFile('vs', 'f0');
      assert.equal((await index.keyword({ vectorStoreIds: ['vs'], text: 'common', limit: 2000 })).length, 1234 - 177);
    });

    it('ranks by cosine similarity over chunks with embeddings', async () => {
      await index.add([
        chunk('vs', 'f', 0, 'a', { embedding: embed({ fruit: 1 }) }),
        chunk('vs', 'f', 1, 'b', { embedding: embed({ fruit: 1, food: 1 }) }),
        chunk('vs', 'f', 2, 'c', { embedding: embed({ vehicle: 2 }) }),
        chunk('vs', 'f', 3, 'd', { embedding: embed({ fruit: -1 }) }),
        chunk('vs', 'f', 4, 'no embedding'),
        chunk('vs', 'g', 0, 'e', { embedding: embed({ fruit: 3, food: 1 }) }),
        chunk('vs_other', 'f', 0, 'f', { embedding: embed({ fruit: 1 }) }),
      ]);
      const hits = await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: embed({ fruit: 5 }), limit: 10 });
      assert.deepEqual(ids(hits), ['vs:f:0', 'vs:g:0', 'vs:f:1', 'vs:f:2', 'vs:f:3']);
      const expected = [1, 3 / Math.sqrt(10), 1 / Math.SQRT2, 0, -1];
      hits.forEach((h, i) => assert.ok(Math.abs(h.score - expected[i]) < 1e-6, `${h.chunk.id}: ${h.score}`));
      assert.deepEqual(hits[0].chunk.text, 'a');
      assert.deepEqual(
        ids(await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: embed({ fruit: 1 }), fileIds: ['g'], limit: 10 })),
        ['vs:g:0'],
      );
      assert.equal((await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: embed({ fruit: 1 }), limit: 2 })).length, 2);
      // another dimension (an embedder change) is skipped, not an error
      assert.deepEqual(await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: new Float32Array([1, 0, 0]), limit: 10 }), []);
    });

    it('returns no vector hits when no chunk has an embedding', async () => {
      await index.add([chunk('vs', 'f', 0, 'plain text')]);
      assert.deepEqual(await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: embed({ fruit: 1 }), limit: 10 }), []);
      assert.deepEqual(await index.vector({ vectorStoreIds: ['vs_none'], text: '', embedding: embed({ fruit: 1 }), limit: 10 }), []);
    });

    it('scans vectors past one page', async () => {
      const n = 2345;
      await index.add(
        Array.from({ length: n }, (_, i) => {
          const v = new Float32Array(4);
          v[0] = 1;
          v[1] = i / n; // the smaller i, the closer to the query axis
          return chunk('vs', 'f', i, `t${i}`, { embedding: v });
        }),
      );
      const hits = await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: new Float32Array([1, 0, 0, 0]), limit: n + 10 });
      assert.equal(hits.length, n);
      assert.deepEqual(ids(hits.slice(0, 2)), ['vs:f:0', 'vs:f:1']);
      assert.equal(hits[n - 1].chunk.id, `vs:f:${n - 1}`);
    });
  });
}

if (BACKENDS.length === 2) {
  describe('SQL search index: both backends', () => {
    it('rank the same corpus identically', async () => {
      const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma'.split(' ');
      const corpus = Array.from({ length: 300 }, (_, i) =>
        chunk(i % 3 ? 'vs_a' : 'vs_b', `f${i % 11}`, i, Array.from({ length: 3 + (i % 9) }, (_, j) => words[(i * 7 + j * j * 3) % words.length]).join(' ')),
      );
      const results: Array<Array<[string, number]>> = [];
      for (const backend of BACKENDS) {
        const s = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL });
        try {
          await s.index.add(corpus);
          const out: Array<[string, number]> = [];
          for (const q of ['alpha beta', 'gamma gamma rho', 'pi', 'sigma omicron xi nu']) {
            for (const h of await s.index.keyword({ vectorStoreIds: ['vs_a', 'vs_b'], text: q, limit: 25 })) out.push([h.chunk.id, h.score]);
          }
          results.push(out);
        } finally {
          await s.close();
        }
      }
      assert.equal(results[0].length, results[1].length);
      results[0].forEach(([id, score], i) => {
        assert.equal(id, results[1][i][0]);
        assert.ok(Math.abs(score - results[1][i][1]) < 1e-9);
      });
    });
  });
}
