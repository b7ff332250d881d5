/**
 * The SearchIndex over Kysely: the same statements serve SQLite and PostgreSQL (tables from the
 * `0010_search_index.sql` and `0011_search_vector_dims.sql` migrations). Text is analyzed in the
 * application (analyzer.ts) and kept as postings; BM25 is computed by keyword-query.ts; embeddings
 * go to a VectorIndex (vector-index.ts: sqlite-vec, pgvector, or the brute-force fallback).
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import { termFrequencies } from '../analyzer.js';
import type { Chunk, ScoredChunk, SearchIndex, SearchQuery } from '../search-index.js';
import { keywordQuery } from './keyword-query.js';
import type { SearchDialect, SearchTables } from './search-tables.js';
import { unitVector, type Db, type VectorIndex, type VectorIndexKind, type VectorRow } from './vector-index.js';
import { openVectorIndex, type VectorSetupOptions } from './vector-setup.js';
import { deleteChunkPostings, insertPostings } from './write-postings.js';

type StoredChunk = Omit<Chunk, 'embedding'>;

// Rows per multi-row INSERT: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const CHUNK_BATCH = 500;
const MAX_QUERY_TERMS = 1024;

export interface SqlSearchIndex extends SearchIndex {
  /** Where embeddings are kept and searched. */
  readonly vectorIndex: VectorIndexKind;
}

/**
 * Opens the SearchIndex on an open Kysely instance (the store's own, or any with the search
 * tables): chooses the vector index (vector-setup.ts; it may log one fallback warning) and moves
 * any embeddings waiting for it. `db` may have other tables too; only the `search_*` ones are
 * touched.
 */
export async function openSqlSearchIndex<DB>(
  kysely: Kysely<DB>,
  dialect: SearchDialect,
  options: VectorSetupOptions = {},
): Promise<SqlSearchIndex> {
  const db = kysely as unknown as Kysely<SearchTables>;
  return createSqlSearchIndex(db, dialect, await openVectorIndex(db, dialect, options));
}

