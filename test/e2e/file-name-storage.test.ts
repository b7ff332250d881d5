/**
 * Regression: a file name with a NUL answered 500 on PostgreSQL (text cannot hold NUL) while
 * SQLite stored it, and a lone UTF-16 surrogate was stored differently by each driver (SQLite
 * read back three U+FFFD, PostgreSQL one). Names are now stored alike on every backend: NUL as
 * `_`, a lone surrogate as one U+FFFD; anything else as given.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachBackend } from './support/suite.js';
import { http } from './support/http.js';

function multipart(filenameParam: string, bytes: string): { body: Uint8Array; headers: Record<string, string> } {
  const boundary = 'file-name-storage';
  const body = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
      `--${boundary}\r\ncontent-disposition: form-data; name="file"; ${filenameParam}\r\ncontent-type: text/plain\r\n\r\n${bytes}\r\n` +
      `--${boundary}--\r\n`,
  );
  return { body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function viaUploads(baseURL: string, filename: string): Promise<{ status: number; file?: { id: string; filename: string }; upload?: { filename: string } }> {
  const created = await http(baseURL, '/uploads', { method: 'POST', json: { filename, purpose: 'assistants', bytes: 0, mime_type: 'text/plain' } });
  if (created.status !== 200) return { status: created.status };
  const upload = created.json as { id: string; filename: string };
  const done = await http(baseURL, `/uploads/${upload.id}/complete`, { method: 'POST', json: { part_ids: [] } });
  return { status: done.status, upload, file: (done.json as { file: { id: string; filename: string } }).file };
}

describeEachBackend('file names are stored alike on every backend', {}, (t) => {
  it('a NUL in a multipart file name is stored as _', async () => {
    for (const param of [`filename*=UTF-8''a%00b.txt`, `filename="nul\u0000.txt"`]) {
      const res = await http(t.baseURL, '/files', { method: 'POST', ...multipart(param, 'bytes') });
      assert.equal(res.status, 200, res.text);
      const file = res.json as { id: string; filename: string };
      assert.ok(!file.filename.includes('\u0000'));
      assert.match(file.filename, /^(a_b|nul_)\.txt$/);
      assert.equal(((await http(t.baseURL, `/files/${file.id}`)).json as { filename: string }).filename, file.filename);
      const content = await http(t.baseURL, `/files/${file.id}/content`);
      assert.equal(content.status, 200);
      assert.equal(content.text, 'bytes');
    }
  });

  it('a NUL in an Uploads API file name is stored as _, in the Upload and in its File', async () => {
    const res = await viaUploads(t.baseURL, '\u0000../a\u0000b.txt');
    assert.equal(res.status, 200);
    assert.equal(res.upload!.filename, '_../a_b.txt');
    assert.equal(res.file!.filename, '_../a_b.txt');
    assert.equal(((await http(t.baseURL, `/files/${res.file!.id}`)).json as { filename: string }).filename, '_../a_b.txt');
  });

  it('a lone surrogate is stored as one U+FFFD; a surrogate pair as is', async () => {
    const lone = await viaUploads(t.baseURL, '\ud800lone.txt');
    assert.equal(lone.status, 200);
    assert.equal(lone.upload!.filename, '\ufffdlone.txt');
    assert.equal(((await http(t.baseURL, `/files/${lone.file!.id}`)).json as { filename: string }).filename, '\ufffdlone.txt');
    const pair = await viaUploads(t.baseURL, '😀 pair.txt');
    assert.equal(((await http(t.baseURL, `/files/${pair.file!.id}`)).json as { filename: string }).filename, '😀 pair.txt');
  });

  it('other names, path-like ones included, are kept as given', async () => {
    for (const name of ['../../etc/passwd', 'a\r\nb.txt', 'ünï €.txt', "it's (1)*.txt"]) {
      const res = await viaUploads(t.baseURL, name);
      assert.equal(res.status, 200);
      assert.equal(((await http(t.baseURL, `/files/${res.file!.id}`)).json as { filename: string }).filename, name);
    }
  });
});
