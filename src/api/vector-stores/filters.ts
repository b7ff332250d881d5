import type { Attributes } from '../../core/wire.js';
import type { ComparisonFilter, CompoundFilter, Filter } from './schema.js';

/** Whether a file's attributes satisfy a comparison or compound filter. */
export function matchesFilter(attrs: Attributes | null, f: Filter): boolean {
  if (f.type === 'and' || f.type === 'or') {
    const parts = (f as CompoundFilter).filters;
    return f.type === 'and' ? parts.every((x) => matchesFilter(attrs, x)) : parts.some((x) => matchesFilter(attrs, x));
  }
  return compare(attrs, f as ComparisonFilter);
}

function compare(attrs: Attributes | null, f: ComparisonFilter): boolean {
  const actual = attrs?.[f.key];
  switch (f.type) {
    case 'eq':
      return actual === f.value;
    case 'ne':
      return actual !== f.value;
    case 'in':
      return actual !== undefined && (f.value as Array<string | number>).some((v) => v === actual);
    case 'nin':
      return actual === undefined || !(f.value as Array<string | number>).some((v) => v === actual);
    default: {
      if (actual === undefined || typeof actual !== typeof f.value || typeof actual === 'boolean') return false;
      const a = actual as string | number;
      const b = f.value as string | number;
      if (f.type === 'gt') return a > b;
      if (f.type === 'gte') return a >= b;
      if (f.type === 'lt') return a < b;
      return a <= b;
    }
  }
}
