import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { it } from 'node:test';
import pg from 'pg';
import { PG_ADMIN_URL } from '../helpers/server.js';
import { SDKS } from './sdks.js';
import { describeEachBackend } from './support/suite.js';

/** Terminates every other connection to the server's database, as a PostgreSQL restart would. */
async function terminateConnections(databaseUrl: string): Promise<number> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    const { rowCount } = await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

async function eventually<T>(attempt: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

describeEachBackend('postgres connections', {}, (s) => {
  if (s.backend !== 'postgres') return;

  it('keeps serving after PostgreSQL terminates its idle connections', async () => {
    const client = SDKS[SDKS.length - 1].make(s.baseURL);
    // Several requests at once leave several idle connections in the pool.
    const before = await Promise.all(Array.from({ length: 5 }, (_, i) => client.assistants.create({ model: 'gpt-4o', name: `${i}` })));

    const { database } = s.server.server.config;
    assert.equal(database.kind, 'postgres');
    assert.ok((await terminateConnections(database.url)) > 0, 'some connections were terminated');

    // A request racing the termination may meet a dying connection and get a 500 (which the SDK
    // would retry by default); the process must survive and serve again right after.
    const after = await eventually(() => client.assistants.create({ model: 'gpt-4o', name: 'after' }), 3000);
    const again = await Promise.all(before.map((a) => client.assistants.retrieve(a.id)));
    assert.deepEqual(again, before);
    assert.equal((await client.assistants.retrieve(after.id)).name, 'after');
  });
});
