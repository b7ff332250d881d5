import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { BlobStore, PutResult } from '../blob-store.js';

const KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_.-]+)*$/;
/** The name of a partial write: `<key's last segment>.tmp-<12 hex>` (see `put`). */
const PARTIAL = /\.tmp-[0-9a-f]{12}$/;

/** Blobs as files under one directory, written to a temporary name, fsynced and renamed into place. */
export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  private path(key: string): string {
    if (!KEY.test(key) || PARTIAL.test(key) || key.split('/').some((s) => s === '.' || s === '..')) {
      throw new Error(`invalid blob key: ${JSON.stringify(key)}`);
    }
    const p = join(this.root, key);
    if (!p.startsWith(this.root + sep)) throw new Error(`blob key escapes the store: ${key}`);
    return p;
  }

  async put(
    key: string,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable,
    options: { maxBytes?: number } = {},
  ): Promise<PutResult> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${randomBytes(6).toString('hex')}`;
    const out = createWriteStream(tmp);
    // A write error (disk full, EFBIG) must reject this put; unhandled, it would crash the process.
    out.on('error', () => undefined);
    const md5 = createHash('md5');
    const max = options.maxBytes ?? Infinity;
    let bytes = 0;
    let truncated = false;
    try {
      for await (const chunk of source as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        if (bytes > max) {
          truncated = true;
          break;
        }
        md5.update(chunk);
        if (out.errored) throw out.errored;
        if (!out.write(chunk)) await once(out, 'drain'); // rejects on 'error'
      }
      out.end();
      await finished(out);
      if (truncated) {
        await unlink(tmp);
        return { bytes, truncated, md5: '' };
      }
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
      await rename(tmp, target);
      return { bytes, truncated, md5: md5.digest('hex') };
    } catch (err) {
      // The file is opened asynchronously: wait until it is closed, or it may appear after the unlink.
      if (!out.closed) await new Promise<void>((r) => out.once('close', () => r()).destroy());
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
  }

  get(key: string): Readable {
    return createReadStream(this.path(key));
  }

  async size(key: string): Promise<number | undefined> {
    try {
      return (await stat(this.path(key))).size;
    } catch {
      return undefined;
    }
  }

  async removeAbandoned(olderThanMs: number): Promise<number> {
    let removed = 0;
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    });
    for (const entry of entries) {
      if (!entry.isFile() || !PARTIAL.test(entry.name)) continue;
      const p = join(entry.parentPath ?? entry.path, entry.name);
      try {
        // a live put writes continuously, so only a partial file that stopped changing long ago is dead
        if ((await stat(p)).mtimeMs >= olderThanMs) continue;
        await unlink(p);
        removed++;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // finished or removed meanwhile
      }
    }
    return removed;
  }

  async delete(key: string): Promise<void> {
    await unlink(this.path(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
