/**
 * Regression (a window the kill -9 cycles of faults.test.ts aim at): completing an Upload created
 * its File in one write and marked the upload completed in another. A crash or a failed write in
 * between left a File listed for an upload still pending, its bytes already deleted by the error
 * path (a listed file whose content cannot be read), and completing again made a second File.
 * Now both are one transaction: here the completion write fails once, then the client completes
 * again; exactly one whole File must exist.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, startTestServer, type TestServer } from '../../helpers/server.js';
import { api, ok, uploadPart } from '../support/http.js';

for (const backend of BACKENDS) {
  describe(`regression: an Upload's File is made with its completion · ${backend}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startTestServer(backend, { env: { CODE_INTERPRETER: 'off' } });
    });
    after(async () => {
      await server?.close();
    });

    it('the completing write fails once: no File is left behind; completing again makes exactly one, whole', async () => {
      const base = server.baseURL;
      const bytes = Buffer.from('0123456789abcdef'.repeat(4096));
      const upload = await ok(base, 'POST', '/uploads', { filename: 'atomic.bin', purpose: 'assistants', bytes: bytes.length, mime_type: 'application/octet-stream' });
      const part = await uploadPart(base, upload.id, bytes);
      assert.equal(part.status, 200);
      const md5 = createHash('md5').update(bytes).digest('hex');

      const uploads = server.server.store.uploads;
      const finish = uploads.finish.bind(uploads);
      uploads.finish = async () => {
        throw new Error('simulated: the database went away');
      };
      try {
        const res = await api(base, 'POST', `/uploads/${upload.id}/complete`, { part_ids: [part.json.id], md5 });
        assert.equal(res.status, 500);
      } finally {
        uploads.finish = finish;
      }
      const before = (await ok(base, 'GET', '/files')).data.filter((f: any) => f.filename === 'atomic.bin');
      assert.deepEqual(before, [], 'no File for an upload that did not complete');

      const done = await ok(base, 'POST', `/uploads/${upload.id}/complete`, { part_ids: [part.json.id], md5 });
      assert.equal(done.status, 'completed');
      const files = (await ok(base, 'GET', '/files')).data.filter((f: any) => f.filename === 'atomic.bin');
      assert.deepEqual(files.map((f: any) => f.id), [done.file.id]);
      const content = await fetch(`${base}/files/${done.file.id}/content`, { headers: { authorization: 'Bearer k' } });
      assert.equal(content.status, 200);
      assert.ok(Buffer.from(await content.arrayBuffer()).equals(bytes));
      const again = await api(base, 'POST', `/uploads/${upload.id}/complete`, { part_ids: [part.json.id], md5 });
      assert.equal(again.status, 400);
      assert.match(again.text, /already been completed/);
      assert.equal((await ok(base, 'GET', '/files')).data.filter((f: any) => f.filename === 'atomic.bin').length, 1);
    });
  });
}
