import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Assistant, AssistantCreateParams } from './sdks.js';
import { describeEachBackendAndSdk, type SdkSuite } from './support/suite.js';
import { expectSdkError } from './support/expect-error.js';
import { assertRecentTimestamp, collect, idsOf, uploadFile } from './support/fixtures.js';

const WEATHER_FUNCTION = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
    required: ['city', 'unit'],
    additionalProperties: false,
  },
  strict: true,
};

const ANSWER_FORMAT = {
  type: 'json_schema' as const,
  json_schema: {
    name: 'answer',
    description: 'A short answer with a confidence',
    schema: {
      type: 'object',
      properties: { answer: { type: 'string' }, confidence: { type: 'number' } },
      required: ['answer', 'confidence'],
      additionalProperties: false,
    },
    strict: true,
  },
};

describeEachBackendAndSdk('assistants', {}, (t) => {
  it('creates an assistant with every field and retrieves it unchanged', async () => {
    const started = Date.now();
    const file = await uploadFile(t.client, 'data.csv', 'city,temp\nOslo,3\n');
    const body = {
      model: 'gpt-4o',
      name: 'Weather bot',
      description: 'Answers questions about the weather',
      instructions: 'You are a meteorologist. Use the tools.',
      tools: [
        { type: 'code_interpreter' },
        { type: 'file_search', file_search: { max_num_results: 5, ranking_options: { ranker: 'auto', score_threshold: 0.5 } } },
        { type: 'function', function: WEATHER_FUNCTION },
      ],
      tool_resources: { code_interpreter: { file_ids: [file.id] } },
      metadata: { team: 'forecast', sdk: t.sdk.name },
      temperature: 0.25,
      top_p: 0.75,
      response_format: ANSWER_FORMAT,
      reasoning_effort: 'low',
    } satisfies AssistantCreateParams;

    const created = await t.client.assistants.create(body);

    assert.match(created.id, /^asst_[A-Za-z0-9]+$/);
    assert.equal(created.object, 'assistant');
    assertRecentTimestamp(created.created_at, started);
    assert.equal(created.model, body.model);
    assert.equal(created.name, body.name);
    assert.equal(created.description, body.description);
    assert.equal(created.instructions, body.instructions);
    assert.deepEqual(created.tools, body.tools);
    assert.deepEqual(created.tool_resources?.code_interpreter?.file_ids, [file.id]);
    assert.deepEqual(created.metadata, body.metadata);
    assert.equal(created.temperature, body.temperature);
    assert.equal(created.top_p, body.top_p);
    assert.deepEqual(created.response_format, ANSWER_FORMAT);

    const retrieved = await t.client.assistants.retrieve(created.id);
    assert.deepEqual(retrieved, created);
  });

  it('fills the documented defaults when only the model is given', async () => {
    const created = await t.client.assistants.create({ model: 'gpt-4o-mini' });
    assert.equal(created.name, null);
    assert.equal(created.description, null);
    assert.equal(created.instructions, null);
    assert.deepEqual(created.tools, []);
    assert.deepEqual(created.metadata, {});
    assert.equal(created.temperature, 1);
    assert.equal(created.top_p, 1);
    assert.equal(created.response_format, 'auto');
  });

  it('modifies only the fields sent and keeps the rest', async () => {
    const original = await t.client.assistants.create({
      model: 'gpt-4o',
      name: 'Before',
      description: 'kept',
      instructions: 'Be brief.',
      tools: [{ type: 'code_interpreter' }],
      metadata: { stage: 'draft' },
      temperature: 0.5,
    });

    const renamed = await t.client.assistants.update(original.id, { name: 'After', metadata: { stage: 'final' } });
    assert.deepEqual(renamed, { ...original, name: 'After', metadata: { stage: 'final' } });

    const retooled = await t.client.assistants.update(original.id, {
      tools: [{ type: 'file_search' }],
      instructions: null,
      top_p: 0.5,
      model: 'gpt-4.1',
    });
    assert.deepEqual(retooled, {
      ...renamed,
      tools: [{ type: 'file_search' }],
      instructions: null,
      top_p: 0.5,
      model: 'gpt-4.1',
    });
    assert.deepEqual(await t.client.assistants.retrieve(original.id), retooled);
  });

  it('deletes an assistant, after which retrieve answers 404 NotFoundError', async () => {
    const created = await t.client.assistants.create({ model: 'gpt-4o' });
    const deleted = await t.client.assistants.delete(created.id);
    assert.deepEqual({ ...deleted }, { id: created.id, object: 'assistant.deleted', deleted: true });

    await expectSdkError(t.client, t.client.assistants.retrieve(created.id), {
      status: 404,
      errorClass: 'NotFoundError',
      param: null,
      code: null,
      message: `No assistant found with id '${created.id}'.`,
    });
    await expectSdkError(t.client, t.client.assistants.delete(created.id), {
      status: 404,
      errorClass: 'NotFoundError',
      message: `No assistant found with id '${created.id}'.`,
    });
  });

  describe('pagination', () => describePagination(t));
});

