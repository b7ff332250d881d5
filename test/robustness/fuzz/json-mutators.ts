/**
 * Mutators that turn a valid JSON body into an invalid (or at least hostile) one: wrong types,
 * dropped required keys, unknown keys, values beyond the schema's limits, huge strings, deep
 * nesting, odd numbers and odd unicode (as raw JSON text and raw bytes), duplicate keys, arrays
 * where objects go and the reverse, and whole bodies that are not a JSON object at all.
 */
import type { Rng } from './prng.js';
import { getAt, locations, paramName, setAt, Template, type Path } from './payload.js';
import type { Walker } from './schema-walker.js';
import type { Schema } from './spec.js';

export interface BodyMutation {
  name: string;
  bytes: Buffer;
}

/** The (normalized) schema at `path` inside `root`, through every oneOf/anyOf alternative. */
export function schemaAt(walker: Walker, root: Schema, path: Path): Schema | undefined {
  let cur: Schema | undefined = root;
  for (const seg of path) {
    if (!cur) return undefined;
    const alts = walker.alternatives(cur);
    let next: Schema | undefined;
    for (const alt of alts) {
      if (typeof seg === 'number' && alt.items) next = alt.items as Schema;
      else if (typeof seg === 'string') {
        const props = alt.properties as Record<string, Schema> | undefined;
        if (props?.[seg]) next = props[seg];
        else if (alt.additionalProperties && typeof alt.additionalProperties === 'object') next = alt.additionalProperties as Schema;
      }
      if (next) break;
    }
    cur = next;
  }
  return cur;
}

const ID_LIKE = /^(asst_|thread_|msg_|run_|step_|file-|vs_|vsfb_|upload_|part_|call_)/;

const WRONG_TYPES: unknown[] = [0, -1, 1.5, 'str', '', true, false, null, [], [1, 'a'], {}, { a: 1 }];

function typeOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Raw JSON numbers that are legal JSON but odd, and some that are not legal JSON at all. */
export const ODD_NUMBERS = [
  '1e309', '-1e309', '-0', '0.0', '-0.0', '1e-400', '4.9e-324', '123456789012345678901234567890',
  '9007199254740993', '-9007199254740993', '1.0000000000000002', '1E2', '100e-2', '2.0', '1e1000000',
  // not JSON
  'NaN', 'Infinity', '-Infinity', '0x10', '01', '+1', '.5', '1.', '1e', '--1',
];

/** Raw JSON string literals with odd unicode (all legal JSON). */
export const ODD_STRINGS = [
  '"\\ud800"', '"\\udfff"', '"a\\ud83d"', '"\\udc00\\ud800"', '"\\u0000"', '"a\\u0000b"', '"\\u202eevil\\u202c"',
  '"\\u200f\\u200e\\u061c"', '"\\ufeffbom"', '"🙂👍🏽🏳️‍🌈"', '"Z̵̢̛a̶l̷g̸o̸"', '"\\u0085\\u2028\\u2029"', '"\\uffff\\ufffe"',
  '"\\u001b[31mred"', '"\\r\\n\\t\\b\\f"', '"𝕦𝕟𝕚𝕔𝕠𝕕𝕖"', '"מִבְחָן"', '"\\\\"', '"%00%ff"', '"\'; DROP TABLE assistants; --"',
  '"${jndi:ldap://x}"', '"{{7*7}}"', '"\\u00e9\\u0065\\u0301"', '"\\uDBFF\\uDFFF"',
];

/** Raw bytes inside a JSON string literal that are not valid UTF-8 (overlong, surrogates, truncated). */
export const BAD_UTF8 = [
  [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xf0, 0x80, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xff, 0xfe], [0xe2, 0x82],
  [0xf8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xc3], [0xf4, 0x90, 0x80, 0x80],
].map((b) => Buffer.concat([Buffer.from('"a'), Buffer.from(b), Buffer.from('b"')]));

/** Control characters raw inside a string literal: not legal JSON. */
const RAW_CONTROL = ['"a\u0000b"', '"tab\there"', '"new\nline"', '"\u001f"'];

function deepNesting(rng: Rng, n: number): string {
  return rng.chance(0.5) ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
}

function bigObject(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
}

