import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DEFAULT_PROJECT } from '../../src/config/config.js';
import type { MessageCreateParams } from './sdks.js';
import { describeEachBackendAndSdk } from './support/suite.js';
import { expectSdkError } from './support/expect-error.js';
import { http } from './support/http.js';
import { assertRecentTimestamp, collect, uploadFile } from './support/fixtures.js';

const PIXEL_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

describeEachBackendAndSdk('threads', {}, (t) => {
  it('creates an empty thread from create() with no argument and from create({})', async () => {
    const started = Date.now();
    for (const thread of [await t.client.threads.create(), await t.client.threads.create({})]) {
      assert.match(thread.id, /^thread_[A-Za-z0-9]+$/);
      assert.equal(thread.object, 'thread');
      assertRecentTimestamp(thread.created_at, started);
      assert.deepEqual(thread.metadata, {});
      assert.deepEqual(await collect(t.client.messages.iterate(thread.id)), []);
    }
  });

  it('creates a thread from a POST with no body at all', async () => {
    const res = await http(t.baseURL, '/threads', { method: 'POST', headers: { 'openai-beta': 'assistants=v2' } });
    assert.equal(res.status, 200, res.text);
    const thread = res.json as { id: string; object: string };
    assert.equal(thread.object, 'thread');
    assert.equal((await t.client.threads.retrieve(thread.id)).id, thread.id);
  });

  it('creates a thread with initial messages of string and content-part content', async () => {
    const image = await uploadFile(t.client, 'pixel.png', PIXEL_PNG, 'vision');
    const messages: MessageCreateParams[] = [
      { role: 'user', content: 'What is in these pictures?', metadata: { n: '1' } },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Compare them.' },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
          { type: 'image_file', image_file: { file_id: image.id } },
        ],
      },
      { role: 'assistant', content: 'Both show a cat.' },
    ];
    const thread = await t.client.threads.create({ messages });

    const stored = await collect(t.client.messages.iterate(thread.id, { order: 'asc' }));
    assert.equal(stored.length, 3);
    for (const m of stored) {
      assert.match(m.id, /^msg_/);
      assert.equal(m.object, 'thread.message');
      assert.equal(m.thread_id, thread.id);
      assert.equal(m.run_id, null);
      assert.equal(m.assistant_id, null);
    }
    assert.deepEqual(
      stored.map((m) => m.role),
      ['user', 'user', 'assistant'],
    );
    assert.deepEqual(stored[0].content, [{ type: 'text', text: { value: 'What is in these pictures?', annotations: [] } }]);
    assert.deepEqual(stored[0].metadata, { n: '1' });
    assert.deepEqual(stored[1].content, [
      { type: 'text', text: { value: 'Compare them.', annotations: [] } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
      { type: 'image_file', image_file: { file_id: image.id, detail: 'auto' } },
    ]);
    assert.deepEqual(stored[2].content, [{ type: 'text', text: { value: 'Both show a cat.', annotations: [] } }]);
  });

  it('creates a thread with tool_resources and metadata and retrieves them', async () => {
    const file = await uploadFile(t.client, 'table.csv', 'a,b\n1,2\n');
    const thread = await t.client.threads.create({
      tool_resources: { code_interpreter: { file_ids: [file.id] } },
      metadata: { customer: 'c-42', sdk: t.sdk.name },
    });
    assert.deepEqual(thread.tool_resources?.code_interpreter?.file_ids, [file.id]);
    assert.deepEqual(thread.metadata, { customer: 'c-42', sdk: t.sdk.name });
    assert.deepEqual(await t.client.threads.retrieve(thread.id), thread);
  });

  it('modifies metadata and tool_resources, leaving what was not sent', async () => {
    const first = await uploadFile(t.client, 'one.txt', 'one');
    const second = await uploadFile(t.client, 'two.txt', 'two');
    const thread = await t.client.threads.create({
      tool_resources: { code_interpreter: { file_ids: [first.id] } },
      metadata: { v: '1' },
    });

    const tagged = await t.client.threads.update(thread.id, { metadata: { v: '2', extra: 'x' } });
    assert.deepEqual(tagged, { ...thread, metadata: { v: '2', extra: 'x' } });

    const moved = await t.client.threads.update(thread.id, {
      tool_resources: { code_interpreter: { file_ids: [second.id] } },
    });
    assert.deepEqual(moved.metadata, { v: '2', extra: 'x' });
    assert.deepEqual(moved.tool_resources?.code_interpreter?.file_ids, [second.id]);
    assert.deepEqual(await t.client.threads.retrieve(thread.id), moved);
  });

  it('deletes a thread, after which retrieve answers 404', async () => {
    const thread = await t.client.threads.create();
    const deleted = await t.client.threads.delete(thread.id);
    assert.deepEqual({ ...deleted }, { id: thread.id, object: 'thread.deleted', deleted: true });
    await expectSdkError(t.client, t.client.threads.retrieve(thread.id), {
      status: 404,
      errorClass: 'NotFoundError',
      message: `No thread found with id '${thread.id}'.`,
    });
  });

  it("deletes a thread's messages together with the thread", async () => {
    const thread = await t.client.threads.create({ messages: [{ role: 'user', content: 'first' }] });
    const second = await t.client.messages.create(thread.id, { role: 'user', content: 'second' });
    const [first] = (await t.client.messages.list(thread.id, { order: 'asc' })).data;

    await t.client.threads.delete(thread.id);

    for (const message of [first, second]) {
      await expectSdkError(t.client, t.client.messages.retrieve(thread.id, message.id), {
        status: 404,
        errorClass: 'NotFoundError',
        message: `No thread found with id '${thread.id}'.`,
      });
      // Gone from the store, not merely unreachable through the deleted thread.
      assert.equal(await t.server.server.store.messages.get(DEFAULT_PROJECT, thread.id, message.id), undefined);
    }
  });
});
