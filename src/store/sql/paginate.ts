import type { SelectQueryBuilder } from 'kysely';
import type { ListQuery, Page } from '../../core/page.js';
import type { Tables } from './tables.js';

/**
 * Cursor pagination over a query whose rows have a sortable `id` (see core/ids.ts). `after`
 * continues past an id in list order; `before` returns the page just ahead of it. Both work
 * even when the cursor object has since been deleted, since the id itself marks the position.
 */
export async function paginate<T extends keyof Tables, R>(
  query: SelectQueryBuilder<Tables, T, R>,
  q: ListQuery,
  /** The sortable-id column the cursors name (`file_id` for a vector store's files). */
  column: 'id' | 'file_id' = 'id',
): Promise<Page<R>> {
  // The builder is generic over the table; the cursor column exists on it, which Kysely cannot see here.
  let qb = query as unknown as SelectQueryBuilder<Tables, 'assistants', R>;
  const col = column as 'id';
  const desc = q.order === 'desc';
  if (q.after !== undefined) qb = qb.where(col, desc ? '<' : '>', q.after);
  if (q.before !== undefined) qb = qb.where(col, desc ? '>' : '<', q.before);
  const backwards = q.before !== undefined && q.after === undefined;
  const rows = await qb
    .orderBy(col, desc !== backwards ? 'desc' : 'asc')
    .limit(q.limit + 1)
    .execute();
  const hasMore = rows.length > q.limit;
  if (hasMore) rows.pop();
  if (backwards) rows.reverse();
  return { data: rows, hasMore };
}
