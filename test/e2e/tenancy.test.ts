import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import type { Assistant, Facade, FileObject, Message, Thread, Upload } from './sdks.js';
import { describeEachBackendAndSdk } from './support/suite.js';
import { expectSdkError, expectWireError, type ExpectedError } from './support/expect-error.js';
import { http } from './support/http.js';
import { collect, idsOf, uploadFile } from './support/fixtures.js';

const KEYS = 'sk-alpha:team-a,sk-beta:team-b';

interface Owned {
  assistant: Assistant;
  thread: Thread;
  message: Message;
  file: FileObject;
  upload: Upload;
}

async function createOneOfEach(client: Facade, label: string): Promise<Owned> {
  const assistant = await client.assistants.create({ model: 'gpt-4o', name: label });
  const thread = await client.threads.create({ metadata: { owner: label } });
  const message = await client.messages.create(thread.id, { role: 'user', content: `from ${label}` });
  const file = await uploadFile(client, `${label}.txt`, `secret of ${label}`);
  const upload = await client.uploads.create({ filename: `${label}.bin`, purpose: 'assistants', bytes: 3, mime_type: 'text/plain' });
  return { assistant, thread, message, file, upload };
}

const notFound = (kind: string, id: string): ExpectedError => ({
  status: 404,
  errorClass: 'NotFoundError',
  message: `No ${kind} found with id '${id}'.`,
});

describeEachBackendAndSdk('tenancy with API_KEYS', { env: { API_KEYS: KEYS } }, (t) => {
  let alpha: Facade;
  let beta: Facade;
  let a: Owned;
  before(async () => {
    alpha = t.as('sk-alpha');
    beta = t.as('sk-beta');
    a = await createOneOfEach(alpha, 'alpha');
  });

  it('answers 401 without a key and with a wrong key', async () => {
    expectWireError(await http(t.baseURL, '/assistants', { apiKey: null }), {
      status: 401,
      code: 'missing_api_key',
      message: /^You didn't provide an API key\./,
    });
    expectWireError(await http(t.baseURL, '/assistants', { apiKey: null, headers: { authorization: 'Basic c2stYWxwaGE=' } }), {
      status: 401,
      code: 'missing_api_key',
    });

    const stranger = t.as('sk-wrong-key-0123');
    const fields = await expectSdkError(stranger, stranger.assistants.list(), {
      status: 401,
      errorClass: 'AuthenticationError',
      code: 'invalid_api_key',
      message: /^Incorrect API key provided: sk-\*+0123\.$/,
    });
    assert.ok(!fields.message.includes('sk-wrong-key-0123'), 'the key is masked');
    await expectSdkError(stranger, stranger.files.content(a.file.id), { status: 401, errorClass: 'AuthenticationError' });
  });

  it("hides key A's assistant from key B on retrieve, modify, delete and list", async () => {
    const nf = notFound('assistant', a.assistant.id);
    await expectSdkError(beta, beta.assistants.retrieve(a.assistant.id), nf);
    await expectSdkError(beta, beta.assistants.update(a.assistant.id, { name: 'stolen' }), nf);
    await expectSdkError(beta, beta.assistants.delete(a.assistant.id), nf);

    const own = await beta.assistants.create({ model: 'gpt-4o', name: 'beta' });
    const seenByBeta = idsOf(await collect(beta.assistants.iterate({ limit: 100 })));
    assert.ok(seenByBeta.includes(own.id));
    assert.ok(!seenByBeta.includes(a.assistant.id));
    assert.ok(!idsOf(await collect(alpha.assistants.iterate({ limit: 100 }))).includes(own.id));
  });

  it("hides key A's thread and messages from key B", async () => {
    const nf = notFound('thread', a.thread.id);
    await expectSdkError(beta, beta.threads.retrieve(a.thread.id), nf);
    await expectSdkError(beta, beta.threads.update(a.thread.id, { metadata: { owner: 'beta' } }), nf);
    await expectSdkError(beta, beta.threads.delete(a.thread.id), nf);
    await expectSdkError(beta, beta.messages.list(a.thread.id), nf);
    await expectSdkError(beta, beta.messages.create(a.thread.id, { role: 'user', content: 'hi' }), nf);
    await expectSdkError(beta, beta.messages.retrieve(a.thread.id, a.message.id), nf);
    await expectSdkError(beta, beta.messages.update(a.thread.id, a.message.id, { metadata: { x: 'y' } }), nf);
    await expectSdkError(beta, beta.messages.delete(a.thread.id, a.message.id), nf);
  });

  it("hides key A's file and its content from key B, and B cannot attach it", async () => {
    const nf = notFound('file', a.file.id);
    await expectSdkError(beta, beta.files.retrieve(a.file.id), nf);
    await expectSdkError(beta, beta.files.content(a.file.id), nf);
    await expectSdkError(beta, beta.files.delete(a.file.id), nf);
    assert.ok(!idsOf(await collect(beta.files.iterate())).includes(a.file.id));

    await expectSdkError(
      beta,
      beta.assistants.create({ model: 'gpt-4o', tool_resources: { code_interpreter: { file_ids: [a.file.id] } } }),
      { status: 400, code: 'invalid_file', param: 'tool_resources.code_interpreter.file_ids[0]' },
    );
    const thread = await beta.threads.create();
    await expectSdkError(
      beta,
      beta.messages.create(thread.id, { role: 'user', content: 'x', attachments: [{ file_id: a.file.id, tools: [{ type: 'file_search' }] }] }),
      { status: 400, code: 'invalid_file', param: 'attachments[0].file_id' },
    );
  });

  it("hides key A's upload from key B", async () => {
    const nf = notFound('upload', a.upload.id);
    await expectSdkError(beta, beta.uploads.addPart(a.upload.id, await beta.toFile('abc', 'p')), nf);
    await expectSdkError(beta, beta.uploads.complete(a.upload.id, { part_ids: [] }), nf);
    await expectSdkError(beta, beta.uploads.cancel(a.upload.id), nf);
  });

  it("leaves key A's objects intact after key B's attempts", async () => {
    assert.deepEqual(await alpha.assistants.retrieve(a.assistant.id), a.assistant);
    assert.deepEqual(await alpha.threads.retrieve(a.thread.id), a.thread);
    assert.deepEqual(await alpha.messages.retrieve(a.thread.id, a.message.id), a.message);
    assert.deepEqual(await alpha.files.retrieve(a.file.id), a.file);
    assert.equal(Buffer.from(await (await alpha.files.content(a.file.id)).arrayBuffer()).toString(), 'secret of alpha');
    const part = await alpha.uploads.addPart(a.upload.id, await alpha.toFile('abc', 'p'));
    const done = await alpha.uploads.complete(a.upload.id, { part_ids: [part.id] });
    assert.equal(done.status, 'completed');
  });
});

