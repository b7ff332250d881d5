/**
 * Row shapes of the search index's tables (migrations `0010_search_index.sql` and
 * `0011_search_vector_dims.sql`, one per dialect). The per-dimension vector tables
 * (`search_vec_<dim>`) are created at run time and queried with raw SQL (vector-*.ts).
 * PostgreSQL BIGINT columns may come back as strings (unless the store's INT8 parser is
 * installed), so readers pass them through `Number()`.
 */
import type { Generated } from 'kysely';

export interface SearchStoreRow {
  store_key: Generated<number>;
  vector_store_id: string;
  chunk_count: number;
  token_sum: number;
}

export interface SearchChunkRow {
  seq: Generated<number>;
  id: string;
  project_id: string;
  vector_store_id: string;
  file_id: string;
  chunk_index: number;
  text: string;
  /** JSON object. */
  attributes: string;
  token_count: number;
  /** Distinct index terms, space-separated. */
  terms: string;
}

export interface SearchPostingRow {
  store_key: number;
  term: string;
  chunk_seq: number;
  tf: number;
  dl: number;
}

/** Embeddings kept without a vector extension (vector-brute-force.ts). */
export interface SearchVectorRow {
  chunk_seq: number;
  store_key: number;
  /** Little-endian float32, unit length. */
  embedding: Uint8Array;
}

/** A dimension that has a `search_vec_<dim>` table (vector-index.ts). */
export interface SearchVectorDimRow {
  dim: number;
}

export interface SearchTables {
  search_stores: SearchStoreRow;
  search_chunks: SearchChunkRow;
  search_postings: SearchPostingRow;
  search_vectors: SearchVectorRow;
  search_vector_dims: SearchVectorDimRow;
}

export type SearchDialect = 'sqlite' | 'postgres';
