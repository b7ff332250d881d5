import type { SelectQueryBuilder } from 'kysely';
import type { ListQuery, Page } from '../../core/page.js';
import type { Tables } from './tables.js';

/**
 * Cursor pagination over a query whose rows have a sortable `id` (see core/ids.ts). `after`
 * continues past an id in list order; `before` returns the page just ahead of it. Both work
 * even when the cursor object has since been deleted, since the id itself marks the position.
 */
export async function paginate<T extends keyof Tables, R extends { id: string }>(
  query: SelectQueryBuilder<Tables, T, R>,
  q: ListQuery,
): Promise<Page<R>> {
  // The builder is generic over the table; `id` exists on every table, which Kysely cannot see here.
  let qb = query as unknown as SelectQueryBuilder<Tables, 'assistants', R>;
  const desc = q.order === 'desc';
  if (q.after !== undefined) qb = qb.where('id', desc ? '<' : '>', q.after);
  if (q.before !== undefined) qb = qb.where('id', desc ? '>' : '<', q.before);
  const backwards = q.before !== undefined && q.after === undefined;
  const rows = await qb
    .orderBy('id', desc !== backwards ? 'desc' : 'asc')
    .limit(q.limit + 1)
    .execute();
  const hasMore = rows.length > q.limit;
  if (hasMore) rows.pop();
  if (backwards) rows.reverse();
  return { data: rows, hasMore };
}
