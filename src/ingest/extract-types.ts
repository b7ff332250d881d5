/**
 * Text extraction: bytes of an uploaded file → plain text, by file type. A file that cannot be
 * read (corrupt, encrypted, unsupported) is an ExtractError with a message fit for `last_error`.
 */
export interface ExtractedText {
  text: string;
  /** Page/slide/sheet boundaries as offsets into `text`, when the format has them. */
  sections?: Array<{ label: string; start: number }>;
}

export class ExtractError extends Error {
  constructor(
    readonly code: 'unsupported_file' | 'invalid_file',
    message: string,
  ) {
    super(message);
    this.name = 'ExtractError';
  }
}

export type Extractor = (bytes: Uint8Array, filename: string, mimeType: string) => Promise<ExtractedText>;
