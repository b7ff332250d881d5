import type { Readable } from 'node:stream';

export interface PutResult {
  bytes: number;
  /** True when the source was longer than `maxBytes`; nothing is stored then. */
  truncated: boolean;
  /** Hex MD5 of the stored bytes. */
  md5: string;
}

/**
 * Where file bytes live. Writes are streamed (never buffered whole) and atomic: a key holds either
 * nothing or the complete bytes. Keys are server-made (`files/<id>`), never client file names.
 */
export interface BlobStore {
  put(key: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable, options?: { maxBytes?: number }): Promise<PutResult>;
  /** The bytes of a key as a stream; throws when absent. */
  get(key: string): Readable;
  size(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Removes partial writes left behind by a process that died mid-`put` (a completed key is never
   * touched), when last written before `olderThanMs` (Unix ms). Returns how many were removed.
   */
  removeAbandoned(olderThanMs: number): Promise<number>;
}
