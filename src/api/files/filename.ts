/**
 * File names come from clients (multipart `filename`, the Uploads API's `filename`) and are only
 * ever data: blobs live under server-made keys. Two things still need care: storing a name the
 * same way on every backend, and offering it back in `content-disposition`.
 */

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The name as stored: as given, except for what a backend cannot hold alike. NUL becomes `_`
 * (PostgreSQL text cannot hold it; SQLite would) and a lone UTF-16 surrogate, which has no
 * UTF-8 form, becomes U+FFFD (each driver would mangle it its own way).
 */
export function storedFileName(name: string): string {
  return name.replace(/\u0000/g, '_').replace(LONE_SURROGATE, '\ufffd');
}

/** Longest name offered in a download; file systems stop at 255 too. */
const MAX_OFFERED = 255;

/**
 * The name a download offers: no path separators or control characters, not `.` or `..` (a
 * client saving under it writes one file in its own directory), and at most 255 characters,
 * keeping a short extension, so the header stays far below clients' limits (16 KiB in Node).
 */
export function offeredFileName(name: string): string {
  let safe = name.replace(/[\u0000-\u001f\u007f/\\]/g, '_').replace(LONE_SURROGATE, '\ufffd');
  if (safe === '' || safe === '.' || safe === '..') return 'file';
  const chars = Array.from(safe);
  if (chars.length > MAX_OFFERED) {
    const ext = /\.[A-Za-z0-9]{1,16}$/.exec(safe)?.[0] ?? '';
    safe = chars.slice(0, MAX_OFFERED - ext.length).join('') + ext;
  }
  return safe;
}

/** RFC 8187 ext-value characters: attr-char as is, every other byte of the UTF-8 %-encoded. */
function encodeExtValue(s: string): string {
  return encodeURIComponent(s).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `attachment` with the offered name as `filename*` (RFC 8187 UTF-8) and an ASCII `filename` fallback (RFC 6266). */
export function contentDisposition(name: string): string {
  const offered = offeredFileName(name);
  const ascii = offered.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeExtValue(offered)}`;
}
