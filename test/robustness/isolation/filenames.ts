/**
 * Hostile file names (path separators, `..`, absolute paths, NUL, CR/LF, quotes, very long,
 * non-ASCII, lone surrogates) through every way a name reaches the server: multipart
 * `filename="…"`, multipart `filename*=UTF-8''…`, and the Uploads API. What must hold: the bytes
 * come back unchanged, the name round-trips or is sanitized, and `content-disposition` is a
 * well-formed RFC 6266 header that names no path and carries no control characters.
 */
import { randomBytes } from 'node:crypto';
import type { Client, Res } from './http.js';

export interface Channel {
  name: 'multipart filename' | "multipart filename*" | 'uploads';
  /** Whether the channel can carry this name at all. */
  carries(name: string): boolean;
}

export const CHANNELS: Channel[] = [
  // a quoted parameter cannot hold `"`, CR, LF or NUL; a lone surrogate has no UTF-8 form
  { name: 'multipart filename', carries: (n) => !/["\r\n\0]/.test(n) && isWellFormed(n) },
  { name: "multipart filename*", carries: (n) => isWellFormed(n) },
  { name: 'uploads', carries: () => true },
];

/** The names, built around a temporary root (for absolute paths) and a unique escape marker. */
export function hostileNames(root: string, marker: string, long: number): string[] {
  return [
    '../../etc/passwd',
    `${'../'.repeat(24)}tmp/${marker}`,
    'a/b.txt',
    '..\\x',
    `..\\..\\..\\${marker}.txt`,
    `${root}/abs-escape.txt`,
    `/tmp/${marker}-abs.txt`,
    'C:\\Windows\\win.ini',
    '..',
    '.',
    '...',
    '/',
    'a\u0000b.txt',
    '\u0000../../nul.txt',
    'name\r\nX-Injected: 1.txt',
    'bell\u0007tab\tdel\u007f.txt',
    'quote".txt',
    'semi;colon="x"; filename*=UTF-8\'\'evil.txt',
    'back\\slash.txt',
    "it's (1)*.txt",
    '%2e%2e%2fencoded.txt',
    'ünï €.txt',
    `${'😀'.repeat(40)}.txt`,
    '\u202egnp.exe',
    `${'x'.repeat(long)}.txt`,
    'é'.repeat(long),
    '\ud800lone.txt',
  ];
}

const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** No lone surrogates (String.prototype.isWellFormed is ES2024). */
export function isWellFormed(s: string): boolean {
  return !new RegExp(LONE_SURROGATE.source).test(s);
}

function toWellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\ufffd');
}
const SEPARATOR = /[/\\]/;

/** A name an OS would save as-is: no separators, no control characters, not `.` or `..`. */
export function isPlainName(name: string): boolean {
  return name.length > 0 && !SEPARATOR.test(name) && !CONTROL.test(name) && name !== '.' && name !== '..';
}

/** Whether `got` is `sent` as stored: unchanged, or sanitized (controls, separators, length). */
export function acceptableStoredName(sent: string, got: unknown): string | undefined {
  if (typeof got !== 'string' || got.length === 0) return `the stored name is ${JSON.stringify(got)}`;
  if (got.includes('\u0000')) return `the stored name keeps a NUL: ${JSON.stringify(got)}`;
  if (got === sent) return undefined;
  const wellFormed = toWellFormed(sent);
  if (got === wellFormed) return undefined;
  const controlsReplaced = wellFormed.replace(/\u0000/g, '_');
  // a multipart parser keeps what follows the last separator (or, for `..`, nothing: 'file')
  const candidates = [controlsReplaced, wellFormed];
  for (const c of candidates) {
    if (got === c || got === 'file') return undefined;
    if (c.endsWith(got) && (SEPARATOR.test(c[c.length - got.length - 1] ?? '') || c.length === got.length)) return undefined;
    // a very long name cut short by the multipart parser (~80 KB of header), maybe mid-character
    // or mid-%-escape, leaving a broken tail of a few characters
    let same = 0;
    while (same < got.length && got[same] === c[same]) same++;
    if (same >= 1024 && got.length < c.length && got.length - same <= 4) return undefined;
  }
  return `the stored name ${JSON.stringify(got.slice(0, 200))} is neither ${JSON.stringify(sent.slice(0, 200))} nor a sanitized form of it`;
}

const DISPOSITION = /^attachment; filename="([\x20\x21\x23-\x5b\x5d-\x7e]*)"; filename\*=UTF-8''((?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})*)$/;

