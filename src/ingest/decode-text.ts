/**
 * Bytes of a text file → string. UTF-8 unless a byte-order mark or an explicit charset says
 * otherwise; bytes that are not valid UTF-8 are read as Windows-1252 (what legacy "ANSI" CSV and
 * text exports are). Returns undefined when the bytes look binary (NUL bytes, or more than a few
 * control characters), so callers can refuse the file instead of indexing garbage.
 */
export function decodeText(bytes: Uint8Array, charset?: string): string | undefined {
  let text: string;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    text = decodeOrUndefined('utf-8', bytes.subarray(3), true) ?? '';
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    text = new TextDecoder('utf-16le').decode(bytes.subarray(2));
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    text = new TextDecoder('utf-16be').decode(bytes.subarray(2));
  } else {
    const declared = charset && charset.toLowerCase() !== 'utf-8' ? decodeOrUndefined(charset, bytes, false) : undefined;
    text = declared ?? decodeOrUndefined('utf-8', bytes, true) ?? new TextDecoder('windows-1252').decode(bytes);
  }
  return looksBinary(text) ? undefined : text;
}

function decodeOrUndefined(label: string, bytes: Uint8Array, fatal: boolean): string | undefined {
  try {
    return new TextDecoder(label, { fatal, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined; // unknown label, or invalid bytes under `fatal`
  }
}

/** Control characters other than tab, line feed, vertical tab, form feed, carriage return and escape. */
const CONTROL = /[\u0000-\u0008\u000e-\u001a\u001c-\u001f]/g;

function looksBinary(text: string): boolean {
  if (text.includes('\u0000')) return true;
  const sample = text.length > 1 << 20 ? text.slice(0, 1 << 20) : text;
  const controls = sample.match(CONTROL)?.length ?? 0;
  return controls > 8 && controls > sample.length / 100;
}
