/**
 * API keys: `API_KEYS` keys, keys in the store (as `keys create` writes them) and their revocation,
 * which every process notices within AUTH_CACHE_MS of `keys revoke` without a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AUTH_CACHE_MS, createAuthenticator, hashApiKey, type Authenticator } from '../../src/api/auth.js';
import { ManualClock } from '../../src/core/clock.js';
import { ApiError } from '../../src/core/errors.js';
import type { SqlStore } from '../../src/store/sql/sql-store.js';
import { openSqliteStore } from '../../src/store/sqlite/connect.js';

async function rejection(f: () => string | Promise<string>): Promise<ApiError> {
  try {
    await f();
  } catch (err) {
    assert.ok(err instanceof ApiError, String(err));
    return err;
  }
  assert.fail('expected the key to be refused');
}

describe('authentication', () => {
  let dir: string;
  let store: SqlStore;
  let n = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oa-auth-'));
    store = await openSqliteStore(join(dir, 'store.db'));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function createKey(projectId: string, clock: ManualClock): Promise<{ id: string; key: string }> {
    const key = `sk-oa-test-${++n}-abcdefghijklmnop`;
    const id = `key_${n}`;
    await store.apiKeys.insert({
      id,
      project_id: projectId,
      name: null,
      key_hash: hashApiKey(key),
      key_hint: `${key.slice(0, 9)}…${key.slice(-4)}`,
      created_at: Math.floor(clock.nowMs() / 1000),
      revoked_at: null,
    });
    return { id, key };
  }

  const authenticator = (clock: ManualClock, envKeys: Array<{ key: string; projectId: string }> = []): Authenticator =>
    createAuthenticator({ envKeys, keys: store.apiKeys, clock, openProject: 'default' });

  it('is open while no key exists, and closes within the cache time of the first key', async () => {
    const clock = new ManualClock();
    const auth = authenticator(clock);
    assert.equal(await auth.authenticate(undefined), 'default');
    assert.equal(await auth.authenticate('Bearer anything'), 'default');
    const { key } = await createKey('team-a', clock);
    assert.equal(await auth.authenticate('Bearer anything'), 'default', 'the answer "open" is cached');
    clock.advance(AUTH_CACHE_MS + 1);
    assert.equal((await rejection(() => auth.authenticate('Bearer anything'))).status, 401);
    assert.equal((await rejection(() => auth.authenticate(undefined))).status, 401);
    assert.equal(await auth.authenticate(`Bearer ${key}`), 'team-a');
  });

  it('a revoked key keeps working until its cached answer is older than the cache time, then is refused', async () => {
    const clock = new ManualClock();
    const auth = authenticator(clock);
    const { id, key } = await createKey('team-b', clock);
    assert.equal(await auth.authenticate(`Bearer ${key}`), 'team-b');
    await store.apiKeys.revoke(id, Math.floor(clock.nowMs() / 1000));
    clock.advance(AUTH_CACHE_MS);
    assert.equal(await auth.authenticate(`Bearer ${key}`), 'team-b', 'still within the cache time');
    clock.advance(1);
    const refused = await rejection(() => auth.authenticate(`Bearer ${key}`));
    assert.equal(refused.status, 401);
    assert.doesNotMatch(refused.message, new RegExp(key), 'the key itself is never echoed');
    // a fresh authenticator (another process) refuses it at once
    assert.equal((await rejection(() => authenticator(clock).authenticate(`Bearer ${key}`))).status, 401);
  });

  it('a cached answer is given without a promise; an unknown key is refused and stays refused', async () => {
    const clock = new ManualClock();
    const auth = authenticator(clock);
    const { key } = await createKey('team-c', clock);
    assert.equal(await auth.authenticate(`Bearer ${key}`), 'team-c');
    assert.equal(auth.authenticate(`Bearer ${key}`), 'team-c');
    assert.equal((await rejection(() => auth.authenticate('Bearer sk-unknown-key-000000'))).status, 401);
    assert.throws(() => auth.authenticate('Bearer sk-unknown-key-000000'), ApiError);
  });

  it('API_KEYS keys map to their projects; a store key works beside them', async () => {
    const clock = new ManualClock();
    const auth = authenticator(clock, [
      { key: 'sk-env-one', projectId: 'env-a' },
      { key: 'sk-env-two', projectId: 'env-b' },
    ]);
    assert.equal(auth.authenticate('Bearer sk-env-one'), 'env-a');
    assert.equal(auth.authenticate('bearer   sk-env-two  '), 'env-b');
    assert.equal((await rejection(() => auth.authenticate('Bearer sk-env-three'))).status, 401);
    assert.equal((await rejection(() => auth.authenticate('Basic sk-env-one'))).status, 401);
    const { key } = await createKey('team-d', clock);
    assert.equal(await auth.authenticate(`Bearer ${key}`), 'team-d');
  });
});
