import { decodeText } from './decode-text.js';
import { ExtractError, type ExtractedText } from './extract-types.js';

/**
 * Markdown, plain text, CSV, JSON, XML, source code: the text itself, decoded (UTF-8, or UTF-16
 * with a byte-order mark; BOM removed) and otherwise unchanged but for
 * CRLF line endings made LF. Binary content under a text
 * name (NUL bytes, control characters) is refused as `unsupported_file`.
 */
export async function extractPlainText(bytes: Uint8Array, filename: string): Promise<ExtractedText> {
  const text = decodeText(bytes);
  if (text === undefined) {
    throw new ExtractError(
      'unsupported_file',
      `The file ${filename} looks binary, not like text (it contains NUL or control bytes), so it cannot be used for file search.`,
    );
  }
  return { text: text.replace(/\r\n/g, '\n') };
}
