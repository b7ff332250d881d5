import assert from 'node:assert/strict';
import { before, it } from 'node:test';
import { SDKS, type AssistantCreateParams, type Facade, type ListQuery, type MessageCreateParams } from './sdks.js';
import { describeEachBackend, describeEachBackendAndSdk } from './support/suite.js';
import { expectSdkError, expectWireError, type ExpectedError } from './support/expect-error.js';
import { http } from './support/http.js';
import { uploadFile } from './support/fixtures.js';

const REQUEST_ID = /^req_[0-9a-f]{32}$/;

const badRequest = (param: string | null, code: string, message?: string | RegExp): ExpectedError => ({
  status: 400,
  errorClass: 'BadRequestError',
  param,
  code,
  ...(message !== undefined && { message }),
});

function manyKeys(n: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
}

/** Creates an assistant from a body the SDK types would not allow. */
function createAssistant(client: Facade, body: Record<string, unknown>) {
  return client.assistants.create(body as unknown as AssistantCreateParams);
}

describeEachBackendAndSdk('errors', {}, (t) => {
  it('rejects an assistant without a model, naming the param', async () => {
    await expectSdkError(
      t.client,
      createAssistant(t.client, { name: 'no model' }),
      badRequest('model', 'missing_required_parameter', "Missing required parameter: 'model'."),
    );
  });

  it('rejects metadata with 17 keys, a 65-character key and a 513-character value', async () => {
    await expectSdkError(
      t.client,
      t.client.assistants.create({ model: 'gpt-4o', metadata: manyKeys(17) }),
      badRequest(
        'metadata',
        'object_above_max_properties',
        "Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with 17 properties instead.",
      ),
    );
    assert.ok(await t.client.assistants.create({ model: 'gpt-4o', metadata: manyKeys(16) }), '16 keys are fine');

    const longKey = 'k'.repeat(65);
    await expectSdkError(
      t.client,
      t.client.threads.create({ metadata: { [longKey]: 'v' } }),
      badRequest(`metadata.${longKey}`, 'string_above_max_length', /maximum length 64, but got a string with length 65/),
    );
    await expectSdkError(
      t.client,
      t.client.threads.create({ metadata: { note: 'x'.repeat(513) } }),
      badRequest('metadata.note', 'string_above_max_length', /maximum length 512, but got a string with length 513/),
    );
    assert.ok(await t.client.threads.create({ metadata: { ['k'.repeat(64)]: 'x'.repeat(512) } }), 'the limits themselves pass');
  });

  it('rejects temperature 3 and -1 and top_p 1.5', async () => {
    await expectSdkError(
      t.client,
      t.client.assistants.create({ model: 'gpt-4o', temperature: 3 }),
      badRequest(
        'temperature',
        'decimal_above_max_value',
        "Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got 3 instead.",
      ),
    );
    await expectSdkError(
      t.client,
      t.client.assistants.create({ model: 'gpt-4o', temperature: -1 }),
      badRequest('temperature', 'decimal_below_min_value', /Expected a value >= 0, but got -1 instead\./),
    );
    await expectSdkError(
      t.client,
      t.client.assistants.create({ model: 'gpt-4o', top_p: 1.5 }),
      badRequest('top_p', 'decimal_above_max_value', /Expected a value <= 1, but got 1.5 instead\./),
    );
  });

  it('rejects values outside an enum: list order, message role, tool type', async () => {
    await expectSdkError(
      t.client,
      t.client.assistants.list({ order: 'sideways' } as unknown as ListQuery),
      badRequest('order', 'invalid_value', "Invalid value: 'sideways'. Supported values are: 'asc' and 'desc'."),
    );
    const thread = await t.client.threads.create();
    await expectSdkError(
      t.client,
      t.client.messages.create(thread.id, { role: 'system', content: 'hi' } as unknown as MessageCreateParams),
      badRequest('role', 'invalid_value', /^Invalid value: 'system'\./),
    );
    await expectSdkError(
      t.client,
      createAssistant(t.client, { model: 'gpt-4o', tools: [{ type: 'code_interpreter' }, { type: 'nope' }] }),
      badRequest('tools[1].type', 'invalid_value', /^Invalid value: 'nope'\./),
    );
  });

  it('rejects an unknown body parameter', async () => {
    await expectSdkError(
      t.client,
      createAssistant(t.client, { model: 'gpt-4o', colour: 'blue' }),
      badRequest('colour', 'unknown_parameter', "Unknown parameter: 'colour'."),
    );
  });

  it('answers 404 with OpenAI wording for unknown ids on every resource', async () => {
    const c = t.client;
    const notFound = (kind: string, id: string): ExpectedError => ({
      status: 404,
      errorClass: 'NotFoundError',
      param: null,
      code: null,
      message: `No ${kind} found with id '${id}'.`,
    });
    const asst = notFound('assistant', 'asst_unknown');
    await expectSdkError(c, c.assistants.retrieve('asst_unknown'), asst);
    await expectSdkError(c, c.assistants.update('asst_unknown', { name: 'x' }), asst);
    await expectSdkError(c, c.assistants.delete('asst_unknown'), asst);

    const thread = notFound('thread', 'thread_unknown');
    await expectSdkError(c, c.threads.retrieve('thread_unknown'), thread);
    await expectSdkError(c, c.threads.update('thread_unknown', { metadata: {} }), thread);
    await expectSdkError(c, c.threads.delete('thread_unknown'), thread);
    await expectSdkError(c, c.messages.create('thread_unknown', { role: 'user', content: 'x' }), thread);
    await expectSdkError(c, c.messages.list('thread_unknown'), thread);
    await expectSdkError(c, c.messages.retrieve('thread_unknown', 'msg_unknown'), thread);

    const real = await c.threads.create();
    const message = notFound('message', 'msg_unknown');
    await expectSdkError(c, c.messages.retrieve(real.id, 'msg_unknown'), message);
    await expectSdkError(c, c.messages.update(real.id, 'msg_unknown', { metadata: {} }), message);
    await expectSdkError(c, c.messages.delete(real.id, 'msg_unknown'), message);

    const file = notFound('file', 'file-unknown');
    await expectSdkError(c, c.files.retrieve('file-unknown'), file);
    await expectSdkError(c, c.files.content('file-unknown'), file);
    await expectSdkError(c, c.files.delete('file-unknown'), file);

    const upload = notFound('upload', 'upload_unknown');
    await expectSdkError(c, c.uploads.addPart('upload_unknown', await c.toFile('x', 'p')), upload);
    await expectSdkError(c, c.uploads.complete('upload_unknown', { part_ids: [] }), upload);
    await expectSdkError(c, c.uploads.cancel('upload_unknown'), upload);
  });

  it('rejects message attachments and images that name unknown files', async () => {
    const thread = await t.client.threads.create();
    await expectSdkError(
      t.client,
      t.client.messages.create(thread.id, {
        role: 'user',
        content: 'x',
        attachments: [{ file_id: 'file-missing', tools: [{ type: 'file_search' }] }],
      }),
      badRequest('attachments[0].file_id', 'invalid_file', "No file found with id 'file-missing'."),
    );
    await expectSdkError(
      t.client,
      t.client.assistants.create({ model: 'gpt-4o', tool_resources: { code_interpreter: { file_ids: ['file-missing'] } } }),
      badRequest('tool_resources.code_interpreter.file_ids[0]', 'invalid_file'),
    );
  });

  it('exposes the x-request-id of a success and of an error', async () => {
    const assistant = await t.client.assistants.create({ model: 'gpt-4o' });
    assert.match(String(t.client.requestIdOf(assistant)), REQUEST_ID);
    const fields = await expectSdkError(t.client, t.client.assistants.retrieve('asst_nope'), { status: 404 });
    assert.notEqual(fields.requestId, t.client.requestIdOf(assistant));
  });
});

