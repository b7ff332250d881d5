/**
 * Vector stores between projects (two API keys): the other project's stores, their files,
 * batches, search and content answer 404 as if they did not exist; its Files cannot be added; its
 * stores cannot be named in tool_resources; lists and searches never show the other side.
 */
import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { collect } from '../support/fixtures.js';
import type { VectorStore, VectorStoreFileBatch, VsFacade } from './sdk.js';
import type { FileObject } from '../sdks.js';
import { describeVs, eachSdk, expectApiError, http, notFound, uploadText, waitForStore } from './support.js';

const KEYS = 'sk-vs-a:team-a,sk-vs-b:team-b';

describeVs('vector stores: tenancy', { env: () => ({ API_KEYS: KEYS }) }, (ctx) => {
  eachSdk(ctx, (t) => {
    let a: VsFacade;
    let b: VsFacade;
    let store: VectorStore;
    let file: FileObject;
    let batch: VectorStoreFileBatch;
    before(async () => {
      a = t.as('sk-vs-a');
      b = t.as('sk-vs-b');
      file = await uploadText(a, 'secret.md', 'the secret formula of team a involves saffron');
      store = await a.vectorStores.create({ name: 'team a', file_ids: [file.id] });
      const other = await uploadText(a, 'other.md', 'another secret of team a: cardamom');
      batch = await a.fileBatches.createAndPoll(store.id, { file_ids: [other.id] });
      await waitForStore(a, store.id, (v) => v.file_counts.completed === 2);
    });

    it("B gets 404 for A's store in every store operation", async () => {
      const nf = notFound('vector store', store.id);
      await expectApiError(b, b.vectorStores.retrieve(store.id), nf);
      await expectApiError(b, b.vectorStores.update(store.id, { name: 'taken' }), nf);
      await expectApiError(b, b.vectorStores.delete(store.id), nf);
      await expectApiError(b, b.vectorStores.search(store.id, { query: 'saffron' }), nf);
      await expectApiError(b, b.files.list(store.id), nf);
      await expectApiError(b, b.files.retrieve(store.id, file.id), nf);
      await expectApiError(b, b.files.update(store.id, file.id, { x: 1 }), nf);
      await expectApiError(b, b.files.delete(store.id, file.id), nf);
      await expectApiError(b, b.files.content(store.id, file.id), nf);
      await expectApiError(b, b.fileBatches.retrieve(store.id, batch.id), nf);
      await expectApiError(b, b.fileBatches.cancel(store.id, batch.id), nf);
      await expectApiError(b, b.fileBatches.listFiles(store.id, batch.id), nf);
      // adding B's own file to A's store is a 404 on the store too
      const mine = await uploadText(b, 'mine.md', 'team b text');
      await expectApiError(b, b.files.create(store.id, { file_id: mine.id }), nf);
      await expectApiError(b, b.fileBatches.create(store.id, { file_ids: [mine.id] }), nf);

      // nothing changed for A
      const still = await a.vectorStores.retrieve(store.id);
      assert.equal(still.name, 'team a');
      assert.deepEqual(still.file_counts, { in_progress: 0, completed: 2, failed: 0, cancelled: 0, total: 2 });
      assert.deepEqual((await a.files.retrieve(store.id, file.id)).attributes, null);
    });

    it("B cannot add A's File to its own store, nor name A's store in tool_resources", async () => {
      const own = await b.vectorStores.create({ name: 'team b' });
      const noFile = { status: 400, message: `No file found with id '${file.id}'.` } as const;
      await expectApiError(b, b.files.create(own.id, { file_id: file.id }), { ...noFile, param: 'file_id' });
      await expectApiError(b, b.fileBatches.create(own.id, { file_ids: [file.id] }), { ...noFile, param: 'file_ids[0]' });
      await expectApiError(b, b.vectorStores.create({ file_ids: [file.id] }), { ...noFile, param: 'file_ids[0]' });
      await expectApiError(b, b.base.threads.create({ tool_resources: { file_search: { vector_stores: [{ file_ids: [file.id] }] } } }), { status: 400 });
      await expectApiError(
        b,
        b.base.assistants.create({ model: 'gpt-4o', tool_resources: { file_search: { vector_store_ids: [store.id] } } }),
        { status: 400, message: `No vector store found with id '${store.id}'.` },
      );
      await expectApiError(b, b.base.threads.create({ tool_resources: { file_search: { vector_store_ids: [store.id] } } }), { status: 400 });
      const thread = await b.base.threads.create();
      await expectApiError(
        b,
        b.base.messages.create(thread.id, { role: 'user', content: 'x', attachments: [{ file_id: file.id, tools: [{ type: 'file_search' }] }] }),
        { status: 400 },
      );
      assert.deepEqual((await b.files.list(own.id)).data, []);
    });

    it("lists and searches only show one's own: B's list lacks A's stores, B's search never returns A's chunks", async () => {
      const bStores = await collect(b.vectorStores.iterate({ limit: 100 }));
      assert.ok(!bStores.some((v) => v.id === store.id));
      const aStores = await collect(a.vectorStores.iterate({ limit: 100 }));
      assert.ok(aStores.some((v) => v.id === store.id));
      assert.ok(!aStores.some((v) => bStores.some((w) => w.id === v.id)), 'no store is in both lists');

      const mine = await uploadText(b, 'b-secret.md', 'team b also likes saffron in its soup');
      const own = await b.vectorStores.create({ file_ids: [mine.id] });
      await b.files.poll(own.id, mine.id);
      const hits = await b.vectorStores.search(own.id, { query: 'saffron secret formula', max_num_results: 50 });
      assert.deepEqual(hits.data.map((h) => h.file_id), [mine.id]);

      // plain HTTP with B's key sees the same 404 body
      const res = await http(t.baseURL, `/vector_stores/${store.id}/files/${file.id}/content`, { apiKey: 'sk-vs-b' });
      assert.equal(res.status, 404);
      assert.equal((res.json as { error: { message: string } }).error.message, `No vector store found with id '${store.id}'.`);
    });

    it("B cannot delete A's File; A's store keeps it", async () => {
      await expectApiError(b, b.base.files.delete(file.id), notFound('file', file.id));
      assert.equal((await a.files.retrieve(store.id, file.id)).status, 'completed');
    });
  });
});
