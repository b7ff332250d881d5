/** Runs of this many characters or more are split into pieces of this size. */
const RUN_PIECE = 64;
const LONG_RUN = new RegExp(`\\S{${RUN_PIECE},}|\\s{${RUN_PIECE},}`, 'g');

/**
 * `text` cut into consecutive pieces for the o200k tokenizer. Its byte-pair merging is quadratic
 * in the length of one unbroken run (a 1 MB line of `AAAA…`, base64 or minified JSON takes
 * minutes of CPU and blocks the server), so long runs of non-space or of space characters become
 * 64-character pieces (never splitting a surrogate pair); everything else stays whole. Tokens of
 * the pieces concatenate to the text; counts differ from the exact ones by at most one token per
 * piece.
 */
export function* bpePieces(text: string): Generator<string> {
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    if (m.index > last) yield text.slice(last, m.index);
    const run = m[0];
    for (let i = 0; i < run.length; ) {
      let j = Math.min(i + RUN_PIECE, run.length);
      const code = run.charCodeAt(j);
      if (j < run.length && code >= 0xdc00 && code <= 0xdfff) j--;
      yield run.slice(i, j);
      i = j;
    }
    last = m.index + run.length;
  }
  if (last < text.length) yield text.slice(last);
}
