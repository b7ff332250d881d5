/**
 * Vector stores as resources: create (name, metadata, expires_after, file_ids with a chunking
 * strategy), retrieve until status, file_counts and usage_bytes converge, modify, delete, list
 * with cursor paging in both orders, and the 404s for unknown ids, through each SDK's signatures.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { collect } from '../support/fixtures.js';
import {
  AUTO_AS_STATIC,
  assertVectorStoreShape,
  assertVsFileShape,
  describeVs,
  eachSdk,
  expectApiError,
  notFound,
  unique,
  uploadText,
  waitForStore,
} from './support.js';

describeVs('vector stores: CRUD', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('creates a store with name, metadata, expires_after and two files chunked static; it converges to completed', async () => {
      const started = Math.floor(Date.now() / 1000);
      const a = await uploadText(t.client, 'alpha.md', '# Alpha\n\nThe alpha file talks about lighthouses and their keepers.');
      const b = await uploadText(t.client, 'beta.txt', 'The beta file talks about glaciers and crevasses in the high mountains.');
      const chunking = { type: 'static' as const, static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 50 } };
      const created = await t.client.vectorStores.create({
        name: 'Knowledge base',
        metadata: { team: 'docs', env: 'e2e' },
        expires_after: { anchor: 'last_active_at', days: 7 },
        file_ids: [a.id, b.id],
        chunking_strategy: chunking,
      });
      assertVectorStoreShape(created);
      assert.equal(created.name, 'Knowledge base');
      assert.deepEqual(created.metadata, { team: 'docs', env: 'e2e' });
      assert.deepEqual(created.expires_after, { anchor: 'last_active_at', days: 7 });
      assert.ok(created.created_at >= started - 1 && created.created_at <= Math.ceil(Date.now() / 1000) + 1);
      assert.ok(created.last_active_at !== null && created.last_active_at >= created.created_at);
      assert.equal(created.expires_at, created.last_active_at! + 7 * 86_400);
      assert.equal(created.file_counts.total, 2);
      // counts and status agree at every read
      assert.equal(created.status, created.file_counts.in_progress > 0 ? 'in_progress' : 'completed');

      const done = await waitForStore(t.client, created.id, (vs) => vs.file_counts.completed === 2);
      assertVectorStoreShape(done);
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.file_counts, { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 });

      const files = await t.client.files.list(created.id, { order: 'asc' });
      assert.deepEqual(
        files.data.map((f) => f.id).sort(),
        [a.id, b.id].sort(),
      );
      for (const f of files.data) {
        assertVsFileShape(f, created.id);
        assert.equal(f.status, 'completed');
        assert.deepEqual(f.chunking_strategy, chunking);
        assert.equal(f.last_error, null);
        assert.ok(f.usage_bytes > 0, 'a completed file has usage_bytes');
      }
      assert.equal(done.usage_bytes, files.data.reduce((s, f) => s + f.usage_bytes, 0), "the store's usage is its files'");

      // retrieve returns the same object
      const again = await t.client.vectorStores.retrieve(created.id);
      assert.deepEqual(again, done);
    });

    it('creates with an empty body: no files, completed, no expiry; `auto` chunking is reported back as static 800/400', async () => {
      const vs = await t.client.vectorStores.create({});
      assertVectorStoreShape(vs);
      assert.equal(typeof vs.name, 'string');
      assert.deepEqual(vs.metadata, {});
      assert.equal(vs.status, 'completed');
      assert.deepEqual(vs.file_counts, { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 });
      assert.equal(vs.usage_bytes, 0);
      assert.equal(vs.expires_after, null);
      assert.equal(vs.expires_at, null);

      const f = await uploadText(t.client, 'auto.md', 'auto chunked text about pelicans');
      const withAuto = await t.client.vectorStores.create({ file_ids: [f.id], chunking_strategy: { type: 'auto' } });
      const vsFile = await t.client.files.poll(withAuto.id, f.id);
      assert.equal(vsFile.status, 'completed');
      assert.deepEqual(vsFile.chunking_strategy, AUTO_AS_STATIC);
      const noStrategy = await t.client.vectorStores.create({ file_ids: [f.id] });
      assert.deepEqual((await t.client.files.poll(noStrategy.id, f.id)).chunking_strategy, AUTO_AS_STATIC);
    });

    it('refuses bad create bodies: unknown file ids, overlap above half, chunk sizes out of range, days out of range', async () => {
      const countBefore = (await collect(t.client.vectorStores.iterate({ limit: 100 }))).length;
      await expectApiError(t.client, t.client.vectorStores.create({ file_ids: ['file-doesnotexist'] }), {
        status: 400,
        param: 'file_ids[0]',
        message: "No file found with id 'file-doesnotexist'.",
      });
      const f = await uploadText(t.client, 'x.md', 'x');
      await expectApiError(
        t.client,
        t.client.vectorStores.create({ file_ids: [f.id], chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 400, chunk_overlap_tokens: 201 } } }),
        { status: 400, param: 'chunking_strategy.static.chunk_overlap_tokens' },
      );
      for (const max of [99, 4097]) {
        await expectApiError(
          t.client,
          t.client.vectorStores.create({ file_ids: [f.id], chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: max, chunk_overlap_tokens: 0 } } }),
          { status: 400, param: 'chunking_strategy.static.max_chunk_size_tokens' },
        );
      }
      for (const days of [0, 366]) {
        await expectApiError(t.client, t.client.vectorStores.create({ expires_after: { anchor: 'last_active_at', days } }), {
          status: 400,
          param: 'expires_after.days',
        });
      }
      await expectApiError(t.client, t.client.vectorStores.create({ expires_after: { anchor: 'created_at' as never, days: 1 } }), {
        status: 400,
        param: 'expires_after.anchor',
      });
      await expectApiError(
        t.client,
        t.client.vectorStores.create({ metadata: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) }),
        { status: 400, param: 'metadata' },
      );
      await expectApiError(t.client, t.client.vectorStores.create({ name: 'n'.repeat(257) }), { status: 400, param: 'name' });
      // nothing was created by the refused requests
      assert.equal((await collect(t.client.vectorStores.iterate({ limit: 100 }))).length, countBefore);
    });

    it('modifies name, metadata and expires_after (set, then cleared with null)', async () => {
      const vs = await t.client.vectorStores.create({ name: 'before', metadata: { a: '1' } });
      const renamed = await t.client.vectorStores.update(vs.id, {
        name: 'after',
        metadata: { b: '2' },
        expires_after: { anchor: 'last_active_at', days: 3 },
      });
      assertVectorStoreShape(renamed);
      assert.equal(renamed.id, vs.id);
      assert.equal(renamed.name, 'after');
      assert.deepEqual(renamed.metadata, { b: '2' });
      assert.deepEqual(renamed.expires_after, { anchor: 'last_active_at', days: 3 });
      assert.equal(renamed.expires_at, renamed.last_active_at! + 3 * 86_400);
      assert.equal(renamed.created_at, vs.created_at);

      // fields left out stay as they are
      const onlyMeta = await t.client.vectorStores.update(vs.id, { metadata: { c: '3' } });
      assert.equal(onlyMeta.name, 'after');
      assert.deepEqual(onlyMeta.expires_after, { anchor: 'last_active_at', days: 3 });
      assert.deepEqual(onlyMeta.metadata, { c: '3' });

      const cleared = await t.client.vectorStores.update(vs.id, { expires_after: null });
      assert.equal(cleared.expires_after, null);
      assert.equal(cleared.expires_at, null);
      assert.deepEqual(await t.client.vectorStores.retrieve(vs.id), cleared);

      await expectApiError(t.client, t.client.vectorStores.update('vs_doesnotexist', { name: 'x' }), notFound('vector store', 'vs_doesnotexist'));
    });

    it('deletes a store: vector_store.deleted, then 404 for it, its files and a second delete; the File stays', async () => {
      const f = await uploadText(t.client, 'keep.md', 'the file outlives the store');
      const vs = await t.client.vectorStores.create({ name: 'doomed', file_ids: [f.id] });
      await t.client.files.poll(vs.id, f.id);
      const deleted = await t.client.vectorStores.delete(vs.id);
      assert.deepEqual(deleted, { id: vs.id, object: 'vector_store.deleted', deleted: true });
      await expectApiError(t.client, t.client.vectorStores.retrieve(vs.id), notFound('vector store', vs.id));
      await expectApiError(t.client, t.client.vectorStores.delete(vs.id), notFound('vector store', vs.id));
      await expectApiError(t.client, t.client.files.list(vs.id), notFound('vector store', vs.id));
      await expectApiError(t.client, t.client.files.retrieve(vs.id, f.id), notFound('vector store', vs.id));
      await expectApiError(t.client, t.client.vectorStores.search(vs.id, { query: 'file' }), notFound('vector store', vs.id));
      assert.equal((await t.client.base.files.retrieve(f.id)).id, f.id);
      const listed = await collect(t.client.vectorStores.iterate({ limit: 100 }));
      assert.ok(!listed.some((v) => v.id === vs.id), 'a deleted store is not listed');
    });

    it('lists stores newest first by default, pages with after/before in both orders, and auto-paginates', async () => {
      const tag = unique('list');
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push((await t.client.vectorStores.create({ name: `${tag}-${i}`, metadata: { tag } })).id);
      // tests in this file run one at a time, so the five newest stores are these
      const desc = await t.client.vectorStores.list({ limit: 5 });
      assert.equal(desc.object, 'list');
      assert.deepEqual(desc.data.map((v) => v.id), [...ids].reverse());
      assert.equal(desc.first_id, ids[4]);
      assert.equal(desc.last_id, ids[0]);
      for (const v of desc.data) assertVectorStoreShape(v);

      const p1 = await t.client.vectorStores.list({ limit: 2 });
      assert.deepEqual(p1.data.map((v) => v.id), [ids[4], ids[3]]);
      assert.equal(p1.has_more, true);
      const p2 = await t.client.vectorStores.list({ limit: 2, after: p1.last_id! });
      assert.deepEqual(p2.data.map((v) => v.id), [ids[2], ids[1]]);
      assert.equal(p2.has_more, true);

      const asc = await t.client.vectorStores.list({ order: 'asc', after: ids[0], limit: 3 });
      assert.deepEqual(asc.data.map((v) => v.id), [ids[1], ids[2], ids[3]]);
      assert.equal(asc.has_more, true);
      const ascLast = await t.client.vectorStores.list({ order: 'asc', after: ids[3] });
      assert.deepEqual(ascLast.data.map((v) => v.id), [ids[4]]);
      assert.equal(ascLast.has_more, false);
      const before = await t.client.vectorStores.list({ order: 'asc', before: ids[3], limit: 2 });
      assert.deepEqual(before.data.map((v) => v.id), [ids[1], ids[2]]);
      const beforeDesc = await t.client.vectorStores.list({ before: ids[1], limit: 2 });
      assert.deepEqual(beforeDesc.data.map((v) => v.id), [ids[3], ids[2]]);

      // the SDK's own auto-pagination with a small page size sees every store once, in order
      const all = await collect(t.client.vectorStores.iterate({ limit: 2, order: 'asc' }));
      const ours = all.filter((v) => v.metadata?.tag === tag).map((v) => v.id);
      assert.deepEqual(ours, ids);
      assert.equal(new Set(all.map((v) => v.id)).size, all.length, 'no store is listed twice');
    });

    it('answers 404 with the OpenAI wording for unknown stores, files and batches', async () => {
      await expectApiError(t.client, t.client.vectorStores.retrieve('vs_doesnotexist'), notFound('vector store', 'vs_doesnotexist'));
      await expectApiError(t.client, t.client.vectorStores.delete('vs_doesnotexist'), notFound('vector store', 'vs_doesnotexist'));
      await expectApiError(t.client, t.client.vectorStores.search('vs_doesnotexist', { query: 'x' }), notFound('vector store', 'vs_doesnotexist'));
      await expectApiError(t.client, t.client.files.list('vs_doesnotexist'), notFound('vector store', 'vs_doesnotexist'));
      const vs = await t.client.vectorStores.create({});
      await expectApiError(t.client, t.client.files.retrieve(vs.id, 'file-doesnotexist'), notFound('vector store file', 'file-doesnotexist'));
      await expectApiError(t.client, t.client.files.delete(vs.id, 'file-doesnotexist'), notFound('vector store file', 'file-doesnotexist'));
      await expectApiError(t.client, t.client.files.update(vs.id, 'file-doesnotexist', { a: 1 }), notFound('vector store file', 'file-doesnotexist'));
      await expectApiError(t.client, t.client.files.content(vs.id, 'file-doesnotexist'), notFound('vector store file', 'file-doesnotexist'));
      await expectApiError(t.client, t.client.fileBatches.retrieve(vs.id, 'vsfb_doesnotexist'), notFound('vector store file batch', 'vsfb_doesnotexist'));
      await expectApiError(t.client, t.client.fileBatches.cancel(vs.id, 'vsfb_doesnotexist'), notFound('vector store file batch', 'vsfb_doesnotexist'));
      await expectApiError(t.client, t.client.fileBatches.listFiles(vs.id, 'vsfb_doesnotexist'), notFound('vector store file batch', 'vsfb_doesnotexist'));
      // a file that exists but is not in this store is a 404 too
      const f = await uploadText(t.client, 'elsewhere.md', 'not in the store');
      await expectApiError(t.client, t.client.files.retrieve(vs.id, f.id), notFound('vector store file', f.id));
      // adding an unknown File is a 400 naming it
      await expectApiError(t.client, t.client.files.create(vs.id, { file_id: 'file-doesnotexist' }), {
        status: 400,
        param: 'file_id',
        message: "No file found with id 'file-doesnotexist'.",
      });
    });
  });
});
