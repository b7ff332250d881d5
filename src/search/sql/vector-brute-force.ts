/**
 * The fallback vector index: exact cosine, brute force in the application, for a database where
 * the vector extension is not available (vector-setup.ts).
 *
 * Embeddings are stored unit-length as plain little-endian float32 bytes (BLOB / bytea) in
 * `search_vectors`, which needs no extension on either backend and holds any dimension. Vectors
 * are read in pages of PAGE rows by key (bounded memory), and cosine is a dot product. The cost
 * is linear in the stores' chunks and several times that of the extensions (bench/RESULTS.md).
 * Chunks whose embedding has another dimension than the query (an embedder change) are skipped.
 */
import { sql } from 'kysely';
import { inTextList } from './keyword-query.js';
import type { SearchDialect } from './search-tables.js';
import { byScoreThenSeq, type Db, type VectorHit, type VectorIndex } from './vector-index.js';

const PAGE = 2000;
const BATCH = 200;

/** `v` (unit length) as little-endian float32 bytes. */
export function encodeEmbedding(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Reads stored bytes back as floats (copying when the bytes are not 4-byte aligned). */
export function decodeEmbedding(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  return new Float32Array(bytes.slice().buffer, 0, bytes.byteLength >> 2);
}

export function bruteForceVectorIndex(dialect: SearchDialect): VectorIndex {
  return {
    kind: 'brute-force',

    async insert(db, rows) {
      for (let i = 0; i < rows.length; i += BATCH) {
        await db
          .insertInto('search_vectors')
          .values(rows.slice(i, i + BATCH).map((r) => ({ chunk_seq: r.seq, store_key: r.storeKey, embedding: encodeEmbedding(r.unit) })))
          .execute();
      }
    },

    async remove(db, seqs) {
      if (seqs.length > 0) await db.deleteFrom('search_vectors').where('chunk_seq', 'in', seqs).execute();
    },

    async removeStore(db, storeKey) {
      await db.deleteFrom('search_vectors').where('store_key', '=', storeKey).execute();
    },

    async query(db, search) {
      const query = search.unit;
      const dim = query.length;
      const hits: VectorHit[] = [];
      for (const store of search.stores) {
        const fileFilter = search.fileIds
          ? sql`AND chunk_seq IN (SELECT seq FROM search_chunks WHERE vector_store_id = ${store.vectorStoreId}
                AND ${inTextList(dialect, sql.ref('file_id'), search.fileIds)})`
          : sql``;
        let after = -1;
        for (;;) {
          const page = await sql<{ chunk_seq: number | string; embedding: Uint8Array }>`
            SELECT chunk_seq, embedding FROM search_vectors
            WHERE store_key = ${store.storeKey} AND chunk_seq > ${after} ${fileFilter}
            ORDER BY chunk_seq LIMIT ${PAGE}
          `.execute(db as Db);
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
      return hits.sort(byScoreThenSeq).slice(0, search.limit);
    },
  };
}
