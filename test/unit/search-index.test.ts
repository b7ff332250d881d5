/**
 * The SQL search index on a fresh SQLite file and a fresh PostgreSQL database, emptied before
 * each test (`OA_TEST_BACKENDS=sqlite,postgres`, `OA_TEST_PG_URL` as for the e2e suite), once with
 * the vector extension (sqlite-vec / pgvector) and once without it (the brute-force fallback).
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Chunk, ScoredChunk, SearchIndex } from '../../src/search/search-index.js';
import { openScratchSearchIndex, type ScratchSearchIndex } from '../../src/search/sql/scratch-search-index.js';
import { BM25_B, BM25_K1 } from '../../src/search/sql/keyword-query.js';
import type { SearchDialect, SearchTables } from '../../src/search/sql/search-tables.js';
import { openSqlSearchIndex } from '../../src/search/sql/sql-search-index.js';
import { Kysely, SqliteDialect } from 'kysely';

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

const EXTENSION_INDEX = { sqlite: 'sqlite-vec', postgres: 'pgvector' } as const;

/** Unit vector at `degrees` from the x axis in the x/y plane, in `dims` dimensions. */
function angled(degrees: number, dims = 8): Float32Array {
  const v = new Float32Array(dims);
  v[0] = Math.cos((degrees * Math.PI) / 180);
  v[1] = Math.sin((degrees * Math.PI) / 180);
  return v;
}

for (const backend of BACKENDS) for (const extension of [true, false]) {
  describe(`SQL search index on ${backend}, ${extension ? `with ${EXTENSION_INDEX[backend]}` : 'without the vector extension'}`, () => {
    let scratch: ScratchSearchIndex;
    let index: SearchIndex;
    const logged: string[] = [];

    // one database per backend; every test starts from empty tables
    before(async () => {
      scratch = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL, extension, log: (m) => logged.push(m) });
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

    it(extension ? `keeps embeddings in ${EXTENSION_INDEX[backend]}, silently` : 'falls back to brute force with one warning', () => {
      assert.equal(scratch.index.vectorIndex, extension ? EXTENSION_INDEX[backend] : 'brute-force');
      if (extension) assert.deepEqual(logged, []);
      else {
        assert.equal(logged.length, 1);
        assert.match(logged[0], backend === 'sqlite' ? /sqlite-vec extension is not loaded/ : /pgvector .*not created in this database/);
        assert.match(logged[0], /falls back to exact cosine/);
      }
    });

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

    it('replaces a chunk’s embedding when the chunk is added again, or drops it', async () => {
      await index.add([chunk('vs', 'f', 0, 'a', { embedding: angled(0) }), chunk('vs', 'f', 1, 'b', { embedding: angled(90) })]);
      await index.add([chunk('vs', 'f', 0, 'a2', { embedding: angled(60) })]);
      let hits = await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: angled(0), limit: 10 });
      assert.deepEqual(ids(hits), ['vs:f:0', 'vs:f:1']);
      assert.ok(Math.abs(hits[0].score - 0.5) < 1e-6, String(hits[0].score));
      assert.equal(hits[0].chunk.text, 'a2');
      await index.add([chunk('vs', 'f', 1, 'b2')]);
      hits = await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: angled(0), limit: 10 });
      assert.deepEqual(ids(hits), ['vs:f:0']);
    });

    it('keeps embeddings of several dimensions apart; removals reach every dimension', async () => {
      await index.add([
        chunk('vs', 'f', 0, 'eight', { embedding: angled(10, 8) }),
        chunk('vs', 'f', 1, 'four', { embedding: angled(20, 4) }),
        chunk('vs', 'g', 0, 'four too', { embedding: angled(30, 4) }),
        chunk('vs_b', 'f', 0, 'twelve', { embedding: angled(0, 12) }),
        chunk('vs_b', 'f', 1, 'four in b', { embedding: angled(0, 4) }),
      ]);
      const query = async (dims: number, stores = ['vs', 'vs_b']) =>
        ids(await index.vector({ vectorStoreIds: stores, text: '', embedding: angled(0, dims), limit: 10 }));
      assert.deepEqual(await query(8), ['vs:f:0']);
      assert.deepEqual(await query(4), ['vs_b:f:1', 'vs:f:1', 'vs:g:0']);
      assert.deepEqual(await query(12), ['vs_b:f:0']);
      assert.deepEqual(await query(5), []);
      await index.removeFile('vs', 'f');
      assert.deepEqual(await query(8), []);
      assert.deepEqual(await query(4), ['vs_b:f:1', 'vs:g:0']);
      await index.removeStore('vs_b');
      assert.deepEqual(await query(4), ['vs:g:0']);
      assert.deepEqual(await query(12), []);
    });

    it('merges stores, filters files across stores, and cuts at the limit', async () => {
      await index.add([
        chunk('vs_a', 'f1', 0, 'a0', { embedding: angled(5) }),
        chunk('vs_a', 'f2', 0, 'a1', { embedding: angled(25) }),
        chunk('vs_b', 'f3', 0, 'b0', { embedding: angled(15) }),
        chunk('vs_b', 'f4', 0, 'b1', { embedding: angled(35) }),
        chunk('vs_c', 'f1', 0, 'c0', { embedding: angled(0) }),
      ]);
      const search = (extra: { fileIds?: string[]; limit?: number }) =>
        index.vector({ vectorStoreIds: ['vs_a', 'vs_b'], text: '', embedding: angled(0), limit: 10, ...extra });
      assert.deepEqual(ids(await search({})), ['vs_a:f1:0', 'vs_b:f3:0', 'vs_a:f2:0', 'vs_b:f4:0']);
      assert.deepEqual(ids(await search({ limit: 3 })), ['vs_a:f1:0', 'vs_b:f3:0', 'vs_a:f2:0']);
      assert.deepEqual(ids(await search({ fileIds: ['f2', 'f4', 'f9'] })), ['vs_a:f2:0', 'vs_b:f4:0']);
      assert.deepEqual(ids(await search({ fileIds: ['f1'], limit: 1 })), ['vs_a:f1:0']);
      assert.deepEqual(await search({ fileIds: [] }), []);
      const hits = await search({});
      [5, 15, 25, 35].forEach((deg, i) => assert.ok(Math.abs(hits[i].score - Math.cos((deg * Math.PI) / 180)) < 1e-6));
    });

    it('orders equal scores by insertion, also across the limit', async () => {
      await index.add([
        ...Array.from({ length: 12 }, (_, i) => chunk('vs', 'f', i, `same ${i}`, { embedding: angled(40) })),
        chunk('vs', 'g', 0, 'best', { embedding: angled(1) }),
        chunk('vs', 'g', 1, 'worst', { embedding: angled(170) }),
      ]);
      const hits = await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: angled(0), limit: 4 });
      assert.deepEqual(ids(hits), ['vs:g:0', 'vs:f:0', 'vs:f:1', 'vs:f:2']);
      const later = await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: angled(0), limit: 13 });
      assert.deepEqual(ids(later).slice(1), Array.from({ length: 12 }, (_, i) => `vs:f:${i}`));
    });

    it('stores no direction for a zero embedding, and a zero query finds nothing', async () => {
      await index.add([chunk('vs', 'f', 0, 'zero', { embedding: new Float32Array(8) }), chunk('vs', 'f', 1, 'x', { embedding: angled(0) })]);
      assert.deepEqual(ids(await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: angled(0), limit: 10 })), ['vs:f:1']);
      assert.deepEqual(await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: new Float32Array(8), limit: 10 }), []);
      assert.equal((await index.fileChunks('vs', 'f')).length, 2);
    });

    it('scans vectors past one page and past sqlite-vec’s largest k', async () => {
      const n = 4321;
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
      const top = await index.vector({ vectorStoreIds: ['vs'], text: '', embedding: new Float32Array([1, 0, 0, 0]), limit: 4000 });
      assert.deepEqual(ids(top), ids(hits.slice(0, 4000)));
    });
  });
}

