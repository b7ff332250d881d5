/**
 * Regression found by the hostile-input suite: a GET carrying a 1 MB body (which no route reads)
 * from a client that asked for `Connection: close` got its 200 list cut off after about 128 KB:
 * Node closed the socket right after the response with the body unread, and the kernel's reset
 * destroyed the response in flight. The server now reads such a body before it answers.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.js';

/** node:http without an agent: every request says `Connection: close`. */
function send(server: TestServer, method: string, path: string, body: Buffer): Promise<{ status: number; text: string; declared: number }> {
  const url = new URL(server.baseURL);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: `/v1${path}`, method, agent: false, headers: { 'content-type': 'text/plain', 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), declared: Number(res.headers['content-length']) }));
        res.on('error', (err) => reject(new Error(`the response broke off after ${Buffer.concat(chunks).length} bytes: ${err.message}`)));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe(`a request body no route reads (${BACKENDS[0]})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(BACKENDS[0]);
    // a list answer of about 1.2 MB
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${server.baseURL}/assistants`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', instructions: 'x'.repeat(200_000) }),
      });
      assert.equal(res.status, 200);
    }
  });
  after(async () => {
    await server?.close();
  });

  it('does not cut off a large answer to a GET that carries a 2 MB body', async () => {
    const res = await send(server, 'GET', '/assistants?limit=100', Buffer.alloc(2 * 1024 * 1024, 0x61));
    assert.equal(res.status, 200);
    assert.equal(Buffer.byteLength(res.text), res.declared);
    assert.equal((JSON.parse(res.text) as { data: unknown[] }).data.length, 6);
  });

  it('answers a body of a type the route refuses before reading it, whole', async () => {
    const res = await send(server, 'DELETE', '/assistants/asst_unknown', Buffer.alloc(1024 * 1024, 0x61));
    assert.equal(res.status, 400);
    assert.equal(Buffer.byteLength(res.text), res.declared);
    assert.equal((JSON.parse(res.text) as { error: { code: string } }).error.code, 'invalid_content_type');
  });
});
