import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { bpePieces } from './bpe-pieces.js';
import { encode } from 'gpt-tokenizer/encoding/o200k_base';

/** One window of a document's tokens. */
export interface TextChunk {
  /** The chunk's text: exactly `text.slice(start, end)` of the chunked text. */
  text: string;
  /** Position of the chunk in the document, from 0. */
  index: number;
  /** How many of the document's o200k tokens the chunk spans (≤ maxTokens). */
  tokens: number;
  /** UTF-16 offsets of the chunk in the chunked text, for mapping chunks to pages or slides. */
  start: number;
  end: number;
}

export interface ChunkOptions {
  maxTokens: number;
  overlapTokens: number;
}

/** The `auto` chunking strategy, as OpenAI documents it. */
export const AUTO_CHUNKING = { max_chunk_size_tokens: 800, chunk_overlap_tokens: 400 } as const;

/** Bounds of a `static` chunking strategy: 100–4096 tokens per chunk, overlap 0 to half of that. */
export const STATIC_CHUNKING_LIMITS = {
  minChunkTokens: 100,
  maxChunkTokens: 4096,
  minOverlapTokens: 0,
  /** The overlap may be at most this fraction of max_chunk_size_tokens. */
  maxOverlapFraction: 0.5,
} as const;

/** Smallest window chunkText accepts: room for the longest character (4 tokens) with progress to spare. */
const MIN_CHUNK_TOKENS = 16;

/**
 * Checks a `static` chunking strategy against the API's bounds. Returns undefined when valid,
 * else the offending parameter (prefixed with `paramPrefix`) and a message naming it.
 */
export function validateChunking(
  strategy: { max_chunk_size_tokens: unknown; chunk_overlap_tokens: unknown },
  paramPrefix = 'chunking_strategy.static',
): { param: string; message: string } | undefined {
  const { minChunkTokens, maxChunkTokens, minOverlapTokens, maxOverlapFraction } = STATIC_CHUNKING_LIMITS;
  const maxParam = `${paramPrefix}.max_chunk_size_tokens`;
  const overlapParam = `${paramPrefix}.chunk_overlap_tokens`;
  const max = strategy.max_chunk_size_tokens;
  const overlap = strategy.chunk_overlap_tokens;
  const integerError = (param: string, value: unknown) => ({
    param,
    message: `Invalid type for '${param}': expected an integer, but got ${JSON.stringify(value) ?? typeof value} instead.`,
  });
  if (typeof max !== 'number' || !Number.isInteger(max)) return integerError(maxParam, max);
  if (typeof overlap !== 'number' || !Number.isInteger(overlap)) return integerError(overlapParam, overlap);
  if (max < minChunkTokens) {
    return { param: maxParam, message: `Invalid '${maxParam}': integer below minimum value. Expected a value >= ${minChunkTokens}, but got ${max} instead.` };
  }
  if (max > maxChunkTokens) {
    return { param: maxParam, message: `Invalid '${maxParam}': integer above maximum value. Expected a value <= ${maxChunkTokens}, but got ${max} instead.` };
  }
  if (overlap < minOverlapTokens) {
    return { param: overlapParam, message: `Invalid '${overlapParam}': integer below minimum value. Expected a value >= ${minOverlapTokens}, but got ${overlap} instead.` };
  }
  if (overlap > max * maxOverlapFraction) {
    return {
      param: overlapParam,
      message: `Invalid '${overlapParam}': the overlap must not exceed half of max_chunk_size_tokens (${Math.floor(max * maxOverlapFraction)}), but got ${overlap} instead.`,
    };
  }
  return undefined;
}

/**
 * Splits text into windows of at most `maxTokens` o200k tokens; each window starts
 * `overlapTokens` tokens before the previous one ended, so consecutive chunks share exactly that
 * many tokens, and together the chunks cover the whole text. Windows are cut only between
 * characters: where a token boundary falls inside a character (CJK and emoji are often split
 * over several byte-level tokens), the end of a window moves back, or the start of the next one
 * moves back (the overlap grows), by the at most three tokens of that character. So no chunk
 * holds half a character, and a chunk's text is the slice of the input between two offsets
 * rather than a re-decoding of tokens. Empty text gives no chunks.
 *
 * Throws RangeError unless maxTokens ≥ 16 and 0 ≤ overlapTokens ≤ maxTokens / 2 (integers).
 */
export function chunkText(text: string, options: ChunkOptions): TextChunk[] {
  const { maxTokens, overlapTokens } = options;
  if (!Number.isInteger(maxTokens) || maxTokens < MIN_CHUNK_TOKENS) {
    throw new RangeError(`maxTokens must be an integer >= ${MIN_CHUNK_TOKENS}, got ${maxTokens}`);
  }
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens > maxTokens / 2) {
    throw new RangeError(`overlapTokens must be an integer from 0 to maxTokens / 2, got ${overlapTokens}`);
  }
  // A lone surrogate cannot be encoded (it becomes U+FFFD): replace it up front so offsets match.
  const source = text.replace(LONE_SURROGATE, '\uFFFD');
  // Special-token text such as "<|endoftext|>" in a document is ordinary text here.
  const tokens: number[] = [];
  for (const piece of bpePieces(source)) {
    for (const t of encode(piece, { disallowedSpecial: new Set() })) tokens.push(t);
  }
  const offsets = characterOffsets(tokens, source.length);

  const chunks: TextChunk[] = [];
  const n = tokens.length;
  let start = 0;
  while (start < n) {
    let end = Math.min(start + maxTokens, n);
    while (offsets[end]! < 0) end--;
    const from = offsets[start]!;
    const to = offsets[end]!;
    chunks.push({ text: source.slice(from, to), index: chunks.length, tokens: end - start, start: from, end: to });
    if (end === n) break;
    start = end - overlapTokens;
    while (offsets[start]! < 0) start--;
  }
  return chunks;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * For each token boundary 0..n, the UTF-16 offset in the text where it falls, or -1 when it falls
 * inside a character. o200k's vocabulary maps each token to its text, or, for the 1.6k tokens
 * that are not whole UTF-8 characters, to their bytes; following the UTF-8 lead bytes of those
 * tells which boundaries split a character.
 */
function characterOffsets(tokens: readonly number[], textLength: number): Int32Array {
  const offsets = new Int32Array(tokens.length + 1);
  let offset = 0;
  let pendingBytes = 0; // continuation bytes still to come for the current character
  let pendingUnits = 0; // UTF-16 units that character takes once complete
  for (let i = 0; i < tokens.length; i++) {
    offsets[i] = pendingBytes === 0 ? offset : -1;
    const piece = o200kRanks[tokens[i]!];
    if (typeof piece === 'string') {
      offset += piece.length;
    } else if (piece) {
      for (const byte of piece) {
        if (pendingBytes > 0) {
          if (--pendingBytes === 0) offset += pendingUnits;
        } else if (byte < 0x80) {
          offset += 1;
        } else {
          pendingBytes = byte >= 0xf0 ? 3 : byte >= 0xe0 ? 2 : 1;
          pendingUnits = byte >= 0xf0 ? 2 : 1;
        }
      }
    } else {
      throw new Error(`chunkText: token ${tokens[i]} is not in the o200k vocabulary`);
    }
  }
  offsets[tokens.length] = offset;
  if (offset !== textLength || pendingBytes !== 0) {
    // Guards against a tokenizer upgrade that changes how the vocabulary is stored.
    throw new Error(`chunkText: token offsets (${offset}) do not match the text length (${textLength})`);
  }
  return offsets;
}
