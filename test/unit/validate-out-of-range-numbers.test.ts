/**
 * Regression found by the hostile-input suite: `{"temperature": 1e309}` parses to Infinity and was
 * refused as "expected a decimal, but got a decimal instead". The message now says what was wrong.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ApiError } from '../../src/core/errors.js';
import { describeType, int, num, parseBody, obj } from '../../src/core/validate.js';

it('describes a number JSON cannot represent (1e309 parses to Infinity) as such', () => {
  assert.equal(describeType(JSON.parse('1e309')), 'a number too large to represent');
  assert.equal(describeType(JSON.parse('-1e309')), 'a number too large to represent');
  assert.equal(describeType(1.5), 'a decimal');
  assert.equal(describeType(2), 'an integer');
});

it('refuses 1e309 for a decimal and an integer parameter with a message that names the problem', () => {
  const body = obj({ temperature: num({ min: 0, max: 2 }), limit: int({ min: 1 }) });
  for (const [key, expected] of [['temperature', 'a decimal'], ['limit', 'an integer']] as const) {
    assert.throws(
      () => parseBody(body, JSON.parse(`{"${key}": 1e309}`)),
      (err: unknown) =>
        err instanceof ApiError &&
        err.status === 400 &&
        err.code === 'invalid_type' &&
        err.param === key &&
        err.message === `Invalid type for '${key}': expected ${expected}, but got a number too large to represent instead.`,
    );
  }
});
