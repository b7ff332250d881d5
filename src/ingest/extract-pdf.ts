import { ExtractError, type ExtractedText } from './extract-types.js';
import { joinSections, tidyText } from './join-sections.js';

/** pdf.js VerbosityLevel.ERRORS: no "Warning: …" lines on stdout for every odd font or stream. */
const PDFJS_ERRORS_ONLY = 0;

/**
 * PDF → text, one section per page, with unpdf (a serverless build of pdf.js that runs on the
 * calling thread: no worker to start or leave behind). pdf.js is imported on first use so the
 * server does not load 1.6 MB of it at start-up.
 *
 * A page whose content cannot be read is skipped when other pages have text (a partly damaged
 * file still indexes); when none has, the file is `invalid_file` with pdf.js's reason.
 */
export async function extractPdf(bytes: Uint8Array): Promise<ExtractedText> {
  const { getDocumentProxy } = await import('unpdf');
  let doc: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // pdf.js takes ownership of the buffer it is given (it may transfer or detach it): give it a copy.
    doc = await getDocumentProxy(bytes.slice(), { verbosity: PDFJS_ERRORS_ONLY, stopAtErrors: false });
  } catch (err) {
    throw pdfError(err);
  }
  try {
    const pages: Array<{ label: string; text: string }> = [];
    let pageError: unknown;
    for (let n = 1; n <= doc.numPages; n++) {
      try {
        const page = await doc.getPage(n);
        const content = await page.getTextContent();
        let text = '';
        for (const item of content.items) if ('str' in item) text += item.hasEOL ? `${item.str}\n` : item.str;
        pages.push({ label: `Page ${n}`, text: tidyText(text.replace(/[^\S\n]+/g, ' ')) });
        page.cleanup();
      } catch (err) {
        pageError ??= err;
      }
    }
    const extracted = joinSections(pages);
    if (pageError !== undefined && !extracted.text) throw pdfError(pageError);
    return extracted;
  } finally {
    await doc.destroy().catch(() => undefined);
  }
}

function pdfError(err: unknown): ExtractError {
  const name = err instanceof Error ? err.name : '';
  const reason = err instanceof Error ? err.message : String(err);
  const error =
    name === 'PasswordException'
      ? new ExtractError(
          'invalid_file',
          'The PDF is encrypted (password-protected), so its text cannot be read. Upload a copy without a password.',
        )
      : name === 'InvalidPDFException'
        ? new ExtractError('invalid_file', `The file is not a readable PDF (it may be corrupt or truncated): ${reason}`)
        : new ExtractError('invalid_file', `The PDF could not be read: ${reason}`);
  error.cause = err;
  return error;
}