describeEachBackend('errors over plain HTTP', {}, (s) => {
  let fileId: string;
  before(async () => {
    fileId = (await uploadFile(SDKS[0].make(s.baseURL), 'x.txt', 'x')).id;
  });

  it('rejects malformed JSON', async () => {
    const res = await http(s.baseURL, '/assistants', { body: '{bad', headers: { 'content-type': 'application/json' } });
    expectWireError(res, { status: 400, param: null, code: 'invalid_json', message: /^We could not parse the JSON body/ });
  });

  it('rejects a JSON endpoint called with content-type text/plain', async () => {
    const res = await http(s.baseURL, '/assistants', { body: '{"model":"gpt-4o"}', headers: { 'content-type': 'text/plain' } });
    expectWireError(res, {
      status: 400,
      param: null,
      code: 'invalid_content_type',
      message: 'Invalid Content-Type header (text/plain), expected application/json.',
    });
  });

  it('rejects a multipart body on a JSON endpoint like any other non-JSON body (it is not read as an empty one)', async () => {
    const form = new FormData();
    form.append('model', 'gpt-4o');
    const encoded = new Response(form);
    const body = new Uint8Array(await encoded.arrayBuffer());
    const headers = { 'content-type': encoded.headers.get('content-type')! };
    for (const path of ['/assistants', '/threads']) {
      const res = await http(s.baseURL, path, { body, headers });
      expectWireError(res, { status: 400, param: null, code: 'invalid_content_type', message: /^Invalid Content-Type header \(multipart\/form-data; boundary=.*\), expected application\/json\.$/ });
    }
  });

  it('rejects a file upload that is not multipart', async () => {
    const res = await http(s.baseURL, '/files', { json: { purpose: 'assistants' } });
    expectWireError(res, { status: 400, code: 'invalid_content_type', message: /expected multipart\/form-data/ });
  });

  it('rejects list limits outside 1–100', async () => {
    expectWireError(await http(s.baseURL, '/assistants?limit=101'), { status: 400, param: 'limit', code: 'integer_above_max_value' });
    expectWireError(await http(s.baseURL, '/assistants?limit=0'), { status: 400, param: 'limit', code: 'integer_below_min_value' });
    expectWireError(await http(s.baseURL, '/assistants?order=sideways'), { status: 400, param: 'order', code: 'invalid_value' });
  });

  it('answers a known path with the wrong method with 405 and an Allow header', async () => {
    const res = await http(s.baseURL, '/assistants', { method: 'PUT', json: { model: 'gpt-4o' } });
    expectWireError(res, { status: 405, param: null, code: 'method_not_allowed', message: /^Invalid method for URL \(PUT \/v1\/assistants\)/ });
    assert.equal(res.headers.get('allow'), 'GET, POST');

    const del = await http(s.baseURL, `/files/${fileId}/content`, { method: 'DELETE' });
    expectWireError(del, { status: 405 });
  });

  it('answers an unknown URL with 404', async () => {
    expectWireError(await http(s.baseURL, '/nope'), {
      status: 404,
      param: null,
      code: null,
      message: 'Invalid URL (GET /v1/nope)',
    });
    expectWireError(await http(s.baseURL, '/assistants/asst_1/extra', { method: 'POST', json: {} }), { status: 404 });
  });

  it('sends a fresh x-request-id on every response', async () => {
    const responses = [
      await http(s.baseURL, '/assistants'),
      await http(s.baseURL, '/assistants', { json: { model: 'gpt-4o' } }),
      await http(s.baseURL, '/assistants', { json: {} }),
      await http(s.baseURL, '/nope'),
      await http(s.baseURL, `/files/${fileId}/content`),
    ];
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 400, 404, 200],
    );
    const ids = responses.map((r) => r.headers.get('x-request-id') ?? '');
    for (const id of ids) assert.match(id, REQUEST_ID);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('serves requests with and without the OpenAI-Beta: assistants=v2 header', async () => {
    const withAndWithout: Array<Record<string, string>> = [{ 'openai-beta': 'assistants=v2' }, {}];
    for (const headers of withAndWithout) {
      const created = await http(s.baseURL, '/assistants', { json: { model: 'gpt-4o' }, headers });
      assert.equal(created.status, 200, created.text);
      const id = (created.json as { id: string }).id;
      assert.equal((await http(s.baseURL, `/assistants/${id}`, { headers })).status, 200);
      assert.equal((await http(s.baseURL, '/threads', { json: {}, headers })).status, 200);
      assert.equal((await http(s.baseURL, '/assistants?limit=1', { headers })).status, 200);
    }
  });
});

describeEachBackend('errors over MAX_BODY_BYTES', { env: { MAX_BODY_BYTES: '2048' } }, (s) => {
  it('rejects a 10 KB JSON body with 413', async () => {
    const res = await http(s.baseURL, '/assistants', { json: { model: 'gpt-4o', instructions: 'x'.repeat(10 * 1024) } });
    expectWireError(res, {
      status: 413,
      param: null,
      code: 'request_too_large',
      message: 'Request body too large. The maximum size is 2048 bytes.',
    });
  });

  it('still accepts a body under the limit', async () => {
    const res = await http(s.baseURL, '/assistants', { json: { model: 'gpt-4o', instructions: 'x'.repeat(1024) } });
    assert.equal(res.status, 200, res.text);
  });
});
