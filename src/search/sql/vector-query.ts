/**
 * Exact cosine search, brute force in the application over the requested stores' vectors.
 *
 * Why brute force: embeddings are stored unit-length as plain little-endian float32 bytes (BLOB /
 * bytea), which needs no extension on either backend; the dimension is whatever the configured
 * embedder returns, so no fixed-width vector column is possible in a migration anyway. Vectors
 * are read in pages of PAGE rows by key (bounded memory), and cosine is a dot product. The cost
 * is linear in the stores' chunks (tens of ms per 10k 384-d vectors); an ANN index (pgvector HNSW
 * on PostgreSQL, sqlite-vec on SQLite) is the upgrade path when stores grow large.
 * Chunks whose embedding has another dimension than the query (an embedder change) are skipped.
 */
import { sql, type Kysely } from 'kysely';
import { inTextList } from './keyword-query.js';
import type { SearchDialect, SearchTables } from './search-tables.js';

const PAGE = 2000;

/** A unit-length copy of `v` as little-endian float32 bytes (zero vectors stay zero). */
export function encodeEmbedding(v: Float32Array): Buffer {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  const unit = new Float32Array(v.length);
  if (norm > 0) for (let i = 0; i < v.length; i++) unit[i] = v[i] / norm;
  return Buffer.from(unit.buffer, unit.byteOffset, unit.byteLength);
}

/** Reads stored bytes back as floats (copying when the bytes are not 4-byte aligned). */
export function decodeEmbedding(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  return new Float32Array(bytes.slice().buffer, 0, bytes.byteLength >> 2);
}

export interface VectorHit {
  seq: number;
  score: number;
}

export async function vectorQuery(
  db: Kysely<SearchTables>,
  dialect: SearchDialect,
  input: { vectorStoreIds: string[]; embedding: Float32Array; fileIds?: string[]; limit: number },
): Promise<VectorHit[]> {
  const query = decodeEmbedding(encodeEmbedding(input.embedding));
  const dim = query.length;
  const stores = await db
    .selectFrom('search_stores')
    .select(['store_key', 'vector_store_id'])
    .where('vector_store_id', 'in', input.vectorStoreIds)
    .execute();
  const hits: VectorHit[] = [];
  for (const store of stores) {
    const fileFilter = input.fileIds
      ? sql`AND chunk_seq IN (SELECT seq FROM search_chunks WHERE vector_store_id = ${store.vector_store_id}
            AND ${inTextList(dialect, sql.ref('file_id'), input.fileIds)})`
      : sql``;
    let after = -1;
    for (;;) {
      const page = await sql<{ chunk_seq: number | string; embedding: Uint8Array }>`
        SELECT chunk_seq, embedding FROM search_vectors
        WHERE store_key = ${store.store_key} AND chunk_seq > ${after} ${fileFilter}
        ORDER BY chunk_seq LIMIT ${PAGE}
      `.execute(db);
      for (const row of page.rows) {
        const v = decodeEmbedding(row.embedding);
        if (v.length !== dim) continue;
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += v[i] * query[i];
        hits.push({ seq: Number(row.chunk_seq), score: dot });
      }
      if (page.rows.length < PAGE) break;
      after = Number(page.rows[page.rows.length - 1].chunk_seq);
    }
  }
  hits.sort((a, b) => b.score - a.score || a.seq - b.seq);
  return hits.slice(0, input.limit);
}
