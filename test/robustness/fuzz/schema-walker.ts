/**
 * Generates instances of the spec's request schemas: follows `$ref` and `$recursiveRef`, merges
 * `allOf`, picks a branch of `oneOf`/`anyOf`, honours `enum`, `nullable`, `type` (also as a list),
 * `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`, `required`,
 * `additionalProperties`, `maxProperties` and `propertyNames`.
 *
 * What the schema leaves to its prose (metadata limits, name patterns, ids that must exist) comes
 * from a `hint` callback, which may answer any location with a value of its own.
 */
import type { Rng } from './prng.js';
import { resolveRef, type OpenApi, type Schema } from './spec.js';

export type PathSeg = string | number;

export interface WalkContext {
  spec: OpenApi;
  rng: Rng;
  /** Overrides the generated value at `path` (return undefined to let the walker generate). */
  hint?: (path: readonly PathSeg[], schema: Schema, walk: Walker) => { value: unknown } | undefined;
  /** Nesting depth after which only required properties are generated and recursion stops. */
  maxDepth?: number;
  /** Probability of including an optional property at depth 0 (halved at each level). */
  optionalRate?: number;
  /** Probability of a string or array (of at most 200 items) exactly at its maximum size. */
  atLimitRate?: number;
}

export interface Walker {
  generate(schema: Schema, path?: readonly PathSeg[]): unknown;
  /** The schema with `$ref`s followed and `allOf` merged. */
  normalize(schema: Schema): Schema;
  /** Every concrete (non-null) alternative of a schema: the branches of oneOf/anyOf, flattened. */
  alternatives(schema: Schema): Schema[];
  ctx: WalkContext;
}

const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'fuzz', 'data', 'report', 'q3', 'hello', 'world', 'naïve', 'café', '数据', 'مرحبا', '🙂', 'Ωmega', 'x'];

/** A short, valid, human-ish string of length within [min, max]. */
export function wordString(rng: Rng, min = 0, max = 40): string {
  const target = Math.max(min, Math.min(max, rng.int(min, Math.min(max, min + 24))));
  let s = '';
  while (s.length < target) s += (s ? ' ' : '') + rng.pick(WORDS);
  if (s.length > max) s = s.slice(0, max);
  // a cut may split a surrogate pair; keep the string well-formed
  if (/[\ud800-\udbff]$/.test(s)) s = s.slice(0, -1);
  while (s.length < min) s += 'x';
  return s;
}

