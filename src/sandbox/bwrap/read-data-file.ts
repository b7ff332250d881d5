import { constants } from 'node:fs';
import { open, readlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The bytes of `rel` under `root` (a real path), or null when it is not a regular file inside
 * `root` or is larger than `maxBytes`. The sandbox may swap any component for a symlink at any
 * moment, so the check is made on the opened descriptor: O_NOFOLLOW for the last component,
 * O_NONBLOCK so a FIFO cannot hang us, then /proc/self/fd tells where the file really is.
 */
export async function readDataFile(root: string, rel: string, maxBytes: number): Promise<Uint8Array | null> {
  let handle;
  try {
    handle = await open(join(root, rel), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size > maxBytes) return null;
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!real.startsWith(`${root}/`)) return null;
    // Read at most maxBytes even if the file grows meanwhile.
    const buffer = Buffer.alloc(Math.min(stats.size, maxBytes));
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
  } catch {
    return null;
  } finally {
    await handle.close();
  }
}
