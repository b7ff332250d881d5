/**
 * Regression: a download's content-disposition offered the stored name as is. A name from the
 * Uploads API such as `../../etc/passwd` came back as `filename="../../etc/passwd"` and
 * `filename*=…..%2F..%2Fetc%2Fpasswd` (a client saving under it leaves its directory); `'`, `(`,
 * `)` and `*` went into `filename*` unencoded (not RFC 8187 value-chars; `'` is its delimiter);
 * and a long name made a header past 16 KiB, so Node's fetch (the openai SDK) could not download
 * the file at all. The offered name now has no separators or control characters, is not `.` or
 * `..`, is at most 255 characters, and is encoded as RFC 8187 requires. The File keeps its name.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachBackend } from './support/suite.js';
import { http } from './support/http.js';

const DISPOSITION = /^attachment; filename="([\x20\x21\x23-\x5b\x5d-\x7e]*)"; filename\*=UTF-8''((?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})*)$/;

/** Creates a File named `filename` through the Uploads API (which takes any name). */
async function fileNamed(baseURL: string, filename: string): Promise<string> {
  const created = await http(baseURL, '/uploads', { method: 'POST', json: { filename, purpose: 'assistants', bytes: 0, mime_type: 'text/plain' } });
  assert.equal(created.status, 200, created.text);
  const done = await http(baseURL, `/uploads/${(created.json as { id: string }).id}/complete`, { method: 'POST', json: { part_ids: [] } });
  const file = (done.json as { file: { id: string; filename: string } }).file;
  assert.equal(file.filename, filename, 'the File keeps the name');
  return file.id;
}

async function offered(baseURL: string, filename: string): Promise<{ ascii: string; name: string; header: string }> {
  const res = await http(baseURL, `/files/${await fileNamed(baseURL, filename)}/content`);
  assert.equal(res.status, 200);
  const header = res.headers.get('content-disposition') ?? '';
  const m = DISPOSITION.exec(header);
  assert.ok(m, `not an RFC 6266/8187 header: ${header}`);
  return { ascii: m[1], name: decodeURIComponent(m[2]), header };
}

describeEachBackend('content-disposition of downloads', {}, (t) => {
  it('offers no path: separators and control characters become _, and . or .. becomes file', async () => {
    const cases: Array<[string, string]> = [
      ['../../etc/passwd', '.._.._etc_passwd'],
      ['..\\..\\win.ini', '.._.._win.ini'],
      ['/abs/path.txt', '_abs_path.txt'],
      ['a\r\nX-Injected: 1', 'a__X-Injected: 1'],
      ['tab\tdel\u007f', 'tab_del_'],
      ['..', 'file'],
      ['.', 'file'],
      ['...', '...'],
    ];
    for (const [stored, expected] of cases) {
      const o = await offered(t.baseURL, stored);
      assert.equal(o.name, expected, stored);
      assert.equal(o.ascii, expected, stored);
    }
  });

  it("encodes ' ( ) * in filename* and keeps non-ASCII names exact", async () => {
    const o = await offered(t.baseURL, "it's (1)*.txt");
    assert.ok(o.header.endsWith("filename*=UTF-8''it%27s%20%281%29%2A.txt"), o.header);
    assert.equal(o.name, "it's (1)*.txt");
    const u = await offered(t.baseURL, 'ünï €.txt');
    assert.equal(u.name, 'ünï €.txt');
    assert.equal(u.ascii, '_n_ _.txt');
  });

  it('a long name is offered cut to 255 characters with its extension, and the file downloads with fetch', async () => {
    // the Uploads API takes up to 1,024 characters; multipart file names are longer still
    const boundary = 'long-name';
    const name = `${'é'.repeat(5000)}.txt`;
    const body = Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nassistants\r\n` +
        `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${name}"\r\ncontent-type: text/plain\r\n\r\nlong\r\n--${boundary}--\r\n`,
    );
    const created = await http(t.baseURL, '/files', { method: 'POST', body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    assert.equal(created.status, 200, created.text);
    const file = created.json as { id: string; filename: string };
    assert.equal(file.filename, name, 'the File keeps the whole name');
    const res = await http(t.baseURL, `/files/${file.id}/content`);
    assert.equal(res.status, 200);
    assert.equal(res.text, 'long');
    const m = DISPOSITION.exec(res.headers.get('content-disposition') ?? '');
    assert.ok(m);
    const offeredName = decodeURIComponent(m[2]);
    assert.equal(Array.from(offeredName).length, 255);
    assert.equal(offeredName, `${'é'.repeat(251)}.txt`);
  });
});
