/**
 * What makes a spec-shaped value *valid* beyond the schema keywords: limits the spec states only in
 * prose (metadata pairs, name patterns, token minimums; see the conformance checklist §1.2, §4, §5),
 * and ids that must name real objects. Used by the schema walker for valid instances.
 */
import type { Rng } from './prng.js';
import { wordString, type PathSeg, type Walker } from './schema-walker.js';
import type { Schema } from './spec.js';
import type { World } from './world.js';

/** Values a case fixes up front (e.g. the tool call ids of the run it targets). */
export interface Overrides {
  tool_outputs?: Array<{ tool_call_id: string; output: string }>;
  part_ids?: string[];
  /** For upload creation: the exact byte count. */
  bytes?: number;
}

function lastKey(path: readonly PathSeg[]): string | undefined {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === 'string') return path[i] as string;
  return undefined;
}

function isNullable(s: Schema): boolean {
  return s.nullable === true || (Array.isArray(s.anyOf) && (s.anyOf as Schema[]).some((b) => b.type === 'null'));
}

export function smallMap(rng: Rng, value: (i: number) => unknown, max = 3): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const n = rng.int(0, max);
  for (let i = 0; i < n; i++) out[`${wordString(rng, 1, 12)}_${i}`] = value(i);
  return out;
}

function jsonSchemaObject(rng: Rng): Record<string, unknown> {
  return rng.pick([
    { type: 'object', properties: {} },
    { type: 'object', properties: { q: { type: 'string', description: wordString(rng, 0, 20) } }, required: ['q'] },
    { type: 'object', properties: { n: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } } },
  ]);
}

function fnName(rng: Rng): string {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';
  return Array.from({ length: rng.int(1, 24) }, () => rng.pick([...chars])).join('');
}

