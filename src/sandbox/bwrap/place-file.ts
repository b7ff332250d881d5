import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { type FileHandle, link, open, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';

const MAX_NAME_BYTES = 200;

/**
 * A safe single path component from a client's file name: no '/', '\\', NUL or control
 * characters, not '.' or '..', not starting with '-' , at most 200 bytes of UTF-8.
 */
export function sanitizeFileName(name: string): string {
  let clean = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f/\\]/g, '_')
    .trim()
    .replace(/^-+/, '_');
  if (clean === '' || /^\.+$/.test(clean)) clean = 'file';
  while (Buffer.byteLength(clean) > MAX_NAME_BYTES) {
    const ext = extname(clean);
    const stem = clean.slice(0, clean.length - ext.length);
    clean = ext.length > 0 && ext.length < 20 && stem.length > 1 ? stem.slice(0, -1) + ext : clean.slice(0, -1);
  }
  return clean;
}

/** `name`, then `name (1).ext`, `name (2).ext`, … */
export function* candidateNames(name: string): Generator<string> {
  yield name;
  const ext = extname(name);
  const stem = ext.length > 0 && ext.length < name.length ? name.slice(0, -ext.length) : name;
  const effectiveExt = stem === name ? '' : ext;
  for (let n = 1; ; n++) yield `${stem} (${n})${effectiveExt}`;
}

/**
 * Writes `source` into `dir` (owned by `owner`) under the first free name of `candidateNames(name)` and returns that
 * name. The directory is shared with sandboxed code that may plant symlinks or swap files at any
 * moment, so the bytes go to a fresh O_EXCL|O_NOFOLLOW file, which is then hard-linked to its name:
 * link() fails on any existing entry and never follows a symlink, so nothing outside is touched.
 */
export async function placeFile(
  dir: string,
  name: string,
  source: AsyncIterable<Uint8Array> | Uint8Array,
  options: { owner?: { uid: number; gid: number } | null; signal?: AbortSignal } = {},
): Promise<string> {
  const { owner, signal } = options;
  const tmp = join(dir, `.oa-upload-${randomBytes(8).toString('hex')}`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      if (owner) await handle.chown(owner.uid, owner.gid); // the sandbox's uid may change or delete it
      if (source instanceof Uint8Array) {
        await writeAll(handle, source);
      } else {
        for await (const chunk of source) {
          signal?.throwIfAborted();
          await writeAll(handle, chunk);
        }
      }
      signal?.throwIfAborted();
    } finally {
      await handle.close();
    }
    for (const candidate of candidateNames(name)) {
      try {
        await link(tmp, join(dir, candidate));
        return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    throw new Error('unreachable');
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.length; ) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
