/**
 * Regression (found by faults.test.ts, PostgreSQL restarted under a running server): a pooled
 * connection that PostgreSQL terminated while it was checked out but between two statements
 * emitted an 'error' event nobody listened to, and the uncaught exception killed the server.
 * Here the database's backends are terminated (what a restart does to them) while a transaction
 * holds a connection between statements: the next statement must fail, the process must live on
 * and serve requests on fresh connections.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { BACKENDS, PG_ADMIN_URL, startTestServer, type TestServer } from '../../helpers/server.js';
import { ok } from '../support/http.js';
import { sleep } from '../support/report.js';

describe('regression: a PostgreSQL connection terminated while checked out', { skip: !BACKENDS.includes('postgres') && 'PostgreSQL not in OA_TEST_BACKENDS' }, () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('postgres', { env: { CODE_INTERPRETER: 'off' } });
  });
  after(async () => {
    await server?.close();
  });

  it('fails the statement that uses it, not the process', async () => {
    const base = server.baseURL;
    await ok(base, 'POST', '/assistants', { model: 'm' });
    const kysely = (server.server.store as unknown as { kysely: Kysely<unknown> }).kysely;
    const database = new URL((server.server.config.database as { url: string }).url).pathname.slice(1);
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    try {
      const outcome = await kysely
        .transaction()
        .execute(async (tx) => {
          await sql`SELECT 1`.execute(tx);
          // the connection is checked out and idle: terminate every backend of this database
          const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
          await admin.connect();
          await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
          await admin.end();
          await sleep(300); // the termination notice reaches the idle client
          await sql`SELECT 2`.execute(tx);
          return 'second statement ran';
        })
        .catch((err: Error) => `failed: ${err.message}`);
      assert.match(outcome, /^failed: /, 'the statement on the terminated connection fails');
      await sleep(100);
      assert.deepEqual(uncaught.map(String), [], 'no uncaught exception');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    // and the server carries on, on new connections
    for (let i = 0; i < 20; i++) await ok(base, 'POST', '/assistants', { model: 'm' });
    const list = await ok(base, 'GET', '/assistants?limit=100');
    assert.equal(list.data.length, 21);
  });
});
