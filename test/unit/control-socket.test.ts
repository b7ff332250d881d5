import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { controlSocketPath, sendToServer, startControlSocket } from '../../src/admin/control-socket.js';
import { openSqliteStore } from '../../src/store/sqlite/connect.js';
import type { SqlStore } from '../../src/store/sql/sql-store.js';

describe('the embedded store is held by one process; keys commands reach it through its control socket', () => {
  let dir: string;
  let file: string;
  let store: SqlStore;
  let control: { close(): Promise<void> };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oa-control-'));
    file = join(dir, 'open-assistants.db');
    store = await openSqliteStore(file);
    control = await startControlSocket(controlSocketPath(file), store, () => undefined);
  });
  after(async () => {
    await control?.close();
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('another process cannot open the database while this one holds it', () => {
    const script = `const D = require('better-sqlite3'); try { new D(process.argv[1]).prepare('SELECT count(*) FROM api_keys').get(); console.log('opened'); } catch (e) { console.log(e.message); }`;
    const out = execFileSync(process.execPath, ['-e', script, file], { cwd: process.cwd(), encoding: 'utf8' });
    assert.match(out, /database is locked/);
  });

  it('creates, lists and revokes keys on the holder’s store, as the CLI would print them', async () => {
    const made = await sendToServer(controlSocketPath(file), ['keys', 'create', '--project', 'team-a', '--name', 'ci']);
    assert.ok(made);
    assert.equal(made.code, 0, made.stderr);
    const key = made.stdout.trim();
    assert.match(key, /^sk-oa-[A-Za-z0-9_-]{32}$/);
    const [stored] = await store.apiKeys.list();
    assert.equal(stored.project_id, 'team-a');
    assert.equal(stored.name, 'ci');
    assert.notEqual(stored.key_hash, key, 'kept hashed');

    const listed = await sendToServer(controlSocketPath(file), ['keys', 'list']);
    assert.equal(listed?.code, 0);
    assert.match(listed!.stdout, new RegExp(`^${stored.id}\\tteam-a\\t.*\\tci\\tactive\\n$`));
    assert.ok(!listed!.stdout.includes(key), 'hints only');

    const revoked = await sendToServer(controlSocketPath(file), ['keys', 'revoke', stored.id]);
    assert.equal(revoked?.code, 0);
    assert.ok((await store.apiKeys.list())[0].revoked_at);
    assert.equal((await sendToServer(controlSocketPath(file), ['keys', 'revoke', stored.id]))?.code, 1, 'nothing active matches any more');
  });

  it('refuses what is not a keys command, and bad arguments, with the CLI’s exit codes', async () => {
    const other = await sendToServer(controlSocketPath(file), ['serve']);
    assert.equal(other?.code, 2);
    assert.match(other!.stderr, /keys commands only/);
    const noProject = await sendToServer(controlSocketPath(file), ['keys', 'create']);
    assert.equal(noProject?.code, 2);
    assert.match(noProject!.stderr, /--project/);
    const unknownFlag = await sendToServer(controlSocketPath(file), ['keys', 'list', '--nope']);
    assert.equal(unknownFlag?.code, 2);
  });

  it('finds no server where no socket listens: none at all, or a file left by a process that died', async () => {
    assert.equal(await sendToServer(join(dir, 'none.sock'), ['keys', 'list']), undefined);
    const stale = join(dir, 'stale.sock');
    writeFileSync(stale, '');
    assert.equal(await sendToServer(stale, ['keys', 'list']), undefined);
  });

  it('only its owner may connect', async () => {
    const mode = execFileSync('stat', ['-c', '%a', controlSocketPath(file)], { encoding: 'utf8' }).trim();
    assert.equal(mode, '600');
  });
});
