import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Message, Thread } from './sdks.js';
import { describeEachBackendAndSdk, type SdkSuite } from './support/suite.js';
import { expectSdkError } from './support/expect-error.js';
import { assertRecentTimestamp, collect, idsOf, uploadFile } from './support/fixtures.js';

describeEachBackendAndSdk('messages', {}, (t) => {
  let thread: Thread;
  before(async () => {
    thread = await t.client.threads.create();
  });

  it('creates a user message from a string', async () => {
    const started = Date.now();
    const message = await t.client.messages.create(thread.id, { role: 'user', content: 'Hello there' });
    assert.match(message.id, /^msg_[A-Za-z0-9]+$/);
    assert.equal(message.object, 'thread.message');
    assertRecentTimestamp(message.created_at, started);
    assert.equal(message.thread_id, thread.id);
    assert.equal(message.role, 'user');
    assert.deepEqual(message.content, [{ type: 'text', text: { value: 'Hello there', annotations: [] } }]);
    assert.equal(message.assistant_id, null);
    assert.equal(message.run_id, null);
    assert.deepEqual(message.attachments, []);
    assert.deepEqual(message.metadata, {});
    assert.equal(message.status, 'completed');
    assert.equal(message.incomplete_details, null);
    assert.equal(message.incomplete_at, null);
  });

  it('creates a message from content parts', async () => {
    const image = await uploadFile(t.client, 'chart.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]), 'vision');
    const message = await t.client.messages.create(thread.id, {
      role: 'user',
      content: [
        { type: 'text', text: 'Describe both.' },
        { type: 'image_file', image_file: { file_id: image.id, detail: 'high' } },
        { type: 'image_url', image_url: { url: 'https://example.com/a.webp' } },
      ],
    });
    assert.deepEqual(message.content, [
      { type: 'text', text: { value: 'Describe both.', annotations: [] } },
      { type: 'image_file', image_file: { file_id: image.id, detail: 'high' } },
      { type: 'image_url', image_url: { url: 'https://example.com/a.webp', detail: 'auto' } },
    ]);
  });

  it('creates a message with attachments for code_interpreter and file_search', async () => {
    const file = await uploadFile(t.client, 'report.md', '# Q3\nRevenue grew.\n');
    const attachments = [{ file_id: file.id, tools: [{ type: 'code_interpreter' as const }, { type: 'file_search' as const }] }];
    const message = await t.client.messages.create(thread.id, { role: 'user', content: 'Summarise', attachments });
    assert.deepEqual(message.attachments, attachments);
    assert.deepEqual((await t.client.messages.retrieve(thread.id, message.id)).attachments, attachments);
  });

  it('creates an assistant-authored message', async () => {
    const message = await t.client.messages.create(thread.id, { role: 'assistant', content: 'I can help with that.' });
    assert.equal(message.role, 'assistant');
    assert.equal(message.assistant_id, null);
  });

  it('retrieves a message exactly as created', async () => {
    const created = await t.client.messages.create(thread.id, {
      role: 'user',
      content: 'keep me',
      metadata: { source: 'test' },
    });
    assert.deepEqual(await t.client.messages.retrieve(thread.id, created.id), created);
  });

  it('modifies a message’s metadata and nothing else', async () => {
    const created = await t.client.messages.create(thread.id, { role: 'user', content: 'tag me', metadata: { a: '1' } });
    const updated = await t.client.messages.update(thread.id, created.id, { metadata: { a: '2', b: '3' } });
    assert.deepEqual(updated, { ...created, metadata: { a: '2', b: '3' } });
    assert.deepEqual(await t.client.messages.retrieve(thread.id, created.id), updated);
  });

  it('deletes a message, after which retrieve answers 404', async () => {
    const created = await t.client.messages.create(thread.id, { role: 'user', content: 'delete me' });
    const deleted = await t.client.messages.delete(thread.id, created.id);
    assert.deepEqual({ ...deleted }, { id: created.id, object: 'thread.message.deleted', deleted: true });
    await expectSdkError(t.client, t.client.messages.retrieve(thread.id, created.id), {
      status: 404,
      errorClass: 'NotFoundError',
      message: `No message found with id '${created.id}'.`,
    });
    const remaining = await collect(t.client.messages.iterate(thread.id));
    assert.ok(!idsOf(remaining).includes(created.id));
  });

  it('answers 404 when listing the messages of an unknown thread', async () => {
    await expectSdkError(t.client, t.client.messages.list('thread_doesnotexist'), {
      status: 404,
      errorClass: 'NotFoundError',
      message: "No thread found with id 'thread_doesnotexist'.",
    });
  });

  it('filters by run_id: a thread without runs has no messages for run_x', async () => {
    const page = await t.client.messages.list(thread.id, { run_id: 'run_x' });
    assert.deepEqual(page.data, []);
    assert.equal(page.has_more, false);
    assert.ok((await t.client.messages.list(thread.id)).data.length > 0);
  });

  describe('pagination', () => describePagination(t));
});

function describePagination(t: SdkSuite): void {
  let threadId: string;
  let messages: Message[] = [];
  let ids: string[] = [];

  before(async () => {
    threadId = (await t.client.threads.create()).id;
    messages = [];
    for (let i = 0; i < 12; i++) {
      messages.push(await t.client.messages.create(threadId, { role: i % 3 ? 'user' : 'assistant', content: `m${i}` }));
    }
    ids = idsOf(messages);
  });

  it('lists 12 messages across pages in both orders with for-await auto-pagination', async () => {
    assert.deepEqual(idsOf(await collect(t.client.messages.iterate(threadId, { order: 'asc', limit: 5 }))), ids);
    assert.deepEqual(idsOf(await collect(t.client.messages.iterate(threadId, { order: 'desc', limit: 5 }))), [...ids].reverse());
    assert.deepEqual(idsOf(await collect(t.client.messages.iterate(threadId))), [...ids].reverse(), 'desc by default');
  });

  it('pages with limit, has_more, first_id and last_id', async () => {
    const first = await t.client.messages.list(threadId, { order: 'asc', limit: 5 });
    assert.equal(first.object, 'list');
    assert.deepEqual(first.data, messages.slice(0, 5));
    assert.equal(first.first_id, ids[0]);
    assert.equal(first.last_id, ids[4]);
    assert.equal(first.has_more, true);

    const last = await t.client.messages.list(threadId, { order: 'asc', limit: 5, after: ids[6] });
    assert.deepEqual(idsOf(last.data), ids.slice(7));
    assert.equal(last.has_more, false);
  });

  it('returns the neighbours of a cursor with after and before in both orders', async () => {
    const list = (query: Parameters<typeof t.client.messages.list>[1]) =>
      t.client.messages.list(threadId, { limit: 2, ...query }).then((p) => idsOf(p.data));
    assert.deepEqual(await list({ order: 'asc', after: ids[5] }), [ids[6], ids[7]]);
    assert.deepEqual(await list({ order: 'asc', before: ids[5] }), [ids[3], ids[4]]);
    assert.deepEqual(await list({ order: 'desc', after: ids[5] }), [ids[4], ids[3]]);
    assert.deepEqual(await list({ order: 'desc', before: ids[5] }), [ids[7], ids[6]]);
    assert.deepEqual(await list({ order: 'asc', before: ids[0] }), []);
    assert.deepEqual(await list({ order: 'desc', before: ids[11] }), []);
  });
}
