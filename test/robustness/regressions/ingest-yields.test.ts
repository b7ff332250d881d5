/**
 * Regression (found by faults.test.ts in full mode on SQLite: after a restart the re-ingestion of
 * three large files kept runs from reaching the upstream for 9.4 s): SQLite's writes are
 * synchronous and their promises resolve at once, so indexing a file batch after batch never gave
 * the event loop a turn. A 740 KB file held it for 1.35 s, stalling every request and stream.
 * Now the event loop turns between batches: here each index batch must find that it did.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Chunk } from '../../../src/search/search-index.js';
import { BACKENDS, startTestServer, type TestServer } from '../../helpers/server.js';
import { ok, uploadFile } from '../support/http.js';
import { sleep } from '../support/report.js';
import { documentFor } from '../support/workload.js';

for (const backend of BACKENDS) {
  describe(`regression: ingestion lets the event loop turn between index batches · ${backend}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend, { env: { CODE_INTERPRETER: 'off' } });
    });
    after(async () => {
      await server?.close();
    });

    it('between two batches of one file, a queued macrotask has run', async () => {
      const index = (server.server.ingest as unknown as { deps: { index: { add(chunks: Chunk[]): Promise<void> } } }).deps.index;
      const add = index.add.bind(index);
      const turned: boolean[] = [];
      let flag: { turned: boolean } | undefined;
      index.add = async (chunks) => {
        if (flag) turned.push(flag.turned);
        const next = { turned: false };
        flag = next;
        setImmediate(() => (next.turned = true));
        return add(chunks);
      };
      try {
        const doc = documentFor(4242, 30_000); // about 220 chunks: 4 batches
        const up = await uploadFile(server.baseURL, 'yields.txt', doc.text);
        const vs = await ok(server.baseURL, 'POST', '/vector_stores', {});
        await ok(server.baseURL, 'POST', `/vector_stores/${vs.id}/files`, { file_id: up.json.id });
        for (const deadline = Date.now() + 20_000; ; await sleep(50)) {
          const f = await ok(server.baseURL, 'GET', `/vector_stores/${vs.id}/files/${up.json.id}`);
          if (f.status !== 'in_progress') {
            assert.equal(f.status, 'completed');
            break;
          }
          assert.ok(Date.now() < deadline, 'ingestion did not end');
        }
      } finally {
        index.add = add;
      }
      assert.ok(turned.length >= 2, `only ${turned.length + 1} batches`);
      assert.deepEqual(turned, turned.map(() => true), 'the event loop did not turn between some batches');
    });
  });
}
