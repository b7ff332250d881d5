/**
 * `expires_after` on a server whose clock only moves when told to: a store is `expired` from
 * `last_active_at + days·86400` on, and refuses search; searches and runs that use a store keep it
 * alive; stores the thread helpers make expire 7 days after their last activity by default.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ManualClock } from '../../../src/core/clock.js';
import { collect } from '../support/fixtures.js';
import { describeVs, eachSdk, expectApiError, unique, uploadText, waitForStore, type SdkContext } from './support.js';

const DAY = 86_400;

function manual(t: SdkContext): ManualClock {
  assert.ok(t.clock instanceof ManualClock);
  return t.clock;
}
const nowSeconds = (clock: ManualClock) => Math.floor(clock.nowMs() / 1000);

describeVs('vector stores: expiry', { clock: () => new ManualClock(), upstream: true }, (ctx) => {
  eachSdk(ctx, (t) => {
    it('is completed up to the second before last_active_at + days·86400 and expired from then on; search is refused', async () => {
      const clock = manual(t);
      const f = await uploadText(t.client, 'tide.md', 'spring tides follow the new moon');
      const vs = await t.client.vectorStores.create({ name: 'short-lived', file_ids: [f.id], expires_after: { anchor: 'last_active_at', days: 2 } });
      assert.equal(vs.last_active_at, nowSeconds(clock));
      assert.equal(vs.expires_at, vs.last_active_at! + 2 * DAY);
      await t.client.files.poll(vs.id, f.id);

      clock.advance((vs.expires_at! - nowSeconds(clock) - 1) * 1000);
      const before = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(before.status, 'completed', 'one second before, still usable');
      assert.equal(before.expires_at, vs.expires_at, 'reading does not count as activity');
      assert.equal(before.last_active_at, vs.last_active_at);

      clock.advance(1000);
      const expired = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(expired.status, 'expired');
      assert.equal(expired.expires_at, vs.expires_at);
      assert.deepEqual(expired.file_counts, { in_progress: 0, completed: 1, failed: 0, cancelled: 0, total: 1 }, 'its files are still counted');
      const listed = (await collect(t.client.vectorStores.iterate({ limit: 100 }))).find((v) => v.id === vs.id);
      assert.equal(listed?.status, 'expired');
      await expectApiError(t.client, t.client.vectorStores.search(vs.id, { query: 'tides' }), { status: 400, message: /expired/ });
      assert.equal((await t.client.vectorStores.retrieve(vs.id)).status, 'expired', 'a refused search does not revive it');
      // its files and their content stay readable
      assert.equal((await t.client.files.retrieve(vs.id, f.id)).status, 'completed');
      assert.equal((await t.client.files.content(vs.id, f.id)).data[0]?.text, 'spring tides follow the new moon');
    });

    it('a search is activity: it moves last_active_at and expires_at forward', async () => {
      const clock = manual(t);
      const f = await uploadText(t.client, 'moon.md', 'the moon pulls the tides');
      const vs = await t.client.vectorStores.create({ file_ids: [f.id], expires_after: { anchor: 'last_active_at', days: 1 } });
      await t.client.files.poll(vs.id, f.id);
      clock.advance(23 * 3600 * 1000);
      assert.equal((await t.client.vectorStores.search(vs.id, { query: 'moon' })).data.length, 1);
      const touched = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(touched.last_active_at, nowSeconds(clock));
      assert.equal(touched.expires_at, nowSeconds(clock) + DAY);
      clock.advance(23 * 3600 * 1000);
      assert.equal((await t.client.vectorStores.retrieve(vs.id)).status, 'completed', '46 h after creation, 23 h after the search');
      clock.advance(3600 * 1000);
      assert.equal((await t.client.vectorStores.retrieve(vs.id)).status, 'expired');
    });

    it('a run with file_search marks the stores it uses active', async () => {
      const clock = manual(t);
      const model = unique('expiry-run');
      const f = await uploadText(t.client, 'keeper.md', 'the keeper lights the lamp at dusk');
      const vs = await t.client.vectorStores.create({ file_ids: [f.id], expires_after: { anchor: 'last_active_at', days: 1 } });
      await waitForStore(t.client, vs.id, (v) => v.file_counts.completed === 1);
      clock.advance(20 * 3600 * 1000);
      t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'keeper lamp' } }] }, { text: 'At dusk 【0:0†keeper.md】.' });
      const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }], tool_resources: { file_search: { vector_store_ids: [vs.id] } } });
      const thread = await t.client.base.threads.create({ messages: [{ role: 'user', content: 'When?' }] });
      const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
      const after = await t.client.vectorStores.retrieve(vs.id);
      assert.equal(after.last_active_at, nowSeconds(clock), 'the run counts as activity');
      assert.equal(after.expires_at, nowSeconds(clock) + DAY);
      clock.advance(10 * 3600 * 1000);
      assert.equal((await t.client.vectorStores.retrieve(vs.id)).status, 'completed', '30 h after creation, 10 h after the run');
    });

    it('stores made by the thread helpers expire 7 days after last activity by default; the assistant helper’s do not', async () => {
      const clock = manual(t);
      const f = await uploadText(t.client, 'helper.md', 'made by a helper');
      const thread = await t.client.base.threads.create({ tool_resources: { file_search: { vector_stores: [{ file_ids: [f.id] }] } } });
      const threadStore = await t.client.vectorStores.retrieve(thread.tool_resources!.file_search!.vector_store_ids![0]);
      assert.deepEqual(threadStore.expires_after, { anchor: 'last_active_at', days: 7 });
      assert.equal(threadStore.expires_at, threadStore.last_active_at! + 7 * DAY);

      const other = await t.client.base.threads.create();
      await t.client.base.messages.create(other.id, { role: 'user', content: 'see', attachments: [{ file_id: f.id, tools: [{ type: 'file_search' }] }] });
      const attachedId = (await t.client.base.threads.retrieve(other.id)).tool_resources!.file_search!.vector_store_ids![0];
      const attachStore = await t.client.vectorStores.retrieve(attachedId);
      assert.deepEqual(attachStore.expires_after, { anchor: 'last_active_at', days: 7 });

      const assistant = await t.client.base.assistants.create({ model: 'gpt-4o', tool_resources: { file_search: { vector_stores: [{ file_ids: [f.id] }] } } });
      const assistantStore = await t.client.vectorStores.retrieve(assistant.tool_resources!.file_search!.vector_store_ids![0]);
      assert.equal(assistantStore.expires_after, null);
      assert.equal(assistantStore.expires_at, null);

      clock.advance(7 * DAY * 1000);
      assert.equal((await t.client.vectorStores.retrieve(threadStore.id)).status, 'expired');
      assert.equal((await t.client.vectorStores.retrieve(attachedId)).status, 'expired');
      assert.notEqual((await t.client.vectorStores.retrieve(assistantStore.id)).status, 'expired');
    });

    it(
      "a store's files list by when they were added (created_at), not by when the Files were uploaded, with exact cursors",
      async () => {
        const clock = manual(t);
        const older = await uploadText(t.client, 'older.md', 'uploaded first');
        const newer = await uploadText(t.client, 'newer.md', 'uploaded second');
        const vs = await t.client.vectorStores.create({});
        const addedFirst = await t.client.files.create(vs.id, { file_id: newer.id });
        clock.advance(10_000);
        const addedLater = await t.client.files.create(vs.id, { file_id: older.id });
        assert.ok(addedLater.created_at > addedFirst.created_at);
        const desc = await t.client.files.list(vs.id);
        assert.deepEqual(desc.data.map((f) => f.id), [older.id, newer.id], 'newest created_at first');
        const asc = await t.client.files.list(vs.id, { order: 'asc' });
        assert.deepEqual(asc.data.map((f) => f.id), [newer.id, older.id]);
        // cursors continue from the named file's position in this order
        assert.deepEqual((await t.client.files.list(vs.id, { after: older.id })).data.map((f) => f.id), [newer.id]);
        assert.deepEqual((await t.client.files.list(vs.id, { before: newer.id })).data.map((f) => f.id), [older.id]);
        assert.deepEqual((await t.client.files.list(vs.id, { order: 'asc', after: newer.id })).data.map((f) => f.id), [older.id]);
        const page = await t.client.files.list(vs.id, { limit: 1 });
        assert.deepEqual(page.data.map((f) => f.id), [older.id]);
        assert.equal(page.has_more, true);
      },
    );

    it(
      'a run on a thread whose vector store expired fails',
      { todo: 'OpenAI documents that runs on a thread with an expired vector store fail, but not the run last_error code or message; the server skips expired stores in file_search instead' },
      async () => {
        const clock = manual(t);
        const model = unique('expired-thread');
        const f = await uploadText(t.client, 'old.md', 'old notes');
        const thread = await t.client.base.threads.create({
          messages: [{ role: 'user', content: 'notes?' }],
          tool_resources: { file_search: { vector_stores: [{ file_ids: [f.id] }] } },
        });
        await t.client.files.poll(thread.tool_resources!.file_search!.vector_store_ids![0], f.id);
        clock.advance(8 * DAY * 1000);
        t.upstream.script(model, { toolCalls: [{ name: 'file_search', arguments: { query: 'notes' } }] }, { text: 'none' });
        const assistant = await t.client.base.assistants.create({ model, tools: [{ type: 'file_search' }] });
        const run = await t.client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
        assert.equal(run.status, 'failed');
      },
    );
  });
});
