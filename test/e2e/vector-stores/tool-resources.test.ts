/**
 * Vector stores made on the fly: `tool_resources.file_search.vector_stores` on assistant and
 * thread create (and what is refused), and message `attachments` with the file_search tool, which
 * put their files into the thread's vector store (created when it has none) — then searched by a
 * run.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { upstreamMessages } from '../runs/support.js';
import { collect } from '../support/fixtures.js';
import type { VsFacade } from './sdk.js';
import { describeVs, docBytes, eachSdk, expectApiError, unique, uploadText, waitForStore } from './support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const STATIC = { type: 'static' as const, static: { max_chunk_size_tokens: 256, chunk_overlap_tokens: 64 } };

async function storeCount(client: VsFacade): Promise<number> {
  return (await collect(client.vectorStores.iterate({ limit: 100 }))).length;
}

function storeIdsOf(x: { tool_resources?: Any }): string[] {
  return x.tool_resources?.file_search?.vector_store_ids ?? [];
}

describeVs('vector stores: tool_resources and attachments', { upstream: true }, (ctx) => {
  eachSdk(ctx, (t) => {
    it('assistant create with vector_stores builds a store from the files (chunking, metadata) and names it in vector_store_ids', async () => {
      const a = await uploadText(t.client, 'a.md', 'assistant store text about puffins');
      const b = await uploadText(t.client, 'b.md', 'assistant store text about gannets');
      const assistant = await t.client.base.assistants.create({
        model: 'gpt-4o',
        tools: [{ type: 'file_search' }],
        tool_resources: { file_search: { vector_stores: [{ file_ids: [a.id, b.id], chunking_strategy: STATIC, metadata: { made: 'helper' } }] } },
      });
      const ids = storeIdsOf(assistant);
      assert.equal(ids.length, 1);
      assert.match(ids[0], /^vs_/);
      assert.deepEqual(Object.keys(assistant.tool_resources!.file_search!), ['vector_store_ids'], 'the helper is not echoed');
      assert.deepEqual(storeIdsOf(await t.client.base.assistants.retrieve(assistant.id)), ids);

      const vs = await waitForStore(t.client, ids[0], (v) => v.file_counts.completed === 2);
      assert.deepEqual(vs.metadata, { made: 'helper' });
      assert.equal(vs.status, 'completed');
      const files = await t.client.files.list(vs.id);
      assert.deepEqual(files.data.map((f) => f.id).sort(), [a.id, b.id].sort());
      for (const f of files.data) assert.deepEqual(f.chunking_strategy, STATIC);
      assert.deepEqual(
        (await t.client.vectorStores.search(vs.id, { query: 'puffins' })).data.map((h) => h.file_id),
        [a.id],
      );
    });

    it('thread create with vector_stores does the same for the thread', async () => {
      const f = await uploadText(t.client, 't.md', 'thread store text about ospreys');
      const thread = await t.client.base.threads.create({
        tool_resources: { file_search: { vector_stores: [{ file_ids: [f.id] }] } },
      });
      const ids = storeIdsOf(thread);
      assert.equal(ids.length, 1);
      assert.deepEqual(storeIdsOf(await t.client.base.threads.retrieve(thread.id)), ids);
      const vsFile = await t.client.files.poll(ids[0], f.id);
      assert.equal(vsFile.status, 'completed');
    });

    it('refuses unknown vector_store_ids, more than one, and ids plus a helper; a helper with an unknown file creates nothing', async () => {
      const model = 'gpt-4o';
      await expectApiError(
        t.client,
        t.client.base.assistants.create({ model, tool_resources: { file_search: { vector_store_ids: ['vs_doesnotexist'] } } }),
        { status: 400, param: 'tool_resources.file_search.vector_store_ids[0]', message: "No vector store found with id 'vs_doesnotexist'." },
      );
      await expectApiError(t.client, t.client.base.threads.create({ tool_resources: { file_search: { vector_store_ids: ['vs_doesnotexist'] } } }), {
        status: 400,
        param: 'tool_resources.file_search.vector_store_ids[0]',
      });
      const assistant = await t.client.base.assistants.create({ model });
      await expectApiError(
        t.client,
        t.client.base.assistants.update(assistant.id, { tool_resources: { file_search: { vector_store_ids: ['vs_doesnotexist'] } } }),
        { status: 400, param: 'tool_resources.file_search.vector_store_ids[0]' },
      );
      const thread = await t.client.base.threads.create();
      await expectApiError(t.client, t.client.base.threads.update(thread.id, { tool_resources: { file_search: { vector_store_ids: ['vs_doesnotexist'] } } }), {
        status: 400,
        param: 'tool_resources.file_search.vector_store_ids[0]',
      });
      const one = await t.client.vectorStores.create({});
      const two = await t.client.vectorStores.create({});
      await expectApiError(t.client, t.client.base.assistants.create({ model, tool_resources: { file_search: { vector_store_ids: [one.id, two.id] } } }), {
        status: 400,
        param: 'tool_resources.file_search.vector_store_ids',
      });
      const before = await storeCount(t.client);
      await expectApiError(
        t.client,
        t.client.base.assistants.create({ model, tool_resources: { file_search: { vector_store_ids: [one.id], vector_stores: [{ file_ids: [] }] } } }),
        { status: 400 },
      );
      await expectApiError(
        t.client,
        t.client.base.threads.create({ tool_resources: { file_search: { vector_stores: [{ file_ids: ['file-doesnotexist'] }] } } }),
        { status: 400, message: "No file found with id 'file-doesnotexist'." },
      );
      assert.equal(await storeCount(t.client), before, 'a refused request leaves no store behind');

      // a known id is kept as given; modify replaces it
      const ok = await t.client.base.assistants.update(assistant.id, { tool_resources: { file_search: { vector_store_ids: [one.id] } } });
      assert.deepEqual(storeIdsOf(ok), [one.id]);
      const thread2 = await t.client.base.threads.update(thread.id, { tool_resources: { file_search: { vector_store_ids: [two.id] } } });
      assert.deepEqual(storeIdsOf(thread2), [two.id]);
    });

    it('a message attachment for file_search creates the thread’s store; later attachments join it; code_interpreter-only ones do not', async () => {
      const thread = await t.client.base.threads.create();
      assert.deepEqual(storeIdsOf(thread), []);
      const ci = await uploadText(t.client, 'data.csv', 'a,b\n1,2\n');
      await t.client.base.messages.create(thread.id, { role: 'user', content: 'code only', attachments: [{ file_id: ci.id, tools: [{ type: 'code_interpreter' }] }] });
      assert.deepEqual(storeIdsOf(await t.client.base.threads.retrieve(thread.id)), [], 'no store for code_interpreter attachments');

      const first = await uploadText(t.client, 'first.md', 'the first attachment is about cormorants');
      const msg = await t.client.base.messages.create(thread.id, {
        role: 'user',
        content: 'see file',
        attachments: [{ file_id: first.id, tools: [{ type: 'file_search' }, { type: 'code_interpreter' }] }],
      });
      assert.deepEqual(msg.attachments, [{ file_id: first.id, tools: [{ type: 'file_search' }, { type: 'code_interpreter' }] }]);
      const ids = storeIdsOf(await t.client.base.threads.retrieve(thread.id));
      assert.equal(ids.length, 1, 'the thread now has a vector store');
      assert.equal((await t.client.files.poll(ids[0], first.id)).status, 'completed');

      const second = await uploadText(t.client, 'second.md', 'the second attachment is about shags');
      await t.client.base.messages.create(thread.id, { role: 'user', content: 'another', attachments: [{ file_id: second.id, tools: [{ type: 'file_search' }] }] });
      assert.deepEqual(storeIdsOf(await t.client.base.threads.retrieve(thread.id)), ids, 'the same store is reused');
      assert.equal((await t.client.files.poll(ids[0], second.id)).status, 'completed');
      const listed = await t.client.files.list(ids[0]);
      assert.deepEqual(listed.data.map((f) => f.id).sort(), [first.id, second.id].sort(), 'the code_interpreter-only file is not in it');
    });

    it('thread create with messages carrying attachments, and a thread that already has a store, both use one store', async () => {
      const f = await uploadText(t.client, 'inline.md', 'attached at thread creation: kittiwakes');
      const thread = await t.client.base.threads.create({
        messages: [{ role: 'user', content: 'hi', attachments: [{ file_id: f.id, tools: [{ type: 'file_search' }] }] }],
      });
      const ids = storeIdsOf(thread);
      assert.equal(ids.length, 1, 'the created thread names its new store');
      assert.equal((await t.client.files.poll(ids[0], f.id)).status, 'completed');

      const own = await t.client.vectorStores.create({ name: 'own' });
      const withStore = await t.client.base.threads.create({ tool_resources: { file_search: { vector_store_ids: [own.id] } } });
      const g = await uploadText(t.client, 'into-own.md', 'goes into the existing store: fulmars');
      await t.client.base.messages.create(withStore.id, { role: 'user', content: 'x', attachments: [{ file_id: g.id, tools: [{ type: 'file_search' }] }] });
      assert.deepEqual(storeIdsOf(await t.client.base.threads.retrieve(withStore.id)), [own.id]);
      assert.equal((await t.client.files.poll(own.id, g.id)).status, 'completed');
    });

    it('a run searches the file attached to the thread', async () => {
      const model = unique('attach-run');
      const f = await uploadText(t.client, 'attached.md', 'The attached memo says the storm barrier closes at dusk.');
      const thread = await t.client.base.threads.create({
        messages: [{ role: 'user', content: 'When does the barrier close?', attachments: [{ file_id: f.id, tools: [{ type: 'file_search' }] }] }],
      });
      await t.client.files.poll(storeIdsOf(thread)[0], f.id);
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'storm barrier closes' } }] }, { text: 'At dusk 【0:0†attached.md】.' });
      const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }] });
      const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const tool = upstreamMessages(t.upstream.requests(model)[1].body).find((m) => m.role === 'tool') as Any;
      assert.ok(String(tool.content).includes('storm barrier closes at dusk'));
      const reply = (await t.client.runApi.messages.all(thread.id)).at(-1)!;
      const part = reply.content[0] as Any;
      assert.deepEqual(part.text.annotations.map((a: Any) => a.file_citation.file_id), [f.id]);
    });

    it('createAndRunPoll with thread messages carrying attachments, or with the thread helper, searches the new thread store', async () => {
      for (const how of ['attachments', 'helper'] as const) {
        const model = unique(`car-${how}`);
        const f = await uploadText(t.client, `${how}.md`, `The ${how} memo says the ferry leaves at seven.`);
        t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'ferry leaves' } }] }, { text: `At seven 【0:0†${how}.md】.` });
        const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }] });
        const run = await t.client.runApi.runs.createAndRunPoll({
          assistant_id: assistant.id,
          thread:
            how === 'attachments'
              ? { messages: [{ role: 'user', content: 'When?', attachments: [{ file_id: f.id, tools: [{ type: 'file_search' }] }] }] }
              : { messages: [{ role: 'user', content: 'When?' }], tool_resources: { file_search: { vector_stores: [{ file_ids: [f.id] }] } } },
        });
        assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
        const thread = await t.client.base.threads.retrieve(run.thread_id);
        const ids = storeIdsOf(thread);
        assert.equal(ids.length, 1, `${how}: the thread has its store`);
        assert.deepEqual((await t.client.files.list(ids[0])).data.map((x) => x.id), [f.id]);
        const steps = await t.client.runApi.steps.list(run.thread_id, run.id, { order: 'asc' });
        const call = (steps.data[0].step_details as Any).tool_calls[0];
        assert.equal(call.file_search.results[0]?.file_id, f.id, `${how}: the search found the file`);
        const reply = (await t.client.runApi.messages.all(run.thread_id)).at(-1)!;
        assert.deepEqual((reply.content[0] as Any).text.annotations.map((a: Any) => a.file_citation.file_id), [f.id]);
      }
    });

    it('a run started right after a file is attached waits for it to be searchable (thread store still in progress)', async () => {
      const model = unique('attach-wait');
      // a document that takes a while to ingest, attached while the run is created
      const f = await t.client.base.files.create({ file: await t.client.toFile(docBytes('wikipedia-duck.html'), 'duck.html'), purpose: 'assistants' });
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'domestic ducks farmed meat eggs feathers' } }] }, { text: 'Ducks 【0:0†duck.html】.' });
      const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }] });
      const thread = await t.client.base.threads.create();
      const run = await t.client.runApi.runs.createAndPoll(thread.id, {
        assistant_id: assistant.id,
        additional_messages: [{ role: 'user', content: 'What are ducks farmed for?', attachments: [{ file_id: f.id, tools: [{ type: 'file_search' }] }] }],
      });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const steps = await t.client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
      const call = (steps.data[0].step_details as Any).tool_calls[0];
      assert.ok(call.file_search.results.length > 0, 'the search saw the attached file');
      assert.equal(call.file_search.results[0].file_id, f.id);
    });
  });
});
