/**
 * Chooses the vector index when the search index opens, and brings the database to it.
 *
 * The extensions are made available by the connection (`store/sqlite/connect.ts` loads
 * sqlite-vec, `store/postgres/connect.ts` runs `CREATE EXTENSION IF NOT EXISTS vector`); here we
 * only look whether that worked:
 * - it did: embeddings still in `search_vectors` (a database from before the vector index, or
 *   rows written while the extension was missing) are moved into the per-dimension tables, a
 *   page per transaction, so the step is idempotent and safe to run from several processes;
 * - it did not, and the database has no per-dimension tables: one warning, and the brute-force
 *   index (exact, slower on large stores);
 * - it did not, but the database has such tables: an error, since the embeddings in them could
 *   be neither searched nor deleted.
 */
import { sql, type Kysely } from 'kysely';
import type { SearchDialect, SearchTables } from './search-tables.js';
import { bruteForceVectorIndex, decodeEmbedding } from './vector-brute-force.js';
import { unitVector, vectorTable, type VectorIndex, type VectorRow } from './vector-index.js';
import { pgvectorIndex } from './vector-pgvector.js';
import { sqliteVecIndex } from './vector-sqlite-vec.js';

export interface VectorSetupOptions {
  /** `brute-force` skips the extensions (tests and benchmarks compare the two). */
  mode?: 'auto' | 'brute-force';
  /** Receives the fallback warning and the note about moved embeddings. */
  log?: (message: string) => void;
}

const MOVE_PAGE = 500;

export async function openVectorIndex(
  db: Kysely<SearchTables>,
  dialect: SearchDialect,
  options: VectorSetupOptions = {},
): Promise<VectorIndex> {
  if (options.mode === 'brute-force') return bruteForceVectorIndex(dialect);
  const problem = dialect === 'sqlite' ? await sqliteVecProblem(db) : await pgvectorProblem(db);
  if (problem) {
    const dims = await db.selectFrom('search_vector_dims').select('dim').orderBy('dim').execute();
    if (dims.length > 0) {
      const tables = dims.map((d) => vectorTable(Number(d.dim))).join(', ');
      throw new Error(`file search: ${problem}, but this database keeps embeddings in ${tables}, which need it (see docs/file-search.md)`);
    }
    options.log?.(
      `file search: ${problem}; vector search falls back to exact cosine in the application, which is slower on large vector stores (see docs/file-search.md)`,
    );
    return bruteForceVectorIndex(dialect);
  }
  const index = dialect === 'sqlite' ? sqliteVecIndex() : pgvectorIndex();
  const moved = await moveFallbackRows(db, index);
  if (moved > 0) options.log?.(`file search: moved ${moved} embeddings into the ${index.kind} index`);
  return index;
}

async function sqliteVecProblem(db: Kysely<SearchTables>): Promise<string | null> {
  try {
    await sql`SELECT vec_version()`.execute(db);
    return null;
  } catch {
    return `the sqlite-vec extension is not loaded (is a sqlite-vec binary installed for ${process.platform}-${process.arch}?)`;
  }
}

async function pgvectorProblem(db: Kysely<SearchTables>): Promise<string | null> {
  const { rows } = await sql<{ installed: string | null; available: string | null }>`
    SELECT (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS installed,
           (SELECT default_version FROM pg_available_extensions WHERE name = 'vector') AS available
  `.execute(db);
  const { installed, available } = rows[0];
  if (installed) {
    try {
      await sql`SELECT vector_dims(CAST('[1]' AS vector))`.execute(db);
      return null;
    } catch (err) {
      return `pgvector ${installed} is created in this database but does not work (${err instanceof Error ? err.message : String(err)})`;
    }
  }
  return available
    ? `pgvector ${available} is installed on the server but not created in this database (CREATE EXTENSION vector needs a superuser; run it once as one)`
    : 'pgvector is not installed on the PostgreSQL server';
}

/** Moves `search_vectors` rows into `index`; returns how many rows were taken. */
async function moveFallbackRows(db: Kysely<SearchTables>, index: VectorIndex): Promise<number> {
  let total = 0;
  for (;;) {
    const taken = await db.transaction().execute(async (trx) => {
      // DELETE … RETURNING: two processes moving at once each take a row once (PostgreSQL makes
      // the second wait on the first's row locks, then skips the rows it deleted)
      const { rows } = await sql<{ chunk_seq: number | string; store_key: number | string; embedding: Uint8Array }>`
        DELETE FROM search_vectors
        WHERE chunk_seq IN (SELECT chunk_seq FROM search_vectors ORDER BY chunk_seq LIMIT ${MOVE_PAGE})
        RETURNING chunk_seq, store_key, embedding
      `.execute(trx);
      if (rows.length === 0) return 0;
      const files = await trx
        .selectFrom('search_chunks')
        .select(['seq', 'file_id'])
        .where(
          'seq',
          'in',
          rows.map((r) => Number(r.chunk_seq)),
        )
        .execute();
      const fileOf = new Map(files.map((f) => [Number(f.seq), f.file_id]));
      const moved = rows.flatMap((r): VectorRow[] => {
        const seq = Number(r.chunk_seq);
        const fileId = fileOf.get(seq);
        const unit = unitVector(decodeEmbedding(r.embedding));
        return fileId !== undefined && unit ? [{ seq, storeKey: Number(r.store_key), fileId, unit }] : [];
      });
      await index.insert(trx, moved);
      return rows.length;
    });
    if (taken === 0) return total;
    total += taken;
  }
}
