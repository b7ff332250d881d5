/**
 * The text analyzer behind keyword search: text → index terms. Both index backends store and
 * query the terms this produces, so SQLite and PostgreSQL rank identically; changing it changes
 * the terms of already indexed chunks, so it needs a reindex (bump ANALYZER_VERSION).
 *
 * Steps: NFKC, lowercase; tokens are runs of letters, marks and digits (apostrophes, hyphens and
 * other punctuation split, except the `.`/`,` inside a number: "3.5", "10,000"); Latin letters
 * lose their diacritics ("café" → "cafe"); Han/Hiragana/Katakana runs, written without spaces,
 * become overlapping character bigrams (one-character runs stay unigrams); English stopwords go;
 * all-ASCII-letter tokens are Porter-stemmed; tokens are cut to 64 characters.
 */
import { stemmer } from 'stemmer';
import { ENGLISH_STOPWORDS } from './stopwords.js';

export const ANALYZER_VERSION = 1;

const MAX_TERM_LENGTH = 64;
const TOKEN = /\p{N}+(?:[.,]\p{N}+)+|[\p{L}\p{N}][\p{L}\p{M}\p{N}]*/gu;
const ASCII_WORD = /^[a-z]+$/;
const NON_ASCII = /[^\x00-\x7f]/;
const LATIN_WITH_DIACRITIC = /[\u00c0-\u024f\u1e00-\u1eff]/;
const COMBINING_MARKS = /[\u0300-\u036f]/g;
// Script_Extensions, so that marks shared by the scripts (the prolonged sound mark ー, 々) stay inside a run
const CJK_RUN = /[\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]+/u;
const CJK_SPLIT = /([\p{scx=Han}\p{scx=Hiragana}\p{scx=Katakana}]+)/u;

// Stemming dominates analysis time and vocabularies are Zipfian: memoize (bounded).
const stemCache = new Map<string, string>();
const STEM_CACHE_MAX = 200_000;

function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = word.length > 2 ? stemmer(word) : word;
    if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

/** The index terms of `text`, in order (repeats kept: their count is the term frequency). */
export function analyze(text: string): string[] {
  const out: string[] = [];
  const normal = text.normalize('NFKC').toLowerCase();
  for (const match of normal.matchAll(TOKEN)) {
    const token = match[0];
    if (NON_ASCII.test(token)) addNonAscii(token, out);
    else addWord(token, out);
  }
  return out;
}

function addWord(token: string, out: string[]): void {
  if (ENGLISH_STOPWORDS.has(token)) return;
  const term = ASCII_WORD.test(token) ? stem(token) : token;
  out.push(term.length > MAX_TERM_LENGTH ? term.slice(0, MAX_TERM_LENGTH) : term);
}

function addNonAscii(token: string, out: string[]): void {
  if (CJK_RUN.test(token)) {
    // split keeps the CJK runs (captured) between the other parts
    for (const part of token.split(CJK_SPLIT)) {
      if (!part) continue;
      if (CJK_RUN.test(part)) addBigrams(part, out);
      else addNonAscii(part, out);
    }
    return;
  }
  let word = token;
  if (LATIN_WITH_DIACRITIC.test(word)) word = word.normalize('NFD').replace(COMBINING_MARKS, '').normalize('NFC');
  addWord(word, out);
}

function addBigrams(run: string, out: string[]): void {
  const chars = Array.from(run);
  if (chars.length === 1) out.push(chars[0]);
  for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
}

/** The distinct terms of `text` with their counts (term frequencies), and the token count. */
export function termFrequencies(text: string): { tf: Map<string, number>; length: number } {
  const terms = analyze(text);
  const tf = new Map<string, number>();
  for (const t of terms) tf.set(t, (tf.get(t) ?? 0) + 1);
  return { tf, length: terms.length };
}
