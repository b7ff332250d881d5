/**
 * Durability: the server runs as a child process (`src/cli.ts serve`), is killed with SIGKILL in
 * the middle of a streaming run, and restarted on the same store. The interrupted run must end
 * `failed` (server_error) with its message incomplete and its step failed, the thread's earlier
 * messages must be intact, and the thread must accept a new run. A run still queued at the crash
 * runs after the restart, and one waiting for tool outputs still takes them.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { BACKENDS, PG_ADMIN_URL, type Backend } from '../../helpers/server.js';
import { RUN_SDKS } from './sdk.js';
import { API_KEY, TERMINAL, WEATHER_TOOL, http, sleep, textOf, uniqueModel, waitForRun } from './support.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LEASE_MS = 1000;

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolvePort(port));
    });
  });
}

interface Store {
  env: Record<string, string>;
  drop(): Promise<void>;
}

async function freshStore(backend: Backend): Promise<Store> {
  const dataDir = mkdtempSync(join(tmpdir(), 'oa-crash-'));
  if (backend === 'sqlite') {
    return { env: { DATA_DIR: dataDir }, drop: async () => rmSync(dataDir, { recursive: true, force: true }) };
  }
  const name = `oa_crash_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface Child {
  process: ChildProcess;
  baseURL: string;
  exited: Promise<number | null>;
  stderr(): string;
}

/** `node --import tsx src/cli.ts serve` on a free port; resolves once it answers HTTP. */
async function startChild(env: Record<string, string>): Promise<Child> {
  const port = await freePort();
  const inherited = { ...process.env };
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'OPEN_ASSISTANTS_CONFIG', 'API_KEYS', 'UPSTREAM_BASE_URL', 'UPSTREAM_API_KEY', 'PORT', 'HOST']) {
    delete inherited[k];
  }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
    cwd: ROOT,
    env: { ...inherited, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const baseURL = `http://127.0.0.1:${port}/v1`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}: ${stderr}`);
    try {
      const res = await fetch(`${baseURL}/assistants?limit=1`, { headers: { authorization: `Bearer ${API_KEY}` } });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the server did not start within 20 s: ${stderr}`);
    }
    await sleep(100);
  }
  return { process: child, baseURL, exited, stderr: () => stderr };
}

