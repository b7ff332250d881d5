import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, openAsBlob, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.js';
import { SDKS, type FileObject, type FilePurpose } from './sdks.js';
import { describeEachBackend, describeEachBackendAndSdk } from './support/suite.js';
import { expectSdkError } from './support/expect-error.js';
import { http } from './support/http.js';
import { pseudoRandomBytes, sha256OfStream, writePseudoRandomFile } from './support/bytes.js';
import { assertRecentTimestamp, collect, idsOf, uploadFile } from './support/fixtures.js';

const PURPOSE_FILES: Array<[FilePurpose, string, string]> = [
  ['assistants', 'notes.txt', 'plain notes\n'],
  ['batch', 'requests.jsonl', '{"custom_id":"r1","method":"POST","url":"/v1/chat/completions","body":{}}\n'],
  ['fine-tune', 'train.jsonl', '{"messages":[{"role":"user","content":"hi"}]}\n'],
  ['vision', 'photo.png', '\x89PNG\r\n\x1a\n'],
  ['user_data', 'profile.json', '{"name":"Ada"}'],
  ['evals', 'cases.jsonl', '{"item":{"input":"2+2","expected":"4"}}\n'],
];

const THIRTY_DAYS = 30 * 24 * 3600;

describeEachBackendAndSdk('files', {}, (t) => {
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'oa-e2e-files-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it('uploads a file for every create purpose with the SDK’s toFile', async () => {
    for (const [purpose, filename, content] of PURPOSE_FILES) {
      const started = Date.now();
      const file = await uploadFile(t.client, filename, content, purpose);
      assert.match(file.id, /^file-[A-Za-z0-9]+$/);
      assert.equal(file.object, 'file');
      assert.equal(file.bytes, Buffer.byteLength(content));
      assertRecentTimestamp(file.created_at, started);
      assert.equal(file.filename, filename);
      assert.equal(file.purpose, purpose);
      assert.equal(file.status, 'processed');
      if (purpose === 'batch') assert.equal(file.expires_at, file.created_at + THIRTY_DAYS, 'batch files expire after 30 days');
      else assert.equal(file.expires_at ?? null, null, `${purpose} files do not expire by default`);
    }
  });

  it('uploads a file from fs.createReadStream, named after the path', async () => {
    const path = join(scratch, `stream-${t.sdk.name.replace('@', '')}.csv`);
    writeFileSync(path, 'x,y\n1,2\n3,4\n');
    const file = await t.client.files.create({ file: createReadStream(path), purpose: 'assistants' });
    assert.equal(file.filename, path.split('/').pop());
    assert.equal(file.bytes, 12);
  });

  it('sets expires_at to created_at + seconds from expires_after', async () => {
    const file = await t.client.files.create({
      file: await t.client.toFile('short-lived', 'tmp.txt'),
      purpose: 'user_data',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    assert.equal(file.expires_at, file.created_at + 3600);
    assert.equal((await t.client.files.retrieve(file.id)).expires_at, file.created_at + 3600);
  });

  it('retrieves a file exactly as created', async () => {
    const file = await uploadFile(t.client, 'again.txt', 'same');
    assert.deepEqual(await t.client.files.retrieve(file.id), file);
  });

  it('lists files filtered by purpose with limit, order and after', async () => {
    const mine: FileObject[] = [];
    for (let i = 0; i < 3; i++) mine.push(await uploadFile(t.client, `eval-${i}.jsonl`, `{"i":${i}}\n`, 'evals'));
    await uploadFile(t.client, 'other.txt', 'not an eval', 'assistants');

    const evals = await t.client.files.list({ purpose: 'evals' });
    assert.equal(evals.object, 'list');
    assert.ok(evals.data.every((f) => (f.purpose as string) === 'evals'));
    assert.deepEqual(idsOf(evals.data.slice(0, 3)), idsOf(mine).reverse(), 'newest first by default');

    const newest = await t.client.files.list({ purpose: 'evals', limit: 2, order: 'desc' });
    assert.deepEqual(idsOf(newest.data), [mine[2].id, mine[1].id]);
    assert.equal(newest.has_more, true);

    const next = await t.client.files.list({ purpose: 'evals', limit: 1, order: 'asc', after: mine[0].id });
    assert.deepEqual(newest.data[1], next.data[0]);

    const all = await collect(t.client.files.iterate({ limit: 2, order: 'asc' }));
    assert.equal(new Set(idsOf(all)).size, all.length, 'no file appears twice');
    const allIds = idsOf(all);
    assert.ok(mine.every((f) => allIds.includes(f.id)));
  });

  it('downloads content byte-identical, with content-type and content-length', async () => {
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), pseudoRandomBytes('files', 4096)]);
    const binary = await uploadFile(t.client, 'blob.bin', bytes);
    const response = await t.client.files.content(binary.id);
    assert.equal(response.status, 200);
    assert.ok(Buffer.from(await response.arrayBuffer()).equals(bytes));

    const text = await uploadFile(t.client, 'hello.txt', 'héllo wörld\n');
    const raw = await fetch(`${t.baseURL}/files/${text.id}/content`, { headers: { authorization: 'Bearer sk-any' } });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(raw.headers.get('content-length'), String(text.bytes));
    assert.equal(await raw.text(), 'héllo wörld\n');

    const rawBinary = await http(t.baseURL, `/files/${binary.id}/content`);
    assert.equal(rawBinary.headers.get('content-length'), String(bytes.length));
  });

  it('deletes a file, after which retrieve, content and delete answer 404', async () => {
    const file = await uploadFile(t.client, 'gone.txt', 'bye');
    const deleted = await t.client.files.delete(file.id);
    assert.deepEqual({ ...deleted }, { id: file.id, object: 'file', deleted: true });

    const notFound = { status: 404, errorClass: 'NotFoundError', message: `No file found with id '${file.id}'.` } as const;
    await expectSdkError(t.client, t.client.files.retrieve(file.id), notFound);
    await expectSdkError(t.client, t.client.files.content(file.id), notFound);
    await expectSdkError(t.client, t.client.files.delete(file.id), notFound);
    assert.ok(!idsOf(await collect(t.client.files.iterate())).includes(file.id));
  });
});

