/**
 * Regression found by the hostile-input suite: a NUL (U+0000) in a string parameter, a path id or
 * a query value answered 500 on PostgreSQL (text cannot hold it) while SQLite stored it or looked
 * it up. Both now answer alike: 400 for a parameter or query value, 404 for a path id. Free-form
 * maps (metadata) still take it: they are stored as JSON, where NUL is an escape.
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

describeEachBackend('NUL characters in parameters, ids and queries', {}, (t) => {
  it('refuses a NUL in string parameters with 400 invalid_value, naming the parameter', async () => {
    const cases: Array<[string, unknown, string]> = [
      ['/assistants', { model: 'gpt\u00004o' }, 'model'],
      ['/assistants', { model: 'gpt-4o', name: '\u0000' }, 'name'],
      ['/assistants', { model: 'gpt-4o', instructions: 'be \u0000 nice' }, 'instructions'],
      ['/vector_stores', { name: 'a\u0000b' }, 'name'],
      ['/threads/runs', { assistant_id: 'asst_\u0000' }, 'assistant_id'],
      ['/threads', { messages: [{ role: 'user', content: 'hi\u0000' }] }, 'messages[0].content'],
    ];
    for (const [path, json, param] of cases) {
      const error = assertError(await http(t.baseURL, path, { json }), 400, param, 'invalid_value');
      assert.match(error.message, /NUL/);
    }
  });

  it('answers a NUL in a path id with 404, as for any unknown id', async () => {
    const thread = (await http(t.baseURL, '/threads', { json: {} })).json as { id: string };
    const error = assertError(await http(t.baseURL, '/assistants/asst_%00'), 404, null, null);
    assert.equal(error.message, "No assistant found with id 'asst_\u0000'.");
    assertError(await http(t.baseURL, `/threads/${thread.id}/messages/msg_%00x`), 404, null, null);
    assertError(await http(t.baseURL, '/vector_stores/vs_%00/files'), 404, null, null);
    assertError(await http(t.baseURL, '/files/file-%00', { method: 'DELETE' }), 404, null, null);
  });

  it('refuses a NUL in a query value with 400 invalid_value', async () => {
    const thread = (await http(t.baseURL, '/threads', { json: {} })).json as { id: string };
    assertError(await http(t.baseURL, '/assistants?after=a%00b'), 400, 'after', 'invalid_value');
    assertError(await http(t.baseURL, '/files?before=%00'), 400, 'before', 'invalid_value');
    assertError(await http(t.baseURL, `/threads/${thread.id}/messages?run_id=run_%00`), 400, 'run_id', 'invalid_value');
  });

  it('still stores a NUL inside metadata values and gives it back', async () => {
    const res = await http(t.baseURL, '/threads', { json: { metadata: { note: 'a\u0000b' } } });
    assert.equal(res.status, 200, res.text);
    const { id } = res.json as { id: string };
    assert.deepEqual(((await http(t.baseURL, `/threads/${id}`)).json as { metadata: unknown }).metadata, { note: 'a\u0000b' });
  });

});
