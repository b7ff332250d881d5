/**
 * Assertions on OpenAI-shaped errors: through an SDK (its error class and the fields it exposes)
 * or on a plain HTTP response (`{"error":{"message","type","param","code"}}`).
 */
import assert from 'node:assert/strict';
import type { ErrorFields, Facade, SdkErrors } from '../sdks.js';
import type { HttpResult } from './http.js';

export interface ExpectedError {
  status: number;
  /** Defaults to `invalid_request_error`. */
  type?: string;
  /** Checked when given (use `null` to require a null param). */
  param?: string | null;
  code?: string | null;
  message?: string | RegExp;
  /** The SDK class the error must be an instance of. */
  errorClass?: keyof SdkErrors;
}

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

function checkMessage(actual: string, expected: string | RegExp | undefined): void {
  if (expected === undefined) return;
  if (typeof expected === 'string') assert.equal(actual, expected);
  else assert.match(actual, expected);
}

function checkWireError(body: unknown, expected: ExpectedError): void {
  assert.ok(body && typeof body === 'object', 'the error body is an object');
  const error = (body as { error?: unknown }).error;
  assert.ok(error && typeof error === 'object', 'the body carries an `error` object');
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
  const e = error as { message: unknown; type: unknown; param: unknown; code: unknown };
  assert.equal(typeof e.message, 'string');
  assert.equal(e.type, expected.type ?? 'invalid_request_error');
  if (expected.param !== undefined) assert.equal(e.param, expected.param);
  if (expected.code !== undefined) assert.equal(e.code, expected.code);
  checkMessage(e.message as string, expected.message);
}

/** Awaits `action`, requires it to fail with this SDK's APIError, and checks every field. */
export async function expectSdkError(
  sdk: Facade,
  action: Promise<unknown>,
  expected: ExpectedError,
): Promise<ErrorFields> {
  let caught: unknown;
  try {
    await action;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected ${sdk.name} to throw a ${expected.status} error`);
  const fields = sdk.errorFields(caught);
  assert.ok(fields, `expected an APIError from ${sdk.name}, got ${String(caught)}`);
  assert.equal(fields.status, expected.status);
  if (expected.errorClass) {
    assert.ok(caught instanceof sdk.errors[expected.errorClass], `expected a ${expected.errorClass}`);
  }
  // The SDK keeps the inner error object as `.error` and copies type/param/code onto itself.
  checkWireError({ error: fields.error }, expected);
  const inner = fields.error as { type: string; param: string | null; code: string | null; message: string };
  assert.equal(fields.type, inner.type);
  assert.equal(fields.param, inner.param);
  assert.equal(fields.code, inner.code);
  assert.equal(fields.message, `${expected.status} ${inner.message}`);
  assert.match(String(fields.requestId), REQUEST_ID);
  return fields;
}

/** Checks a plain HTTP error response: status, JSON content type, request id and body shape. */
export function expectWireError(res: HttpResult, expected: ExpectedError): void {
  assert.equal(res.status, expected.status, `status of ${res.text.slice(0, 200)}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.match(res.headers.get('x-request-id') ?? '', REQUEST_ID);
  checkWireError(res.json, expected);
}
