import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeKeywordScores, normalizeVectorScores, reciprocalRankFusion, RRF_K } from '../../src/search/fuse.js';
import type { ScoredChunk } from '../../src/search/search-index.js';

function hit(id: string, score: number, maxScore?: number): ScoredChunk {
  return { chunk: { id, projectId: 'p', vectorStoreId: 'vs', fileId: 'f', index: 0, text: id, attributes: {} }, score, ...(maxScore !== undefined && { maxScore }) };
}
const view = (hits: ScoredChunk[]) => hits.map((h) => [h.chunk.id, +h.score.toFixed(6)]);

describe('score normalisation and fusion', () => {
  it('maps BM25 to score / maxScore, monotone and in [0, 1]', () => {
    assert.deepEqual(view(normalizeKeywordScores([hit('a', 6, 8), hit('b', 2, 8), hit('c', 0, 8)])), [
      ['a', 0.75],
      ['b', 0.25],
      ['c', 0],
    ]);
    assert.deepEqual(view(normalizeKeywordScores([hit('a', 3)])), [['a', 0]]); // no bound: 0
    assert.deepEqual(view(normalizeKeywordScores([hit('a', 9, 8)])), [['a', 1]]); // clamped
  });

  it('clamps cosine similarity to [0, 1]', () => {
    assert.deepEqual(view(normalizeVectorScores([hit('a', 0.9), hit('b', -0.3), hit('c', 1.0000001)])), [
      ['a', 0.9],
      ['b', 0],
      ['c', 1],
    ]);
  });

  it('fuses by reciprocal rank (k = 60), normalised so first in every list is 1', () => {
    const keyword = [hit('a', 10), hit('b', 5), hit('c', 1)];
    const vector = [hit('b', 0.9), hit('d', 0.8), hit('a', 0.1)];
    const fused = reciprocalRankFusion([keyword, vector]);
    const best = 2 / (RRF_K + 1);
    assert.deepEqual(view(fused), [
      ['b', +((1 / 62 + 1 / 61) / best).toFixed(6)],
      ['a', +((1 / 61 + 1 / 63) / best).toFixed(6)],
      ['d', +(1 / 62 / best).toFixed(6)],
      ['c', +(1 / 63 / best).toFixed(6)],
    ]);
    assert.equal(reciprocalRankFusion([[hit('x', 1)], [hit('x', 1)]])[0].score, 1);
    assert.equal(reciprocalRankFusion([[hit('x', 1), hit('y', 1)], [hit('y', 1)]])[0].chunk.id, 'y');
  });

  it('ignores empty lists and breaks ties by first appearance', () => {
    assert.deepEqual(view(reciprocalRankFusion([[hit('a', 1), hit('b', 1)], []])), [
      ['a', 1],
      ['b', +((1 / 62) * 61).toFixed(6)],
    ]);
    assert.deepEqual(view(reciprocalRankFusion([[hit('a', 1)], [hit('b', 1)]])).map(([id]) => id), ['a', 'b']);
    assert.deepEqual(reciprocalRankFusion([[], []]), []);
  });
});