/**
 * One mutation of `valid` (a body conforming to `schema`). `hugeBytes` bounds the biggest strings
 * (kept above the server's body limit now and then, to see a 413).
 */
export function mutateBody(rng: Rng, walker: Walker, schema: Schema, valid: unknown, hugeBytes: number): BodyMutation {
  const t = new Template();
  const locs = locations(valid);
  const at = rng.pick(locs);
  const where = paramName(at) || '(root)';
  const sub = schemaAt(walker, schema, at);
  const alts = sub ? walker.alternatives(sub) : [];
  const current = getAt(valid, at);
  const json = (value: unknown, name: string): BodyMutation => ({ name, bytes: t.render(value) });
  const objectLocs = locs.filter((p) => typeOf(getAt(valid, p)) === 'object');

  const kind = rng.weighted<string>([
    [10, 'wrong-type'],
    [6, 'drop-key'],
    [6, 'unknown-key'],
    [6, 'odd-number'],
    [8, 'limits'],
    [6, 'odd-string'],
    [3, 'bad-utf8'],
    [3, 'huge-string'],
    [3, 'deep-nesting'],
    [3, 'duplicate-key'],
    [4, 'array-object-swap'],
    [3, 'enum'],
    [2, 'many-keys'],
    [6, 'whole-body'],
    [2, 'raw-control'],
    [5, 'unknown-id'],
  ]);

  switch (kind) {
    case 'wrong-type': {
      const options = WRONG_TYPES.filter((v) => typeOf(v) !== typeOf(current));
      const v = rng.pick(options);
      return json(setAt(valid, at, v), `wrong-type ${where}=${JSON.stringify(v)}`);
    }
    case 'drop-key': {
      const objs = objectLocs.filter((p) => Object.keys(getAt(valid, p) as object).length > 0);
      if (!objs.length) return json(setAt(valid, at, undefined), `drop ${where}`);
      const obj = rng.pick(objs);
      const key = rng.pick(Object.keys(getAt(valid, obj) as object));
      return json(setAt(valid, [...obj, key], undefined, true), `drop-key ${paramName([...obj, key])}`);
    }
    case 'unknown-key': {
      const obj = objectLocs.length ? rng.pick(objectLocs) : [];
      const key = rng.pick(['unknown_param', '__proto__', 'constructor', 'prototype', '', ' ', 'ключ', 'a.b', '$ref', 'toString', 'hasOwnProperty', 'x'.repeat(300)]);
      const base = (getAt(valid, obj) ?? {}) as Record<string, unknown>;
      // __proto__ as an own key only survives as raw text
      const k = t.hole(JSON.stringify(key));
      return json(setAt(valid, obj, { ...base, [k]: rng.pick(WRONG_TYPES) }), `unknown-key ${paramName(obj) || '(root)'}.${JSON.stringify(key).slice(0, 20)}`);
    }
    case 'odd-number': {
      const raw = rng.pick(ODD_NUMBERS);
      return json(setAt(valid, at, t.hole(raw)), `odd-number ${where}=${raw}`);
    }
    case 'limits': {
      for (const s of rng.shuffle([...alts])) {
        if (typeof s.maxLength === 'number') return json(setAt(valid, at, 'y'.repeat(s.maxLength + 1)), `string-over-max ${where} (${s.maxLength}+1)`);
        if (typeof s.minLength === 'number' && s.minLength > 0) return json(setAt(valid, at, ''), `string-under-min ${where}`);
        if (typeof s.maximum === 'number') return json(setAt(valid, at, s.type === 'integer' && rng.chance(0.5) ? s.maximum + 1 : s.maximum + 0.5), `above-max ${where}`);
        if (typeof s.minimum === 'number') return json(setAt(valid, at, rng.pick([s.minimum - 1, s.minimum - 0.5, -1e18])), `below-min ${where}`);
        if (typeof s.maxItems === 'number' && s.maxItems <= 2500) {
          const item = Array.isArray(current) && current.length ? current[0] : 'x';
          return json(setAt(valid, at, Array.from({ length: s.maxItems + 1 }, () => item)), `array-over-max ${where} (${s.maxItems}+1)`);
        }
        if (typeof s.minItems === 'number' && s.minItems > 0) return json(setAt(valid, at, []), `array-under-min ${where}`);
        if (s.type === 'integer') return json(setAt(valid, at, rng.pick([1.5, 2 ** 53 + 2, -(2 ** 63), 1e300])), `non-integer ${where}`);
      }
      // metadata-like maps: 17 pairs, a 65-character key, a 513-character value
      const obj = objectLocs.length ? rng.pick(objectLocs) : [];
      const variant = rng.pick([bigObject(17), { ['k'.repeat(65)]: 'v' }, { k: 'v'.repeat(513) }]);
      return json(setAt(valid, [...obj, 'metadata'], variant), `metadata-limits ${paramName([...obj, 'metadata'])}`);
    }
    case 'odd-string': {
      const raw = rng.pick(ODD_STRINGS);
      const target = rng.chance(0.8) ? at : [];
      if (rng.chance(0.25) && objectLocs.length) {
        const obj = rng.pick(objectLocs);
        const base = getAt(valid, obj) as Record<string, unknown>;
        return json(setAt(valid, obj, { ...base, [t.hole(raw)]: 'v' }), `odd-key ${paramName(obj) || '(root)'} ${raw}`);
      }
      return json(setAt(valid, target, t.hole(raw)), `odd-string ${paramName(target) || '(root)'}=${raw}`);
    }
    case 'bad-utf8': {
      const raw = rng.pick(BAD_UTF8);
      return json(setAt(valid, at, t.hole(raw)), `bad-utf8 ${where}=${raw.toString('hex')}`);
    }
    case 'raw-control': {
      const raw = rng.pick(RAW_CONTROL);
      return json(setAt(valid, at, t.hole(raw)), `raw-control ${where}=${JSON.stringify(raw)}`);
    }
    case 'huge-string': {
      const n = rng.pick([300_000, 1_000_000, hugeBytes]);
      const ch = rng.pick(['x', 'é', '🙂', '\\u0000', '"']);
      const raw = ch === '\\u0000' ? `"${'\\u0000'.repeat(n / 6)}"` : ch === '"' ? `"${'\\"'.repeat(n / 2)}"` : JSON.stringify(ch.repeat(n / Buffer.byteLength(ch)));
      return json(setAt(valid, at, t.hole(raw)), `huge-string ${where} (${n} bytes of ${JSON.stringify(ch)})`);
    }
    case 'deep-nesting': {
      const n = rng.pick([64, 257, 1000, 10_000, 100_000]);
      return json(setAt(valid, at, t.hole(deepNesting(rng, n))), `deep-nesting ${where} (${n})`);
    }
    case 'duplicate-key': {
      const objs = objectLocs.filter((p) => Object.keys(getAt(valid, p) as object).length > 0);
      if (!objs.length) return { name: 'duplicate-key (root)', bytes: Buffer.from('{"a":1,"a":2}') };
      const obj = rng.pick(objs);
      const base = getAt(valid, obj) as Record<string, unknown>;
      const key = rng.pick(Object.keys(base));
      const dup = rng.pick(WRONG_TYPES);
      const first = rng.chance(0.5);
      // the key twice: the valid value and a wrong one, in either order
      const entries = Object.entries(base).flatMap(([k, v]): Array<[string, unknown]> =>
        k === key ? (first ? [[k, v], [t.hole(JSON.stringify(k)), dup]] : [[t.hole(JSON.stringify(k)), dup], [k, v]]) : [[k, v]],
      );
      return json(setAt(valid, obj, Object.fromEntries(entries)), `duplicate-key ${paramName([...obj, key])} (${first ? 'wrong last' : 'wrong first'})`);
    }
    case 'array-object-swap': {
      if (Array.isArray(current)) return json(setAt(valid, at, Object.fromEntries(current.map((v, i) => [String(i), v]))), `object-for-array ${where}`);
      if (current && typeof current === 'object') return json(setAt(valid, at, rng.chance(0.5) ? [current] : Object.values(current)), `array-for-object ${where}`);
      return json(setAt(valid, at, [current]), `array-for-scalar ${where}`);
    }
    case 'enum': {
      const withEnum = locs.map((p) => ({ p, s: schemaAt(walker, schema, p) })).filter(({ s }) => s && walker.alternatives(s).some((a) => Array.isArray(a.enum)));
      if (!withEnum.length) return json(setAt(valid, at, 'not-a-valid-value'), `enum? ${where}`);
      const { p } = rng.pick(withEnum);
      const v = getAt(valid, p);
      const bad = typeof v === 'string' ? rng.pick([v.toUpperCase() + '_', ` ${v}`, `${v}\u0000`, 'not-in-enum', '']) : 'not-in-enum';
      return json(setAt(valid, p, bad), `enum ${paramName(p)}=${JSON.stringify(bad)}`);
    }
    case 'many-keys': {
      const obj = objectLocs.length ? rng.pick(objectLocs) : [];
      const n = rng.pick([17, 1000, 50_000]);
      return json(setAt(valid, obj, { ...(getAt(valid, obj) as object), ...bigObject(n) }), `many-keys ${paramName(obj) || '(root)'} (+${n})`);
    }
    case 'unknown-id': {
      // an id in the body (assistant_id, file_ids[0], …): unknown, of another kind, or altered
      const idLocs = locs.filter((p) => typeof getAt(valid, p) === 'string' && ID_LIKE.test(getAt(valid, p) as string));
      if (!idLocs.length) return json(setAt(valid, at, `asst_${'x'.repeat(24)}`), `unknown-id? ${where}`);
      const p = rng.pick(idLocs);
      const id = getAt(valid, p) as string;
      const prefixes = ['asst_', 'thread_', 'msg_', 'run_', 'step_', 'file-', 'vs_', 'vsfb_', 'upload_', 'part_', 'call_'];
      const other = rng.pick([
        `${id.slice(0, id.indexOf(id.includes('-') ? '-' : '_') + 1)}${'Z'.repeat(24)}`,
        `${rng.pick(prefixes)}${id.replace(ID_LIKE, '')}`,
        `${id}x`,
        id.toUpperCase(),
        ` ${id}`,
        id.slice(0, -1),
      ]);
      return json(setAt(valid, p, other), `unknown-id ${paramName(p)}=${other}`);
    }
    default:
      return wholeBody(rng, t.render(valid));
  }
}

