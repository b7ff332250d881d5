/**
 * Hand-built multipart/form-data bodies for `POST /files` and `POST /uploads/{id}/parts`: valid
 * ones, and broken ones (no or wrong boundary, truncated, wrong field names, huge field counts,
 * odd filenames, oversized parts, LF-only framing, parts without headers).
 */
import type { Rng } from './prng.js';

export interface Part {
  name?: string | null;
  filename?: string | null;
  /** A raw `filename*=` parameter value (RFC 5987), e.g. `UTF-8''%F0%9F%99%82`. */
  filenameStar?: string;
  contentType?: string;
  /** Extra raw header lines. */
  headers?: string[];
  /** Omit the Content-Disposition header entirely. */
  noDisposition?: boolean;
  body: Buffer | string;
}

export interface MultipartBody {
  contentType: string | null;
  bytes: Buffer;
}

export function boundaryFor(rng: Rng): string {
  return `----fuzz${Array.from({ length: 16 }, () => rng.int(0, 15).toString(16)).join('')}`;
}

export function renderMultipart(parts: Part[], boundary: string, eol = '\r\n', close = true): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    const lines = [`--${boundary}`];
    if (!p.noDisposition) {
      let d = 'form-data';
      if (p.name !== null && p.name !== undefined) d += `; name="${p.name}"`;
      if (p.filename !== null && p.filename !== undefined) d += `; filename="${p.filename}"`;
      if (p.filenameStar !== undefined) d += `; filename*=${p.filenameStar}`;
      lines.push(`Content-Disposition: ${d}`);
    }
    if (p.contentType) lines.push(`Content-Type: ${p.contentType}`);
    lines.push(...(p.headers ?? []));
    chunks.push(Buffer.from(lines.join(eol) + eol + eol, 'utf8'));
    chunks.push(typeof p.body === 'string' ? Buffer.from(p.body, 'utf8') : p.body);
    chunks.push(Buffer.from(eol));
  }
  if (close) chunks.push(Buffer.from(`--${boundary}--${eol}`));
  return Buffer.concat(chunks);
}

function fileText(rng: Rng): string {
  return `Fuzz file ${rng.int(0, 1e6)}: the quick brown fox. ${'lorem ipsum '.repeat(rng.int(0, 20))}\n`;
}

/** The parts of a valid request: `file` + `purpose` (+ expiry) for /files, `data` for upload parts. */
export function validParts(rng: Rng, route: 'files' | 'parts'): Part[] {
  if (route === 'parts') return [{ name: 'data', filename: 'blob', contentType: 'application/octet-stream', body: fileText(rng) }];
  const parts: Part[] = [
    { name: 'purpose', body: rng.pick(['assistants', 'assistants', 'user_data', 'batch', 'vision', 'fine-tune', 'evals']) },
    { name: 'file', filename: rng.pick(['notes.txt', 'data.md', 'report.json', 'ünïcode 🙂.txt', 'a b.csv']), contentType: 'text/plain', body: fileText(rng) },
  ];
  if (rng.chance(0.2)) {
    parts.push({ name: 'expires_after[anchor]', body: 'created_at' }, { name: 'expires_after[seconds]', body: String(rng.int(3600, 2_592_000)) });
  }
  return rng.chance(0.3) ? parts.reverse() : parts;
}

