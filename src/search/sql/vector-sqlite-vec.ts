/**
 * The SQLite vector index: sqlite-vec `vec0` virtual tables, one per embedding dimension
 * (`search_vec_<dim>`, registered in `search_vector_dims`). The chunk seq is the rowid, the store
 * is the partition key (a KNN query reads that store's vectors only) and the file id a metadata
 * column (the `fileIds` filter runs inside the KNN scan). Cosine distance; score = 1 − distance.
 *
 * vec0 is exact (a SIMD scan in C), so results are those of the brute force, with two details
 * handled here:
 * - ties: a KNN query returns k rows in distance order with ties cut arbitrarily, so each store
 *   is asked for limit + 1 rows, and for twice as many while the last row ties with the
 *   limit-th; what is kept is then ordered by score and seq;
 * - k is capped at K_MAX: beyond it the same rows come from a plain scan ordered in SQL.
 *
 * Deleting a store scans its table once (vec0 has no index on the partition key).
 *
 * Gotcha: rowids and partition keys must be bound as BigInt (a JS number binds as REAL, which
 * vec0 rejects).
 */
import { sql, type RawBuilder } from 'kysely';
import { inTextList } from './keyword-query.js';
import { encodeEmbedding } from './vector-brute-force.js';
import { byScoreThenSeq, DimensionRegistry, groupByDimension, vectorTable, type VectorHit, type VectorIndex } from './vector-index.js';

const K_MAX = 4096; // sqlite-vec 0.1.9's limit on k
const BATCH = 200;

interface Row {
  chunk_seq: number;
  distance: number | null;
}

export function sqliteVecIndex(): VectorIndex {
  const dims = new DimensionRegistry(async (db, dim) => {
    await sql`CREATE VIRTUAL TABLE IF NOT EXISTS ${sql.table(vectorTable(dim))} USING vec0(
      chunk_seq INTEGER PRIMARY KEY,
      store_key INTEGER PARTITION KEY,
      file_id TEXT,
      embedding FLOAT[${sql.raw(String(dim))}] distance_metric=cosine
    )`.execute(db);
  });

  return {
    kind: 'sqlite-vec',

    async insert(db, rows) {
      for (const [dim, group] of groupByDimension(rows)) {
        await dims.ensure(db, dim);
        for (let i = 0; i < group.length; i += BATCH) {
          const values = group
            .slice(i, i + BATCH)
            .map((r) => sql`(${BigInt(r.seq)}, ${BigInt(r.storeKey)}, ${r.fileId}, ${encodeEmbedding(r.unit)})`);
          await sql`INSERT INTO ${sql.table(vectorTable(dim))} (chunk_seq, store_key, file_id, embedding)
            VALUES ${sql.join(values)}`.execute(db);
        }
      }
    },

    async remove(db, seqs) {
      if (seqs.length === 0) return;
      // one statement per rowid: vec0 answers `rowid = ?` by a lookup, but scans the whole table
      // for `rowid IN (…)` (at 50k vectors: 50–75 ms per IN statement, 0.03 ms per lookup)
      for (const dim of await dims.all(db)) {
        for (const seq of seqs) await sql`DELETE FROM ${sql.table(vectorTable(dim))} WHERE chunk_seq = ${BigInt(seq)}`.execute(db);
      }
    },

    async removeStore(db, storeKey) {
      for (const dim of await dims.all(db)) {
        await sql`DELETE FROM ${sql.table(vectorTable(dim))} WHERE store_key = ${BigInt(storeKey)}`.execute(db);
      }
    },

    async query(db, search) {
      const dim = search.unit.length;
      if (!(await dims.has(db, dim))) return [];
      const table = sql.table(vectorTable(dim));
      const query = encodeEmbedding(search.unit);
      const fileFilter = search.fileIds ? sql`AND ${inTextList('sqlite', sql.ref('file_id'), search.fileIds)}` : sql``;
      const hits: VectorHit[] = [];
      for (const store of search.stores) {
        const knn = (k: number): RawBuilder<Row> => sql<Row>`
          SELECT chunk_seq, distance FROM ${table}
          WHERE embedding MATCH ${query} AND k = ${k} AND store_key = ${store.storeKey} ${fileFilter}
          ORDER BY distance`;
        const scan = sql<Row>`
          SELECT chunk_seq, vec_distance_cosine(embedding, ${query}) AS distance FROM ${table}
          WHERE store_key = ${store.storeKey} ${fileFilter}
          ORDER BY distance, chunk_seq LIMIT ${search.limit}`;
        let rows: Row[];
        for (let k = search.limit + 1; ; k *= 2) {
          rows = (await (k > K_MAX ? scan : knn(k)).execute(db)).rows;
          if (k > K_MAX || rows.length < k || rows[search.limit - 1].distance !== rows[k - 1].distance) break;
        }
        for (const r of rows) if (r.distance !== null) hits.push({ seq: Number(r.chunk_seq), score: 1 - r.distance });
      }
      return hits.sort(byScoreThenSeq).slice(0, search.limit);
    },
  };
}