/** Bodies that are not a JSON object: other JSON values, broken JSON, other encodings. */
export function wholeBody(rng: Rng, valid: Buffer): BodyMutation {
  const text = valid.toString('utf8');
  const cut = Math.max(1, rng.int(1, Math.max(1, valid.length - 1)));
  const options: Array<[string, () => Buffer]> = [
    ['array', () => Buffer.from('[]')],
    ['array-of-body', () => Buffer.concat([Buffer.from('['), valid, Buffer.from(']')])],
    ['null', () => Buffer.from('null')],
    ['string', () => Buffer.from('"hello"')],
    ['number', () => Buffer.from('42')],
    ['true', () => Buffer.from('true')],
    ['empty', () => Buffer.alloc(0)],
    ['whitespace', () => Buffer.from(' \n\t ')],
    ['truncated', () => valid.subarray(0, cut)],
    ['trailing-garbage', () => Buffer.concat([valid, Buffer.from(rng.pick(['x', '}', ',', '\u0000', '{}', ' // c']))])],
    ['two-values', () => Buffer.concat([valid, valid])],
    ['bom', () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), valid])],
    ['comment', () => Buffer.from(`/* c */${text}`)],
    ['single-quotes', () => Buffer.from(text.replace(/"/g, "'"))],
    ['trailing-comma', () => Buffer.from(text.replace(/}$/, ',}'))],
    ['utf16le', () => Buffer.from(text, 'utf16le')],
    ['nul-bytes', () => Buffer.concat([valid.subarray(0, cut), Buffer.alloc(4), valid.subarray(cut)])],
    ['random-bytes', () => Buffer.from(Array.from({ length: rng.int(1, 200) }, () => rng.int(0, 255)))],
    ['deep-array', () => Buffer.from('['.repeat(50_000) + ']'.repeat(50_000))],
    ['deep-object', () => Buffer.from('{"a":'.repeat(20_000) + '{}' + '}'.repeat(20_000))],
    ['unclosed-deep', () => Buffer.from('['.repeat(100_000))],
  ];
  const [name, make] = rng.pick(options);
  return { name: `body:${name}`, bytes: make() };
}
