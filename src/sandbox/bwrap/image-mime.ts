import { extname } from 'node:path';
import type { OutputImage } from '../sandbox.js';

const BY_EXTENSION: Record<string, OutputImage['mime']> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** The image type of a file when both its extension and its first bytes say it is one. */
export function imageMime(path: string, bytes: Uint8Array): OutputImage['mime'] | null {
  const mime = BY_EXTENSION[extname(path).toLowerCase()];
  if (!mime) return null;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 16));
  const magic =
    mime === 'image/png' ? head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    : mime === 'image/jpeg' ? head.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))
    : mime === 'image/gif' ? head.subarray(0, 4).toString('latin1') === 'GIF8'
    : head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP';
  return magic ? mime : null;
}
