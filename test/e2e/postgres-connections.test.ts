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

describeEachBackend('postgres connections', {}, (s) => {
  if (s.backend !== 'postgres') return;

  it('keeps serving after PostgreSQL terminates its idle connections', async () => {
    const client = SDKS[SDKS.length - 1].make(s.baseURL);
    // Several requests at once leave several idle connections in the pool.
    const before = await Promise.all(Array.from({ length: 5 }, (_, i) => client.assistants.create({ model: 'gpt-4o', name: `${i}` })));

    const { database } = s.server.server.config;
    assert.equal(database.kind, 'postgres');
    assert.ok((await terminateConnections(database.url)) > 0, 'some connections were terminated');
    await sleep(50);

    const after = await client.assistants.create({ model: 'gpt-4o', name: 'after' });
    assert.equal((await client.assistants.retrieve(before[0].id)).id, before[0].id);
    assert.equal((await client.assistants.retrieve(after.id)).name, 'after');
  });
});
