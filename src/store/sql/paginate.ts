import type { SelectQueryBuilder } from 'kysely';
import type { ListQuery, Page } from '../../core/page.js';
import type { Tables } from './tables.js';

/** What a list is sorted by, and where a cursor id stands in that order. */
export interface ListOrder {
  /** Sort columns, most significant first; together unique within the list. */
  columns: readonly string[];
  /** The cursor's values for `columns`. */
  at(cursor: string): Promise<readonly unknown[]> | readonly unknown[];
}

/**
 * By the sortable `id` (see core/ids.ts): the id itself marks the position, so cursors keep
 * working after the object they name was deleted.
 */
const BY_ID: ListOrder = { columns: ['id'], at: (id) => [id] };

/**
 * Cursor pagination: `after` continues past a cursor in list order; `before` returns the page just
 * ahead of it. The order is by `id` unless another is given (keyset over its columns).
 */
export async function paginate<T extends keyof Tables, R>(
  query: SelectQueryBuilder<Tables, T, R>,
  q: ListQuery,
  order: ListOrder = BY_ID,
): Promise<Page<R>> {
  // The builder is generic over the table; the sort columns exist on it, which Kysely cannot see here.
  let qb = query as unknown as SelectQueryBuilder<Tables, 'assistants', R>;
  const columns = order.columns as ReadonlyArray<'id'>;
  const desc = q.order === 'desc';
  /** Rows past `at` going forward (`after`) or backward (`before`) in list order. */
  const beyond = async (cursor: string, forward: boolean) => {
    const at = await order.at(cursor);
    const op = forward === desc ? '<' : '>';
    if (columns.length === 1) return qb.where(columns[0], op, at[0] as string);
    // lexicographic: the first column past the cursor's, or equal and then the next one past, …
    return qb.where((eb) =>
      eb.or(columns.map((c, i) => eb.and([...columns.slice(0, i).map((p, j) => eb(p, '=', at[j] as string)), eb(c, op, at[i] as string)]))),
    );
  };
  if (q.after !== undefined) qb = await beyond(q.after, true);
  if (q.before !== undefined) qb = await beyond(q.before, false);
  const backwards = q.before !== undefined && q.after === undefined;
  const dir = desc !== backwards ? 'desc' : 'asc';
  for (const c of columns) qb = qb.orderBy(c, dir);
  const rows = await qb.limit(q.limit + 1).execute();
  const hasMore = rows.length > q.limit;
  if (hasMore) rows.pop();
  if (backwards) rows.reverse();
  return { data: rows, hasMore };
}