/** Every kind of hostile multipart request. */
export function multipartVariants(rng: Rng, route: 'files' | 'parts', maxFileBytes: number): Array<() => { name: string; body: MultipartBody }> {
  const boundary = boundaryFor(rng);
  const good = validParts(rng, route);
  const ct = `multipart/form-data; boundary=${boundary}`;
  const fileField = route === 'files' ? 'file' : 'data';
  const mk = (name: string, parts: Part[], opts: { contentType?: string | null; eol?: string; close?: boolean; b?: string } = {}) => ({
    name,
    body: {
      contentType: opts.contentType === undefined ? `multipart/form-data; boundary=${opts.b ?? boundary}` : opts.contentType,
      bytes: renderMultipart(parts, opts.b ?? boundary, opts.eol, opts.close),
    },
  });
  const variants: Array<() => { name: string; body: MultipartBody }> = [
    () => mk('no boundary parameter', good, { contentType: 'multipart/form-data' }),
    () => mk('empty boundary', good, { contentType: 'multipart/form-data; boundary=' }),
    () => mk('boundary mismatch', good, { contentType: `${ct}x` }),
    () => mk('quoted boundary', good, { contentType: `multipart/form-data; boundary="${boundary}"` }),
    () => mk('boundary over 70 chars', good, { b: 'z'.repeat(200) }),
    () => mk('no closing delimiter', good, { close: false }),
    () => {
      const full = renderMultipart(good, boundary);
      const cut = rng.int(1, full.length - 1);
      return { name: `truncated at ${cut}/${full.length}`, body: { contentType: ct, bytes: full.subarray(0, cut) } };
    },
    () => mk('LF-only line endings', good, { eol: '\n' }),
    () => mk('wrong field name', good.map((p) => (p.name === fileField ? { ...p, name: rng.pick(['files', 'File', `${fileField}[]`, `${fileField} `, 'upload', '']) } : p))),
    () => mk('file sent as a plain field', good.map((p) => (p.name === fileField ? { ...p, filename: null } : p))),
    () => mk('missing file', good.filter((p) => p.name !== fileField)),
    () => mk('missing purpose', good.filter((p) => p.name !== 'purpose')),
    () => mk('bad purpose', good.map((p) => (p.name === 'purpose' ? { ...p, body: rng.pick(['nope', '', 'ASSISTANTS', 'assistants\u0000', '🙂']) } : p))),
    () => mk('duplicate purpose', [...good, { name: 'purpose', body: 'batch' }]),
    () => mk('two files', [...good, { name: fileField, filename: 'second.txt', body: 'second' }]),
    () => {
      const n = rng.pick([30, 1000, 5000]);
      return mk(`${n} extra fields`, [...good, ...Array.from({ length: n }, (_, i) => ({ name: `f${i}`, body: 'v' }))]);
    },
    () => mk('100 files', Array.from({ length: 100 }, (_, i) => ({ name: fileField, filename: `f${i}.txt`, body: 'x' }))),
    () => mk('unknown field', [...good, { name: rng.pick(['foo', '__proto__', 'constructor', 'expires_after', 'bytes']), body: 'x' }]),
    () => mk('field over 64 KB', [...good, { name: 'purpose', body: 'a'.repeat(70_000) }]),
    () => mk('part without Content-Disposition', [{ noDisposition: true, body: 'x' }, ...good]),
    () => mk('part without name', [{ name: null, filename: 'x.txt', body: 'x' }, ...good]),
    () =>
      mk(
        'odd filename',
        good.map((p) =>
          p.name === fileField
            ? {
                ...p,
                filename: rng.pick(['../../etc/passwd', '', 'x'.repeat(5000), 'a"b.txt', 'nul\u0000.txt', '\u202etxt.exe', 'C:\\\\win\\\\x.txt', '%00.txt', 'line\rbreak.txt']),
              }
            : p,
        ),
      ),
    () => mk('filename* encoded', good.map((p) => (p.name === fileField ? { ...p, filename: null, filenameStar: rng.pick(["UTF-8''%F0%9F%99%82.txt", "UTF-8''%00.txt", "UTF-8''%ff%fe", "bogus''x", "UTF-8''"]) } : p))),
    () => mk('odd part content type', good.map((p) => (p.name === fileField ? { ...p, contentType: rng.pick(['', ';;', 'image/png', 'application/x-evil; charset=utf-7', 'x'.repeat(3000)]) } : p))),
    () => mk('base64 transfer encoding', good.map((p) => (p.name === fileField ? { ...p, headers: ['Content-Transfer-Encoding: base64'], body: '!!!not base64!!!' } : p))),
    () => mk('header without colon', good.map((p) => (p.name === fileField ? { ...p, headers: ['Garbage header line'] } : p))),
    () => mk('huge part header', good.map((p) => (p.name === fileField ? { ...p, headers: [`X-Big: ${'h'.repeat(100_000)}`] } : p))),
    () => mk('empty file', good.map((p) => (p.name === fileField ? { ...p, body: '' } : p))),
    () => mk('file over the limit', good.map((p) => (p.name === fileField ? { ...p, body: Buffer.alloc(maxFileBytes + 1, 0x61) } : p))),
    () => mk('binary junk file', good.map((p) => (p.name === fileField ? { ...p, body: Buffer.from(Array.from({ length: 512 }, () => rng.int(0, 255))) } : p))),
    () => mk('bad expires_after', [...good.filter((p) => !String(p.name).startsWith('expires_after')), { name: 'expires_after[anchor]', body: rng.pick(['created_at', 'nope', '']) }, { name: 'expires_after[seconds]', body: rng.pick(['1', '9999999999', 'abc', '', '1e4', '3600.5', '-3600']) }]),
    () => ({ name: 'preamble and epilogue junk', body: { contentType: ct, bytes: Buffer.concat([Buffer.from('junk preamble\r\n'), renderMultipart(good, boundary), Buffer.from('epilogue junk')]) } }),
    () => ({ name: 'JSON body labelled multipart', body: { contentType: ct, bytes: Buffer.from('{"purpose":"assistants"}') } }),
    () => ({ name: 'empty body', body: { contentType: ct, bytes: Buffer.alloc(0) } }),
    () => ({ name: 'only the closing delimiter', body: { contentType: ct, bytes: Buffer.from(`--${boundary}--\r\n`) } }),
    () => mk('nested multipart/mixed', good.map((p) => (p.name === fileField ? { ...p, contentType: 'multipart/mixed; boundary=inner', body: '--inner\r\nContent-Type: text/plain\r\n\r\nhi\r\n--inner--' } : p))),
    () => mk('wrong content type (json)', good, { contentType: 'application/json' }),
    () => mk('no content type', good, { contentType: null }),
    () => mk('urlencoded content type', good, { contentType: 'application/x-www-form-urlencoded' }),
  ];
  return variants;
}

/** A hostile variant of a multipart request. */
export function mutateMultipart(rng: Rng, route: 'files' | 'parts', maxFileBytes: number): { name: string; body: MultipartBody } {
  return rng.pick(multipartVariants(rng, route, maxFileBytes))();
}
