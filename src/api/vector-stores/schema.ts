import { Errors } from '../../core/errors.js';
import {
  arr,
  bool,
  describeType,
  int,
  isPlainObject,
  literal,
  nullable,
  num,
  obj,
  oneOf,
  str,
  type Validator,
} from '../../core/validate.js';
import type { AttributeValue, Attributes } from '../../core/wire.js';
import { chunkingStrategy, metadata } from '../common-schema.js';

/** Vector-store file attributes: ≤16 keys (≤64 chars), values string ≤512, number or boolean. */
export const attributes: Validator<Attributes> = (v, path) => {
  if (!isPlainObject(v)) throw Errors.invalidType(path, 'an object', describeType(v));
  const keys = Object.keys(v);
  if (keys.length > 16) throw Errors.tooManyProperties(path, 16, keys.length);
  const out: Attributes = {};
  for (const k of keys) {
    if (k.length > 64) throw Errors.stringTooLong(`${path}.${k.slice(0, 80)}`, 64, k.length);
    const value = v[k];
    if (typeof value === 'string') {
      if (value.length > 512) throw Errors.stringTooLong(`${path}.${k}`, 512, value.length);
    } else if (typeof value !== 'boolean' && !(typeof value === 'number' && Number.isFinite(value))) {
      throw Errors.invalidType(`${path}.${k}`, 'a string, number or boolean', describeType(value));
    }
    out[k] = value as AttributeValue;
  }
  return out;
};

const expiresAfter = obj(
  { anchor: literal('last_active_at'), days: int({ min: 1, max: 365 }) },
  { required: ['anchor', 'days'] },
);

export const createVectorStoreBody = obj({
  file_ids: arr(str({ min: 1 }), { max: 500 }),
  name: str({ max: 256 }),
  description: str({ max: 512 }),
  expires_after: expiresAfter,
  chunking_strategy: chunkingStrategy,
  metadata: nullable(metadata),
});

export const modifyVectorStoreBody = obj({
  name: nullable(str({ max: 256 })),
  expires_after: nullable(expiresAfter),
  metadata: nullable(metadata),
});

export const createVectorStoreFileBody = obj(
  { file_id: str({ min: 1 }), chunking_strategy: chunkingStrategy, attributes: nullable(attributes) },
  { required: ['file_id'] },
);

export const updateVectorStoreFileBody = obj({ attributes: nullable(attributes) }, { required: ['attributes'] });

export const createFileBatchBody = obj({
  file_ids: arr(str({ min: 1 }), { min: 1, max: 2000 }),
  files: arr(createVectorStoreFileBody, { min: 1, max: 2000 }),
  chunking_strategy: chunkingStrategy,
  attributes: nullable(attributes),
});

export type ComparisonFilter = { type: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin'; key: string; value: AttributeValue | Array<string | number> };
export type CompoundFilter = { type: 'and' | 'or'; filters: Filter[] };
export type Filter = ComparisonFilter | CompoundFilter;

const scalar: Validator<AttributeValue> = (v, path) => {
  if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw Errors.invalidType(path, 'a string, number or boolean', describeType(v));
};

export const filter: Validator<Filter> = (v, path) => {
  if (!isPlainObject(v)) throw Errors.invalidType(path, 'an object', describeType(v));
  const type = v.type ?? 'eq';
  if (type === 'and' || type === 'or') {
    const f = obj({ type: oneOf(['and', 'or']), filters: arr(filter, { min: 1 }) }, { required: ['filters'] })(v, path);
    return { type: type as 'and' | 'or', filters: f.filters };
  }
  const ops = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin'] as const;
  const f = obj(
    {
      type: oneOf(ops),
      key: str({ min: 1 }),
      value: (x: unknown, p: string) => (Array.isArray(x) ? arr(scalar)(x, p) : scalar(x, p)),
    },
    { required: ['key', 'value'] },
  )(v, path);
  const op = f.type ?? 'eq';
  if ((op === 'in' || op === 'nin') !== Array.isArray(f.value)) {
    throw Errors.invalidRequest(`Invalid '${path}.value': '${op}' takes ${op === 'in' || op === 'nin' ? 'an array' : 'a single value'}.`, `${path}.value`, 'invalid_value');
  }
  return { type: op, key: f.key, value: f.value as ComparisonFilter['value'] };
};

export const searchBody = obj(
  {
    query: (v: unknown, p: string) =>
      Array.isArray(v) ? arr(str({ min: 1, max: 4096 }), { min: 1, max: 10 })(v, p) : str({ min: 1, max: 4096 })(v, p),
    rewrite_query: bool,
    max_num_results: int({ min: 1, max: 50 }),
    filters: filter,
    ranking_options: obj({ ranker: oneOf(['none', 'auto', 'default-2024-11-15']), score_threshold: num({ min: 0, max: 1 }) }),
  },
  { required: ['query'] },
);

export const VS_FILE_FILTERS = ['in_progress', 'completed', 'failed', 'cancelled'] as const;