export function createWalker(ctx: WalkContext): Walker {
  const { spec, rng } = ctx;
  const maxDepth = ctx.maxDepth ?? 5;
  const optionalRate = ctx.optionalRate ?? 0.6;
  const atLimitRate = ctx.atLimitRate ?? 0.03;
  /** `$recursiveAnchor` schemas entered, innermost last. */
  const anchors: Schema[] = [];
  /** The last `$recursiveAnchor` schema seen, for `$recursiveRef` outside generation (schemaAt). */
  let lastAnchor: Schema | undefined;

  function deref(s: Schema): Schema {
    let cur = s;
    for (let i = 0; i < 32; i++) {
      if (typeof cur.$ref === 'string') {
        const { $ref, ...rest } = cur;
        const target = resolveRef(spec, $ref);
        cur = Object.keys(rest).length ? { ...target, ...stripDocs(rest) } : target;
      } else if (typeof cur.$recursiveRef === 'string') {
        const target = anchors[0] ?? lastAnchor;
        if (!target) throw new Error('$recursiveRef without an enclosing $recursiveAnchor');
        cur = target;
      } else {
        if (cur.$recursiveAnchor === true) lastAnchor = cur;
        return cur;
      }
    }
    throw new Error('reference cycle');
  }

  function normalize(s: Schema): Schema {
    let cur = deref(s);
    if (Array.isArray(cur.allOf)) {
      const { allOf, ...rest } = cur;
      let merged: Schema = { ...rest };
      for (const part of allOf as Schema[]) merged = mergeSchemas(merged, normalize(part));
      cur = merged;
    }
    return cur;
  }

  function alternatives(s: Schema): Schema[] {
    const n = normalize(s);
    const branches = (n.oneOf ?? n.anyOf) as Schema[] | undefined;
    if (!branches) return isNullOnly(n) ? [] : [n];
    const { oneOf: _o, anyOf: _a, discriminator: _d, ...shared } = n;
    return branches.flatMap((b) => alternatives(mergeSchemas(shared, b)));
  }

  function isRecursive(s: Schema): boolean {
    return typeof s.$recursiveRef === 'string';
  }

  function generate(schema: Schema, path: readonly PathSeg[] = []): unknown {
    const raw = deref(schema);
    const entered = raw.$recursiveAnchor === true;
    if (entered) anchors.push(raw);
    try {
      return generateInner(schema, path);
    } finally {
      if (entered) anchors.pop();
    }
  }

  function generateInner(schema: Schema, path: readonly PathSeg[]): unknown {
    const s = normalize(schema);
    const hinted = ctx.hint?.(path, s, walker);
    if (hinted) return hinted.value;
    const depth = path.filter((p) => typeof p === 'string').length;

    const branches = (s.oneOf ?? s.anyOf) as Schema[] | undefined;
    if (branches) {
      const { oneOf: _o, anyOf: _a, discriminator: _d, ...shared } = s;
      let options = branches.filter((b) => !isNullOnly(normalize(b)));
      if (options.length === 0 || (options.length < branches.length && rng.chance(0.08))) return null;
      if (depth >= maxDepth) {
        const flat = options.filter((b) => !isRecursive(b));
        if (flat.length) options = flat;
      }
      const branch = rng.pick(options);
      return generate(mergeSchemas(shared, isRecursive(branch) ? deref(branch) : branch), path);
    }

    if (s.nullable === true && rng.chance(0.08)) return null;
    if (Array.isArray(s.enum)) return rng.pick(s.enum as unknown[]);

    let type = s.type as string | string[] | undefined;
    if (Array.isArray(type)) {
      const concrete = type.filter((t) => t !== 'null');
      if (concrete.length < type.length && rng.chance(0.08)) return null;
      type = rng.pick(concrete);
    }
    if (type === undefined) type = s.properties || s.additionalProperties ? 'object' : undefined;

    switch (type) {
      case 'null':
        return null;
      case 'boolean':
        return rng.chance(0.5);
      case 'integer':
      case 'number': {
        const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : 0;
        let max = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : min + 1000;
        if (max < min) max = min;
        const edge = rng.next();
        if (type === 'integer') return edge < 0.15 ? min : edge < 0.3 ? max : rng.int(min, max);
        if (edge < 0.15) return min;
        if (edge < 0.3) return max;
        return Math.round((min + rng.next() * (max - min)) * 1000) / 1000;
      }
      case 'string': {
        if (s.format === 'uri') return `https://example.com/${wordString(rng, 1, 12).replace(/[^a-z0-9]/gi, '') || 'x'}.png`;
        const min = typeof s.minLength === 'number' ? s.minLength : 0;
        const max = typeof s.maxLength === 'number' ? s.maxLength : 64;
        // now and then exactly at the limit (256,000 characters of instructions, say)
        if (typeof s.maxLength === 'number' && rng.chance(atLimitRate)) return fillTo(rng, s.maxLength);
        return wordString(rng, min, max);
      }
      case 'array': {
        const min = typeof s.minItems === 'number' ? s.minItems : 0;
        const atLimit = typeof s.maxItems === 'number' && s.maxItems <= 200 && depth < maxDepth && rng.chance(atLimitRate);
        const max = atLimit ? (s.maxItems as number) : Math.min(typeof s.maxItems === 'number' ? s.maxItems : 4, min + (depth >= maxDepth ? 0 : 3));
        const n = atLimit ? max : rng.int(min, Math.max(min, max));
        const items = (s.items as Schema | undefined) ?? {};
        return Array.from({ length: n }, (_, i) => generate(items, [...path, i]));
      }
      case 'object': {
        const out: Record<string, unknown> = {};
        const props = (s.properties as Record<string, Schema> | undefined) ?? {};
        const required = new Set((s.required as string[] | undefined) ?? []);
        const rate = depth >= maxDepth ? 0 : optionalRate / 2 ** depth;
        for (const [key, prop] of Object.entries(props)) {
          if (!required.has(key) && !rng.chance(rate)) continue;
          const v = generate(prop, [...path, key]);
          if (v !== undefined) out[key] = v;
        }
        const extra = s.additionalProperties;
        if (extra && Object.keys(props).length === 0 && depth < maxDepth) {
          const maxProps = typeof s.maxProperties === 'number' ? s.maxProperties : 4;
          const n = rng.int(0, Math.min(3, maxProps));
          const names = normalize((s.propertyNames as Schema | undefined) ?? { type: 'string', maxLength: 64 });
          for (let i = 0; i < n; i++) {
            const key = wordString(rng, 1, Math.min(20, typeof names.maxLength === 'number' ? names.maxLength : 20));
            out[key] = extra === true ? rng.pick([1, 'v', true, null]) : generate(extra as Schema, [...path, key]);
          }
        }
        return out;
      }
      default:
        return rng.pick([1, 'v', true]);
    }
  }

  const walker: Walker = { generate, normalize, alternatives, ctx };
  return walker;
}

/** A string of exactly `n` UTF-16 code units, of mixed scripts. */
function fillTo(rng: Rng, n: number): string {
  const unit = rng.pick(['lorem ipsum ', 'données ', '数据分析 ', 'x']);
  return unit.repeat(Math.ceil(n / unit.length)).slice(0, n);
}

function stripDocs(s: Schema): Schema {
  const { description: _d, example: _e, title: _t, 'x-oaiMeta': _m, 'x-oaiTypeLabel': _l, ...rest } = s;
  return rest;
}

function isNullOnly(s: Schema): boolean {
  return s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null');
}

/** `allOf` merging: properties and required lists are united; other keywords of `b` win. */
export function mergeSchemas(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a, ...b };
  if (a.properties || b.properties) {
    out.properties = { ...(a.properties as object | undefined), ...(b.properties as object | undefined) };
  }
  if (a.required || b.required) {
    out.required = [...new Set([...((a.required as string[]) ?? []), ...((b.required as string[]) ?? [])])];
  }
  if (a.nullable === true || b.nullable === true) out.nullable = true;
  return out;
}
