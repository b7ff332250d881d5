import { detectFormat, fileExtension, type DocumentFormat } from './detect-format.js';
import { extractDocx } from './extract-docx.js';
import { extractHtml } from './extract-html.js';
import { extractPdf } from './extract-pdf.js';
import { extractPlainText } from './extract-plain-text.js';
import { extractPptx } from './extract-pptx.js';
import { ExtractError, type ExtractedText, type Extractor } from './extract-types.js';
import { extractXlsx } from './extract-xlsx.js';

const SUPPORTED =
  'Supported: PDF, DOCX, PPTX, XLSX/XLSM, HTML, Markdown, plain text, CSV, JSON and source code files.';

const EXTRACTORS: Record<DocumentFormat, (bytes: Uint8Array, filename: string) => Promise<ExtractedText>> = {
  pdf: extractPdf,
  docx: extractDocx,
  pptx: extractPptx,
  xlsx: extractXlsx,
  html: extractHtml,
  text: extractPlainText,
};

/**
 * Text of an uploaded file for file search, by type (extension, then MIME type, then magic
 * bytes). Fails only with ExtractError: `unsupported_file` for types that carry no extractable
 * text (images, archives, unknown binaries), `invalid_file` for files of a supported type that
 * cannot be read (corrupt, truncated, encrypted) or that hold no text at all. Libraries' own
 * errors never escape; their reason is kept in the message and as `cause`.
 */
export const extractText: Extractor = async (bytes, filename, mimeType) => {
  const format = detectFormat(bytes, filename, mimeType);
  if (!format) {
    const ext = fileExtension(filename);
    const type = ext ? `.${ext}` : mimeType || 'unknown';
    throw new ExtractError('unsupported_file', `Files of type ${type} are not supported for file search. ${SUPPORTED}`);
  }
  let extracted: ExtractedText;
  try {
    extracted = await EXTRACTORS[format](bytes, filename);
  } catch (err) {
    if (err instanceof ExtractError) throw err;
    const reason = err instanceof Error ? err.message : String(err);
    const error = new ExtractError('invalid_file', `The file ${filename} could not be read as ${format.toUpperCase()}: ${reason}`);
    error.cause = err;
    throw error;
  }
  if (extracted.text.trim() === '') {
    const hint = format === 'pdf' ? ' It may be a scanned PDF without a text layer (OCR is not supported).' : '';
    throw new ExtractError('invalid_file', `No text could be extracted from ${filename}.${hint}`);
  }
  return extracted;
};
