/**
 * BM25 in one SQL statement, the same text on SQLite and PostgreSQL.
 *
 * Why not the engines' own full-text search: SQLite FTS5 and PostgreSQL tsvector tokenize, stem
 * and score differently (and `ts_rank` is not BM25; it ranked SciFact far worse in trials), so one
 * query would rank differently depending on the deployment. Instead the analyzer runs in the
 * application, both backends store the same postings, and this statement computes Lucene's BM25:
 *
 *   score(c) = Σ_t qtf_t · idf_t · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))
 *   idf_t    = ln(1 + (N − df_t + 0.5) / (df_t + 0.5))
 *
 * N, avgdl and df are taken over the requested vector stores only (a chunk competes only with the
 * stores the query covers): N and avgdl from the per-store counters in `search_stores`, df by
 * counting the term's postings in those stores. A file filter narrows the chunks that are scored,
 * not the statistics. The small CTEs are MATERIALIZED and joined with CROSS JOIN (which fixes
 * the join order in SQLite) so that both planners walk the postings by primary key, term by term,
 * store by store, instead of scanning them. Numeric parameters are CAST to DOUBLE PRECISION: PostgreSQL would
 * otherwise type them after the integer columns they meet (and SQLite divides integers). A store
 * whose files were all removed keeps its counters at zero: NULLIF turns its avgdl into NULL (no
 * hits) where PostgreSQL would otherwise raise "division by zero".
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SearchDialect, SearchTables } from './search-tables.js';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export interface KeywordRow {
  seq: number | string;
  id: string;
  project_id: string;
  vector_store_id: string;
  file_id: string;
  chunk_index: number;
  text: string;
  attributes: string;
  score: number;
  max_score: number;
}

export interface KeywordQueryInput {
  vectorStoreIds: string[];
  /** Distinct query terms with their counts in the query. */
  terms: Array<[term: string, count: number]>;
  fileIds?: string[];
  limit: number;
}

const float = (x: number): RawBuilder<number> => sql<number>`CAST(${x} AS DOUBLE PRECISION)`;

/** `column IN (values)` with one parameter, whatever the number of values. */
export function inTextList(dialect: SearchDialect, column: RawBuilder<unknown>, values: string[]): RawBuilder<unknown> {
  return dialect === 'postgres'
    ? sql`${column} = ANY(CAST(${values} AS TEXT[]))`
    : sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}

export async function keywordQuery(
  db: Kysely<SearchTables>,
  dialect: SearchDialect,
  input: KeywordQueryInput,
): Promise<KeywordRow[]> {
  return (await keywordStatement(dialect, input).execute(db)).rows;
}

/** The statement itself (exported for EXPLAIN in benchmarks). */
export function keywordStatement(dialect: SearchDialect, input: KeywordQueryInput): RawBuilder<KeywordRow> {
  const { vectorStoreIds, terms, fileIds, limit } = input;
  const k1 = BM25_K1;
  const b = BM25_B;
  const fileFilter = fileIds
    ? sql`AND p.chunk_seq IN (SELECT seq FROM search_chunks WHERE vector_store_id IN (${sql.join(vectorStoreIds)})
          AND ${inTextList(dialect, sql.ref('file_id'), fileIds)})`
    : sql``;
  const queryTerms = sql.join(terms.map(([t, n]) => sql`(CAST(${t} AS TEXT), ${float(n)})`));
  return sql<KeywordRow>`
    WITH st AS MATERIALIZED (
      SELECT store_key, chunk_count, token_sum FROM search_stores
      WHERE vector_store_id IN (${sql.join(vectorStoreIds)})
    ), tot AS MATERIALIZED (
      SELECT CAST(SUM(chunk_count) AS DOUBLE PRECISION) AS n,
             CAST(SUM(token_sum) AS DOUBLE PRECISION) / NULLIF(SUM(chunk_count), 0) AS avgdl
      FROM st
    ), q (term, qtf) AS MATERIALIZED (
      VALUES ${queryTerms}
    ), df AS MATERIALIZED (
      SELECT p.term, COUNT(*) AS df
      FROM q CROSS JOIN st JOIN search_postings p ON p.store_key = st.store_key AND p.term = q.term
      GROUP BY p.term
    ), w AS MATERIALIZED (
      SELECT q.term, q.qtf * LN(1 + (tot.n - df.df + 0.5) / (df.df + 0.5)) AS idf
      FROM q JOIN df ON df.term = q.term CROSS JOIN tot
    ), s AS (
      SELECT p.chunk_seq, SUM(w.idf * p.tf / (p.tf + ${float(k1 * (1 - b))} + ${float(k1 * b)} * p.dl / tot.avgdl)) AS score
      FROM w CROSS JOIN st CROSS JOIN tot
      JOIN search_postings p ON p.store_key = st.store_key AND p.term = w.term
      WHERE tot.avgdl > 0 ${fileFilter}
      GROUP BY p.chunk_seq
      ORDER BY score DESC, p.chunk_seq
      LIMIT ${limit}
    )
    SELECT c.seq, c.id, c.project_id, c.vector_store_id, c.file_id, c.chunk_index, c.text, c.attributes,
           s.score * ${float(k1 + 1)} AS score,
           (SELECT SUM(idf) FROM w) * ${float(k1 + 1)} AS max_score
    FROM s JOIN search_chunks c ON c.seq = s.chunk_seq
    ORDER BY s.score DESC, s.chunk_seq
  `;
}