export function createSqlSearchIndex(db: Kysely<SearchTables>, dialect: SearchDialect, vectors: VectorIndex): SqlSearchIndex {
  return {
    vectorIndex: vectors.kind,

    async add(chunks) {
      if (chunks.length === 0) return;
      const unique = [...new Map(chunks.map((c) => [c.id, c])).values()]; // a repeated id: the last wins
      const analyzed = unique.map((chunk) => ({ chunk, ...termFrequencies(chunk.text) }));
      await db.transaction().execute(async (trx) => {
        const replaced = await chunksById(trx, unique.map((c) => c.id));
        // one counter update per store for the removals and additions together (one lock order)
        const keys = await bumpStores(trx, [
          ...replaced.map(removalDelta),
          ...analyzed.map((a): StoreDelta => [a.chunk.vectorStoreId, 1, a.length]),
        ]);
        await removeChunks(trx, dialect, vectors, replaced, keys);
        for (let i = 0; i < analyzed.length; i += CHUNK_BATCH) {
          const batch = analyzed.slice(i, i + CHUNK_BATCH);
          const inserted = await trx
            .insertInto('search_chunks')
            .values(
              batch.map(({ chunk, tf, length }) => ({
                id: chunk.id,
                project_id: chunk.projectId,
                vector_store_id: chunk.vectorStoreId,
                file_id: chunk.fileId,
                chunk_index: chunk.index,
                text: chunk.text,
                attributes: JSON.stringify(chunk.attributes ?? {}),
                token_count: length,
                terms: [...tf.keys()].join(' '),
              })),
            )
            .returning(['seq', 'id'])
            .execute();
          const seqOf = new Map(inserted.map((r) => [r.id, Number(r.seq)]));
          const postings = batch.flatMap(({ chunk, tf, length }) => {
            const storeKey = keys.get(chunk.vectorStoreId)!;
            const seq = seqOf.get(chunk.id)!;
            return [...tf].map(([term, n]) => ({ store_key: storeKey, term, chunk_seq: seq, tf: n, dl: length }));
          });
          await insertPostings(trx, dialect, postings);
          await vectors.insert(
            trx,
            batch.flatMap(({ chunk }): VectorRow[] => {
              const unit = chunk.embedding && chunk.embedding.length > 0 ? unitVector(chunk.embedding) : null;
              if (!unit) return [];
              return [{ seq: seqOf.get(chunk.id)!, storeKey: keys.get(chunk.vectorStoreId)!, fileId: chunk.fileId, unit }];
            }),
          );
        }
      });
    },

    async removeFile(vectorStoreId, fileId) {
      await db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('search_chunks')
          .select(['seq', 'vector_store_id', 'token_count', 'terms'])
          .where('vector_store_id', '=', vectorStoreId)
          .where('file_id', '=', fileId)
          .execute();
        await removeChunks(trx, dialect, vectors, rows, await bumpStores(trx, rows.map(removalDelta)));
      });
    },

    async removeStore(vectorStoreId) {
      await db.transaction().execute(async (trx) => {
        const store = await trx
          .selectFrom('search_stores')
          .select('store_key')
          .where('vector_store_id', '=', vectorStoreId)
          .executeTakeFirst();
        if (store) {
          await trx.deleteFrom('search_postings').where('store_key', '=', store.store_key).execute();
          await vectors.removeStore(trx, Number(store.store_key));
          await trx.deleteFrom('search_stores').where('store_key', '=', store.store_key).execute();
        }
        await trx.deleteFrom('search_chunks').where('vector_store_id', '=', vectorStoreId).execute();
      });
    },

    async keyword(query) {
      // a pasted document as a query: its first MAX_QUERY_TERMS distinct terms are plenty, and
      // the statement stays far from the databases' parameter limits
      const terms = [...termFrequencies(query.text).tf].slice(0, MAX_QUERY_TERMS);
      if (isEmpty(query) || terms.length === 0) return [];
      const rows = await keywordQuery(db, dialect, {
        vectorStoreIds: query.vectorStoreIds,
        terms,
        fileIds: query.fileIds,
        limit: query.limit,
      });
      return rows.map((r) => ({ chunk: toChunk(r), score: Number(r.score), maxScore: Number(r.max_score) }));
    },

    async vector(query) {
      const unit = unitVector(query.embedding);
      if (isEmpty(query) || !unit) return [];
      const stores = await db
        .selectFrom('search_stores')
        .select(['store_key', 'vector_store_id'])
        .where('vector_store_id', 'in', query.vectorStoreIds)
        .orderBy('store_key')
        .execute();
      if (stores.length === 0) return [];
      const hits = await vectors.query(db, {
        stores: stores.map((s) => ({ storeKey: Number(s.store_key), vectorStoreId: s.vector_store_id })),
        unit,
        fileIds: query.fileIds,
        limit: query.limit,
      });
      if (hits.length === 0) return [];
      const rows = await db
        .selectFrom('search_chunks')
        .select(['seq', 'id', 'project_id', 'vector_store_id', 'file_id', 'chunk_index', 'text', 'attributes'])
        .where(
          'seq',
          'in',
          hits.map((h) => h.seq),
        )
        .execute();
      const bySeq = new Map(rows.map((r) => [Number(r.seq), r]));
      return hits.flatMap((h): ScoredChunk[] => {
        const row = bySeq.get(h.seq);
        return row ? [{ chunk: toChunk(row), score: h.score }] : [];
      });
    },

    async fileChunks(vectorStoreId, fileId) {
      const rows = await db
        .selectFrom('search_chunks')
        .select(['id', 'project_id', 'vector_store_id', 'file_id', 'chunk_index', 'text', 'attributes'])
        .where('vector_store_id', '=', vectorStoreId)
        .where('file_id', '=', fileId)
        .orderBy('chunk_index')
        .execute();
      return rows.map(toChunk);
    },

    async setAttributes(vectorStoreId, fileId, attributes) {
      await db
        .updateTable('search_chunks')
        .set({ attributes: JSON.stringify(attributes) })
        .where('vector_store_id', '=', vectorStoreId)
        .where('file_id', '=', fileId)
        .execute();
    },
  };
}

