/**
 * Writing and deleting postings, the bulk of every index write (one row per distinct term per
 * chunk: ~100 per SciFact abstract). A multi-row INSERT built by Kysely spends more time
 * compiling its thousands of parameters than the database spends inserting, and its text
 * changes with the row count. So the rows travel as one array-valued parameter per statement:
 * JSON expanded by `json_each` on SQLite, parallel arrays expanded by `unnest` on PostgreSQL.
 * One fixed statement text per dialect, any number of rows.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { inTextList } from './keyword-query.js';
import type { SearchDialect, SearchPostingRow, SearchTables } from './search-tables.js';

type Db = Kysely<SearchTables> | Transaction<SearchTables>;

// Rows per statement: bounds the size of one parameter (a few hundred KB).
const BATCH = 10_000;

export async function insertPostings(db: Db, dialect: SearchDialect, rows: SearchPostingRow[]): Promise<void> {
  // in key order: consecutive rows land on the same B-tree pages
  rows.sort((a, b) => a.store_key - b.store_key || (a.term < b.term ? -1 : a.term > b.term ? 1 : a.chunk_seq - b.chunk_seq));
  for (let i = 0; i < rows.length; i += BATCH) {
    const batch = rows.slice(i, i + BATCH);
    if (dialect === 'postgres') {
      await sql`
        INSERT INTO search_postings (store_key, term, chunk_seq, tf, dl)
        SELECT * FROM unnest(
          CAST(${batch.map((r) => r.store_key)} AS INTEGER[]), CAST(${batch.map((r) => r.term)} AS TEXT[]),
          CAST(${batch.map((r) => r.chunk_seq)} AS BIGINT[]), CAST(${batch.map((r) => r.tf)} AS INTEGER[]),
          CAST(${batch.map((r) => r.dl)} AS INTEGER[]))
      `.execute(db);
    } else {
      const json = JSON.stringify(batch.map((r) => [r.store_key, r.term, r.chunk_seq, r.tf, r.dl]));
      await sql`
        INSERT INTO search_postings (store_key, term, chunk_seq, tf, dl)
        SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 FROM json_each(${json})
      `.execute(db);
    }
  }
}

/** Deletes one chunk's postings by primary key, given the terms it was indexed under. */
export async function deleteChunkPostings(
  db: Db,
  dialect: SearchDialect,
  storeKey: number,
  chunkSeq: number,
  terms: string[],
): Promise<void> {
  if (terms.length === 0) return;
  await sql`
    DELETE FROM search_postings
    WHERE store_key = ${storeKey} AND chunk_seq = ${chunkSeq} AND ${inTextList(dialect, sql.ref('term'), terms)}
  `.execute(db);
}
