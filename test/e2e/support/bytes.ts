/**
 * Deterministic test bytes and digests. Pseudo-random bytes are AES-128-CTR over zeros keyed by a
 * seed: fast, reproducible, and streamable so large files never sit in memory whole.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

const CHUNK = 1024 * 1024;

function cipherFor(seed: string) {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  return createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
}

/** `length` pseudo-random bytes, the same for the same seed. */
export function pseudoRandomBytes(seed: string, length: number): Buffer {
  return cipherFor(seed).update(Buffer.alloc(length));
}

/** Writes `length` pseudo-random bytes to `path` chunk by chunk; returns their sha256 (hex). */
export async function writePseudoRandomFile(path: string, seed: string, length: number): Promise<string> {
  const cipher = cipherFor(seed);
  const hash = createHash('sha256');
  const zeros = Buffer.alloc(CHUNK);
  const out = createWriteStream(path);
  for (let written = 0; written < length; written += CHUNK) {
    const chunk = cipher.update(zeros.subarray(0, Math.min(CHUNK, length - written)));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** The sha256 (hex) of a byte stream, and how many bytes it had. */
export async function sha256OfStream(stream: AsyncIterable<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function md5Hex(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}
