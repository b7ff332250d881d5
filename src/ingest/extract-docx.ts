import { ExtractError, type ExtractedText } from './extract-types.js';
import { tidyText } from './join-sections.js';

/**
 * DOCX → text with mammoth's raw-text conversion: one paragraph per line with blank lines
 * between (mammoth ends every paragraph, table cells' included, with "\n\n"). mammoth is
 * imported on first use. An encrypted .docx is an OLE file, not a zip: said so in the error.
 */
export async function extractDocx(bytes: Uint8Array): Promise<ExtractedText> {
  if (bytes[0] === 0xd0 && bytes[1] === 0xcf && bytes[2] === 0x11 && bytes[3] === 0xe0) {
    throw new ExtractError(
      'invalid_file',
      'The DOCX file is encrypted (password-protected) or in the legacy binary .doc format, so its text cannot be read.',
    );
  }
  const { default: mammoth } = await import('mammoth');
  try {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const result = await mammoth.extractRawText({ buffer });
    return { text: tidyText(result.value) };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const error = new ExtractError('invalid_file', `The DOCX file could not be read (it may be corrupt or truncated): ${reason}`);
    error.cause = err;
    throw error;
  }
}