for (const backend of BACKENDS) {
  describe(`SQL search index on ${backend}: moving to and from the vector extension`, () => {
    const corpus = [
      chunk('vs', 'f', 0, 'a', { embedding: angled(10) }),
      chunk('vs', 'f', 1, 'b', { embedding: angled(50) }),
      chunk('vs', 'g', 0, 'c', { embedding: angled(20, 4) }),
      chunk('vs_b', 'g', 0, 'd', { embedding: angled(30) }),
    ];

    it('moves embeddings written without the extension into it when the index opens with it', async () => {
      const logged: string[] = [];
      const s = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL, extension: false, log: (m) => logged.push(m) });
      try {
        assert.equal(s.index.vectorIndex, 'brute-force');
        await s.index.add(corpus);
        const q = { vectorStoreIds: ['vs', 'vs_b'], text: '', embedding: angled(0), limit: 10 };
        const before = await s.index.vector(q);
        assert.deepEqual(ids(before), ['vs:f:0', 'vs_b:g:0', 'vs:f:1']);

        await s.enableExtension();
        const reopened = await openSqlSearchIndex(s.db, backend, { log: (m) => logged.push(m) });
        assert.equal(reopened.vectorIndex, EXTENSION_INDEX[backend]);
        assert.equal(logged.at(-1), `file search: moved 4 embeddings into the ${EXTENSION_INDEX[backend]} index`);
        const left = await s.db.selectFrom('search_vectors').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(left.n), 0);
        const after = await reopened.vector(q);
        assert.deepEqual(ids(after), ids(before));
        after.forEach((h, i) => assert.ok(Math.abs(h.score - before[i].score) < 1e-6));
        assert.deepEqual(ids(await reopened.vector({ ...q, embedding: angled(0, 4) })), ['vs:g:0']);
        assert.deepEqual(ids(await reopened.vector({ ...q, fileIds: ['g'] })), ['vs_b:g:0']);
        await reopened.removeFile('vs', 'f');
        assert.deepEqual(ids(await reopened.vector(q)), ['vs_b:g:0']);

        // opened again: nothing left to move, nothing said
        const count = logged.length;
        await openSqlSearchIndex(s.db, backend, { log: (m) => logged.push(m) });
        assert.equal(logged.length, count);
      } finally {
        await s.close();
      }
    });

    if (backend === 'sqlite') {
      it('refuses to open without sqlite-vec a database whose embeddings are in vec0 tables', async () => {
        const s = await openScratchSearchIndex('sqlite');
        const plain = new Database(s.location);
        const db = new Kysely<SearchTables>({ dialect: new SqliteDialect({ database: plain }) });
        try {
          await s.index.add(corpus);
          await assert.rejects(openSqlSearchIndex(db, 'sqlite'), /sqlite-vec extension is not loaded .*keeps embeddings in search_vec_4, search_vec_8,/);
        } finally {
          await db.destroy();
          await s.close();
        }
      });
    }
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
