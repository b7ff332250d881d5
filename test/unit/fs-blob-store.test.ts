import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FsBlobStore } from '../../src/blobs/fs/fs-blob-store.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let root: string;
let blobs: FsBlobStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'oa-blobs-'));
  blobs = new FsBlobStore(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function* chunked(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

/** Every regular file under the store root, relative to it. */
async function filesUnderRoot(): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? e.path, e.name).slice(root.length + 1))
    .sort();
}

describe('FsBlobStore', () => {
  it('round-trips bytes and reports their size and MD5', async () => {
    const data = Buffer.from('hello, blob');
    const result = await blobs.put('files/file-1', Readable.from([data]));
    assert.deepEqual(result, { bytes: data.length, truncated: false, md5: md5(data) });
    assert.deepEqual(await readAll(blobs.get('files/file-1')), data);
    assert.equal(await blobs.size('files/file-1'), data.length);
    assert.deepEqual(await filesUnderRoot(), ['files/file-1']);
  });

  it('streams a large source from an async iterable', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 17);
    const result = await blobs.put('files/big', chunked(data, 64 * 1024));
    assert.deepEqual(result, { bytes: data.length, truncated: false, md5: md5(data) });
    assert.equal(md5(await readAll(blobs.get('files/big'))), md5(data));
  });

  it('stores an empty blob', async () => {
    const result = await blobs.put('files/empty', Readable.from([]));
    assert.deepEqual(result, { bytes: 0, truncated: false, md5: md5(Buffer.alloc(0)) });
    assert.equal(await blobs.size('files/empty'), 0);
  });

  it('replaces the bytes of an existing key', async () => {
    await blobs.put('files/x', Readable.from([Buffer.from('first version')]));
    await blobs.put('files/x', Readable.from([Buffer.from('second')]));
    assert.equal((await readAll(blobs.get('files/x'))).toString(), 'second');
    assert.deepEqual(await filesUnderRoot(), ['files/x']);
  });

  it('stores a source of exactly maxBytes', async () => {
    const data = Buffer.alloc(100, 1);
    const result = await blobs.put('files/exact', chunked(data, 30), { maxBytes: 100 });
    assert.equal(result.truncated, false);
    assert.equal(result.bytes, 100);
    assert.equal(await blobs.size('files/exact'), 100);
  });

  it('stores nothing, and leaves no temporary file, when the source exceeds maxBytes', async () => {
    const data = Buffer.alloc(1000, 2);
    const result = await blobs.put('files/too-big', chunked(data, 64), { maxBytes: 100 });
    assert.equal(result.truncated, true);
    assert.ok(result.bytes > 100, `bytes ${result.bytes} should exceed the limit`);
    assert.equal(result.md5, '');
    assert.equal(await blobs.size('files/too-big'), undefined);
    assert.deepEqual(await filesUnderRoot(), []);
  });

  it('keeps the previous bytes when a replacement exceeds maxBytes', async () => {
    await blobs.put('files/keep', Readable.from([Buffer.from('original')]));
    const result = await blobs.put('files/keep', chunked(Buffer.alloc(50), 10), { maxBytes: 20 });
    assert.equal(result.truncated, true);
    assert.equal((await readAll(blobs.get('files/keep'))).toString(), 'original');
    assert.deepEqual(await filesUnderRoot(), ['files/keep']);
  });

  it('stores nothing, and leaves no temporary file, when the source fails midway', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('partial');
      throw new Error('client went away');
    }
    await assert.rejects(blobs.put('files/broken', failing()), /client went away/);
    assert.equal(await blobs.size('files/broken'), undefined);
    assert.deepEqual(await filesUnderRoot(), []);
  });

  it(
    'rejects a put whose write fails (file too large), leaving nothing behind and the process alive',
    { skip: process.platform !== 'linux' || !existsSync('/bin/bash') ? 'needs bash ulimit on Linux' : false },
    () => {
      // A real write error, made by a file size limit (ulimit -f, in 512-byte blocks) on a child process.
      const moduleUrl = pathToFileURL(join(REPO, 'src/blobs/fs/fs-blob-store.ts')).href;
      const script = `
        import { FsBlobStore } from ${JSON.stringify(moduleUrl)};
        import { readdirSync } from 'node:fs';
        const root = process.argv[1];
        async function* source() { for (let i = 0; i < 16; i++) yield Buffer.alloc(64 * 1024, 1); }
        const outcome = await new FsBlobStore(root).put('files/a', source()).then(() => 'stored', (e) => e.code);
        console.log(JSON.stringify({ outcome, files: readdirSync(root + '/files') }));`;
      const child = spawnSync(
        '/bin/bash',
        ['-c', 'ulimit -f 64 && exec "$0" --import tsx --input-type=module -e "$1" "$2"', process.execPath, script, root],
        { cwd: REPO, encoding: 'utf8', timeout: 20_000 },
      );
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), { outcome: 'EFBIG', files: [] });
    },
  );

  it('refuses keys that could leave the store or are not server-made', async () => {
    const bad = [
      '',
      '..',
      '../outside',
      'files/../../outside',
      'files/..',
      'files/./x',
      '/etc/passwd',
      '/tmp/x',
      'files\\x',
      '..\\outside',
      'files//x',
      'files/',
      '/files',
      '.hidden',
      'files/x\0y',
    ];
    for (const key of bad) {
      await assert.rejects(blobs.put(key, Readable.from([Buffer.from('x')])), /blob key/, `put ${JSON.stringify(key)}`);
      assert.throws(() => blobs.get(key), /blob key/, `get ${JSON.stringify(key)}`);
      await assert.rejects(blobs.delete(key), /blob key/, `delete ${JSON.stringify(key)}`);
      assert.equal(await blobs.size(key), undefined, `size ${JSON.stringify(key)}`);
    }
    assert.deepEqual(await filesUnderRoot(), []);
  });

  it('accepts nested keys with dots inside later segments', async () => {
    await blobs.put('uploads/upload_1/part_1.bin', Readable.from([Buffer.from('p')]));
    assert.equal(await blobs.size('uploads/upload_1/part_1.bin'), 1);
  });

  it('fails to read a missing key', async () => {
    await assert.rejects(readAll(blobs.get('files/missing')), { code: 'ENOENT' });
  });

  it('reports no size for a missing key', async () => {
    assert.equal(await blobs.size('files/missing'), undefined);
  });

  it('deletes a key, and deleting a missing key is fine', async () => {
    await blobs.put('files/gone', Readable.from([Buffer.from('x')]));
    await blobs.delete('files/gone');
    assert.equal(await blobs.size('files/gone'), undefined);
    await blobs.delete('files/gone');
    await blobs.delete('never/existed');
  });

  it('removes partial writes abandoned by a dead process, and nothing else', async () => {
    const hourAgo = Date.now() - 3_600_000;
    await blobs.put('files/kept', Readable.from([Buffer.from('complete')]));
    await blobs.put('uploads/upload_1/part_1.bin', Readable.from([Buffer.from('part')]));
    // what a process killed mid-put leaves: the temporary name, never renamed
    const dead = join(root, 'files', 'file-dead.tmp-0123456789ab');
    const deadPart = join(root, 'uploads', 'upload_1', 'part_2.bin.tmp-ba9876543210');
    await writeFile(dead, 'half');
    await writeFile(deadPart, 'half');
    const old = new Date(hourAgo - 60_000);
    for (const p of [dead, deadPart, join(root, 'files', 'kept')]) await utimes(p, old, old);
    // a put still streaming: its partial file is fresh
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield Buffer.from('first ');
      await gate;
      yield Buffer.from('second');
    }
    const live = blobs.put('files/live', slow());
    while (!(await filesUnderRoot()).some((f) => f.startsWith('files/live.tmp-'))) await new Promise((r) => setTimeout(r, 5));

    assert.equal(await blobs.removeAbandoned(hourAgo), 2);
    assert.equal(existsSync(dead), false);
    assert.equal(existsSync(deadPart), false);
    release();
    assert.equal((await live).bytes, 12, 'the live put completes');
    assert.equal((await readAll(blobs.get('files/live'))).toString(), 'first second');
    assert.equal((await readAll(blobs.get('files/kept'))).toString(), 'complete', 'an old complete blob stays');
    assert.equal(await blobs.size('uploads/upload_1/part_1.bin'), 4);
    assert.equal(await blobs.removeAbandoned(Date.now()), 0, 'nothing partial is left');
  });

  it('refuses keys shaped like a partial write, so the sweep can never take a stored blob', async () => {
    await assert.rejects(blobs.put('files/x.tmp-0123456789ab', Readable.from([Buffer.from('x')])), /invalid blob key/);
  });

  it('sweeps an empty or missing root without error', async () => {
    assert.equal(await new FsBlobStore(join(root, 'missing')).removeAbandoned(Date.now()), 0);
  });
});
