import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import o200kRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/o200k_base';
import { AUTO_CHUNKING, STATIC_CHUNKING_LIMITS, chunkText, validateChunking, type TextChunk } from '../../src/ingest/chunk.js';

const AUTO_CHUNKING_OPTIONS = {
  maxTokens: AUTO_CHUNKING.max_chunk_size_tokens,
  overlapTokens: AUTO_CHUNKING.chunk_overlap_tokens,
};

/** Deterministic pseudo-random text from a pool of words (seeded LCG). */
function makeText(words: readonly string[], length: number, seed = 1): string {
  let x = seed;
  let text = '';
  while (text.length < length) {
    x = (x * 1103515245 + 12345) % 2147483648;
    text += words[x % words.length] + (x % 7 === 0 ? '\n\n' : ' ');
  }
  return text;
}

const ENGLISH = ['the', 'duck', 'swims', 'across', 'a', 'quiet', 'lake', 'while', 'rain', 'falls.', 'Mallards', 'dabble'];
const CODE = ['function', 'quack(n)', '{', 'return', '"quack".repeat(n);', '}', 'const', 'x', '=', '42;', '//', 'TODO'];
const CJK = ['日本語の文章です', '鸭子在湖里游泳', '오리가', '호수에서', '헤엄친다', '。', '、', '中文字符测试'];
const EMOJI = ['🦆', '🦆🦆🦆', '👩‍👩‍👧‍👦', '🏳️‍🌈', '🇩🇪', '😀😃😄', 'é', 'ñ', '∑', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢'];
const MIXED = [...ENGLISH, ...CODE, ...CJK, ...EMOJI, 'Überprüfung', 'naïve', 'café', '\t', '<|endoftext|>'];

const TEXTS: Record<string, string> = {
  english: makeText(ENGLISH, 20_000),
  code: makeText(CODE, 20_000, 3),
  cjk: makeText(CJK, 8_000, 5),
  emoji: makeText(EMOJI, 8_000, 7),
  mixed: makeText(MIXED, 30_000, 11),
  'one short line': 'Ducks quack.',
};

const OPTIONS = [
  { maxTokens: 800, overlapTokens: 400 },
  { maxTokens: 100, overlapTokens: 0 },
  { maxTokens: 100, overlapTokens: 50 },
  { maxTokens: 257, overlapTokens: 31 },
  { maxTokens: 16, overlapTokens: 8 },
];

/**
 * For each chunk, the token span it covers in the document's own tokenization, found from the
 * UTF-8 byte offsets of token boundaries (computed here independently of the chunker).
 */
function tokenSpans(text: string, chunks: readonly TextChunk[]): Array<[number, number]> {
  const tokens = encode(text, { disallowedSpecial: new Set() });
  const boundaryByByte = new Map<number, number>();
  let bytes = 0;
  boundaryByByte.set(0, 0);
  tokens.forEach((token, i) => {
    const piece = o200kRanks[token]!;
    bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
    boundaryByByte.set(bytes, i + 1);
  });
  const toToken = (offset: number) => {
    const boundary = boundaryByByte.get(Buffer.byteLength(text.slice(0, offset)));
    assert.notEqual(boundary, undefined, `offset ${offset} is not a token boundary`);
    return boundary!;
  };
  return chunks.map((c) => [toToken(c.start), toToken(c.end)]);
}

describe('chunkText: invariants over English, code, CJK, emoji and mixed text', () => {
  for (const [name, text] of Object.entries(TEXTS)) {
    for (const options of OPTIONS) {
      it(`${name}, max ${options.maxTokens} / overlap ${options.overlapTokens}`, () => {
        const chunks = chunkText(text, options);
        const tokens = encode(text, { disallowedSpecial: new Set() });
        const spans = tokenSpans(text, chunks);
        assert.ok(chunks.length > 0);
        assert.equal(chunks[0]!.start, 0, 'starts at the beginning');
        assert.equal(chunks.at(-1)!.end, text.length, 'reaches the end');
        assert.equal(spans.at(-1)![1], tokens.length);
        for (const [i, chunk] of chunks.entries()) {
          const [from, to] = spans[i]!;
          assert.equal(chunk.index, i);
          assert.ok(chunk.text.length > 0, 'no empty chunk');
          assert.equal(chunk.text, text.slice(chunk.start, chunk.end));
          assert.equal(chunk.tokens, to - from);
          assert.ok(chunk.tokens <= options.maxTokens, `chunk ${i} has ${chunk.tokens} tokens`);
          // Cut between characters: decoding the token slice gives the text, no U+FFFD.
          const decoded = decode(tokens.slice(from, to));
          assert.equal(decoded, chunk.text);
          assert.ok(!decoded.includes('\uFFFD'));
          if (i === 0) continue;
          const [prevFrom, prevTo] = spans[i - 1]!;
          const overlap = prevTo - from;
          assert.ok(from > prevFrom, 'every chunk moves forward');
          // Exactly the overlap; up to 3 more only where the exact cut would split a character.
          assert.ok(overlap >= options.overlapTokens && overlap <= options.overlapTokens + 3, `overlap ${overlap}`);
          if (overlap > options.overlapTokens) {
            // (the moved-back start may be a token like " \xF0\x9F": a space, then half a character)
            const head = [...chunk.text.slice(0, 8)];
            assert.ok(head.some((ch) => Buffer.byteLength(ch) > 1), 'overlap grew only at a multi-byte character');
          }
        }
        // Every chunk but the last is full, or stopped short of a split character.
        for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.tokens >= options.maxTokens - 3);
      });
    }
  }

  it('overlaps by exactly overlapTokens where every boundary is clean (ASCII text)', () => {
    const text = TEXTS.english!;
    const chunks = chunkText(text, { maxTokens: 100, overlapTokens: 37 });
    const spans = tokenSpans(text, chunks);
    for (let i = 1; i < chunks.length; i++) assert.equal(spans[i - 1]![1] - spans[i]![0], 37);
    for (const chunk of chunks.slice(0, -1)) assert.equal(chunk.tokens, 100);
  });

  it('gives one chunk for a text within the limit and none for empty text', () => {
    assert.deepEqual(chunkText('Ducks quack.', AUTO_CHUNKING_OPTIONS), [
      { text: 'Ducks quack.', index: 0, tokens: countTokens('Ducks quack.'), start: 0, end: 12 },
    ]);
    assert.deepEqual(chunkText('', AUTO_CHUNKING_OPTIONS), []);
  });

  it('treats special-token text in a document as ordinary text', () => {
    const chunks = chunkText('before <|endoftext|> after', AUTO_CHUNKING_OPTIONS);
    assert.equal(chunks[0]!.text, 'before <|endoftext|> after');
  });

  it('replaces a lone surrogate rather than failing', () => {
    const chunks = chunkText('a\uD800b', AUTO_CHUNKING_OPTIONS);
    assert.equal(chunks[0]!.text, 'a\uFFFDb');
  });

  it('refuses options it cannot honour', () => {
    assert.throws(() => chunkText('x', { maxTokens: 8, overlapTokens: 0 }), RangeError);
    assert.throws(() => chunkText('x', { maxTokens: 100, overlapTokens: 51 }), RangeError);
    assert.throws(() => chunkText('x', { maxTokens: 100.5, overlapTokens: 0 }), RangeError);
    assert.throws(() => chunkText('x', { maxTokens: 100, overlapTokens: -1 }), RangeError);
  });

  it('chunks 10 MB of mixed text in a few seconds', (t) => {
    const text = makeText(MIXED, 10_000_000, 13);
    const started = performance.now();
    const chunks = chunkText(text, AUTO_CHUNKING_OPTIONS);
    const seconds = (performance.now() - started) / 1000;
    const tokens = chunks.reduce((n, c, i) => n + c.tokens - (i > 0 ? 400 : 0), 0);
    t.diagnostic(
      `${(text.length / 1e6).toFixed(1)} M chars, ~${(tokens / 1e6).toFixed(2)} M tokens → ${chunks.length} chunks in ${seconds.toFixed(2)} s ` +
        `(${(text.length / 1e6 / seconds).toFixed(1)} M chars/s)`,
    );
    assert.equal(chunks.at(-1)!.end, text.length);
    assert.ok(seconds < 15, `took ${seconds} s`);
  });
});