for (const backend of BACKENDS) {
  describe(`runs: crash recovery · ${backend}`, () => {
    let upstream: ScriptedUpstream;
    let store: Store;
    const children: Child[] = [];

    before(async () => {
      upstream = await startScriptedUpstream();
      store = await freshStore(backend);
    });
    after(async () => {
      for (const c of children) {
        if (c.process.exitCode === null && c.process.signalCode === null) {
          c.process.kill('SIGTERM');
          await Promise.race([c.exited, sleep(5000)]);
          if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
        }
      }
      await upstream.close();
      await store.drop();
    });

    it('after kill -9 and a restart: the interrupted run failed, history intact, the thread usable, queued and waiting runs carry on', async () => {
      const env = {
        ...store.env,
        UPSTREAM_BASE_URL: upstream.baseURL,
        UPSTREAM_API_KEY: 'sk-upstream',
        RUN_LEASE_MS: String(LEASE_MS),
        RUN_POLL_MS: '100',
        // one run at a time, so a second run is still queued when the server dies
        RUN_CONCURRENCY: '1',
      };
      const first = await startChild(env);
      children.push(first);
      const sdk = RUN_SDKS.at(-1)!;
      let client = sdk.make(first.baseURL, API_KEY);

      const model = uniqueModel('crash');
      upstream.script(
        model,
        { text: 'First answer.' },
        { hang: { afterChunks: 2, text: 'Interrupted answer that never finishes' } },
        { text: 'After the restart.' },
      );
      const assistant = await client.assistants.create({ model, instructions: 'Sys.' });
      const thread = await client.threads.create({
        messages: [
          { role: 'user', content: 'Question one' },
          { role: 'user', content: 'More context' },
        ],
      });
      const done = await client.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(done.status, 'completed');
      await client.messages.create(thread.id, { role: 'user', content: 'Question two' });
      const before = await client.messages.all(thread.id);
      assert.deepEqual(before.map(textOf), ['Question one', 'More context', 'First answer.', 'Question two']);

      // a run left waiting for tool outputs
      const toolModel = uniqueModel('crash-tools');
      upstream.script(toolModel, { toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }] }, { text: 'Outputs survived.' });
      const toolAssistant = await client.assistants.create({ model: toolModel, tools: [WEATHER_TOOL] });
      const toolThread = await client.threads.create({ messages: [{ role: 'user', content: 'Weather?' }] });
      const waiting = await client.runs.createAndPoll(toolThread.id, { assistant_id: toolAssistant.id });
      assert.equal(waiting.status, 'requires_action');

      const run = await client.runs.create(thread.id, { assistant_id: assistant.id });
      const hung = await upstream.waitForRequest(model, 1);

      // a run that cannot start while the only slot is busy
      const queuedModel = uniqueModel('crash-queued');
      upstream.script(queuedModel, { text: 'Queued survived.' });
      const queuedAssistant = await client.assistants.create({ model: queuedModel });
      const queuedThread = await client.threads.create({ messages: [{ role: 'user', content: 'Still there?' }] });
      const queued = await client.runs.create(queuedThread.id, { assistant_id: queuedAssistant.id });
      // wait until the engine has written the answer's message (it streams its first chunks)
      const deadline = Date.now() + 5000;
      let partial: (typeof before)[number] | undefined;
      while (!partial) {
        partial = (await client.messages.all(thread.id)).find((m) => m.run_id === run.id);
        if (!partial && Date.now() > deadline) throw new Error('the interrupted run never wrote its message');
        if (!partial) await sleep(20);
      }
      assert.equal(partial.status, 'in_progress');
      // the text streamed so far is saved within about a second, so the crash keeps it
      let saved = '';
      while (!saved) {
        saved = textOf((await client.messages.all(thread.id)).find((m) => m.id === partial!.id)!);
        if (!saved && Date.now() > deadline + 3000) throw new Error('the streamed text was never saved');
        if (!saved) await sleep(50);
      }
      assert.ok('Interrupted answer that never finishes'.startsWith(saved), saved);
      assert.equal((await client.runs.retrieve(thread.id, run.id)).status, 'in_progress');
      assert.equal((await client.runs.retrieve(queuedThread.id, queued.id)).status, 'queued');
      assert.equal(upstream.requests(queuedModel).length, 0);

      first.process.kill('SIGKILL');
      await first.exited;
      assert.equal(first.process.signalCode, 'SIGKILL');
      await upstream.waitFor(() => hung.aborted, 2000);

      const second = await startChild(env);
      children.push(second);
      client = sdk.make(second.baseURL, API_KEY);
      const readyAt = Date.now();

      // SQLite (one process per file) recovers at start; PostgreSQL once the dead worker's lease lapses
      const failed = await waitForRun(second.baseURL, thread.id, run.id, (r) => TERMINAL.has(r.status), LEASE_MS + 4000);
      const recoveredMs = Date.now() - readyAt;
      assert.equal(failed.status, 'failed', `recovered as ${failed.status} after ${recoveredMs} ms`);
      assert.equal(failed.last_error?.code, 'server_error');
      assert.ok(failed.last_error!.message.length > 0);
      assert.ok(failed.failed_at !== null);
      assert.equal(failed.expires_at, null);

      const messages = await client.messages.all(thread.id);
      assert.deepEqual(messages.slice(0, 4), before, 'the messages written before the crash are intact');
      assert.equal(messages.length, 5);
      const interrupted = messages[4];
      assert.equal(interrupted.id, partial.id);
      assert.equal(interrupted.status, 'incomplete');
      assert.deepEqual(interrupted.incomplete_details, { reason: 'run_failed' });
      assert.ok(interrupted.incomplete_at !== null);
      assert.equal(textOf(interrupted), saved, 'the text streamed before the crash is kept');

      const steps = await client.steps.list(thread.id, run.id);
      assert.equal(steps.data.length, 1);
      assert.equal(steps.data[0].type, 'message_creation');
      assert.equal(steps.data[0].status, 'failed');
      assert.ok(steps.data[0].failed_at !== null);
      assert.equal(steps.data[0].last_error?.code, 'server_error');

      // the thread is usable again and a new run sees the history
      const next = await client.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
      assert.equal(next.status, 'completed', JSON.stringify(next.last_error));
      const after = await client.messages.all(thread.id);
      assert.equal(textOf(after.at(-1)!), 'After the restart.');
      // the queued run ran after the restart; the waiting one still takes its outputs
      const ranLater = await client.runs.poll(queuedThread.id, queued.id);
      assert.equal(ranLater.status, 'completed');
      assert.equal(textOf((await client.messages.all(queuedThread.id)).at(-1)!), 'Queued survived.');
      const resumed = await client.runs.submitToolOutputsAndPoll(toolThread.id, waiting.id, [
        { tool_call_id: waiting.required_action!.submit_tool_outputs.tool_calls[0].id, output: 'snow' },
      ]);
      assert.equal(resumed.status, 'completed');
      assert.equal(textOf((await client.messages.all(toolThread.id)).at(-1)!), 'Outputs survived.');

      const res = await http(second.baseURL, `/threads/${thread.id}/runs`);
      assert.deepEqual(
        res.json.data.map((r: { status: string }) => r.status),
        ['completed', 'failed', 'completed'],
      );
    });
  });
}