function validFilter(rng: Rng, depth = 0): Record<string, unknown> {
  if (depth < 2 && rng.chance(0.3)) {
    return { type: rng.pick(['and', 'or']), filters: Array.from({ length: rng.int(1, 3) }, () => validFilter(rng, depth + 1)) };
  }
  const type = rng.pick(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin']);
  const value =
    type === 'in' || type === 'nin'
      ? Array.from({ length: rng.int(1, 3) }, () => (rng.chance(0.5) ? wordString(rng, 1, 8) : rng.int(-5, 5)))
      : rng.pick([wordString(rng, 1, 10), rng.int(-100, 100), rng.chance(0.5), 1.5]);
  return { type, key: wordString(rng, 1, 12), value };
}

/** Valid search queries that are hard on an analyzer or a query language. */
const TRICKY_QUERIES = [
  'a OR b AND NOT c', '"unbalanced quote', '*', '%', '_', '\\', "'; DROP TABLE search_chunks; --", 'NEAR(a b)', 'a:b', '(((', ')))',
  '🙂🙂🙂', 'مرحبا بالعالم', '数据 分析', 'ǅ ǈ ß ﬁ', 'the the the the', 'x'.repeat(4096), 'a '.repeat(2048).trim(), '\ud83d', '-', '!', '?',
  '1e309', '0x10', 'null', 'true', '<script>alert(1)</script>', '\t\n', ' leading and trailing ', 'ÅÄÖ åäö', 'Straße STRASSE',
];

function some<T>(rng: Rng, pool: readonly T[], max: number): T[] {
  const n = rng.int(0, Math.min(max, pool.length));
  return rng.shuffle([...pool]).slice(0, n);
}

export function validHints(world: World, rng: Rng, overrides: Overrides = {}) {
  return (path: readonly PathSeg[], schema: Schema, walk: Walker): { value: unknown } | undefined => {
    const key = lastKey(path);
    const parent = path.length >= 2 ? path[path.length - 2] : undefined;
    const last = path[path.length - 1];
    if (key === undefined || typeof last === 'number') {
      // array items: file ids, vector store ids and part ids are real
      if (key === 'file_ids') return { value: rng.pick(world.files) };
      if (key === 'vector_store_ids') return { value: rng.pick(world.vectorStores) };
      return undefined;
    }
    switch (key) {
      case 'model':
        return { value: rng.chance(0.85) ? 'fuzz-text' : rng.pick(world.upstreamModels) };
      case 'assistant_id':
        return { value: rng.pick(world.assistants) };
      case 'file_id':
        return { value: rng.pick(world.files) };
      case 'file_ids': {
        const max = typeof schema.maxItems === 'number' ? schema.maxItems : 3;
        const min = typeof schema.minItems === 'number' ? schema.minItems : 0;
        const ids = some(rng, world.files, Math.min(max, 3));
        while (ids.length < min) ids.push(rng.pick(world.files));
        return { value: ids };
      }
      case 'vector_store_ids':
        return { value: some(rng, world.vectorStores, 1) };
      case 'attachments': {
        // the spec puts `required: [file_id, tools]` beside the anyOf, where it binds nothing
        if (isNullable(schema) && rng.chance(0.1)) return { value: null };
        const tools = () => rng.shuffle([{ type: 'file_search' }, { type: 'code_interpreter' }]).slice(0, rng.int(0, 2));
        return { value: Array.from({ length: rng.int(0, 2) }, () => ({ file_id: rng.pick(world.files), tools: tools() })) };
      }
      case 'part_ids':
        return { value: overrides.part_ids ?? [] };
      case 'tool_outputs':
        return overrides.tool_outputs ? { value: overrides.tool_outputs } : undefined;
      case 'bytes':
        return parent === undefined ? { value: overrides.bytes ?? rng.int(0, 4096) } : undefined;
      case 'md5':
        return { value: undefined };
      case 'metadata':
        if (isNullable(schema) && rng.chance(0.1)) return { value: null };
        return { value: smallMap(rng, () => wordString(rng, 0, 30)) };
      case 'attributes':
        if (isNullable(schema) && rng.chance(0.1)) return { value: null };
        return { value: smallMap(rng, () => rng.pick([wordString(rng, 0, 20), rng.int(-1000, 1000), rng.chance(0.5), 0.25])) };
      case 'parameters':
      case 'schema':
        return { value: jsonSchemaObject(rng) };
      case 'name':
        if (parent === 'function' || parent === 'json_schema') {
          // tool_choice.function.name only needs to be non-empty; a valid identifier serves both
          return { value: fnName(rng) };
        }
        return undefined;
      case 'url':
        return { value: `https://example.com/${fnName(rng)}.png` };
      case 'mime_type':
        return { value: rng.pick(['text/plain', 'application/json', 'text/markdown', 'application/pdf']) };
      case 'filename':
        return { value: `${wordString(rng, 1, 20)}.txt` };
      case 'max_prompt_tokens':
      case 'max_completion_tokens':
        return { value: rng.chance(0.1) ? null : rng.int(256, 100_000) };
      case 'static': {
        const max = rng.int(100, 4096);
        return { value: { max_chunk_size_tokens: max, chunk_overlap_tokens: rng.int(0, Math.floor(max / 2)) } };
      }
      case 'query':
        if (parent === undefined) {
          const one = () => (rng.chance(0.3) ? rng.pick(TRICKY_QUERIES) : wordString(rng, 1, 60));
          return { value: rng.chance(0.7) ? one() : Array.from({ length: rng.int(1, 10) }, one) };
        }
        return undefined;
      case 'tool_choice': {
        // `function` goes with type function only (the spec's prose; the schema lets it on any type)
        if (rng.chance(0.5)) return { value: rng.pick(['none', 'auto', 'required']) };
        const type = rng.pick(['function', 'code_interpreter', 'file_search']);
        return { value: type === 'function' ? { type, function: { name: fnName(rng) } } : { type } };
      }
      case 'filters':
        return parent === undefined ? { value: validFilter(rng) } : undefined;
      case 'file_search': {
        // tool_resources.file_search: either vector_store_ids or the vector_stores helper, not both
        if (parent !== 'tool_resources') return undefined;
        const props = (walk.normalize(schema).properties ?? {}) as Record<string, Schema>;
        const value: Record<string, unknown> = {};
        if (props.vector_stores && rng.chance(0.4)) {
          value.vector_stores = [walk.generate(props.vector_stores.items as Schema, [...path, 'vector_stores', 0])];
        } else if (rng.chance(0.8)) {
          value.vector_store_ids = some(rng, world.vectorStores, 1);
        }
        return { value };
      }
      default:
        return undefined;
    }
  };
}

/** Cross-field rules of the spec's prose, applied to a generated body (checklist §4.4). */
export function fixValidBody(operationId: string, body: unknown, rng: Rng): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = body as Record<string, unknown>;
  if (operationId === 'createVectorStoreFileBatch' && b.file_ids !== undefined && b.files !== undefined) {
    // `file_ids` and `files` are mutually exclusive
    delete b[rng.chance(0.5) ? 'file_ids' : 'files'];
  }
  const choice = b.tool_choice as { type?: string; function?: { name?: string } } | undefined;
  if (choice && typeof choice === 'object' && choice.type === 'function') {
    // a forced function must be one of the run's tools (the shared assistants have none)
    const fn = ((b.tools ?? []) as Array<{ type?: string; function?: { name?: string } }>).find((t) => t?.type === 'function');
    if (fn?.function?.name) choice.function = { name: fn.function.name };
    else b.tool_choice = 'auto';
  }
  return b;
}
