/**
 * Vector-store files: the SDK upload/create poll helpers on every document type of the sample set,
 * the failures (encrypted PDF, an image, an empty file) each with its own last_error, static
 * chunking bounds and their effect, list with `filter` and paging, attributes, the file content
 * page, detaching a file, and deleting the File itself out of every store.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';
import { collect } from '../support/fixtures.js';
import type { VectorStoreFile } from './sdk.js';
import {
  AUTO_AS_STATIC,
  assertVectorStoreShape,
  assertVsFileShape,
  describeVs,
  docBytes,
  eachSdk,
  expectApiError,
  http,
  makePng,
  notFound,
  uploadDoc,
  uploadText,
  waitForStore,
} from './support.js';

/** One sample per document type, with a phrase its extracted text must contain. */
const DOCS: Array<{ name: string; kind: string; phrase: string | RegExp }> = [
  { name: 'fastify-routes.md', kind: 'md', phrase: 'The route methods configure the endpoints' },
  { name: 'ntsb-report-20080102X00005.pdf', kind: 'pdf', phrase: 'National Transportation Safety Board' },
  { name: 'docling-word-sample.docx', kind: 'docx', phrase: 'Summer activities' },
  { name: 'docling-powerpoint-sample.pptx', kind: 'pptx', phrase: 'Test Table Slide' },
  { name: 'stanley-cups.xlsx', kind: 'xlsx', phrase: /Maple Leafs/ },
  { name: 'wikipedia-duck.html', kind: 'html', phrase: 'Duck' },
  { name: 'seattle-weather.csv', kind: 'csv', phrase: 'date,precipitation,temp_max,temp_min,wind,weather' },
];

