/**
 * Where the search index keeps chunk embeddings and how it finds the nearest ones, behind one
 * small interface with three implementations:
 *
 * - `vector-sqlite-vec.ts`: sqlite-vec `vec0` virtual tables, one per dimension (SQLite);
 * - `vector-pgvector.ts`: tables with a `vector(dim)` column, one per dimension (PostgreSQL);
 * - `vector-brute-force.ts`: float32 bytes in `search_vectors`, cosine in the application — the
 *   fallback when the extension is not available (`vector-setup.ts` chooses).
 *
 * All three are exact: `query` returns cosine similarity, best first, ties by chunk seq.
 * Embeddings are stored unit-length. A zero vector has no direction, hence no cosine: it is not
 * stored, and a zero query finds nothing.
 */
import type { Kysely, Transaction } from 'kysely';
import type { SearchTables } from './search-tables.js';

export type Db = Kysely<SearchTables> | Transaction<SearchTables>;

export type VectorIndexKind = 'sqlite-vec' | 'pgvector' | 'brute-force';

export interface VectorRow {
  seq: number;
  storeKey: number;
  fileId: string;
  /** Unit length (see `unitVector`). */
  unit: Float32Array;
}

export interface VectorHit {
  seq: number;
  /** Cosine similarity in [-1, 1]. */
  score: number;
}

export interface VectorSearch {
  stores: Array<{ storeKey: number; vectorStoreId: string }>;
  /** Unit length. Only embeddings of the same dimension are compared. */
  unit: Float32Array;
  fileIds?: string[];
  limit: number;
}

export interface VectorIndex {
  readonly kind: VectorIndexKind;
  /** Stores new chunks' embeddings (their seqs are new: nothing to replace). */
  insert(db: Db, rows: VectorRow[]): Promise<void>;
  /** Deletes the embeddings of these chunks, whatever their dimension. */
  remove(db: Db, seqs: number[]): Promise<void>;
  removeStore(db: Db, storeKey: number): Promise<void>;
  query(db: Db, search: VectorSearch): Promise<VectorHit[]>;
}

/** A unit-length copy of `v`, or null when it has no direction (zero, or not finite). */
export function unitVector(v: Float32Array): Float32Array | null {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  if (!(norm > 0) || !Number.isFinite(norm)) return null;
  const unit = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) unit[i] = v[i] / norm;
  return unit;
}

export function groupByDimension(rows: VectorRow[]): Map<number, VectorRow[]> {
  const groups = new Map<number, VectorRow[]>();
  for (const r of rows) {
    const group = groups.get(r.unit.length);
    if (group) group.push(r);
    else groups.set(r.unit.length, [r]);
  }
  return groups;
}

/** Best first, ties by seq (the order every implementation returns). */
export const byScoreThenSeq = (a: VectorHit, b: VectorHit): number => b.score - a.score || a.seq - b.seq;

// Per-dimension tables are named after their dimension; the bounds keep the name well-formed
// (pgvector's `vector` type allows up to 16,000 dimensions, sqlite-vec 8,192).
const MAX_DIM = 8192;

export function vectorTable(dim: number): string {
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new Error(`unsupported embedding dimension ${dim}`);
  return `search_vec_${dim}`;
}

/**
 * The dimensions that have a table (`search_vector_dims`, migration 0011). A table is created
 * with its registry row in the writer's transaction, the row first: on PostgreSQL a second
 * process adding the same dimension waits on that row until the first commits (or rolls back),
 * then finds the table (or creates it). Tables are never dropped, so a dimension seen committed
 * stays cached for queries; writes read the registry in their own transaction.
 */
export class DimensionRegistry {
  private readonly committed = new Set<number>();

  constructor(private readonly create: (db: Db, dim: number) => Promise<void>) {}

  /** Every dimension with a table, as `db` sees it (a writer's transaction sees its own). */
  async all(db: Db): Promise<number[]> {
    const rows = await db.selectFrom('search_vector_dims').select('dim').orderBy('dim').execute();
    return rows.map((r) => Number(r.dim));
  }

  /** Whether `dim` has a table (for queries, which run outside any write transaction). */
  async has(db: Db, dim: number): Promise<boolean> {
    if (this.committed.has(dim)) return true;
    const dims = await this.all(db);
    for (const d of dims) this.committed.add(d);
    return this.committed.has(dim);
  }

  /** Creates the dimension's table if it has none yet (inside the writing transaction). */
  async ensure(db: Db, dim: number): Promise<void> {
    if (this.committed.has(dim)) return;
    vectorTable(dim);
    const inserted = await db
      .insertInto('search_vector_dims')
      .values({ dim })
      .onConflict((oc) => oc.column('dim').doNothing())
      .returning('dim')
      .execute();
    if (inserted.length > 0) await this.create(db, dim);
  }
}