describeEachBackendAndSdk('tenancy without API_KEYS', {}, (t) => {
  it('accepts any bearer key and shows every key the same objects', async () => {
    const one = t.as('sk-one');
    const two = t.as('sk-two-something-else');
    const mine = await createOneOfEach(one, 'one');

    assert.deepEqual(await two.assistants.retrieve(mine.assistant.id), mine.assistant);
    assert.deepEqual(await two.threads.retrieve(mine.thread.id), mine.thread);
    assert.deepEqual(await two.messages.retrieve(mine.thread.id, mine.message.id), mine.message);
    assert.deepEqual(await two.files.retrieve(mine.file.id), mine.file);
    assert.equal(Buffer.from(await (await two.files.content(mine.file.id)).arrayBuffer()).toString(), 'secret of one');
    assert.ok(idsOf(await collect(two.assistants.iterate({ limit: 100 }))).includes(mine.assistant.id));
    assert.ok(idsOf(await collect(two.files.iterate())).includes(mine.file.id));

    const renamed = await two.assistants.update(mine.assistant.id, { name: 'renamed by two' });
    assert.equal((await one.assistants.retrieve(mine.assistant.id)).name, renamed.name);
    assert.equal((await two.uploads.cancel(mine.upload.id)).status, 'cancelled');
    await two.threads.delete(mine.thread.id);
    await expectSdkError(one, one.threads.retrieve(mine.thread.id), notFound('thread', mine.thread.id));
  });
});