describeVs('vector stores: files', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('uploadAndPoll completes every document type (md, pdf, docx, pptx, xlsx, html, csv) with usage and readable content', async () => {
      const vs = await t.client.vectorStores.create({ name: 'all kinds' });
      const results = await Promise.all(
        DOCS.map(async (d) => ({ d, file: await t.client.files.uploadAndPoll(vs.id, await t.client.toFile(docBytes(d.name), d.name)) })),
      );
      for (const { d, file } of results) {
        assertVsFileShape(file, vs.id);
        assert.equal(file.status, 'completed', `${d.kind}: ${JSON.stringify(file.last_error)}`);
        assert.equal(file.last_error, null);
        assert.ok(file.usage_bytes > 0, `${d.kind} has usage_bytes`);
        assert.deepEqual(file.chunking_strategy, AUTO_AS_STATIC);
        // the helper uploaded a File with purpose assistants under the document's name
        const uploaded = await t.client.base.files.retrieve(file.id);
        assert.equal(uploaded.filename, d.name);
        assert.equal(uploaded.purpose, 'assistants');
        assert.equal(uploaded.bytes, docBytes(d.name).length);

        const content = await t.client.files.content(vs.id, file.id);
        assert.equal(content.object, 'vector_store.file_content.page');
        assert.equal(content.has_more, false);
        assert.equal(content.next_page, null);
        assert.ok(content.data.length >= 1, `${d.kind} has content`);
        for (const part of content.data) assert.deepEqual(Object.keys(part).sort(), ['text', 'type']);
        const text = content.data.map((p) => p.text).join('');
        assert.equal(content.data[0].type, 'text');
        if (typeof d.phrase === 'string') assert.ok(text.includes(d.phrase), `${d.kind} text contains ${d.phrase}`);
        else assert.match(text, d.phrase);
      }
      // HTML: visible text only
      const html = results.find((r) => r.d.kind === 'html')!.file;
      const htmlText = (await t.client.files.content(vs.id, html.id)).data.map((p) => p.text).join('');
      assert.doesNotMatch(htmlText, /<script|<\/div>|function\s*\(/i);
      // PPTX/XLSX/DOCX are not left as zip bytes
      for (const kind of ['pptx', 'xlsx', 'docx']) {
        const f = results.find((r) => r.d.kind === kind)!.file;
        assert.doesNotMatch((await t.client.files.content(vs.id, f.id)).data[0].text ?? '', /^PK/);
      }

      const store = await t.client.vectorStores.retrieve(vs.id);
      assertVectorStoreShape(store);
      assert.equal(store.status, 'completed');
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: DOCS.length, failed: 0, cancelled: 0, total: DOCS.length });
      assert.equal(store.usage_bytes, results.reduce((s, r) => s + r.file.usage_bytes, 0));
    });

    it('the encrypted PDF fails with invalid_file saying it is encrypted; the store still counts it and completes', async () => {
      const vs = await t.client.vectorStores.create({ name: 'encrypted' });
      const file = await uploadDoc(t.client, 'password-protected.pdf');
      const vsFile = await t.client.files.createAndPoll(vs.id, { file_id: file.id });
      assertVsFileShape(vsFile, vs.id);
      assert.equal(vsFile.status, 'failed');
      assert.equal(vsFile.usage_bytes, 0);
      assert.ok(vsFile.last_error);
      assert.deepEqual(Object.keys(vsFile.last_error).sort(), ['code', 'message']);
      assert.equal(vsFile.last_error.code, 'invalid_file');
      assert.match(vsFile.last_error.message, /encrypted/i);
      const store = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(store.status, 'completed');
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 0, failed: 1, cancelled: 0, total: 1 });
      assert.equal(store.usage_bytes, 0);
      // a failed file has no content and nothing to find
      const content = await t.client.files.content(vs.id, file.id);
      assert.deepEqual(content.data, []);
      assert.deepEqual((await t.client.vectorStores.search(vs.id, { query: 'password' })).data, []);
    });

    it('an image fails with unsupported_file; an empty text file and a corrupt PDF fail with invalid_file', async () => {
      const vs = await t.client.vectorStores.create({ name: 'bad files' });
      const [png, empty, corrupt, good] = await Promise.all(
        [
          t.client.toFile(makePng(), 'picture.png'),
          t.client.toFile(new Uint8Array(0), 'empty.txt'),
          t.client.toFile('%PDF-1.7\nthis is not really a pdf\n%%EOF', 'broken.pdf'),
          t.client.toFile('plain words about otters', 'good.txt'),
        ].map(async (file) => t.client.files.uploadAndPoll(vs.id, await file)),
      );
      assert.equal(png.status, 'failed');
      assert.equal(png.last_error?.code, 'unsupported_file');
      assert.equal(typeof png.last_error?.message, 'string');
      assert.ok(png.last_error!.message.length > 0);

      assert.equal(empty.status, 'failed');
      assert.equal(empty.last_error?.code, 'invalid_file');

      assert.equal(corrupt.status, 'failed');
      assert.equal(corrupt.last_error?.code, 'invalid_file');

      // each failure is its own; a good file next to them completes
      assert.equal(good.status, 'completed');
      const store = await t.client.vectorStores.retrieve(vs.id);
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 1, failed: 3, cancelled: 0, total: 4 });
    });

    it('static chunking: bounds are enforced (400) and the chunks search returns respect the size', async () => {
      const vs = await t.client.vectorStores.create({ name: 'chunking' });
      const file = await uploadDoc(t.client, 'fastify-routes.md');
      const bad: Array<[number, number, string]> = [
        [400, 201, 'chunking_strategy.static.chunk_overlap_tokens'],
        [99, 0, 'chunking_strategy.static.max_chunk_size_tokens'],
        [4097, 0, 'chunking_strategy.static.max_chunk_size_tokens'],
        [800, -1, 'chunking_strategy.static.chunk_overlap_tokens'],
      ];
      for (const [max, overlap, param] of bad) {
        await expectApiError(
          t.client,
          t.client.files.create(vs.id, {
            file_id: file.id,
            chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap } },
          }),
          { status: 400, param },
        );
      }
      assert.equal((await t.client.files.list(vs.id)).data.length, 0, 'refused requests add nothing');

      // the bounds themselves are accepted and reported back as given
      const edgeStore = await t.client.vectorStores.create({ name: 'edge' });
      const big = await t.client.files.createAndPoll(edgeStore.id, {
        file_id: file.id,
        chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 4096, chunk_overlap_tokens: 2048 } },
      });
      assert.equal(big.status, 'completed');
      assert.deepEqual(big.chunking_strategy, { type: 'static', static: { max_chunk_size_tokens: 4096, chunk_overlap_tokens: 2048 } });

      const small = await t.client.files.createAndPoll(vs.id, {
        file_id: file.id,
        chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 } },
      });
      assert.equal(small.status, 'completed');
      assert.deepEqual(small.chunking_strategy, { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 50 } });

      const smallHits = await t.client.vectorStores.search(vs.id, { query: 'route handler', max_num_results: 50 });
      const bigHits = await t.client.vectorStores.search(edgeStore.id, { query: 'route handler', max_num_results: 50 });
      assert.ok(smallHits.data.length > 5, 'a 100-token chunking gives many chunks');
      for (const hit of smallHits.data) {
        const tokens = encode(hit.content.map((c) => c.text).join('')).length;
        assert.ok(tokens <= 100 + 2, `a chunk holds at most ~100 tokens (got ${tokens})`);
      }
      assert.ok(bigHits.data.length < smallHits.data.length, 'bigger chunks, fewer of them');
      assert.ok(
        bigHits.data.some((h) => encode(h.content.map((c) => c.text).join('')).length > 800),
        'a 4096-token chunking keeps chunks longer than the 800 of auto',
      );
    });

    it('lists a store’s files with filter and cursor paging in both orders; a bad filter is a 400', async () => {
      const vs = await t.client.vectorStores.create({ name: 'listing' });
      // added one after the other (ids in that order), then polled together
      const added: VectorStoreFile[] = [];
      for (const [name, content] of [['n0.txt', 'file number 0'], ['n1.txt', 'file number 1'], ['n2.txt', 'file number 2'], ['bad.png', makePng()]] as const) {
        added.push(await t.client.files.upload(vs.id, await t.client.toFile(content, name)));
      }
      const polled = await Promise.all(added.map((f) => t.client.files.poll(vs.id, f.id)));
      const good = polled.slice(0, 3);
      const bad = polled[3];
      for (const f of good) assert.equal(f.status, 'completed');
      assert.equal(bad.status, 'failed');
      const ids = [...good.map((f) => f.id), bad.id];

      const all = await t.client.files.list(vs.id);
      assert.equal(all.object, 'list');
      assert.deepEqual(all.data.map((f) => f.id), [...ids].reverse(), 'newest first');
      assert.equal(all.first_id, ids[3]);
      assert.equal(all.last_id, ids[0]);
      assert.equal(all.has_more, false);
      for (const f of all.data) assertVsFileShape(f, vs.id);

      const completed = await t.client.files.list(vs.id, { filter: 'completed', order: 'asc' });
      assert.deepEqual(completed.data.map((f) => f.id), good.map((f) => f.id));
      const failed = await t.client.files.list(vs.id, { filter: 'failed' });
      assert.deepEqual(failed.data.map((f) => f.id), [bad.id]);
      assert.deepEqual((await t.client.files.list(vs.id, { filter: 'in_progress' })).data, []);
      assert.deepEqual((await t.client.files.list(vs.id, { filter: 'cancelled' })).data, []);

      const p1 = await t.client.files.list(vs.id, { limit: 2, order: 'asc' });
      assert.deepEqual(p1.data.map((f) => f.id), ids.slice(0, 2));
      assert.equal(p1.has_more, true);
      const p2 = await t.client.files.list(vs.id, { limit: 2, order: 'asc', after: p1.last_id! });
      assert.deepEqual(p2.data.map((f) => f.id), ids.slice(2));
      assert.equal(p2.has_more, false);
      const before = await t.client.files.list(vs.id, { limit: 2, before: ids[0] });
      assert.deepEqual(before.data.map((f) => f.id), [ids[2], ids[1]]);
      const iterated = await collect(t.client.files.iterate(vs.id, { limit: 1, filter: 'completed' }));
      assert.deepEqual(iterated.map((f) => f.id), [...good.map((f) => f.id)].reverse());

      const res = await http(t.baseURL, `/vector_stores/${vs.id}/files?filter=done`);
      assert.equal(res.status, 400);
      assert.equal((res.json as { error: { param: string } }).error.param, 'filter');
    });

    it('sets, replaces and clears attributes; bad attributes are 400s; search reports them', async () => {
      const vs = await t.client.vectorStores.create({ name: 'attributes' });
      const file = await uploadText(t.client, 'attrs.md', 'walruses haul out on sea ice');
      const created = await t.client.files.createAndPoll(vs.id, { file_id: file.id, attributes: { region: 'arctic', year: 2024, public: true } });
      assert.deepEqual(created.attributes, { region: 'arctic', year: 2024, public: true });

      const updated = await t.client.files.update(vs.id, file.id, { region: 'antarctic', score: 4.5 });
      assertVsFileShape(updated, vs.id);
      assert.deepEqual(updated.attributes, { region: 'antarctic', score: 4.5 });
      assert.equal(updated.status, 'completed');
      assert.deepEqual((await t.client.files.retrieve(vs.id, file.id)).attributes, { region: 'antarctic', score: 4.5 });
      const hit = (await t.client.vectorStores.search(vs.id, { query: 'walruses' })).data[0];
      assert.deepEqual(hit.attributes, { region: 'antarctic', score: 4.5 });

      const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, i]));
      await expectApiError(t.client, t.client.files.update(vs.id, file.id, tooMany), { status: 400, param: 'attributes' });
      await expectApiError(t.client, t.client.files.update(vs.id, file.id, { ['k'.repeat(65)]: 1 }), { status: 400 });
      await expectApiError(t.client, t.client.files.update(vs.id, file.id, { long: 'v'.repeat(513) }), { status: 400, param: 'attributes.long' });
      await expectApiError(t.client, t.client.files.update(vs.id, file.id, { nested: { a: 1 } as never }), { status: 400, param: 'attributes.nested' });
      assert.deepEqual((await t.client.files.retrieve(vs.id, file.id)).attributes, { region: 'antarctic', score: 4.5 }, 'refused updates change nothing');

      const cleared = await t.client.files.update(vs.id, file.id, null);
      assert.equal(cleared.attributes, null);
      assert.equal((await t.client.files.retrieve(vs.id, file.id)).attributes, null);
    });

    it('detaches a file: vector_store.file.deleted; the File stays; counts drop; search forgets it; it can be added again', async () => {
      const vs = await t.client.vectorStores.create({ name: 'detach' });
      const [keep, drop] = await Promise.all([
        t.client.toFile('penguins waddle on the ice shelf', 'keep.md').then((f) => t.client.files.uploadAndPoll(vs.id, f)),
        t.client.toFile('penguins dive for krill in the ocean', 'drop.md').then((f) => t.client.files.uploadAndPoll(vs.id, f)),
      ]);
      const before = await t.client.vectorStores.search(vs.id, { query: 'penguins' });
      assert.deepEqual(before.data.map((h) => h.file_id).sort(), [keep.id, drop.id].sort());

      const deleted = await t.client.files.delete(vs.id, drop.id);
      assert.deepEqual(deleted, { id: drop.id, object: 'vector_store.file.deleted', deleted: true });
      await expectApiError(t.client, t.client.files.retrieve(vs.id, drop.id), notFound('vector store file', drop.id));
      await expectApiError(t.client, t.client.files.delete(vs.id, drop.id), notFound('vector store file', drop.id));
      await expectApiError(t.client, t.client.files.content(vs.id, drop.id), notFound('vector store file', drop.id));
      const file = await t.client.base.files.retrieve(drop.id);
      assert.equal(file.id, drop.id);
      assert.equal(file.filename, 'drop.md');

      const store = await t.client.vectorStores.retrieve(vs.id);
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 1, failed: 0, cancelled: 0, total: 1 });
      assert.equal(store.usage_bytes, keep.usage_bytes);
      const after = await t.client.vectorStores.search(vs.id, { query: 'penguins krill' });
      assert.deepEqual(after.data.map((h) => h.file_id), [keep.id]);

      const again = await t.client.files.createAndPoll(vs.id, { file_id: drop.id });
      assert.equal(again.status, 'completed');
      assert.deepEqual(
        (await t.client.vectorStores.search(vs.id, { query: 'krill' })).data.map((h) => h.file_id),
        [drop.id],
      );
    });

    it('the content page is the extracted text; the same File in two stores reads the same there', async () => {
      const text = '# Heading\n\nFirst paragraph about narwhals.\n\nSecond paragraph about belugas.\n';
      const file = await uploadText(t.client, 'whales.md', text);
      const a = await t.client.vectorStores.create({ file_ids: [file.id] });
      const b = await t.client.vectorStores.create({ file_ids: [file.id], chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 100, chunk_overlap_tokens: 0 } } });
      await t.client.files.poll(a.id, file.id);
      await t.client.files.poll(b.id, file.id);
      for (const id of [a.id, b.id]) {
        const page = await t.client.files.content(id, file.id);
        assert.deepEqual(page, { object: 'vector_store.file_content.page', data: [{ type: 'text', text }], has_more: false, next_page: null });
      }
    });

    it('deleting the File removes it from every store it was in: 404 there, counts drop, search no longer finds it', async () => {
      const gone = await uploadText(t.client, 'gone.md', 'the axolotl regrows its limbs');
      const stays = await uploadText(t.client, 'stays.md', 'the axolotl lives in lakes near Mexico City');
      const a = await t.client.vectorStores.create({ file_ids: [gone.id, stays.id] });
      const b = await t.client.vectorStores.create({ file_ids: [gone.id] });
      await waitForStore(t.client, a.id, (v) => v.file_counts.completed === 2);
      await waitForStore(t.client, b.id, (v) => v.file_counts.completed === 1);
      assert.equal((await t.client.vectorStores.search(b.id, { query: 'axolotl' })).data.length, 1);

      const deleted = await t.client.base.files.delete(gone.id);
      assert.deepEqual(deleted, { id: gone.id, object: 'file', deleted: true });
      await expectApiError(t.client, t.client.base.files.retrieve(gone.id), notFound('file', gone.id));
      for (const vs of [a, b]) {
        await expectApiError(t.client, t.client.files.retrieve(vs.id, gone.id), notFound('vector store file', gone.id));
        const hits = await t.client.vectorStores.search(vs.id, { query: 'axolotl limbs' });
        assert.ok(!hits.data.some((h) => h.file_id === gone.id), 'search no longer returns the deleted File');
      }
      const storeA = await t.client.vectorStores.retrieve(a.id);
      assert.deepEqual(storeA.file_counts, { in_progress: 0, completed: 1, failed: 0, cancelled: 0, total: 1 });
      assert.deepEqual((await t.client.files.list(a.id)).data.map((f) => f.id), [stays.id]);
      const storeB = await t.client.vectorStores.retrieve(b.id);
      assert.deepEqual(storeB.file_counts, { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 });
      assert.equal(storeB.usage_bytes, 0);
      assert.deepEqual((await t.client.vectorStores.search(b.id, { query: 'axolotl' })).data, []);
    });

    it('the poll helpers are told to come back in 200 ms (openai-poll-after-ms)', async () => {
      const vs = await t.client.vectorStores.create({});
      const f = await t.client.files.uploadAndPoll(vs.id, await t.client.toFile('short', 'short.txt'));
      const res = await http(t.baseURL, `/vector_stores/${vs.id}/files/${f.id}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('openai-poll-after-ms'), '200');
    });
  });
});
