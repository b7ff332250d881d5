import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mean, ndcgAt, recallAt } from '../../src/search/ranking-metrics.js';

const close = (a: number | undefined, b: number) => assert.ok(a !== undefined && Math.abs(a - b) < 1e-12, `${a} ≠ ${b}`);

describe('ranking metrics (trec_eval definitions)', () => {
  const judged = new Map([
    ['d1', 1],
    ['d2', 1],
    ['d9', 0],
  ]);

  it('nDCG@k: linear gain, log2(rank + 1) discount, ideal from the judgements', () => {
    close(ndcgAt(['d1', 'd2', 'x'], judged, 10), 1);
    // relevant at ranks 2 and 4: (1/log2 3 + 1/log2 5) / (1 + 1/log2 3)
    close(ndcgAt(['x', 'd1', 'd9', 'd2'], judged, 10), (1 / Math.log2(3) + 1 / Math.log2(5)) / (1 + 1 / Math.log2(3)));
    close(ndcgAt(['x', 'd1', 'd9', 'd2'], judged, 3), 1 / Math.log2(3) / (1 + 1 / Math.log2(3)));
    close(ndcgAt([], judged, 10), 0);
    // graded: ideal orders by relevance
    close(ndcgAt(['a', 'b'], new Map([['a', 1], ['b', 2]]), 2), (1 + 2 / Math.log2(3)) / (2 + 1 / Math.log2(3)));
    assert.equal(ndcgAt(['d9'], new Map([['d9', 0]]), 10), undefined);
  });

  it('Recall@k: relevant found in the top k over all relevant', () => {
    close(recallAt(['d1', 'x', 'd2'], judged, 2), 0.5);
    close(recallAt(['d1', 'x', 'd2'], judged, 3), 1);
    close(recallAt(['d1', 'd1'], judged, 3), 0.5);
    close(recallAt([], judged, 100), 0);
    assert.equal(recallAt(['x'], new Map(), 10), undefined);
  });

  it('means over the measured queries', () => {
    assert.equal(mean([1, undefined, 0]), 0.5);
    assert.equal(mean([]), 0);
  });
});