describe('validateChunking: the static strategy’s bounds', () => {
  const valid = (max: unknown, overlap: unknown) =>
    validateChunking({ max_chunk_size_tokens: max, chunk_overlap_tokens: overlap });

  it('accepts the auto defaults and the edges of the ranges', () => {
    assert.equal(AUTO_CHUNKING.max_chunk_size_tokens, 800);
    assert.equal(AUTO_CHUNKING.chunk_overlap_tokens, 400);
    for (const [max, overlap] of [[800, 400], [100, 0], [100, 50], [4096, 2048], [4096, 0], [101, 50]]) {
      assert.equal(valid(max, overlap), undefined, `${max}/${overlap}`);
    }
    assert.deepEqual(STATIC_CHUNKING_LIMITS, { minChunkTokens: 100, maxChunkTokens: 4096, minOverlapTokens: 0, maxOverlapFraction: 0.5 });
  });

  it('refuses max_chunk_size_tokens outside 100–4096, naming the parameter', () => {
    for (const max of [99, 0, -5, 4097, 100_000]) {
      const error = valid(max, 0);
      assert.equal(error?.param, 'chunking_strategy.static.max_chunk_size_tokens');
      assert.match(error!.message, /'chunking_strategy\.static\.max_chunk_size_tokens'/);
      assert.match(error!.message, max < 100 ? /Expected a value >= 100/ : /Expected a value <= 4096/);
    }
  });

  it('refuses a negative overlap or one above half the chunk size, naming the parameter', () => {
    for (const [max, overlap] of [[800, -1], [800, 401], [100, 51], [4096, 2049]]) {
      const error = valid(max, overlap);
      assert.equal(error?.param, 'chunking_strategy.static.chunk_overlap_tokens', `${max}/${overlap}`);
      assert.match(error!.message, /chunk_overlap_tokens/);
    }
    assert.match(valid(800, 401)!.message, /must not exceed half of max_chunk_size_tokens \(400\)/);
  });

  it('refuses values that are not integers', () => {
    assert.equal(valid('800', 400)?.param, 'chunking_strategy.static.max_chunk_size_tokens');
    assert.equal(valid(800.5, 400)?.param, 'chunking_strategy.static.max_chunk_size_tokens');
    assert.equal(valid(800, null)?.param, 'chunking_strategy.static.chunk_overlap_tokens');
    assert.match(valid(800, undefined)!.message, /expected an integer/);
  });

  it('uses the caller’s parameter path', () => {
    const error = validateChunking({ max_chunk_size_tokens: 50, chunk_overlap_tokens: 0 }, 'file_ids[0].chunking_strategy.static');
    assert.equal(error?.param, 'file_ids[0].chunking_strategy.static.max_chunk_size_tokens');
  });
});