const clock = new ManualClock();

describeEachBackendAndSdk('files with a manual clock', { clock }, (t) => {
  it('hides a file from retrieve, content and list once expires_at has passed', async () => {
    const file = await t.client.files.create({
      file: await t.client.toFile('ephemeral', 'ephemeral.txt'),
      purpose: 'assistants',
      expires_after: { anchor: 'created_at', seconds: 3600 },
    });
    assert.equal(file.created_at, Math.floor(clock.nowMs() / 1000));
    assert.equal(file.expires_at, file.created_at + 3600);

    clock.advance(3599_000);
    assert.deepEqual(await t.client.files.retrieve(file.id), file);

    clock.advance(1000);
    const gone = { status: 404, errorClass: 'NotFoundError', message: `No file found with id '${file.id}'.` } as const;
    await expectSdkError(t.client, t.client.files.retrieve(file.id), gone);
    await expectSdkError(t.client, t.client.files.content(file.id), gone);
    assert.ok(!idsOf(await collect(t.client.files.iterate())).includes(file.id));
  });
});

describeEachBackendAndSdk('files over MAX_FILE_BYTES', { env: { MAX_FILE_BYTES: String(1024 * 1024) } }, (t) => {
  it('rejects a 2 MB upload with 413 and stores nothing', async () => {
    const file = await t.client.toFile(pseudoRandomBytes('too-big', 2 * 1024 * 1024), 'big.bin');
    await expectSdkError(t.client, t.client.files.create({ file, purpose: 'assistants' }), {
      status: 413,
      errorClass: 'APIError',
      param: 'file',
      code: 'file_too_large',
      message: 'File too large. The maximum file size is 1048576 bytes.',
    });
    assert.deepEqual((await t.client.files.list()).data, []);
  });

  it('still accepts a file of exactly the limit', async () => {
    const file = await uploadFile(t.client, 'fits.bin', pseudoRandomBytes('fits', 1024 * 1024));
    assert.equal(file.bytes, 1024 * 1024);
    await t.client.files.delete(file.id);
  });
});

describeEachBackend('files: 100 MB', {}, (handle) => {
  const sdk = SDKS.find((s) => s.name === 'openai@6') ?? SDKS[SDKS.length - 1];
  const SIZE = 100 * 1024 * 1024;
  let scratch: string;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'oa-e2e-big-'));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  describe(`${handle.backend} · ${sdk.name}`, () => {
    it('uploads and downloads a 100 MB file with an identical sha256', async () => {
      const client = sdk.make(handle.baseURL);
      const path = join(scratch, 'hundred.bin');
      const sha256 = await writePseudoRandomFile(path, `big-${handle.backend}`, SIZE);

      // A file-backed Blob, so the SDK streams it instead of buffering 100 MB.
      const file = await client.files.create({ file: await client.toFile(await openAsBlob(path), 'hundred.bin'), purpose: 'assistants' });
      assert.equal(file.bytes, SIZE);
      rmSync(path);

      const response = await client.files.content(file.id);
      assert.equal(response.headers.get('content-length'), String(SIZE));
      assert.ok(response.body, 'the download has a body');
      assert.deepEqual(await sha256OfStream(response.body), { sha256, bytes: SIZE });
      await client.files.delete(file.id);
    });
  });
});
