import { Errors } from './errors.js';

/**
 * A small validator combinator set that answers with OpenAI's own error wording and names the
 * offending parameter by its path (`messages[0].content[1].text`). Each validator takes a value
 * and its path and returns the value typed, or throws an ApiError.
 */
export type Validator<T> = (value: unknown, path: string) => T;
export type Infer<V> = V extends Validator<infer T> ? T : never;

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      // JSON has no Infinity, but 1e309 parses to it
      if (!Number.isFinite(value)) return 'a number too large to represent';
      return Number.isInteger(value) ? 'an integer' : 'a decimal';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

export interface StringRules {
  min?: number;
  max?: number;
  pattern?: RegExp;
  patternRule?: string;
  /** Let NUL (U+0000) through, for a value the route sanitizes itself (file names). */
  allowNul?: boolean;
}

/**
 * A string parameter. NUL (U+0000) is refused unless `allowNul`: PostgreSQL text cannot hold it,
 * so SQLite would store what PostgreSQL answers with a 500; refusing it keeps both alike.
 */
export function str(rules: StringRules = {}): Validator<string> {
  return (v, path) => {
    if (typeof v !== 'string') throw Errors.invalidType(path, 'a string', describeType(v));
    if (rules.max !== undefined && v.length > rules.max) throw Errors.stringTooLong(path, rules.max, v.length);
    if (rules.min !== undefined && v.length < rules.min) throw Errors.stringTooShort(path, rules.min, v.length);
    if (!rules.allowNul && v.includes('\u0000')) throw Errors.stringPattern(path, 'must not contain the NUL character (U+0000).');
    if (rules.pattern && !rules.pattern.test(v)) throw Errors.stringPattern(path, rules.patternRule ?? 'invalid format.');
    return v;
  };
}

export interface NumberRules {
  min?: number;
  max?: number;
}

export function num(rules: NumberRules = {}): Validator<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw Errors.invalidType(path, 'a decimal', describeType(v));
    return checkRange(v, path, rules, false);
  };
}

export function int(rules: NumberRules = {}): Validator<number> {
  return (v, path) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) throw Errors.invalidType(path, 'an integer', describeType(v));
    return checkRange(v, path, rules, true);
  };
}

function checkRange(v: number, path: string, rules: NumberRules, integer: boolean): number {
  if (rules.max !== undefined && v > rules.max) throw Errors.numberAboveMax(path, rules.max, v, integer);
  if (rules.min !== undefined && v < rules.min) throw Errors.numberBelowMin(path, rules.min, v, integer);
  return v;
}

export const bool: Validator<boolean> = (v, path) => {
  if (typeof v !== 'boolean') throw Errors.invalidType(path, 'a boolean', describeType(v));
  return v;
};

export function oneOf<const T extends readonly string[]>(values: T): Validator<T[number]> {
  return (v, path) => {
    if (typeof v !== 'string') throw Errors.invalidType(path, 'a string', describeType(v));
    if (!values.includes(v)) throw Errors.invalidValue(path, v, values);
    return v as T[number];
  };
}

export function literal<const T extends string>(value: T): Validator<T> {
  return oneOf([value] as const) as Validator<T>;
}

export function nullable<T>(inner: Validator<T>): Validator<T | null> {
  return (v, path) => (v === null ? null : inner(v, path));
}

export interface ArrayRules {
  min?: number;
  max?: number;
}

export function arr<T>(item: Validator<T>, rules: ArrayRules = {}): Validator<T[]> {
  return (v, path) => {
    if (!Array.isArray(v)) throw Errors.invalidType(path, 'an array', describeType(v));
    if (rules.max !== undefined && v.length > rules.max) throw Errors.arrayTooLong(path, rules.max, v.length);
    if (rules.min !== undefined && v.length < rules.min) throw Errors.arrayTooShort(path, rules.min, v.length);
    return v.map((x, i) => item(x, `${path}[${i}]`));
  };
}

type Shape = Record<string, Validator<unknown>>;
export type ObjectOf<S extends Shape, R extends keyof S> = { [K in R]: Infer<S[K]> } & {
  [K in Exclude<keyof S, R>]?: Infer<S[K]>;
};

export interface ObjectOptions<R> {
  required?: readonly R[];
  /** Unknown keys are rejected unless this is true (request bodies are `additionalProperties: false`). */
  passthrough?: boolean;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object with known keys. Keys whose value is `undefined` are treated as absent. */
export function obj<S extends Shape, R extends keyof S & string = never>(
  shape: S,
  options: ObjectOptions<R> = {},
): Validator<ObjectOf<S, R>> {
  const required = options.required ?? [];
  return (v, path) => {
    if (!isPlainObject(v)) throw Errors.invalidType(path || 'body', 'an object', describeType(v));
    for (const key of required) {
      if (v[key] === undefined) throw Errors.missingParameter(join(path, key));
    }
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      const value = v[key];
      const check = Object.prototype.hasOwnProperty.call(shape, key) ? shape[key] : undefined;
      if (!check) {
        if (options.passthrough) continue;
        throw Errors.unknownParameter(join(path, key));
      }
      if (value === undefined) continue;
      out[key] = check(value, join(path, key));
    }
    return out as ObjectOf<S, R>;
  };
}

type Tagged<V> = { [K in keyof V]: Infer<V[K]> & { type: K } }[keyof V];

/** A union discriminated by its `type` key (tools, content parts, chunking strategies). */
export function tagged<V extends Record<string, Validator<unknown>>>(
  variants: V,
): Validator<Tagged<V>> {
  const names = Object.keys(variants);
  return (v, path) => {
    if (!isPlainObject(v)) throw Errors.invalidType(path, 'an object', describeType(v));
    if (v.type === undefined) throw Errors.missingParameter(join(path, 'type'));
    const type = v.type;
    if (typeof type !== 'string' || !names.includes(type)) throw Errors.invalidValue(join(path, 'type'), type, names);
    return variants[type](v, path) as Tagged<V>;
  };
}

/** The first validator whose JS type matches decides (e.g. `string | array` message content). */
export function either<A, B>(
  a: { is: (v: unknown) => boolean; check: Validator<A> },
  b: { is: (v: unknown) => boolean; check: Validator<B> },
  expected: string,
): Validator<A | B> {
  return (v, path) => {
    if (a.is(v)) return a.check(v, path);
    if (b.is(v)) return b.check(v, path);
    throw Errors.invalidType(path, expected, describeType(v));
  };
}

export type Metadata = Record<string, string>;

/** Metadata: at most 16 string pairs, keys up to 64 characters, values up to 512. */
export const metadata: Validator<Metadata> = (v, path) => {
  if (!isPlainObject(v)) throw Errors.invalidType(path, 'an object', describeType(v));
  const keys = Object.keys(v);
  if (keys.length > 16) throw Errors.tooManyProperties(path, 16, keys.length);
  const out: Metadata = {};
  for (const key of keys) {
    if (key.length > 64) throw Errors.stringTooLong(`${path}.${key.slice(0, 80)}`, 64, key.length);
    const value = v[key];
    if (typeof value !== 'string') throw Errors.invalidType(`${path}.${key}`, 'a string', describeType(value));
    if (value.length > 512) throw Errors.stringTooLong(`${path}.${key}`, 512, value.length);
    out[key] = value;
  }
  return out;
};

/** Validate a request body: an absent body counts as `{}`. */
export function parseBody<T>(validator: Validator<T>, body: unknown): T {
  return validator(body === undefined || body === null ? {} : body, '');
}
