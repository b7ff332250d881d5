import { Errors } from '../core/errors.js';

/**
 * How deeply objects and arrays may nest in a JSON body. Real bodies stay far below (a function's
 * JSON Schema is a handful of levels); past a few thousand, storing or answering with the value
 * (JSON.stringify, the validators) overflows the stack, which answered 500.
 */
export const MAX_JSON_DEPTH = 256;

/** Parses a JSON request body (empty: undefined); a body nested too deeply is a 400. */
export function parseJsonBody(raw: string): unknown {
  const text = raw.trim();
  if (text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw Errors.invalidJson();
  }
  if (depthExceeds(value, MAX_JSON_DEPTH)) {
    throw Errors.invalidRequest(
      `The JSON body is nested too deeply: objects and arrays may nest at most ${MAX_JSON_DEPTH} levels.`,
      null,
      'invalid_json',
    );
  }
  return value;
}

/** Whether objects and arrays in `value` nest deeper than `max` (iterative: no recursion to overflow). */
export function depthExceeds(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
