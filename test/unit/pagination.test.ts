import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListQuery, queryString } from '../../src/api/pagination.js';
import { ApiError } from '../../src/core/errors.js';

function rejects(fn: () => unknown, expected: { message: string; param: string; code: string }): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
    assert.equal(err.status, 400);
    assert.deepEqual(err.toWire(), { error: { type: 'invalid_request_error', ...expected } });
    return true;
  });
}

describe('parseListQuery', () => {
  it('defaults to 20 items, newest first', () => {
    assert.deepEqual(parseListQuery({}), { limit: 20, order: 'desc' });
    assert.deepEqual(parseListQuery(undefined), { limit: 20, order: 'desc' });
    assert.deepEqual(parseListQuery(null), { limit: 20, order: 'desc' });
  });

  it('uses a route-specific default limit', () => {
    assert.deepEqual(parseListQuery({}, { defaultLimit: 10_000, maxLimit: 10_000 }), { limit: 10_000, order: 'desc' });
  });

  it('accepts limits from 1 to 100', () => {
    assert.equal(parseListQuery({ limit: '1' }).limit, 1);
    assert.equal(parseListQuery({ limit: '100' }).limit, 100);
  });

  it('rejects a limit below 1', () => {
    rejects(() => parseListQuery({ limit: '0' }), {
      message: "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got 0 instead.",
      param: 'limit',
      code: 'integer_below_min_value',
    });
    rejects(() => parseListQuery({ limit: '-5' }), {
      message: "Invalid 'limit': integer below minimum value. Expected a value >= 1, but got -5 instead.",
      param: 'limit',
      code: 'integer_below_min_value',
    });
  });

  it('rejects a limit above 100', () => {
    rejects(() => parseListQuery({ limit: '101' }), {
      message: "Invalid 'limit': integer above maximum value. Expected a value <= 100, but got 101 instead.",
      param: 'limit',
      code: 'integer_above_max_value',
    });
  });

  it('honours a custom maximum of 10000', () => {
    const rules = { maxLimit: 10_000 };
    assert.equal(parseListQuery({ limit: '10000' }, rules).limit, 10_000);
    rejects(() => parseListQuery({ limit: '10001' }, rules), {
      message: "Invalid 'limit': integer above maximum value. Expected a value <= 10000, but got 10001 instead.",
      param: 'limit',
      code: 'integer_above_max_value',
    });
  });

  it('rejects a limit that is not an integer', () => {
    for (const limit of ['abc', '1.5', '', ' ', '10abc']) {
      rejects(() => parseListQuery({ limit }), {
        message: `Invalid type for 'limit': expected an integer, but got '${limit}' instead.`,
        param: 'limit',
        code: 'invalid_type',
      });
    }
  });

  it('accepts asc and desc and nothing else as order', () => {
    assert.equal(parseListQuery({ order: 'asc' }).order, 'asc');
    assert.equal(parseListQuery({ order: 'desc' }).order, 'desc');
    rejects(() => parseListQuery({ order: 'ASC' }), {
      message: "Invalid value: 'ASC'. Supported values are: 'asc' and 'desc'.",
      param: 'order',
      code: 'invalid_value',
    });
  });

  it('passes the after and before cursors through unchanged', () => {
    assert.deepEqual(parseListQuery({ after: 'asst_abc', before: 'asst_xyz', limit: '5', order: 'asc' }), {
      limit: 5,
      order: 'asc',
      after: 'asst_abc',
      before: 'asst_xyz',
    });
  });

  it('ignores empty cursors', () => {
    assert.deepEqual(parseListQuery({ after: '', before: '' }), { limit: 20, order: 'desc' });
  });

  it('rejects a repeated query parameter', () => {
    for (const name of ['limit', 'order', 'after', 'before']) {
      rejects(() => parseListQuery({ [name]: ['1', '2'] }), {
        message: `Invalid '${name}': expected a single value.`,
        param: name,
        code: 'invalid_value',
      });
    }
  });
});

describe('queryString', () => {
  it('returns a single value, undefined when absent, and rejects a repeated one', () => {
    assert.equal(queryString({ run_id: 'run_1' }, 'run_id'), 'run_1');
    assert.equal(queryString({}, 'run_id'), undefined);
    assert.equal(queryString(undefined, 'run_id'), undefined);
    rejects(() => queryString({ run_id: ['a', 'b'] }, 'run_id'), {
      message: "Invalid 'run_id': expected a single value.",
      param: 'run_id',
      code: 'invalid_value',
    });
  });
});
