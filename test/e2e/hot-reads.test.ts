/**
 * `GET /assistants/{id}` and `GET /threads/{id}` answer with wire JSON built straight from the
 * stored row; every other answer serialises the object. The two must be the same bytes: the same
 * keys in the same order, the same nulls, the same escapes.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { DEFAULT_API_KEY } from './sdks.js';
import { http, type HttpResult } from './support/http.js';
import { describeEachBackend } from './support/suite.js';

/** Strings that JSON escapes, or that only survive if stored and sent back byte for byte. */
const AWKWARD = 'quote " backslash \\ tab \t newline \n nul-free control \u0001 line sep \u2028 é 雪 🌦️ </script>';

const FUNCTION_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: `Weather (${AWKWARD})`,
    parameters: {
      type: 'object',
      // integer-like keys come first in JavaScript objects: stored text and objects must agree
      properties: { city: { type: 'string' }, '10': { type: 'number' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city'],
    },
    strict: false,
  },
};

const RESPONSE_FORMAT = {
  type: 'json_schema',
  json_schema: {
    name: 'answer',
    schema: { type: 'object', properties: { answer: { type: 'string' }, n: { type: 'number', minimum: 1e-7, maximum: 1e21 } } },
    strict: true,
  },
};

function ok(res: HttpResult): HttpResult {
  assert.ok(res.status >= 200 && res.status < 300, `${res.status} ${res.text}`);
  return res;
}

async function uploadFileId(baseURL: string): Promise<string> {
  const form = new FormData();
  form.append('purpose', 'assistants');
  form.append('file', new Blob(['city,temp\nOslo,3\n']), 'data.csv');
  const res = await fetch(`${baseURL}/files`, { method: 'POST', headers: { authorization: `Bearer ${DEFAULT_API_KEY}` }, body: form });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

describeEachBackend('hot reads answer the same bytes as serialised objects', {}, (t) => {
  it('a fully populated assistant: GET equals the create, modify and list answers byte for byte', async () => {
    const fileId = await uploadFileId(t.baseURL);
    const store = ok(await http(t.baseURL, '/vector_stores', { json: { name: 'docs' } })).json as { id: string };
    const created = ok(
      await http(t.baseURL, '/assistants', {
        json: {
          model: 'gpt-4o',
          name: `Weather ${AWKWARD}`,
          description: AWKWARD,
          instructions: `Be precise.\n${AWKWARD}`,
          tools: [{ type: 'code_interpreter' }, { type: 'file_search', file_search: { max_num_results: 7 } }, FUNCTION_TOOL],
          tool_resources: { code_interpreter: { file_ids: [fileId] }, file_search: { vector_store_ids: [store.id] } },
          metadata: { team: AWKWARD, '2': 'two', empty: '' },
          temperature: 0.1 + 0.2,
          top_p: 0.3333333333333333,
          response_format: RESPONSE_FORMAT,
          reasoning_effort: 'high',
        },
      }),
    );
    const id = (created.json as { id: string }).id;

    const got = ok(await http(t.baseURL, `/assistants/${id}`));
    assert.equal(got.text, created.text);
    assert.equal(got.headers.get('content-type'), created.headers.get('content-type'));
    assert.equal(got.headers.get('content-length'), String(Buffer.byteLength(got.text)));

    // modify with nothing to change answers the stored object, serialised
    const modified = ok(await http(t.baseURL, `/assistants/${id}`, { json: {} }));
    assert.equal(got.text, modified.text);
    const list = ok(await http(t.baseURL, '/assistants?limit=100'));
    assert.ok(list.text.includes(got.text), 'the list holds the same bytes for the assistant');
  });

  it('a minimal assistant (every optional field empty or null) reads back byte for byte', async () => {
    const created = ok(await http(t.baseURL, '/assistants', { json: { model: 'gpt-4o-mini' } }));
    const id = (created.json as { id: string }).id;
    const got = ok(await http(t.baseURL, `/assistants/${id}`));
    assert.equal(got.text, created.text);
    assert.match(got.text, /"name":null,"description":null,"model":"gpt-4o-mini","instructions":null/);
    // nulls sent on modify become the defaults, and the read agrees with the modify answer
    const modified = ok(
      await http(t.baseURL, `/assistants/${id}`, { json: { temperature: null, top_p: null, response_format: null, metadata: null } }),
    );
    assert.equal(ok(await http(t.baseURL, `/assistants/${id}`)).text, modified.text);
  });

  it('threads, with and without tool resources, read back byte for byte', async () => {
    const fileId = await uploadFileId(t.baseURL);
    for (const body of [
      {},
      { metadata: { topic: AWKWARD, '7': 'seven' }, tool_resources: { code_interpreter: { file_ids: [fileId] } } },
    ]) {
      const created = ok(await http(t.baseURL, '/threads', { json: body }));
      const id = (created.json as { id: string }).id;
      const got = ok(await http(t.baseURL, `/threads/${id}`));
      assert.equal(got.text, created.text);
      assert.equal(got.headers.get('content-type'), created.headers.get('content-type'));
      const modified = ok(await http(t.baseURL, `/threads/${id}`, { json: {} }));
      assert.equal(got.text, modified.text);
    }
  });

  it('an id that is not there is still the usual 404', async () => {
    for (const [path, kind] of [
      ['/assistants/asst_missing', 'assistant'],
      ['/threads/thread_missing', 'thread'],
    ]) {
      const res = await http(t.baseURL, path);
      assert.equal(res.status, 404);
      assert.deepEqual(res.json, {
        error: { message: `No ${kind} found with id '${path.split('/')[2]}'.`, type: 'invalid_request_error', param: null, code: null },
      });
    }
  });
});
