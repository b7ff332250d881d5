/**
 * Regressions (found with faults.test.ts's PostgreSQL restart, reproduced by terminating the
 * database's connections during ingestion):
 * 1. a database connection lost while a file was being indexed failed the vector-store file for
 *    good ("Processing the file failed: Connection terminated unexpectedly"), though nothing was
 *    wrong with the file: now it is claimed again and completes;
 * 2. a file that ended `failed` after some of its chunks were indexed kept them, so searches
 *    found a file whose status said it was not there: now a failed file keeps no chunks.
 * The database fault is injected into the index writes (as node-postgres reports a lost connection).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Chunk } from '../../../src/search/search-index.js';
import { BACKENDS, startTestServer, type TestServer } from '../../helpers/server.js';
import { ok, uploadFile } from '../support/http.js';
import { sleep } from '../support/report.js';
import { documentFor, expectedUsageBytes } from '../support/workload.js';

const lostConnection = () => new Error('Connection terminated unexpectedly');

for (const backend of BACKENDS) {
  describe(`regression: ingestion through a database fault · ${backend}`, () => {
    let server: TestServer;
    let index: { add(chunks: Chunk[]): Promise<void> };
    let add: (chunks: Chunk[]) => Promise<void>;
    before(async () => {
      server = await startTestServer(backend, { env: { CODE_INTERPRETER: 'off', RUN_LEASE_MS: '300', RUN_POLL_MS: '50' } });
      index = (server.server.ingest as unknown as { deps: { index: typeof index } }).deps.index;
      add = index.add.bind(index);
    });
    after(async () => {
      index.add = add;
      await server?.close();
    });

    async function ingest(n: number, fault: (fileId: string, call: number) => Error | undefined): Promise<{ file: any; doc: ReturnType<typeof documentFor>; vs: string }> {
      const doc = documentFor(9000 + n, 30_000);
      const up = await uploadFile(server.baseURL, `doc-${n}.txt`, doc.text);
      assert.equal(up.status, 200);
      const calls = new Map<string, number>();
      index.add = async (chunks) => {
        const fileId = chunks[0]?.fileId ?? '';
        const call = (calls.get(fileId) ?? 0) + 1;
        calls.set(fileId, call);
        const err = fileId === up.json.id ? fault(fileId, call) : undefined;
        if (err) throw err;
        return add(chunks);
      };
      const vs = await ok(server.baseURL, 'POST', '/vector_stores', {});
      await ok(server.baseURL, 'POST', `/vector_stores/${vs.id}/files`, { file_id: up.json.id });
      for (const deadline = Date.now() + 20_000; ; await sleep(50)) {
        const file = await ok(server.baseURL, 'GET', `/vector_stores/${vs.id}/files/${up.json.id}`);
        if (file.status !== 'in_progress') return { file, doc, vs: vs.id };
        assert.ok(Date.now() < deadline, 'ingestion did not end within 20 s');
      }
    }

    const found = async (vs: string, marker: string): Promise<number> =>
      (await ok(server.baseURL, 'POST', `/vector_stores/${vs}/search`, { query: marker })).data.length;

    it('a connection lost in the middle of indexing: the file is ingested again and completes, whole', async () => {
      const { file, doc, vs } = await ingest(1, (_id, call) => (call === 2 ? lostConnection() : undefined));
      assert.equal(file.status, 'completed', JSON.stringify(file.last_error));
      assert.equal(file.usage_bytes, await expectedUsageBytes(doc.text, 'doc-1.txt'));
      assert.equal(await found(vs, doc.start), 1);
      assert.equal(await found(vs, doc.end), 1);
    });

    it('a file that fails after some chunks were indexed is not found by search', async () => {
      const { file, doc, vs } = await ingest(2, (_id, call) => (call % 2 === 0 ? lostConnection() : undefined));
      assert.equal(file.status, 'failed');
      assert.equal(file.last_error.code, 'server_error');
      // the chunks go right after the status (the worker must still own the job to remove them)
      let hits = await found(vs, doc.start);
      for (const deadline = Date.now() + 2000; hits > 0 && Date.now() < deadline; await sleep(50)) hits = await found(vs, doc.start);
      assert.equal(hits, 0, 'the failed file left chunks that search finds');
      const store = await ok(server.baseURL, 'GET', `/vector_stores/${vs}`);
      assert.deepEqual(store.file_counts, { in_progress: 0, completed: 0, failed: 1, cancelled: 0, total: 1 });
      assert.equal(store.usage_bytes, 0);
    });
  });
}