function describePagination(t: SdkSuite): void {
  // Created back to back, so no other assistant sits between them in creation order.
  const batch: Assistant[] = [];
  let ids: string[] = [];
  const tag = `page-${t.backend}-${t.sdk.name}`;

  before(async () => {
    for (let i = 0; i < 25; i++) {
      batch.push(await t.client.assistants.create({ model: 'gpt-4o', name: `#${i}`, metadata: { batch: tag } }));
    }
    ids = idsOf(batch);
  });

  it('lists 25 assistants across pages in both orders with for-await auto-pagination', async () => {
    const ascending = await collect(t.client.assistants.iterate({ limit: 4, order: 'asc' }));
    const descending = await collect(t.client.assistants.iterate({ limit: 7, order: 'desc' }));
    for (const all of [ascending, descending]) {
      assert.equal(new Set(idsOf(all)).size, all.length, 'no assistant appears twice');
    }
    assert.deepEqual(idsOf(descending), idsOf(ascending).reverse());
    const mine = (list: Assistant[]) => idsOf(list.filter((a) => a.metadata?.batch === tag));
    assert.deepEqual(mine(ascending), ids);
    assert.deepEqual(mine(descending), [...ids].reverse());

    const raw: Assistant[] = [];
    for await (const a of t.client.raw.beta.assistants.list({ limit: 10 })) raw.push(a as Assistant);
    assert.deepEqual(idsOf(raw), idsOf(descending), 'the raw client pages the same way');
  });

  it('lists newest first by default with first_id, last_id and has_more', async () => {
    const page = await t.client.assistants.list({ limit: 3 });
    assert.equal(page.object, 'list');
    assert.deepEqual(idsOf(page.data), [ids[24], ids[23], ids[22]]);
    assert.equal(page.first_id, ids[24]);
    assert.equal(page.last_id, ids[22]);
    assert.equal(page.has_more, true);
    assert.deepEqual(page.data[0], batch[24]);
  });

  it('returns the neighbours after and before a cursor in ascending order', async () => {
    const after = await t.client.assistants.list({ order: 'asc', after: ids[4], limit: 3 });
    assert.deepEqual(idsOf(after.data), ids.slice(5, 8));
    assert.equal(after.first_id, ids[5]);
    assert.equal(after.last_id, ids[7]);
    assert.equal(after.has_more, true);

    const before = await t.client.assistants.list({ order: 'asc', before: ids[10], limit: 3 });
    assert.deepEqual(idsOf(before.data), ids.slice(7, 10));
    assert.equal(before.has_more, true);

    const between = await t.client.assistants.list({ order: 'asc', after: ids[2], before: ids[6] });
    assert.deepEqual(idsOf(between.data), ids.slice(3, 6));
  });

  it('returns the neighbours after and before a cursor in descending order', async () => {
    const after = await t.client.assistants.list({ order: 'desc', after: ids[10], limit: 3 });
    assert.deepEqual(idsOf(after.data), [ids[9], ids[8], ids[7]]);
    assert.equal(after.has_more, true);

    const before = await t.client.assistants.list({ order: 'desc', before: ids[10], limit: 3 });
    assert.deepEqual(idsOf(before.data), [ids[13], ids[12], ids[11]]);
    assert.equal(before.first_id, ids[13]);
    assert.equal(before.last_id, ids[11]);
  });

  it('reports has_more false on the last page, even when it is exactly full', async () => {
    const full = await t.client.assistants.list({ order: 'asc', after: ids[21], limit: 3 });
    assert.deepEqual(idsOf(full.data), ids.slice(22));
    assert.equal(full.has_more, false);

    const empty = await t.client.assistants.list({ order: 'asc', after: ids[24] });
    assert.deepEqual(empty.data, []);
    assert.equal(empty.has_more, false);
    assert.equal(empty.first_id ?? null, null);
    assert.equal(empty.last_id ?? null, null);
  });
}
