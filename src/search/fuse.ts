/**
 * Turning the index's raw rankings into the API's 0–1 `score`, and hybrid fusion. Pure functions.
 *
 * - Keyword (BM25): `score / maxScore`, where `maxScore` = Σ over the query's terms of
 *   idf·(k1+1) is the highest BM25 score any chunk could reach for this query in these stores
 *   (each term's saturating tf part tends to k1+1). Monotone in the raw score, in [0, 1), and
 *   absolute rather than relative to the best hit: a chunk matching every query term many times
 *   nears 1, one matching only a common term stays near 0, so `score_threshold` means the same
 *   whatever else is in the store. (Dividing by the top score would always give the best hit 1,
 *   however poor the match.)
 * - Vector: cosine similarity clamped at 0 (`max(0, cos)`); opposite directions mean "unrelated".
 * - Hybrid: reciprocal rank fusion, Σ 1/(k + rank) over the lists a chunk appears in (rank from
 *   1, k = 60), divided by its largest possible value (first in every non-empty list), so a chunk
 *   ranked first by both keyword and vector search scores 1 and one ranked first by only one of
 *   them 0.5. RRF uses ranks only, so the two scales never need to agree.
 */
import type { ScoredChunk } from './search-index.js';

export const RRF_K = 60;

/** BM25 hits (with `maxScore` set by `SearchIndex.keyword`) with scores mapped to [0, 1). */
export function normalizeKeywordScores(hits: readonly ScoredChunk[]): ScoredChunk[] {
  return hits.map((h) => ({
    chunk: h.chunk,
    score: h.maxScore && h.maxScore > 0 ? Math.min(1, Math.max(0, h.score / h.maxScore)) : 0,
  }));
}

/** Cosine hits with scores mapped to [0, 1]. */
export function normalizeVectorScores(hits: readonly ScoredChunk[]): ScoredChunk[] {
  return hits.map((h) => ({ chunk: h.chunk, score: Math.min(1, Math.max(0, h.score)) }));
}

/**
 * Reciprocal rank fusion of best-first lists (chunks matched by `chunk.id`), best first, with
 * normalized scores in (0, 1]. Ties keep the order of first appearance (earlier list first).
 */
export function reciprocalRankFusion(lists: ReadonlyArray<readonly ScoredChunk[]>, k = RRF_K): ScoredChunk[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  const best = nonEmpty.length / (k + 1);
  const fused = new Map<string, { chunk: ScoredChunk['chunk']; score: number; first: number }>();
  let order = 0;
  for (const list of nonEmpty) {
    list.forEach((hit, i) => {
      const entry = fused.get(hit.chunk.id);
      const add = 1 / (k + i + 1);
      if (entry) entry.score += add;
      else fused.set(hit.chunk.id, { chunk: hit.chunk, score: add, first: order++ });
    });
  }
  return [...fused.values()]
    .sort((a, b) => b.score - a.score || a.first - b.first)
    .map((e) => ({ chunk: e.chunk, score: Math.min(1, e.score / best) }));
}
