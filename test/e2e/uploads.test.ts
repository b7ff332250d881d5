import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import type { Facade, Upload, UploadPart } from './sdks.js';
import { describeEachBackendAndSdk } from './support/suite.js';
import { expectSdkError } from './support/expect-error.js';
import { md5Hex, pseudoRandomBytes } from './support/bytes.js';
import { assertRecentTimestamp } from './support/fixtures.js';

const PARTS = [pseudoRandomBytes('part-a', 3000), pseudoRandomBytes('part-b', 1200), pseudoRandomBytes('part-c', 777)];
const TOTAL = PARTS.reduce((n, p) => n + p.length, 0);

async function createUpload(client: Facade, bytes = TOTAL): Promise<Upload> {
  return client.uploads.create({ filename: 'assembled.bin', purpose: 'assistants', bytes, mime_type: 'application/octet-stream' });
}

async function addParts(client: Facade, uploadId: string, parts: Buffer[] = PARTS): Promise<UploadPart[]> {
  const added: UploadPart[] = [];
  for (const [i, data] of parts.entries()) {
    added.push(await client.uploads.addPart(uploadId, await client.toFile(data, `part-${i}`)));
  }
  return added;
}

const noLongerPending = (id: string, status: string) =>
  ({
    status: 400,
    errorClass: 'BadRequestError',
    param: null,
    code: 'invalid_state',
    message: `Upload ${id} has already been ${status}; it no longer accepts changes.`,
  }) as const;

describeEachBackendAndSdk('uploads', {}, (t) => {
  it('creates a pending upload that expires an hour after creation', async () => {
    const started = Date.now();
    const upload = await t.client.uploads.create({
      filename: 'notes.txt',
      purpose: 'assistants',
      bytes: 42,
      mime_type: 'text/plain',
    });
    assert.match(upload.id, /^upload_[A-Za-z0-9]+$/);
    assert.equal(upload.object, 'upload');
    assert.equal(upload.status, 'pending');
    assert.equal(upload.filename, 'notes.txt');
    assert.equal(upload.bytes, 42);
    assert.equal(upload.purpose, 'assistants');
    assertRecentTimestamp(upload.created_at, started);
    assert.equal(upload.expires_at, upload.created_at + 3600);
    assert.equal(upload.file ?? null, null);
  });

  it('adds three parts and completes them in a chosen order into one file', async () => {
    const upload = await createUpload(t.client);
    const parts = await addParts(t.client, upload.id);
    for (const part of parts) {
      assert.match(part.id, /^part_[A-Za-z0-9]+$/);
      assert.equal(part.object, 'upload.part');
      assert.equal(part.upload_id, upload.id);
      assert.equal(typeof part.created_at, 'number');
    }

    const order = [2, 0, 1];
    const expected = Buffer.concat(order.map((i) => PARTS[i]));
    const completed = await t.client.uploads.complete(upload.id, {
      part_ids: order.map((i) => parts[i].id),
      md5: md5Hex(expected),
    });

    assert.equal(completed.id, upload.id);
    assert.equal(completed.status, 'completed');
    const file = completed.file;
    assert.ok(file, 'a completed upload carries its file');
    assert.match(file.id, /^file-/);
    assert.equal(file.object, 'file');
    assert.equal(file.bytes, TOTAL);
    assert.equal(file.filename, 'assembled.bin');
    assert.equal(file.purpose, 'assistants');
    assert.deepEqual(await t.client.files.retrieve(file.id), file);

    const content = Buffer.from(await (await t.client.files.content(file.id)).arrayBuffer());
    assert.ok(content.equals(expected), 'the file is the parts concatenated in part_ids order');
  });

  it('gives the completed file the expiry asked for in expires_after', async () => {
    const upload = await t.client.uploads.create({
      filename: 'expiring.bin',
      purpose: 'assistants',
      bytes: TOTAL,
      mime_type: 'application/octet-stream',
      expires_after: { anchor: 'created_at', seconds: 7200 },
    });
    assert.equal(upload.expires_at, upload.created_at + 3600, 'the upload itself still expires in an hour');
    const parts = await addParts(t.client, upload.id);
    const { file } = await t.client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id) });
    assert.ok(file);
    assert.equal(file.expires_at, file.created_at + 7200);
  });

  it('completes without md5 too', async () => {
    const upload = await createUpload(t.client);
    const parts = await addParts(t.client, upload.id);
    const completed = await t.client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id) });
    assert.equal(completed.status, 'completed');
    assert.equal(completed.file?.bytes, TOTAL);
  });

  it('rejects completion when the parts do not add up to the declared bytes', async () => {
    const upload = await createUpload(t.client, TOTAL + 1);
    const parts = await addParts(t.client, upload.id);
    await expectSdkError(t.client, t.client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id) }), {
      status: 400,
      errorClass: 'BadRequestError',
      param: 'part_ids',
      code: 'invalid_value',
      message: `The parts add up to ${TOTAL} bytes, but the upload was created with bytes=${TOTAL + 1}.`,
    });
  });

  it('rejects completion with the wrong md5', async () => {
    const upload = await createUpload(t.client);
    const parts = await addParts(t.client, upload.id);
    const wrong = md5Hex(Buffer.from('something else'));
    await expectSdkError(t.client, t.client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id), md5: wrong }), {
      status: 400,
      errorClass: 'BadRequestError',
      param: 'md5',
      code: 'checksum_mismatch',
    });
  });

  it('cancels an upload, which then accepts no parts and cannot complete', async () => {
    const upload = await createUpload(t.client);
    const [part] = await addParts(t.client, upload.id, [PARTS[0]]);
    const cancelled = await t.client.uploads.cancel(upload.id);
    assert.equal(cancelled.id, upload.id);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.file ?? null, null);

    const rejected = noLongerPending(upload.id, 'cancelled');
    await expectSdkError(t.client, addParts(t.client, upload.id, [PARTS[1]]), rejected);
    await expectSdkError(t.client, t.client.uploads.complete(upload.id, { part_ids: [part.id] }), rejected);
    await expectSdkError(t.client, t.client.uploads.cancel(upload.id), rejected);
  });

  it('accepts no parts after completion', async () => {
    const upload = await createUpload(t.client);
    const parts = await addParts(t.client, upload.id);
    await t.client.uploads.complete(upload.id, { part_ids: parts.map((p) => p.id) });

    const rejected = noLongerPending(upload.id, 'completed');
    await expectSdkError(t.client, addParts(t.client, upload.id, [PARTS[2]]), rejected);
    await expectSdkError(t.client, t.client.uploads.cancel(upload.id), rejected);
  });
});

const clock = new ManualClock();

describeEachBackendAndSdk('uploads with a manual clock', { clock }, (t) => {
  it('expires a pending upload an hour after creation', async () => {
    const upload = await createUpload(t.client);
    const [part] = await addParts(t.client, upload.id, [PARTS[0]]);
    clock.advance(3600_000);
    const expired = noLongerPending(upload.id, 'expired');
    await expectSdkError(t.client, addParts(t.client, upload.id, [PARTS[1]]), expired);
    await expectSdkError(t.client, t.client.uploads.complete(upload.id, { part_ids: [part.id] }), expired);
  });
});
