import type { ExtractedText } from './extract-types.js';

/**
 * Joins the text of pages, slides or sheets with a blank line between them, recording where each
 * starts. Parts without text are left out (their label keeps the numbering of the others honest).
 */
export function joinSections(parts: ReadonlyArray<{ label: string; text: string }>): ExtractedText {
  let text = '';
  const sections: Array<{ label: string; start: number }> = [];
  for (const part of parts) {
    const body = part.text.trim();
    if (!body) continue;
    if (text) text += '\n\n';
    sections.push({ label: part.label, start: text.length });
    text += body;
  }
  return { text, sections };
}

/** Line endings to \n, trailing spaces off each line, at most one blank line in a row. */
export function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[^\S\n]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
