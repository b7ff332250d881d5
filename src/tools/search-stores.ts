import type { Embedder } from '../model/embedder.js';
import { ModelError } from '../model/language-model.js';
import { normalizeKeywordScores, normalizeVectorScores, reciprocalRankFusion } from '../search/fuse.js';
import type { ScoredChunk, SearchIndex } from '../search/search-index.js';

export interface StoreSearch {
  vectorStoreIds: string[];
  /** One or more phrasings; a chunk's score is its best over them. */
  queries: string[];
  /** Only these files (after attribute filters); undefined means every file. */
  fileIds?: string[];
  limit: number;
  scoreThreshold: number;
}

/** How many candidates each retriever contributes before fusion. */
const CANDIDATES = 100;

export interface SearchDeps {
  index: SearchIndex;
  embedder: Embedder | null;
  /** Told when the embedder failed and the search fell back to keyword-only. */
  logger?: { warn(obj: object, msg?: string): void };
}

/**
 * File search over vector stores: BM25 keyword retrieval, plus vector retrieval when an embedder
 * is configured, fused by reciprocal rank (search/fuse.ts says how scores land in [0, 1]). With
 * several queries a chunk keeps its best score.
 *
 * When the embeddings endpoint fails (down, rate-limited, timed out, misconfigured) the search
 * answers keyword-only, as a server without an embedder would, and logs a warning: the keyword
 * results are still right, and a search or a run should not fail because the optional half of
 * the ranking is away. Only the caller's own abort ends it.
 */
export async function searchStores(deps: SearchDeps, search: StoreSearch, signal?: AbortSignal): Promise<ScoredChunk[]> {
  if (!search.vectorStoreIds.length || (search.fileIds && !search.fileIds.length)) return [];
  const best = new Map<string, ScoredChunk>();
  const embeddings = deps.embedder ? await embedQueries(deps, search.queries, signal) : null;
  for (const [qi, text] of search.queries.entries()) {
    const base = {
      vectorStoreIds: search.vectorStoreIds,
      text,
      limit: Math.max(CANDIDATES, search.limit),
      ...(search.fileIds && { fileIds: search.fileIds }),
    };
    const keyword = normalizeKeywordScores(await deps.index.keyword(base));
    const ranked = embeddings
      ? reciprocalRankFusion([keyword, normalizeVectorScores(await deps.index.vector({ ...base, embedding: embeddings[qi] }))])
      : keyword;
    for (const r of ranked) {
      const prev = best.get(r.chunk.id);
      if (!prev || r.score > prev.score) best.set(r.chunk.id, r);
    }
  }
  return [...best.values()]
    .filter((r) => r.score >= search.scoreThreshold)
    .sort((a, b) => b.score - a.score || a.chunk.id.localeCompare(b.chunk.id))
    .slice(0, search.limit);
}

async function embedQueries(deps: SearchDeps, queries: string[], signal?: AbortSignal): Promise<Float32Array[] | null> {
  try {
    return await deps.embedder!.embed(queries, signal);
  } catch (err) {
    if (signal?.aborted || (err instanceof ModelError && err.kind === 'aborted')) throw err;
    deps.logger?.warn({ err, embedder: deps.embedder!.name }, 'embedding the search query failed; searching by keyword only');
    return null;
  }
}
