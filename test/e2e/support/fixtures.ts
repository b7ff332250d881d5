/** Small objects several e2e files need, made through the SDK under test. */
import assert from 'node:assert/strict';
import type { Facade, FileObject, FilePurpose } from '../sdks.js';

/** Uploads `content` as a file named `filename` through the SDK's own `toFile`. */
export async function uploadFile(
  client: Facade,
  filename: string,
  content: string | Uint8Array,
  purpose: FilePurpose = 'assistants',
): Promise<FileObject> {
  return client.files.create({ file: await client.toFile(content, filename), purpose });
}

/** Asserts `at` is a Unix-seconds timestamp taken during the test (not milliseconds). */
export function assertRecentTimestamp(at: unknown, startedMs: number): void {
  assert.equal(typeof at, 'number');
  assert.ok(Number.isInteger(at), 'timestamps are integers');
  const seconds = at as number;
  assert.ok(seconds >= Math.floor(startedMs / 1000) - 1, `${seconds} is not before the test started`);
  assert.ok(seconds <= Math.ceil(Date.now() / 1000) + 1, `${seconds} is not in the future`);
}

/** Ids of `items` in order. */
export function idsOf(items: ReadonlyArray<{ id: string }>): string[] {
  return items.map((i) => i.id);
}

/** Drains an SDK auto-paginating iterator. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
