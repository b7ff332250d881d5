/**
 * The retrieval seam for file search. A chunk is a span of one file's text inside one vector
 * store; the index answers keyword (BM25) queries over the chunks of some vector stores, and
 * vector (embedding) queries when an embedder is configured.
 */
export interface Chunk {
  /** Unique id of the chunk (e.g. `<vector_store_id>:<file_id>:<n>`). */
  id: string;
  projectId: string;
  vectorStoreId: string;
  fileId: string;
  /** Position of the chunk within its file, from 0. */
  index: number;
  text: string;
  /** The vector-store file's attributes at indexing time (for filters). */
  attributes: Record<string, string | number | boolean>;
  /** Embedding, when an embedder is configured. */
  embedding?: Float32Array;
}

export interface ScoredChunk {
  chunk: Omit<Chunk, 'embedding'>;
  /** Raw: BM25 from `keyword`, cosine similarity in [-1, 1] from `vector`. See fuse.ts for 0–1. */
  score: number;
  /**
   * `keyword` only: the highest BM25 score any chunk could reach for this query over these
   * stores (Σ idf·(k1+1) over the query's terms), so `score / maxScore` is in [0, 1).
   */
  maxScore?: number;
}

export interface SearchQuery {
  vectorStoreIds: string[];
  text: string;
  /** Restrict to these files (after attribute filtering), when given. */
  fileIds?: string[];
  limit: number;
}

export interface SearchIndex {
  /** Adds (or replaces, by id) chunks; atomically per call. */
  add(chunks: Chunk[]): Promise<void>;
  removeFile(vectorStoreId: string, fileId: string): Promise<void>;
  removeStore(vectorStoreId: string): Promise<void>;
  /**
   * BM25 over the chunks' text (analyzer.ts; k1 1.2, b 0.75; N, avgdl and df over the requested
   * stores only); scores are raw BM25 (higher is better), best first, each with `maxScore`.
   */
  keyword(query: SearchQuery): Promise<ScoredChunk[]>;
  /** Cosine similarity to `embedding`, best first; empty when no chunk has an embedding. */
  vector(query: SearchQuery & { embedding: Float32Array }): Promise<ScoredChunk[]>;
  /** Every chunk of one file in order (vector-store file content). */
  fileChunks(vectorStoreId: string, fileId: string): Promise<Omit<Chunk, 'embedding'>[]>;
  /** Updates the attributes stored with a file's chunks. */
  setAttributes(vectorStoreId: string, fileId: string, attributes: Chunk['attributes']): Promise<void>;
}
