/**
 * Retrieval quality metrics with trec_eval's definitions (as BEIR reports them through
 * pytrec_eval), for benchmarks: binary or graded judgements, linear gain.
 *
 * - nDCG@k (`ndcg_cut_k`): DCG = Σ_{i=1..k} rel_i / log2(i + 1) over the ranking, divided by the
 *   DCG of the ideal ranking of the judged documents (their relevances sorted, best first).
 * - Recall@k (`recall_k`): relevant documents (rel > 0) in the top k / all relevant documents.
 * Both are 0 for an empty ranking; a query without relevant documents is not measured (undefined).
 */

/** Judgements of one query: document id → relevance (> 0 relevant). */
export type Judgements = ReadonlyMap<string, number>;

export function ndcgAt(ranking: readonly string[], judged: Judgements, k: number): number | undefined {
  const ideal = [...judged.values()].filter((r) => r > 0).sort((a, b) => b - a);
  if (ideal.length === 0) return undefined;
  let dcg = 0;
  ranking.slice(0, k).forEach((doc, i) => {
    const rel = judged.get(doc) ?? 0;
    if (rel > 0) dcg += rel / Math.log2(i + 2);
  });
  let idcg = 0;
  ideal.slice(0, k).forEach((rel, i) => (idcg += rel / Math.log2(i + 2)));
  return dcg / idcg;
}

export function recallAt(ranking: readonly string[], judged: Judgements, k: number): number | undefined {
  const relevant = [...judged].filter(([, r]) => r > 0).length;
  if (relevant === 0) return undefined;
  const found = new Set(ranking.slice(0, k).filter((doc) => (judged.get(doc) ?? 0) > 0));
  return found.size / relevant;
}

/** Mean over the queries that have a value. */
export function mean(values: ReadonlyArray<number | undefined>): number {
  const xs = values.filter((v): v is number => v !== undefined);
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}
