/**
 * Requests that fail below the routes — in Node's HTTP parser or Fastify's router — still answer
 * in the OpenAI error shape with `content-type: application/json` (they used to get Fastify's or
 * Node's own bodies, or none at all).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.js';

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends raw bytes on a fresh connection and reads the first answer. */
function raw(server: TestServer, text: string): Promise<RawAnswer> {
  const url = new URL(server.baseURL);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer to ${JSON.stringify(text.slice(0, 80))}: ${JSON.stringify(buf.toString('latin1'))}`));
    }, 10_000);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [statusLine, ...lines] = buf.subarray(0, end).toString('latin1').split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const length = Number(headers['content-length']);
      if (buf.length < end + 4 + length) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: buf.subarray(end + 4, end + 4 + length).toString('utf8') });
    });
    socket.on('error', reject);
    socket.write(text.replaceAll('{HOST}', url.host), 'latin1');
  });
}

function assertWireError(answer: { status: number; headers: Record<string, string>; body: string }, status: number, code: string | null): Record<string, unknown> {
  assert.equal(answer.status, status, answer.body);
  assert.match(answer.headers['content-type'] ?? '', /^application\/json/);
  const body = JSON.parse(answer.body) as { error: Record<string, unknown> };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(body.error.type, 'invalid_request_error');
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  return body.error;
}

describe(`HTTP framing and router errors (${BACKENDS[0]})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(BACKENDS[0]);
  });
  after(async () => {
    await server?.close();
  });

  const post = (headers: string[], body: string) =>
    `POST /v1/assistants HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n${headers.map((h) => `${h}\r\n`).join('')}\r\n${body}`;
  const body = '{"model":"gpt-4o"}';

  it('answers conflicting Content-Length headers with 400 malformed_request', async () => {
    const answer = await raw(server, post([`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`], body));
    assertWireError(answer, 400, 'malformed_request');
  });

  it('answers a bad chunk size with 400 malformed_request', async () => {
    const answer = await raw(server, post(['Transfer-Encoding: chunked'], `zz\r\n${body}\r\n0\r\n\r\n`));
    assertWireError(answer, 400, 'malformed_request');
  });

  it('answers a garbage request line with 400 malformed_request', async () => {
    assertWireError(await raw(server, 'GARBAGE\r\n\r\n'), 400, 'malformed_request');
  });

  it('answers headers over 16 KB with 431 headers_too_large', async () => {
    const answer = await raw(server, `GET /v1/assistants HTTP/1.1\r\nHost: {HOST}\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`);
    assertWireError(answer, 431, 'headers_too_large');
  });

  it('answers an unsupported Expect with 417 expectation_failed and a request id', async () => {
    const answer = await raw(server, post([`Content-Length: ${body.length}`, 'Expect: teapot'], body));
    assertWireError(answer, 417, 'expectation_failed');
    assert.match(answer.headers['x-request-id'] ?? '', /^req_/);
  });

  for (const path of ['/v1/files/%ff%fe', '/v1/assistants/%', `/v1/assistants/${'a'.repeat(101)}`, `/v1/threads/${'t'.repeat(5000)}/messages`]) {
    it(`answers ${path.slice(0, 40)}… with 404 Invalid URL`, async () => {
      const res = await fetch(`${new URL(server.baseURL).origin}${path}`);
      const answer = { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
      const error = assertWireError(answer, 404, null);
      assert.match(String(error.message), /^Invalid URL \(GET \/v1\//);
      assert.match(answer.headers['x-request-id'] ?? '', /^req_/);
    });
  }
});
