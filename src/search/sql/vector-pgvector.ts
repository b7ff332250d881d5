/**
 * The PostgreSQL vector index: pgvector, one table per embedding dimension (`search_vec_<dim>`
 * with a `vector(<dim>)` column, registered in `search_vector_dims`), created when a dimension
 * first appears. A typed column per dimension keeps every row comparable with `<=>` and lets a
 * plain index cover a table; a single untyped `vector` column would need dimension guards in
 * every query and a partial expression index per dimension.
 *
 * Search is exact: `ORDER BY embedding <=> query, chunk_seq` over the requested stores' rows
 * (found by the `(store_key, file_id)` index), i.e. cosine computed in C during the scan and a
 * top-N sort. No HNSW index: file search always filters by store (and often by file), which an
 * HNSW scan can only apply after the graph walk, so it either misses rows of the store (fewer
 * than `limit` results) or, with pgvector's iterative scans, walks on until it has found enough
 * (far, when the store is a small part of the table); and an approximate answer would change the
 * results: at 100k chunks in one store, HNSW
 * (ef_search 100) answered in 5.5 ms against 74 ms exact, but with 54 % of the exact top 100, and
 * the planner does not take it for the exact query (bench/RESULTS.md, "Vector latency").
 */
import { sql } from 'kysely';
import { inTextList } from './keyword-query.js';
import { DimensionRegistry, groupByDimension, vectorTable, type VectorIndex } from './vector-index.js';

const BATCH = 200;
// Up to here a row fits in a heap page, so the vector stays inline (PLAIN) and a scan needs no
// TOAST look-ups; larger vectors are stored out of line, uncompressed (floats do not compress).
const INLINE_DIMS = 1900;

/**
 * A vector parameter in pgvector's binary form (int16 dimension, int16 unused, big-endian
 * float32s): `pg` sends a Buffer as a binary parameter, which PostgreSQL reads with the type's
 * receive function. Eight times cheaper than the text form, whose float-to-decimal formatting
 * dominated bulk inserts.
 */
export function vectorParam(v: Float32Array): Buffer {
  const bytes = Buffer.alloc(4 + 4 * v.length);
  bytes.writeInt16BE(v.length, 0);
  for (let i = 0; i < v.length; i++) bytes.writeFloatBE(v[i], 4 + 4 * i);
  return bytes;
}

export function pgvectorIndex(): VectorIndex {
  const dims = new DimensionRegistry(async (db, dim) => {
    const table = sql.table(vectorTable(dim));
    await sql`CREATE TABLE IF NOT EXISTS ${table} (
      chunk_seq BIGINT PRIMARY KEY,
      store_key INTEGER NOT NULL,
      file_id TEXT NOT NULL,
      embedding vector(${sql.raw(String(dim))}) NOT NULL
    )`.execute(db);
    await sql`ALTER TABLE ${table} ALTER COLUMN embedding SET STORAGE ${sql.raw(dim <= INLINE_DIMS ? 'PLAIN' : 'EXTERNAL')}`.execute(db);
    await sql`CREATE INDEX IF NOT EXISTS ${sql.id(`${vectorTable(dim)}_store`)} ON ${table} (store_key, file_id)`.execute(db);
  });

  return {
    kind: 'pgvector',

    async insert(db, rows) {
      for (const [dim, group] of groupByDimension(rows)) {
        await dims.ensure(db, dim);
        for (let i = 0; i < group.length; i += BATCH) {
          const values = group
            .slice(i, i + BATCH)
            .map((r) => sql`(${r.seq}, ${r.storeKey}, ${r.fileId}, CAST(${vectorParam(r.unit)} AS vector))`);
          await sql`INSERT INTO ${sql.table(vectorTable(dim))} (chunk_seq, store_key, file_id, embedding)
            VALUES ${sql.join(values)}`.execute(db);
        }
      }
    },

    async remove(db, seqs) {
      if (seqs.length === 0) return;
      for (const dim of await dims.all(db)) {
        await sql`DELETE FROM ${sql.table(vectorTable(dim))} WHERE chunk_seq = ANY(CAST(${seqs} AS BIGINT[]))`.execute(db);
      }
    },

    async removeStore(db, storeKey) {
      for (const dim of await dims.all(db)) {
        await sql`DELETE FROM ${sql.table(vectorTable(dim))} WHERE store_key = ${storeKey}`.execute(db);
      }
    },

    async query(db, search) {
      const dim = search.unit.length;
      if (!(await dims.has(db, dim))) return [];
      const fileFilter = search.fileIds ? sql`AND ${inTextList('postgres', sql.ref('file_id'), search.fileIds)}` : sql``;
      const storeKeys = search.stores.map((s) => s.storeKey);
      const { rows } = await sql<{ chunk_seq: number | string; distance: number }>`
        SELECT chunk_seq, embedding <=> CAST(${vectorParam(search.unit)} AS vector) AS distance
        FROM ${sql.table(vectorTable(dim))}
        WHERE store_key = ANY(CAST(${storeKeys} AS INTEGER[])) ${fileFilter}
        ORDER BY distance, chunk_seq
        LIMIT ${search.limit}
      `.execute(db);
      return rows.map((r) => ({ seq: Number(r.chunk_seq), score: 1 - Number(r.distance) }));
    },
  };
}
