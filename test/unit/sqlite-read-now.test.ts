/**
 * Hot by-id reads on SQLite skip Kysely and run on the connection at once. That must never let a
 * read see another request's transaction half done: while one is open on the connection, the
 * read waits its turn like any other query.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Assistant } from '../../src/core/wire.js';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import { openSqliteStore } from '../../src/store/sqlite/connect.js';

function assistant(id: string, name: string): Assistant {
  return {
    id,
    object: 'assistant',
    created_at: 1_790_000_000,
    name,
    description: null,
    model: 'gpt-4o',
    instructions: null,
    tools: [],
    tool_resources: null,
    metadata: {},
    temperature: 1,
    top_p: 1,
    response_format: 'auto',
    reasoning_effort: null,
  };
}

/** Runs `body` inside a transaction that stays open until the returned `finish` is called. */
function openTransaction(store: SqlStore, body: (tx: SqlStore['kysely']) => Promise<void>) {
  let finish!: (outcome: 'commit' | 'rollback') => void;
  const decided = new Promise<'commit' | 'rollback'>((resolve) => (finish = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const done = store.kysely
    .transaction()
    .execute(async (tx) => {
      await body(tx);
      entered();
      if ((await decided) === 'rollback') throw new Error('rolled back');
    })
    .catch((err: Error) => assert.equal(err.message, 'rolled back'));
  return { inside, finish, done };
}

describe('SQLite hot reads and open transactions', () => {
  let dir: string;
  let store: SqlStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oa-read-now-'));
    store = await openSqliteStore(join(dir, 'store.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads committed rows directly, as object and as wire JSON alike', async () => {
    const a = assistant('asst_committed', 'committed');
    await store.assistants.insert('proj', a);
    assert.deepEqual(await store.assistants.get('proj', a.id), a);
    assert.equal(await store.assistants.getJson('proj', a.id), JSON.stringify(a));
    assert.equal(await store.assistants.getJson('other', a.id), undefined);
  });

  it('does not see a row another transaction inserted and then rolled back', async () => {
    const tx = openTransaction(store, async (t) => {
      await t.insertInto('assistants').values({ ...rowOf(assistant('asst_uncommitted', 'never')) }).execute();
    });
    await tx.inside;
    const read = store.assistants.getJson('proj', 'asst_uncommitted');
    const readObject = store.assistants.get('proj', 'asst_uncommitted');
    tx.finish('rollback');
    await tx.done;
    assert.equal(await read, undefined);
    assert.equal(await readObject, undefined);
  });

  it('reads a row another transaction is changing as it was, when that transaction rolls back', async () => {
    const a = assistant('asst_changing', 'before');
    await store.assistants.insert('proj', a);
    const tx = openTransaction(store, async (t) => {
      await t.updateTable('assistants').set({ name: 'after' }).where('id', '=', a.id).execute();
    });
    await tx.inside;
    const json = store.assistants.getJson('proj', a.id);
    const object = store.assistants.get('proj', a.id);
    tx.finish('rollback');
    await tx.done;
    assert.equal(await json, JSON.stringify(a));
    assert.equal((await object)?.name, 'before');
  });

  it('reads the new row once a transaction that was open commits', async () => {
    const tx = openTransaction(store, async (t) => {
      await t.insertInto('threads').values({ id: 'thread_new', project_id: 'proj', created_at: 1, tool_resources: null, metadata: '{"k":"v"}' }).execute();
    });
    await tx.inside;
    const read = store.threads.getJson('proj', 'thread_new');
    tx.finish('commit');
    await tx.done;
    assert.equal(await read, '{"id":"thread_new","object":"thread","created_at":1,"tool_resources":null,"metadata":{"k":"v"}}');
  });
});

function rowOf(a: Assistant) {
  return {
    id: a.id,
    project_id: 'proj',
    created_at: a.created_at,
    name: a.name,
    description: a.description,
    model: a.model,
    instructions: a.instructions,
    tools: JSON.stringify(a.tools),
    tool_resources: null,
    metadata: JSON.stringify(a.metadata),
    temperature: a.temperature,
    top_p: a.top_p,
    response_format: JSON.stringify(a.response_format),
    reasoning_effort: a.reasoning_effort,
  };
}
