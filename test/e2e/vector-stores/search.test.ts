/**
 * `vectorStores.search`: string and array queries, max_num_results, score_threshold, scores in
 * [0, 1] best first, attribute filters (every comparison operator, and/or, nested) checked against
 * exactly the files that must come back, the result shape, request validation, and ranking on the
 * real sample documents.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { SearchFilter, SearchPage, VectorStore } from './sdk.js';
import { describeVs, docBytes, eachSdk, expectApiError, uploadText, waitForStore } from './support.js';

interface Produce {
  name: string;
  text: string;
  attributes: Record<string, string | number | boolean> | null;
}

// Every file mentions "harvest", so that query reaches all of them and the filters decide.
const PRODUCE: Produce[] = [
  { name: 'apples.md', text: 'Orchard harvest: apples ripen in autumn on old trees.', attributes: { category: 'fruit', year: 2021, price: 3, organic: true, region: 'north' } },
  { name: 'bananas.md', text: 'Plantation harvest: bananas are cut green and ripen in transit.', attributes: { category: 'fruit', year: 2022, price: 1, organic: false, region: 'south' } },
  { name: 'carrots.md', text: 'Field harvest: carrots are pulled from loose sandy soil.', attributes: { category: 'vegetable', year: 2023, price: 2, organic: true, region: 'north' } },
  { name: 'dates.md', text: 'Oasis harvest: dates are picked by climbers high in the palms.', attributes: { category: 'fruit', year: 2024, price: 5, organic: true, region: 'east' } },
  { name: 'eggplant.md', text: 'Greenhouse harvest: eggplants are cut with a short stem.', attributes: { category: 'vegetable', year: 2020, price: 4, organic: false, region: 'west' } },
  { name: 'wheat.md', text: 'Prairie harvest: wheat is threshed by combines in late summer.', attributes: { category: 'grain', year: 2019, price: 6, organic: false, region: 'south' } },
  { name: 'plain.md', text: 'A harvest note that carries no attributes at all.', attributes: null },
];

const REAL_DOCS = [
  'fastify-routes.md',
  'ntsb-report-20080102X00005.pdf',
  'docling-word-sample.docx',
  'docling-powerpoint-sample.pptx',
  'wikipedia-duck.html',
  'seattle-weather.csv',
  'stanley-cups.xlsx',
];

function assertPage(page: SearchPage, query: string | string[]): void {
  assert.deepEqual(Object.keys(page).sort(), ['data', 'has_more', 'next_page', 'object', 'search_query']);
  assert.equal(page.object, 'vector_store.search_results.page');
  assert.deepEqual(page.search_query, Array.isArray(query) ? query : [query]);
  assert.equal(page.has_more, false);
  assert.equal(page.next_page, null);
  for (const [i, hit] of page.data.entries()) {
    assert.deepEqual(Object.keys(hit).sort(), ['attributes', 'content', 'file_id', 'filename', 'score']);
    assert.ok(hit.score >= 0 && hit.score <= 1, `score ${hit.score} in [0, 1]`);
    if (i > 0) assert.ok(hit.score <= page.data[i - 1].score, 'best first');
    assert.ok(hit.content.length >= 1);
    for (const c of hit.content) {
      assert.equal(c.type, 'text');
      assert.ok(c.text.length > 0);
    }
  }
}

describeVs('vector stores: search', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    let produce: VectorStore;
    const idOf = new Map<string, string>();
    const nameOf = new Map<string, string>();
    before(async () => {
      produce = await t.client.vectorStores.create({ name: 'produce' });
      for (const p of PRODUCE) {
        const f = await uploadText(t.client, p.name, p.text);
        idOf.set(p.name, f.id);
        nameOf.set(f.id, p.name);
        await t.client.files.create(produce.id, { file_id: f.id, ...(p.attributes && { attributes: p.attributes }) });
      }
      await waitForStore(t.client, produce.id, (v) => v.file_counts.completed === PRODUCE.length);
    });

    /** The file names a filtered "harvest" search returns, sorted. */
    async function namesFor(filters: SearchFilter): Promise<string[]> {
      const page = await t.client.vectorStores.search(produce.id, { query: 'harvest', filters, max_num_results: 50 });
      assertPage(page, 'harvest');
      return page.data.map((h) => nameOf.get(h.file_id)!).sort();
    }

    it('a string query: results carry file_id, filename, attributes and the chunk text, best first', async () => {
      const page = await t.client.vectorStores.search(produce.id, { query: 'apples ripen autumn' });
      assertPage(page, 'apples ripen autumn');
      assert.ok(page.data.length >= 1);
      const top = page.data[0];
      assert.equal(top.file_id, idOf.get('apples.md'));
      assert.equal(top.filename, 'apples.md');
      assert.deepEqual(top.attributes, PRODUCE[0].attributes);
      assert.equal(top.content.map((c) => c.text).join(''), PRODUCE[0].text);
      assert.ok(top.score > 0);
      // a file without attributes reports an empty object (the field is required)
      const plain = await t.client.vectorStores.search(produce.id, { query: 'carries no attributes' });
      assert.equal(plain.data[0].file_id, idOf.get('plain.md'));
      assert.deepEqual(plain.data[0].attributes, {});
      // nothing matches: an empty page
      const none = await t.client.vectorStores.search(produce.id, { query: 'submarine' });
      assertPage(none, 'submarine');
      assert.deepEqual(none.data, []);
    });

    it('an array query finds what each phrasing finds and echoes the array as search_query', async () => {
      const query = ['bananas transit', 'wheat combines'];
      const page = await t.client.vectorStores.search(produce.id, { query });
      assertPage(page, query);
      const names = page.data.map((h) => nameOf.get(h.file_id));
      assert.deepEqual(names.slice(0, 2).sort(), ['bananas.md', 'wheat.md']);
    });

    it('max_num_results caps the page; score_threshold drops weaker hits; scores stay in [0, 1] and descending', async () => {
      const all = await t.client.vectorStores.search(produce.id, { query: 'harvest', max_num_results: 50 });
      assertPage(all, 'harvest');
      assert.equal(all.data.length, PRODUCE.length);
      const two = await t.client.vectorStores.search(produce.id, { query: 'harvest', max_num_results: 2 });
      assert.equal(two.data.length, 2);
      assert.deepEqual(two.data.map((h) => h.file_id), all.data.slice(0, 2).map((h) => h.file_id));
      // the default is 10
      const many = await t.client.vectorStores.search(produce.id, { query: ['harvest', 'ripen', 'cut'] });
      assert.ok(many.data.length <= 10);

      const mixed = await t.client.vectorStores.search(produce.id, { query: 'dates palms climbers harvest', max_num_results: 50 });
      assertPage(mixed, 'dates palms climbers harvest');
      assert.equal(mixed.data[0].file_id, idOf.get('dates.md'));
      const top = mixed.data[0].score;
      const second = mixed.data[1].score;
      assert.ok(top > second, 'the file matching every term scores above those matching one');
      const threshold = (top + second) / 2;
      const strict = await t.client.vectorStores.search(produce.id, {
        query: 'dates palms climbers harvest',
        ranking_options: { score_threshold: threshold },
        max_num_results: 50,
      });
      assert.deepEqual(strict.data.map((h) => h.file_id), [idOf.get('dates.md')]);
      for (const h of strict.data) assert.ok(h.score >= threshold);
      assert.ok(top < 1, 'a keyword score stays below 1');
      const impossible = await t.client.vectorStores.search(produce.id, {
        query: 'dates palms climbers harvest',
        ranking_options: { score_threshold: Math.min(1, top + 1e-6) },
      });
      assert.deepEqual(impossible.data, [], 'a threshold above the best score leaves nothing');
      // ranker none and rewrite_query are accepted
      const plain = await t.client.vectorStores.search(produce.id, { query: 'harvest', ranking_options: { ranker: 'none' }, rewrite_query: false });
      assert.ok(plain.data.length > 0);
    });

    it('comparison filters: eq, ne, gt, gte, lt, lte, in, nin on strings, numbers and booleans', async () => {
      assert.deepEqual(await namesFor({ type: 'eq', key: 'category', value: 'fruit' }), ['apples.md', 'bananas.md', 'dates.md']);
      assert.deepEqual(await namesFor({ type: 'eq', key: 'organic', value: true }), ['apples.md', 'carrots.md', 'dates.md']);
      assert.deepEqual(await namesFor({ type: 'eq', key: 'year', value: 2022 }), ['bananas.md']);
      assert.deepEqual(
        (await namesFor({ type: 'ne', key: 'category', value: 'fruit' })).filter((n) => n !== 'plain.md'),
        ['carrots.md', 'eggplant.md', 'wheat.md'],
      );
      assert.deepEqual(await namesFor({ type: 'gt', key: 'year', value: 2022 }), ['carrots.md', 'dates.md']);
      assert.deepEqual(await namesFor({ type: 'gte', key: 'year', value: 2022 }), ['bananas.md', 'carrots.md', 'dates.md']);
      assert.deepEqual(await namesFor({ type: 'lt', key: 'price', value: 3 }), ['bananas.md', 'carrots.md']);
      assert.deepEqual(await namesFor({ type: 'lte', key: 'price', value: 3 }), ['apples.md', 'bananas.md', 'carrots.md']);
      assert.deepEqual(await namesFor({ type: 'in', key: 'region', value: ['north', 'east'] }), ['apples.md', 'carrots.md', 'dates.md']);
      assert.deepEqual(await namesFor({ type: 'in', key: 'year', value: [2020, 2024] }), ['dates.md', 'eggplant.md']);
      assert.deepEqual(
        (await namesFor({ type: 'nin', key: 'region', value: ['north', 'east'] })).filter((n) => n !== 'plain.md'),
        ['bananas.md', 'eggplant.md', 'wheat.md'],
      );
      // a key no file has matches nothing under eq/in/gt
      assert.deepEqual(await namesFor({ type: 'eq', key: 'colour', value: 'red' }), []);
      assert.deepEqual(await namesFor({ type: 'in', key: 'colour', value: ['red'] }), []);
      assert.deepEqual(await namesFor({ type: 'gt', key: 'colour', value: 1 }), []);
      // a filter that matches nothing is an empty page, not an error
      assert.deepEqual(await namesFor({ type: 'eq', key: 'category', value: 'meat' }), []);
    });

    it('compound filters: and, or, and nested, select exactly the files they describe', async () => {
      assert.deepEqual(
        await namesFor({ type: 'and', filters: [{ type: 'eq', key: 'category', value: 'fruit' }, { type: 'eq', key: 'organic', value: true }] }),
        ['apples.md', 'dates.md'],
      );
      assert.deepEqual(
        await namesFor({ type: 'or', filters: [{ type: 'eq', key: 'category', value: 'vegetable' }, { type: 'gte', key: 'price', value: 5 }] }),
        ['carrots.md', 'dates.md', 'eggplant.md', 'wheat.md'],
      );
      assert.deepEqual(
        await namesFor({
          type: 'and',
          filters: [
            { type: 'or', filters: [{ type: 'eq', key: 'region', value: 'north' }, { type: 'eq', key: 'region', value: 'south' }] },
            { type: 'lt', key: 'year', value: 2023 },
          ],
        }),
        ['apples.md', 'bananas.md', 'wheat.md'],
      );
      assert.deepEqual(
        await namesFor({
          type: 'or',
          filters: [
            { type: 'and', filters: [{ type: 'eq', key: 'category', value: 'grain' }, { type: 'gt', key: 'price', value: 5 }] },
            { type: 'and', filters: [{ type: 'in', key: 'region', value: ['west'] }, { type: 'eq', key: 'organic', value: false }] },
          ],
        }),
        ['eggplant.md', 'wheat.md'],
      );
      // filters and ranking together: the best of the filtered set comes first
      const page = await t.client.vectorStores.search(produce.id, {
        query: 'ripen',
        filters: { type: 'eq', key: 'category', value: 'fruit' },
      });
      assert.deepEqual(page.data.map((h) => nameOf.get(h.file_id)).sort(), ['apples.md', 'bananas.md']);
    });

    it('refuses bad requests: bad filters, max_num_results out of 1–50, threshold above 1, empty query', async () => {
      const bad: Array<[Record<string, unknown>, string | undefined]> = [
        [{ query: 'x', filters: { type: 'between', key: 'a', value: 1 } }, 'filters.type'],
        [{ query: 'x', filters: { type: 'eq', key: 'a' } }, 'filters.value'],
        [{ query: 'x', filters: { type: 'in', key: 'a', value: 'north' } }, 'filters.value'],
        [{ query: 'x', filters: { type: 'eq', key: 'a', value: ['north'] } }, 'filters.value'],
        [{ query: 'x', filters: { type: 'and', filters: [{ type: 'eq', key: 'a', value: { b: 1 } }] } }, undefined],
        [{ query: 'x', max_num_results: 0 }, 'max_num_results'],
        [{ query: 'x', max_num_results: 51 }, 'max_num_results'],
        [{ query: 'x', ranking_options: { score_threshold: 1.5 } }, 'ranking_options.score_threshold'],
        [{ query: '' }, 'query'],
        [{}, 'query'],
      ];
      for (const [body, param] of bad) {
        await expectApiError(t.client, t.client.vectorStores.search(produce.id, body as never), {
          status: 400,
          ...(param && { param }),
        });
      }
    });

    it('on the real documents, a phrase from one document ranks that document first', async () => {
      const vs = await t.client.vectorStores.create({ name: 'real docs' });
      const files = await Promise.all(
        REAL_DOCS.map(async (name) => ({ name, file: await t.client.files.uploadAndPoll(vs.id, await t.client.toFile(docBytes(name), name)) })),
      );
      for (const f of files) assert.equal(f.file.status, 'completed', f.name);
      const id = (name: string) => files.find((f) => f.name === name)!.file.id;
      const cases: Array<[string, string]> = [
        ['The route methods configure the endpoints of the application', 'fastify-routes.md'],
        ['Aviation Accident Final Report National Transportation Safety Board', 'ntsb-report-20080102X00005.pdf'],
        ['Swimming in the lake cute duckling summer activities', 'docling-word-sample.docx'],
        ['Test Table Slide with footnote', 'docling-powerpoint-sample.pptx'],
        ['domestic ducks farmed for meat eggs and feathers', 'wikipedia-duck.html'],
        ['precipitation temp_max temp_min wind drizzle', 'seattle-weather.csv'],
        ['Stanley Cups Maple Leafs Blues Flyers', 'stanley-cups.xlsx'],
      ];
      for (const [query, expected] of cases) {
        const page = await t.client.vectorStores.search(vs.id, { query, max_num_results: 5 });
        assertPage(page, query);
        assert.equal(page.data[0]?.file_id, id(expected), `"${query}" → ${expected}, got ${page.data[0]?.filename}`);
        assert.equal(page.data[0].filename, expected);
      }
    });
  });
});
