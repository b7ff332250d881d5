import { Errors } from '../core/errors.js';
import type { ListQuery } from '../core/page.js';

export interface ListRules {
  defaultLimit?: number;
  maxLimit?: number;
}

type Query = Record<string, unknown>;

function single(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw Errors.invalidRequest(`Invalid '${name}': expected a single value.`, name, 'invalid_value');
  return String(v);
}

/** `limit`, `order`, `after` and `before` from a query string, validated like the API does. */
export function parseListQuery(query: unknown, rules: ListRules = {}): ListQuery {
  const q = (query ?? {}) as Query;
  const max = rules.maxLimit ?? 100;
  const out: ListQuery = { limit: rules.defaultLimit ?? 20, order: 'desc' };
  const limit = single(q, 'limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (limit.trim() === '' || !Number.isInteger(n)) throw Errors.invalidType('limit', 'an integer', `'${limit}'`);
    if (n < 1) throw Errors.numberBelowMin('limit', 1, n, true);
    if (n > max) throw Errors.numberAboveMax('limit', max, n, true);
    out.limit = n;
  }
  const order = single(q, 'order');
  if (order !== undefined) {
    if (order !== 'asc' && order !== 'desc') throw Errors.invalidValue('order', order, ['asc', 'desc']);
    out.order = order;
  }
  const after = single(q, 'after');
  if (after) out.after = after;
  const before = single(q, 'before');
  if (before) out.before = before;
  return out;
}

export function queryString(query: unknown, name: string): string | undefined {
  return single((query ?? {}) as Query, name);
}
