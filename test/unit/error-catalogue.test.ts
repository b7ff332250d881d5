import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ApiError, Errors, type ErrorName } from '../../src/core/errors.js';

const ERROR_TYPES = ['invalid_request_error', 'authentication_error', 'not_found_error', 'rate_limit_error', 'server_error'];

/**
 * Sample arguments for every catalogue entry; some entries get several so each code they can
 * answer with is built. Typed so that a new entry without samples fails to compile.
 */
const SAMPLES: { [K in ErrorName]: Array<Parameters<(typeof Errors)[K]>> } = {
  missingParameter: [['model']],
  unknownParameter: [['modle']],
  invalidType: [['temperature', 'a decimal', 'a string']],
  invalidValue: [['order', 'up', ['asc', 'desc']]],
  stringTooLong: [['name', 256, 300]],
  stringTooShort: [['file_id', 1, 0]],
  stringPattern: [['tools[0].function.name', 'must be a-z, A-Z, 0-9, or contain underscores and dashes.']],
  numberAboveMax: [
    ['limit', 100, 101, true],
    ['temperature', 2, 2.5, false],
  ],
  numberBelowMin: [
    ['limit', 1, 0, true],
    ['top_p', 0, -1, false],
  ],
  arrayTooLong: [['tools', 128, 129]],
  arrayTooShort: [
    ['content', 1, 0],
    ['ids', 2, 1],
  ],
  tooManyProperties: [['metadata', 16, 17]],
  invalidRequest: [['Something is wrong.'], ['Something is wrong.', 'purpose', 'invalid_value']],
  invalidJson: [[]],
  unsupportedContentType: [['text/plain', 'application/json']],
  notFound: [['assistant', 'asst_x']],
  invalidUrl: [['GET', '/v1/nope']],
  methodNotAllowed: [['PUT', '/v1/assistants', ['GET', 'POST']]],
  missingApiKey: [[]],
  invalidApiKey: [['sk-***abcd']],
  bodyTooLarge: [[1024]],
  fileTooLarge: [[512]],
  headersTooLarge: [[16384]],
  requestTimeout: [[]],
  expectationFailed: [['teapot']],
  rateLimited: [['Rate limit reached for requests.', 1.5]],
  conflict: [['Run is not in a cancellable state.']],
  internal: [['req_123']],
};

function build(): Array<{ name: ErrorName; error: ApiError }> {
  const out: Array<{ name: ErrorName; error: ApiError }> = [];
  for (const name of Object.keys(Errors) as ErrorName[]) {
    const make = Errors[name] as (...args: unknown[]) => ApiError;
    for (const args of SAMPLES[name] as unknown[][]) out.push({ name, error: make(...args) });
  }
  return out;
}

/** Splits the argument text of a call into its top-level arguments, skipping over string literals. */
function topLevelArgs(text: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"' || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (depth === 0) {
        args.push(text.slice(start, i).trim());
        return args.filter((a) => a !== '');
      }
    } else if (c === ',' && depth === 1) {
      args.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  return args;
}

/** Codes that call sites in src/ pass to `Errors.invalidRequest(message, param, code)`. */
async function callSiteCodes(): Promise<Array<{ code: string; file: string }>> {
  const srcDir = new URL('../../src/', import.meta.url).pathname;
  const files = (await readdir(srcDir, { recursive: true })).filter((f) => f.endsWith('.ts'));
  const out: Array<{ code: string; file: string }> = [];
  for (const file of files) {
    const text = await readFile(join(srcDir, file), 'utf8');
    for (const match of text.matchAll(/Errors\.invalidRequest\(/g)) {
      const args = topLevelArgs(text, match.index + match[0].length - 1);
      const code = /^'([a-z0-9_]+)'$/.exec(args[2] ?? '')?.[1];
      if (code) out.push({ code, file });
    }
  }
  return out;
}

function mentions(doc: string, word: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_])${word}([^A-Za-z0-9_]|$)`).test(doc);
}

describe('error catalogue', () => {
  it('has sample arguments for exactly the catalogue entries', () => {
    assert.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(Errors).sort());
  });

  for (const { name, error } of build()) {
    it(`${name}${error.code ? ` (${error.code})` : ''} builds an ApiError with an HTTP error status and the OpenAI wire shape`, () => {
      assert.ok(error instanceof ApiError);
      assert.ok(error.status >= 400 && error.status <= 599, `status ${error.status}`);
      assert.ok(ERROR_TYPES.includes(error.type), `type ${error.type}`);
      const wire = error.toWire();
      assert.deepEqual(Object.keys(wire), ['error']);
      assert.deepEqual(Object.keys(wire.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(typeof wire.error.message, 'string');
      assert.ok(wire.error.message.length > 0);
      assert.equal(wire.error.type, error.type);
      assert.ok(wire.error.param === null || typeof wire.error.param === 'string');
      assert.ok(wire.error.code === null || typeof wire.error.code === 'string');
      assert.deepEqual(JSON.parse(JSON.stringify(wire)), wire, 'survives JSON unchanged');
    });
  }
});

describe('docs/errors.md', () => {
  it('documents every catalogue entry and every code', async () => {
    const path = new URL('../../docs/errors.md', import.meta.url);
    let doc: string;
    try {
      doc = await readFile(path, 'utf8');
    } catch {
      assert.fail(`docs/errors.md is missing: it must document every entry of Errors in src/core/errors.ts`);
    }
    const names = Object.keys(Errors).filter((name) => !mentions(doc, name));
    const catalogueCodes = build().map(({ error }) => error.code);
    const sites = await callSiteCodes();
    assert.ok(sites.length > 0, 'found no codes passed to Errors.invalidRequest in src/');
    const codes = [...new Set([...catalogueCodes, ...sites.map((s) => s.code)].filter((c): c is string => c !== null))];
    const undocumentedCodes = codes.filter((code) => !mentions(doc, code));
    assert.deepEqual(
      { names, codes: undocumentedCodes },
      { names: [], codes: [] },
      'catalogue entries / codes missing from docs/errors.md',
    );
  });
});
