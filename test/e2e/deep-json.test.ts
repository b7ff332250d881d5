/**
 * Regression found by the hostile-input suite: a JSON body nested thousands of levels deep (in a
 * function's `parameters`, a compound search filter) answered 500 on every backend: the stack
 * overflowed while storing, validating or answering it. Past 256 levels it is now a 400.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachBackend } from './support/suite.js';
import { http, type HttpResult } from './support/http.js';

function assertError(res: HttpResult, status: number, param: string | null, code: string | null): { message: string } {
  assert.equal(res.status, status, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const error = (res.json as { error: { message: string; param: string | null; code: string | null } }).error;
  assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(error.param, param);
  assert.equal(error.code, code);
  return error;
}

/** A JSON Schema `depth` objects deep, as text (JSON.stringify itself overflows long before 20,000). */
function nested(depth: number): string {
  return '{"type":"object","properties":{"x":'.repeat(depth - 1) + '{"type":"string"}' + '}}'.repeat(depth - 1);
}

const JSON_TYPE = { 'content-type': 'application/json' };

describeEachBackend('deeply nested JSON bodies', {}, (t) => {
  it('refuses a body nested deeper than 256 levels with 400 invalid_json, and takes a 200-level schema', async () => {
    const withParameters = (depth: number) => `{"model":"gpt-4o","tools":[{"type":"function","function":{"name":"f","parameters":${nested(depth)}}}]}`;
    const error = assertError(await http(t.baseURL, '/assistants', { body: withParameters(20_000), headers: JSON_TYPE }), 400, null, 'invalid_json');
    assert.match(error.message, /nested too deeply/);
    const raw = '['.repeat(100_000) + ']'.repeat(100_000);
    assertError(await http(t.baseURL, '/threads', { body: raw, headers: JSON_TYPE }), 400, null, 'invalid_json');

    // parameters at depth 5 of the body, 100 schema levels (two JSON levels each) below
    const ok = await http(t.baseURL, '/assistants', { body: withParameters(100), headers: JSON_TYPE });
    assert.equal(ok.status, 200, ok.text.slice(0, 300));
    const { id } = ok.json as { id: string };
    assert.equal((await http(t.baseURL, `/assistants/${id}`)).status, 200);
  });

  it('refuses a search filter nested deeper than the limit with 400', async () => {
    const store = (await http(t.baseURL, '/vector_stores', { json: { name: 'deep filters' } })).json as { id: string };
    const filter = '{"type":"and","filters":['.repeat(5000) + '{"type":"eq","key":"k","value":"v"}' + ']}'.repeat(5000);
    const res = await http(t.baseURL, `/vector_stores/${store.id}/search`, { body: `{"query":"q","filters":${filter}}`, headers: JSON_TYPE });
    assertError(res, 400, null, 'invalid_json');
  });
});
