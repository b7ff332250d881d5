/**
 * File batches: the SDK's uploadAndPoll and createAndPoll (file_ids with shared chunking and
 * attributes; per-file `files`), listFiles with filter and paging, failure counting, request
 * validation, and cancel: on a server whose ingestion never starts (INGEST_CONCURRENCY=0, so
 * every file is unstarted) and on a live one where some files are mid-ingestion.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { VectorStoreFileBatch } from './sdk.js';
import {
  AUTO_AS_STATIC,
  assertVsFileShape,
  describeVs,
  docBytes,
  eachSdk,
  expectApiError,
  http,
  makePng,
  uploadDoc,
  uploadText,
  waitForStore,
} from './support.js';

function assertBatchShape(b: VectorStoreFileBatch, vsId: string): void {
  assert.deepEqual(Object.keys(b).sort(), ['created_at', 'file_counts', 'id', 'object', 'status', 'vector_store_id']);
  assert.match(b.id, /^vsfb_[A-Za-z0-9]+$/);
  assert.equal(b.object, 'vector_store.files_batch');
  assert.equal(b.vector_store_id, vsId);
  assert.ok(Number.isInteger(b.created_at));
  assert.ok(['in_progress', 'completed', 'cancelled', 'failed'].includes(b.status));
  const c = b.file_counts;
  assert.deepEqual(Object.keys(c).sort(), ['cancelled', 'completed', 'failed', 'in_progress', 'total']);
  assert.equal(c.total, c.in_progress + c.completed + c.failed + c.cancelled);
}

const STATIC_300 = { type: 'static' as const, static: { max_chunk_size_tokens: 300, chunk_overlap_tokens: 100 } };

describeVs('vector stores: file batches', {}, (ctx) => {
  eachSdk(ctx, (t) => {
    it('uploadAndPoll uploads the files, adds them with the given fileIds, and completes; listFiles shows them', async () => {
      const vs = await t.client.vectorStores.create({ name: 'batch upload' });
      const existing = await uploadText(t.client, 'existing.md', 'an existing file about kestrels');
      const batch = await t.client.fileBatches.uploadAndPoll(
        vs.id,
        [
          await t.client.toFile('sparrows chirp at dawn', 'sparrows.txt'),
          await t.client.toFile(docBytes('docx-tables.docx'), 'docx-tables.docx'),
          await t.client.toFile(docBytes('docling-powerpoint-sample.pptx'), 'docling-powerpoint-sample.pptx'),
        ],
        [existing.id],
      );
      assertBatchShape(batch, vs.id);
      assert.equal(batch.status, 'completed');
      assert.deepEqual(batch.file_counts, { in_progress: 0, completed: 4, failed: 0, cancelled: 0, total: 4 });

      const listed = await t.client.fileBatches.listFiles(vs.id, batch.id);
      assert.equal(listed.object, 'list');
      assert.equal(listed.data.length, 4);
      assert.ok(listed.data.some((f) => f.id === existing.id));
      for (const f of listed.data) {
        assertVsFileShape(f, vs.id);
        assert.equal(f.status, 'completed');
        assert.deepEqual(f.chunking_strategy, AUTO_AS_STATIC);
      }
      const names = await Promise.all(listed.data.map(async (f) => (await t.client.base.files.retrieve(f.id)).filename));
      assert.deepEqual(names.sort(), ['docling-powerpoint-sample.pptx', 'docx-tables.docx', 'existing.md', 'sparrows.txt']);

      const store = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(store.status, 'completed');
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 4, failed: 0, cancelled: 0, total: 4 });
      assert.deepEqual(await t.client.fileBatches.retrieve(vs.id, batch.id), batch);

      const res = await http(t.baseURL, `/vector_stores/${vs.id}/file_batches/${batch.id}`);
      assert.equal(res.headers.get('openai-poll-after-ms'), '200');
    });

    it('createAndPoll with file_ids applies the batch chunking and attributes to every file', async () => {
      const vs = await t.client.vectorStores.create({});
      const a = await uploadText(t.client, 'a.md', 'alpha text on herons');
      const b = await uploadText(t.client, 'b.md', 'beta text on herons');
      const batch = await t.client.fileBatches.createAndPoll(vs.id, {
        file_ids: [a.id, b.id],
        chunking_strategy: STATIC_300,
        attributes: { source: 'batch', n: 2 },
      });
      assertBatchShape(batch, vs.id);
      assert.equal(batch.status, 'completed');
      assert.deepEqual(batch.file_counts, { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 });
      for (const id of [a.id, b.id]) {
        const f = await t.client.files.retrieve(vs.id, id);
        assert.deepEqual(f.chunking_strategy, STATIC_300);
        assert.deepEqual(f.attributes, { source: 'batch', n: 2 });
      }
      const hits = await t.client.vectorStores.search(vs.id, { query: 'herons', filters: { type: 'eq', key: 'source', value: 'batch' } });
      assert.deepEqual(hits.data.map((h) => h.file_id).sort(), [a.id, b.id].sort());
    });

    it('createAndPoll with per-file `files` gives each file its own attributes and chunking', async () => {
      const vs = await t.client.vectorStores.create({});
      const a = await uploadText(t.client, 'one.md', 'first about owls');
      const b = await uploadText(t.client, 'two.md', 'second about owls');
      const c = await uploadText(t.client, 'three.md', 'third about owls');
      const batch = await t.client.fileBatches.createAndPoll(vs.id, {
        files: [
          { file_id: a.id, attributes: { rank: 1 }, chunking_strategy: STATIC_300 },
          { file_id: b.id, attributes: { rank: 2, tag: 'b' } },
          { file_id: c.id },
        ],
      });
      assert.equal(batch.status, 'completed');
      assert.deepEqual(batch.file_counts, { in_progress: 0, completed: 3, failed: 0, cancelled: 0, total: 3 });
      const fa = await t.client.files.retrieve(vs.id, a.id);
      const fb = await t.client.files.retrieve(vs.id, b.id);
      const fc = await t.client.files.retrieve(vs.id, c.id);
      assert.deepEqual([fa.attributes, fb.attributes, fc.attributes], [{ rank: 1 }, { rank: 2, tag: 'b' }, null]);
      assert.deepEqual([fa.chunking_strategy, fb.chunking_strategy, fc.chunking_strategy], [STATIC_300, AUTO_AS_STATIC, AUTO_AS_STATIC]);
      const ranked = await t.client.vectorStores.search(vs.id, { query: 'owls', filters: { type: 'gte', key: 'rank', value: 2 } });
      assert.deepEqual(ranked.data.map((h) => h.file_id), [b.id]);
    });

    it('counts failures: a partly failed batch completes, an all-failed batch fails; listFiles filters and pages', async () => {
      const vs = await t.client.vectorStores.create({});
      const good1 = await uploadText(t.client, 'g1.md', 'good one');
      const good2 = await uploadText(t.client, 'g2.md', 'good two');
      const png = await uploadText(t.client, 'bad.png', makePng());
      const encrypted = await uploadDoc(t.client, 'password-protected.pdf');
      const mixed = await t.client.fileBatches.createAndPoll(vs.id, { file_ids: [good1.id, png.id, good2.id, encrypted.id] });
      assertBatchShape(mixed, vs.id);
      assert.equal(mixed.status, 'completed');
      assert.deepEqual(mixed.file_counts, { in_progress: 0, completed: 2, failed: 2, cancelled: 0, total: 4 });

      const failed = await t.client.fileBatches.listFiles(vs.id, mixed.id, { filter: 'failed' });
      assert.deepEqual(failed.data.map((f) => f.id).sort(), [png.id, encrypted.id].sort());
      assert.deepEqual(
        Object.fromEntries(failed.data.map((f) => [f.id, f.last_error?.code])),
        { [png.id]: 'unsupported_file', [encrypted.id]: 'invalid_file' },
      );
      const completed = await t.client.fileBatches.listFiles(vs.id, mixed.id, { filter: 'completed', order: 'asc' });
      assert.deepEqual(completed.data.map((f) => f.id), [good1.id, good2.id]);
      assert.deepEqual((await t.client.fileBatches.listFiles(vs.id, mixed.id, { filter: 'cancelled' })).data, []);
      const page1 = await t.client.fileBatches.listFiles(vs.id, mixed.id, { limit: 3, order: 'asc' });
      assert.equal(page1.data.length, 3);
      assert.equal(page1.has_more, true);
      const page2 = await t.client.fileBatches.listFiles(vs.id, mixed.id, { limit: 3, order: 'asc', after: page1.last_id! });
      assert.equal(page2.data.length, 1);
      assert.equal(page2.has_more, false);
      assert.deepEqual(
        [...page1.data, ...page2.data].map((f) => f.id),
        [good1.id, good2.id, png.id, encrypted.id],
        'order=asc lists the oldest first',
      );

      const allBad = await t.client.fileBatches.createAndPoll(vs.id, { file_ids: [png.id] });
      // a second batch of a file already in the store: counted in the new batch only
      assert.equal(allBad.status, 'failed');
      assert.deepEqual(allBad.file_counts, { in_progress: 0, completed: 0, failed: 1, cancelled: 0, total: 1 });
      const store = await t.client.vectorStores.retrieve(vs.id);
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 2, failed: 2, cancelled: 0, total: 4 });
    });

    it('refuses bad batches (both or neither list, empty, unknown file, bad per-file chunking) without adding anything', async () => {
      const vs = await t.client.vectorStores.create({});
      const f = await uploadText(t.client, 'ok.md', 'ok');
      await expectApiError(t.client, t.client.fileBatches.create(vs.id, { file_ids: [f.id], files: [{ file_id: f.id }] }), { status: 400 });
      await expectApiError(t.client, t.client.fileBatches.create(vs.id, {}), { status: 400, param: 'file_ids' });
      await expectApiError(t.client, t.client.fileBatches.create(vs.id, { file_ids: [] }), { status: 400, param: 'file_ids' });
      await expectApiError(t.client, t.client.fileBatches.create(vs.id, { file_ids: [f.id, 'file-doesnotexist'] }), {
        status: 400,
        param: 'file_ids[1]',
        message: "No file found with id 'file-doesnotexist'.",
      });
      await expectApiError(
        t.client,
        t.client.fileBatches.create(vs.id, {
          files: [{ file_id: f.id, chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: 200, chunk_overlap_tokens: 150 } } }],
        }),
        { status: 400, param: 'files[0].chunking_strategy.static.chunk_overlap_tokens' },
      );
      await expectApiError(t.client, t.client.fileBatches.create('vs_doesnotexist', { file_ids: [f.id] }), {
        status: 404,
        message: "No vector store found with id 'vs_doesnotexist'.",
      });
      const store = await t.client.vectorStores.retrieve(vs.id);
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 });
    });

    it('cancel while files are mid-ingestion: the started ones finish, the rest are cancelled; the batch ends cancelled', async () => {
      const vs = await t.client.vectorStores.create({});
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await uploadText(t.client, `report-${i}.pdf`, docBytes('ntsb-report-20080102X00005.pdf'))).id);
      const created = await t.client.fileBatches.create(vs.id, { file_ids: ids });
      assertBatchShape(created, vs.id);
      assert.equal(created.status, 'in_progress');
      assert.equal(created.file_counts.total, 12);
      const cancelled = await t.client.fileBatches.cancel(vs.id, created.id);
      assertBatchShape(cancelled, vs.id);
      assert.equal(cancelled.id, created.id);
      assert.ok(['cancelled', 'in_progress'].includes(cancelled.status), cancelled.status);
      assert.ok(cancelled.file_counts.cancelled >= 1, `some files were still unstarted: ${JSON.stringify(cancelled.file_counts)}`);

      const done = await t.client.fileBatches.poll(vs.id, created.id);
      assert.equal(done.status, 'cancelled');
      const c = done.file_counts;
      assert.equal(c.total, 12);
      assert.equal(c.in_progress, 0);
      assert.equal(c.completed + c.cancelled, 12, JSON.stringify(c));
      assert.equal(c.cancelled, cancelled.file_counts.cancelled, 'files cancelled at once stay cancelled');

      const files = await t.client.fileBatches.listFiles(vs.id, created.id, { limit: 100 });
      const byStatus = (s: string) => files.data.filter((f) => f.status === s).map((f) => f.id).sort();
      assert.deepEqual((await t.client.fileBatches.listFiles(vs.id, created.id, { filter: 'cancelled', limit: 100 })).data.map((f) => f.id).sort(), byStatus('cancelled'));
      for (const f of files.data.filter((x) => x.status === 'cancelled')) {
        assert.equal(f.usage_bytes, 0);
        assert.deepEqual((await t.client.files.content(vs.id, f.id)).data, [], 'a cancelled file has no content');
      }
      // only completed files are searchable
      const hits = await t.client.vectorStores.search(vs.id, { query: 'National Transportation Safety Board', max_num_results: 50 });
      assert.deepEqual([...new Set(hits.data.map((h) => h.file_id))].sort(), byStatus('completed'));
      const store = await waitForStore(t.client, vs.id, (v) => v.file_counts.in_progress === 0);
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: c.completed, failed: 0, cancelled: c.cancelled, total: 12 });

      // a finished batch cannot be cancelled again
      await expectApiError(t.client, t.client.fileBatches.cancel(vs.id, created.id), { status: 400 });
    });
  });
});

describeVs('vector stores: batch cancel with ingestion stopped', { env: () => ({ INGEST_CONCURRENCY: '0' }) }, (ctx) => {
  eachSdk(ctx, (t) => {
    it('nothing starts: the batch and store stay in_progress; cancel cancels every file; counts follow', async () => {
      const vs = await t.client.vectorStores.create({ name: 'stalled' });
      const files = [];
      for (let i = 0; i < 3; i++) files.push(await uploadText(t.client, `f${i}.md`, `file ${i}`));
      const loose = await uploadText(t.client, 'loose.md', 'added on its own');
      const single = await t.client.files.create(vs.id, { file_id: loose.id });
      assert.equal(single.status, 'in_progress');
      assert.equal(single.usage_bytes, 0);
      assert.equal(single.last_error, null);

      const batch = await t.client.fileBatches.create(vs.id, { file_ids: files.map((f) => f.id), attributes: { b: true } });
      assertBatchShape(batch, vs.id);
      assert.equal(batch.status, 'in_progress');
      assert.deepEqual(batch.file_counts, { in_progress: 3, completed: 0, failed: 0, cancelled: 0, total: 3 });
      const storeBefore = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(storeBefore.status, 'in_progress');
      assert.deepEqual(storeBefore.file_counts, { in_progress: 4, completed: 0, failed: 0, cancelled: 0, total: 4 });
      assert.deepEqual((await t.client.fileBatches.retrieve(vs.id, batch.id)).file_counts, batch.file_counts);
      assert.deepEqual(
        (await t.client.fileBatches.listFiles(vs.id, batch.id, { filter: 'in_progress' })).data.map((f) => f.id).sort(),
        files.map((f) => f.id).sort(),
      );

      const cancelled = await t.client.fileBatches.cancel(vs.id, batch.id);
      assertBatchShape(cancelled, vs.id);
      assert.equal(cancelled.status, 'cancelled');
      assert.deepEqual(cancelled.file_counts, { in_progress: 0, completed: 0, failed: 0, cancelled: 3, total: 3 });
      assert.deepEqual(await t.client.fileBatches.poll(vs.id, batch.id), cancelled);

      for (const f of files) {
        // retrieve, not poll: the 4.x–6.x file poll helpers spin on `cancelled`
        const vf = await t.client.files.retrieve(vs.id, f.id);
        assert.equal(vf.status, 'cancelled');
        assert.equal(vf.last_error, null);
        assert.deepEqual(vf.attributes, { b: true });
      }
      const listed = await t.client.fileBatches.listFiles(vs.id, batch.id, { filter: 'cancelled' });
      assert.equal(listed.data.length, 3);
      assert.deepEqual((await t.client.files.list(vs.id, { filter: 'cancelled' })).data.length, 3);
      assert.deepEqual((await t.client.files.list(vs.id, { filter: 'in_progress' })).data.map((f) => f.id), [loose.id]);

      // the file added on its own is not part of the batch and is not cancelled
      assert.equal((await t.client.files.retrieve(vs.id, loose.id)).status, 'in_progress');
      const storeAfter = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(storeAfter.status, 'in_progress');
      assert.deepEqual(storeAfter.file_counts, { in_progress: 1, completed: 0, failed: 0, cancelled: 3, total: 4 });

      // detaching the pending file leaves the store with only cancelled files: completed
      await t.client.files.delete(vs.id, loose.id);
      const settled = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(settled.status, 'completed');
      assert.deepEqual(settled.file_counts, { in_progress: 0, completed: 0, failed: 0, cancelled: 3, total: 3 });

      await expectApiError(t.client, t.client.fileBatches.cancel(vs.id, batch.id), {
        status: 400,
        message: "Cannot cancel a batch with status 'cancelled'.",
      });
    });
  });
});
