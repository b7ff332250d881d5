import { chunkText, type TextChunk } from './chunk.js';
import { extractText } from './extract.js';

/** What ingestion needs before it can index a file: its text, and that text cut into token windows. */
export interface PrepareTextInput {
  bytes: Uint8Array;
  filename: string;
  mimeType: string;
  maxTokens: number;
  overlapTokens: number;
}

export interface PreparedText {
  text: string;
  pieces: TextChunk[];
}

/**
 * Extraction and chunking: the CPU-heavy half of ingestion (parsing a PDF, tokenizing its text).
 * Fails with ExtractError for files that cannot be read. `signal` aborts the work where the
 * implementation can stop it (a worker thread is terminated; inline work checks it between steps).
 */
export type PrepareText = (input: PrepareTextInput, signal: AbortSignal) => Promise<PreparedText>;

/** On the calling thread. */
export const prepareTextInline: PrepareText = async (input, signal) => {
  const { text } = await extractText(input.bytes, input.filename, input.mimeType);
  signal.throwIfAborted();
  return { text, pieces: chunkText(text, { maxTokens: input.maxTokens, overlapTokens: input.overlapTokens }) };
};