function isEmpty(query: SearchQuery): boolean {
  return query.vectorStoreIds.length === 0 || query.limit <= 0 || (query.fileIds !== undefined && query.fileIds.length === 0);
}

function toChunk(r: {
  id: string;
  project_id: string;
  vector_store_id: string;
  file_id: string;
  chunk_index: number;
  text: string;
  attributes: string;
}): StoredChunk {
  return {
    id: r.id,
    projectId: r.project_id,
    vectorStoreId: r.vector_store_id,
    fileId: r.file_id,
    index: Number(r.chunk_index),
    text: r.text,
    attributes: JSON.parse(r.attributes) as StoredChunk['attributes'],
  };
}

interface ChunkToRemove {
  seq: number | string;
  vector_store_id: string;
  token_count: number;
  terms: string;
}

async function chunksById(db: Db, ids: string[]): Promise<ChunkToRemove[]> {
  const rows: ChunkToRemove[] = [];
  for (let i = 0; i < ids.length; i += CHUNK_BATCH) {
    rows.push(
      ...(await db
        .selectFrom('search_chunks')
        .select(['seq', 'vector_store_id', 'token_count', 'terms'])
        .where('id', 'in', ids.slice(i, i + CHUNK_BATCH))
        .execute()),
    );
  }
  return rows;
}

type StoreDelta = [vectorStoreId: string, chunks: number, tokens: number];

const removalDelta = (r: ChunkToRemove): StoreDelta => [r.vector_store_id, -1, -Number(r.token_count)];

/**
 * Deletes chunks with their postings and vectors (the caller has taken them off the counters).
 * Postings go by primary key, chunk by chunk, from the terms recorded with the chunk.
 */
async function removeChunks(
  db: Db,
  dialect: SearchDialect,
  vectors: VectorIndex,
  rows: ChunkToRemove[],
  keys: Map<string, number>,
): Promise<void> {
  if (rows.length === 0) return;
  for (const r of rows) {
    await deleteChunkPostings(db, dialect, keys.get(r.vector_store_id)!, Number(r.seq), r.terms ? r.terms.split(' ') : []);
  }
  const seqs = rows.map((r) => Number(r.seq));
  for (let i = 0; i < seqs.length; i += CHUNK_BATCH) {
    const batch = seqs.slice(i, i + CHUNK_BATCH);
    await vectors.remove(db, batch);
    await db.deleteFrom('search_chunks').where('seq', 'in', batch).execute();
  }
}

/**
 * Adds chunk and token counts to the stores' counters (creating a store's row on first use) and
 * returns the stores' keys. Stores are updated in id order, so two concurrent writers on
 * PostgreSQL lock the rows in the same order and cannot deadlock.
 */
async function bumpStores(db: Db, deltas: StoreDelta[]): Promise<Map<string, number>> {
  const totals = new Map<string, [number, number]>();
  for (const [id, chunks, tokens] of deltas) {
    const t = totals.get(id) ?? [0, 0];
    totals.set(id, [t[0] + chunks, t[1] + tokens]);
  }
  const keys = new Map<string, number>();
  for (const id of [...totals.keys()].sort()) {
    const [chunks, tokens] = totals.get(id)!;
    const row = await db
      .insertInto('search_stores')
      .values({ vector_store_id: id, chunk_count: chunks, token_sum: tokens })
      .onConflict((oc) =>
        oc.column('vector_store_id').doUpdateSet({
          chunk_count: sql`search_stores.chunk_count + excluded.chunk_count`,
          token_sum: sql`search_stores.token_sum + excluded.token_sum`,
        }),
      )
      .returning('store_key')
      .executeTakeFirstOrThrow();
    keys.set(id, Number(row.store_key));
  }
  return keys;
}
