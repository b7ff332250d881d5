/**
 * Broken HTTP framing that fetch cannot produce: bodies shorter or longer than Content-Length,
 * broken chunked encoding, conflicting length headers, garbage request lines, oversized headers,
 * NUL bytes in the request line, pipelined requests, raw broken multipart.
 */
import type { Rng } from './prng.js';
import type { RawRequest } from './client.js';
import { boundaryFor, renderMultipart, validParts } from './multipart.js';

export interface RawCase {
  name: string;
  request: RawRequest;
}

function head(lines: string[]): string {
  return lines.join('\r\n') + '\r\n\r\n';
}

/** Every kind of hostile raw request, against `jsonPath` (a JSON route) or `multipartPath`. */
export function rawVariants(rng: Rng, auth: string, jsonPath: string, jsonBody: Buffer, multipartPath: string): Array<() => RawCase> {
  const base = [`Host: {HOST}`, `Authorization: ${auth}`];
  const post = (path: string, extra: string[]) => [`POST ${path} HTTP/1.1`, ...base, ...extra];
  const json = jsonBody;
  const len = json.length;
  const variants: Array<() => RawCase> = [
    () => {
      const sent = rng.int(0, Math.max(0, len - 1));
      return {
        name: `body cut short (${sent}/${len} bytes), then EOF`,
        request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${len}`]))), json.subarray(0, sent)]), expectResponse: false },
      };
    },
    () => ({
      name: 'Content-Length larger than the body by far, then EOF',
      request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${len + 100_000}`]))), json]), expectResponse: false },
    }),
    () => ({
      name: 'Content-Length shorter than the body (the rest reads as a next request)',
      request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${Math.max(1, len >> 1)}`]))), json]), expectResponse: true },
    }),
    () => {
      const v = rng.pick(['abc', '-1', '1,2', '99999999999999999999', ' ', '0x10', '+5', '1.5']);
      return { name: `invalid Content-Length ${JSON.stringify(v)}`, request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${v}`]))), json]), expectResponse: true } };
    },
    () => ({
      name: 'two different Content-Length headers',
      request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${len}`, `Content-Length: ${len + 1}`]))), json]), expectResponse: true },
    }),
    () => ({
      name: 'Content-Length and Transfer-Encoding together',
      request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${len}`, 'Transfer-Encoding: chunked']))), Buffer.from(`${len.toString(16)}\r\n`), json, Buffer.from('\r\n0\r\n\r\n')]), expectResponse: true },
    }),
    () => ({
      name: 'valid chunked body',
      request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', 'Transfer-Encoding: chunked']))), Buffer.from(`${len.toString(16)}\r\n`), json, Buffer.from('\r\n0\r\n\r\n')]), expectResponse: true },
    }),
    () => {
      const size = rng.pick(['zz', '-1', 'ffffffffffffffffff', '', '5;ext="unterminated']);
      return {
        name: `bad chunk size ${JSON.stringify(size)}`,
        request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', 'Transfer-Encoding: chunked']))), Buffer.from(`${size}\r\n`), json, Buffer.from('\r\n0\r\n\r\n')]), expectResponse: true },
      };
    },
    () => ({
      name: 'chunked body without the last chunk, then EOF',
      request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', 'Transfer-Encoding: chunked']))), Buffer.from(`${len.toString(16)}\r\n`), json, Buffer.from('\r\n')]), expectResponse: false },
    }),
    () => ({ name: 'unknown Transfer-Encoding', request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', 'Transfer-Encoding: gzip, chunked, bogus']))), json]), expectResponse: true } }),
    () => ({ name: 'only blank lines, then EOF', request: { bytes: Buffer.from('\r\n\r\n\r\n'), expectResponse: false } }),
    () => ({ name: 'garbage request line', request: { bytes: Buffer.from(rng.pick(['GARBAGE\r\n\r\n', 'GET\r\n\r\n', 'GET / HTTP/9.9\r\nHost: x\r\n\r\n', '\u0000\u0001\u0002\r\n\r\n', 'GET /v1/assistants HTTP/1.1 extra\r\nHost: x\r\n\r\n']), 'latin1'), expectResponse: true } }),
    () => ({ name: 'NUL and controls in the request target', request: { bytes: Buffer.from(head([`GET /v1/assistants/a\u0000b HTTP/1.1`, ...base]), 'latin1'), expectResponse: true } }),
    () => ({ name: 'raw non-ASCII bytes in the path', request: { bytes: Buffer.concat([Buffer.from('GET /v1/assistants/'), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from(` HTTP/1.1\r\n${base.join('\r\n')}\r\n\r\n`)]), expectResponse: true } }),
    () => ({ name: 'request line over 64 KB', request: { bytes: Buffer.from(head([`GET /v1/assistants?after=${'a'.repeat(70_000)} HTTP/1.1`, ...base])), expectResponse: true } }),
    () => ({ name: 'header over 16 KB', request: { bytes: Buffer.from(head([`GET /v1/assistants HTTP/1.1`, ...base, `X-Big: ${'h'.repeat(20_000)}`])), expectResponse: true } }),
    () => ({ name: 'header line without a colon', request: { bytes: Buffer.from(head([`GET /v1/assistants HTTP/1.1`, ...base, 'NoColonHere'])), expectResponse: true } }),
    () => ({ name: 'obsolete folded header', request: { bytes: Buffer.from(head([`GET /v1/assistants HTTP/1.1`, ...base, 'X-Folded: a', '  b'])), expectResponse: true } }),
    () => ({ name: 'NUL in a header value', request: { bytes: Buffer.from(head([`GET /v1/assistants HTTP/1.1`, ...base, 'X-Nul: a\u0000b']), 'latin1'), expectResponse: true } }),
    () => ({ name: 'HTTP/1.0 without Host', request: { bytes: Buffer.from(head([`GET /v1/assistants HTTP/1.0`, `Authorization: ${auth}`])), expectResponse: true } }),
    () => ({
      name: 'two pipelined requests',
      request: { bytes: Buffer.concat([Buffer.from(head([`GET /v1/assistants?limit=1 HTTP/1.1`, ...base])), Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${len}`]))), json]), expectResponse: true, responses: 2 },
    }),
    () => ({ name: 'Expect: 100-continue', request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${len}`, 'Expect: 100-continue']))), json]), expectResponse: true } }),
    () => ({ name: 'unsupported Expect', request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', `Content-Length: ${len}`, 'Expect: teapot']))), json]), expectResponse: true } }),
    () => ({ name: 'Content-Encoding gzip on a plain body', request: { bytes: Buffer.concat([Buffer.from(head(post(jsonPath, ['Content-Type: application/json', 'Content-Encoding: gzip', `Content-Length: ${len}`]))), json]), expectResponse: true } }),
    () => {
      const b = boundaryFor(rng);
      const full = renderMultipart(validParts(rng, 'files'), b);
      const cut = rng.int(1, full.length - 1);
      return {
        name: `multipart cut at ${cut}/${full.length}, Content-Length says the full size, then EOF`,
        request: { bytes: Buffer.concat([Buffer.from(head(post(multipartPath, [`Content-Type: multipart/form-data; boundary=${b}`, `Content-Length: ${full.length}`]))), full.subarray(0, cut)]), expectResponse: false },
      };
    },
    () => {
      const b = boundaryFor(rng);
      const full = renderMultipart(validParts(rng, 'files'), b);
      return {
        name: 'multipart with a Content-Length shorter than the body',
        request: { bytes: Buffer.concat([Buffer.from(head(post(multipartPath, [`Content-Type: multipart/form-data; boundary=${b}`, `Content-Length: ${full.length >> 1}`]))), full]), expectResponse: true },
      };
    },
    () => {
      const b = boundaryFor(rng);
      const full = renderMultipart(validParts(rng, 'files'), b);
      return {
        name: 'chunked multipart without the last chunk, then EOF',
        request: { bytes: Buffer.concat([Buffer.from(head(post(multipartPath, [`Content-Type: multipart/form-data; boundary=${b}`, 'Transfer-Encoding: chunked']))), Buffer.from(`${full.length.toString(16)}\r\n`), full.subarray(0, full.length >> 1)]), expectResponse: false },
      };
    },
  ];
  return variants;
}

/** One hostile raw request. */
export function rawCase(rng: Rng, auth: string, jsonPath: string, jsonBody: Buffer, multipartPath: string): RawCase {
  return rng.pick(rawVariants(rng, auth, jsonPath, jsonBody, multipartPath))();
}