/** Problems with a download's content-disposition for a file stored as `stored`. */
export function dispositionProblems(header: string | undefined, stored: string): string[] {
  if (header === undefined) return ['no content-disposition'];
  const out: string[] = [];
  if (header.length > 4096) out.push(`content-disposition is ${header.length} characters (clients reject headers past 16 KiB in total)`);
  const m = DISPOSITION.exec(header);
  if (!m) return [...out, `content-disposition is not attachment; filename="…"; filename*=UTF-8''… with RFC 8187 value-chars: ${JSON.stringify(header.slice(0, 300))}`];
  let decoded: string;
  try {
    decoded = decodeURIComponent(m[2]);
  } catch {
    return [...out, `filename* is not UTF-8: ${m[2].slice(0, 200)}`];
  }
  for (const [what, name] of [['filename', m[1]], ['filename*', decoded]] as const) {
    if (!isPlainName(name)) out.push(`${what} offers ${JSON.stringify(name.slice(0, 200))}, which has a path, control characters or is only dots`);
  }
  if (isPlainName(stored) && stored.length <= 255 && decoded !== stored) {
    out.push(`filename* is ${JSON.stringify(decoded)}, the file is ${JSON.stringify(stored)}`);
  }
  return out;
}

export interface Sent {
  channel: Channel['name'];
  name: string;
  bytes: Buffer;
  res: Res;
  /** The File, when the server took it. */
  file?: { id: string; filename: string };
}

/** Sends one file named `name` through `channel`. */
export async function sendNamed(client: Client, channel: Channel['name'], name: string): Promise<Sent> {
  const bytes = randomBytes(64 + Math.floor(Math.random() * 64));
  if (channel !== 'uploads') {
    const res = await client.send({
      method: 'POST',
      path: '/files',
      multipart: {
        fields: { purpose: 'assistants' },
        file: {
          field: 'file',
          ...(channel === 'multipart filename' ? { filename: name } : { filenameStar: name }),
          contentType: 'application/octet-stream',
          bytes,
        },
      },
    });
    return { channel, name, bytes, res, ...(res.status === 200 && { file: res.json }) };
  }
  const created = await client.send({ method: 'POST', path: '/uploads', json: { filename: name, purpose: 'assistants', bytes: bytes.length, mime_type: 'application/octet-stream' } });
  if (created.status !== 200) return { channel, name, bytes, res: created };
  const part = await client.ok({
    method: 'POST',
    path: `/uploads/${created.json.id}/parts`,
    multipart: { fields: {}, file: { field: 'data', filename: 'blob', contentType: 'application/octet-stream', bytes } },
  });
  const done = await client.send({ method: 'POST', path: `/uploads/${created.json.id}/complete`, json: { part_ids: [part.id] } });
  return { channel, name, bytes, res: done, ...(done.status === 200 && { file: done.json.file }) };
}

/** What the data directory may hold: the database, blobs under server-made keys, the sandbox. */
export function allowedDataPath(rel: string): boolean {
  const ID = '[0-9A-Za-z]{24}';
  const patterns = [
    /^open-assistants\.db(-wal|-shm|-journal|\.sock)?$/,
    /^blobs\/$/,
    /^blobs\/(files|text|uploads)\/$/,
    new RegExp(`^blobs/(files|text)/file-${ID}$`),
    new RegExp(`^blobs/uploads/upload_${ID}/$`),
    new RegExp(`^blobs/uploads/upload_${ID}/part_${ID}$`),
    /^sandbox\//,
  ];
  return patterns.some((p) => p.test(rel));
}
