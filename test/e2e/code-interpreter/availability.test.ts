/**
 * Whether the code interpreter can run, as `/v1/health` tells it and as runs meet it. A normal
 * server reports the tool available with the limits in force (those set in its environment). A
 * server with `CODE_INTERPRETER=off`, or whose sandbox is missing (no bubblewrap), still starts
 * and serves: health says why the tool is unavailable, runs that do not call it complete, and a
 * run whose model calls it ends `failed` with a `last_error` naming the tool, leaving the thread
 * usable.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../../src/config/config.js';
import { startServer, type RunningServer } from '../../../src/main.js';
import { startScriptedUpstream, type ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { record } from '../runs/support.js';
import {
  CI_API_KEY,
  codeCalls,
  describeCi,
  http,
  newestSdk,
  scriptCells,
  setupThread,
  unique,
  type CiClient,
} from './support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const MiB = 1024 * 1024;

describeCi(
  'code interpreter: health of a normal server',
  { env: { SANDBOX_MEMORY_MB: '768', SANDBOX_EXEC_TIMEOUT_MS: '45000', SANDBOX_MAX_SESSIONS: '5', SANDBOX_IDLE_TIMEOUT_MS: '120000' } },
  (ctx) => {
    it('/v1/health reports code_interpreter available with the limits from the environment', async () => {
      for (const path of ['/health', '/../health']) {
        const res = path === '/health' ? await http(ctx.baseURL, path) : await fetch(ctx.baseURL.replace(/\/v1$/, '/health'));
        const body = (res instanceof Response ? await res.json() : res.json) as Any;
        assert.equal(body.status, 'ok');
        assert.equal(body.store, ctx.backend);
        const ci = body.tools.code_interpreter;
        assert.equal(ci.available, true, JSON.stringify(ci));
        assert.equal(ci.reason, undefined);
        const { limits } = ci;
        assert.equal(limits.memoryBytes, 768 * MiB);
        assert.equal(limits.execTimeoutMs, 45_000);
        assert.equal(limits.maxSessions, 5);
        assert.equal(limits.idleTimeoutMs, 120_000);
        assert.ok(['cgroup', 'rlimit'].includes(limits.memoryEnforcedBy), limits.memoryEnforcedBy);
        assert.ok(Number.isInteger(limits.maxProcesses) && limits.maxProcesses > 0);
        assert.ok(Number.isInteger(limits.maxOutputBytes) && limits.maxOutputBytes > 0);
        assert.ok(Number.isInteger(limits.maxFileBytes) && limits.maxFileBytes > 0);
        assert.equal(body.tools.file_search.available, true);
      }
    });
  },
);

/**
 * What a server without a usable sandbox must do: `reason` is what health says, `runError` what a
 * failed run's last_error says besides naming the tool; `get` gives a client on it and its upstream.
 */
function unavailableCases(
  get: () => { client: CiClient; upstream: ScriptedUpstream; baseURL: string },
  reason: RegExp,
  runError: RegExp,
): void {
  it('health says code_interpreter is unavailable and why', async () => {
    const { baseURL } = get();
    const res = await http(baseURL, '/health');
    assert.equal(res.status, 200, res.text);
    const body = res.json as Any;
    assert.equal(body.status, 'ok');
    assert.equal(body.tools.code_interpreter.available, false);
    assert.match(body.tools.code_interpreter.reason, reason);
    assert.equal(body.tools.code_interpreter.limits, undefined);
  });

  it('runs that do not call the tool complete, with or without it among the tools', async () => {
    const { client, upstream } = get();
    const model = unique('ci-off-text');
    upstream.script(model, { text: 'No code needed.' }, { text: 'Still fine.' });
    const { assistantId, threadId } = await setupThread(client, model, 'Say hello.');
    const run = await client.runApi.runs.createAndPoll(threadId, { assistant_id: assistantId });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    const plain = await client.runApi.runs.createAndPoll(threadId, { assistant_id: assistantId, tools: [] });
    assert.equal(plain.status, 'completed', JSON.stringify(plain.last_error));
    // the model was still offered the tool the assistant has
    assert.deepEqual((upstream.requests(model)[0].body.tools ?? []).map((t) => t.function.name), ['code_interpreter']);
    assert.equal(upstream.requests(model)[1].body.tools, undefined);
  });

  it('a run whose model calls code_interpreter fails with a last_error naming the tool; the thread stays usable', async () => {
    const { client, upstream } = get();
    const model = unique('ci-off-call');
    scriptCells(upstream, model, ["print('never runs')"]);
    const { assistantId, threadId } = await setupThread(client, model, 'Compute something.');
    const stream = client.runApi.runs.stream(threadId, { assistant_id: assistantId });
    const events = await record(stream);
    const run = await stream.finalRun();
    assert.equal(run.status, 'failed');
    assert.equal(events.at(-1)?.event, 'thread.run.failed');
    assert.equal(run.last_error?.code, 'server_error');
    assert.match(run.last_error?.message ?? '', /code_interpreter/);
    assert.match(run.last_error?.message ?? '', runError);
    assert.equal(upstream.requests(model).length, 1, 'the model is not asked again');
    assert.equal(upstream.remaining(model), 1, 'the answer turn was never used');

    const polled = await client.runApi.runs.retrieve(threadId, run.id);
    assert.deepEqual(polled.last_error, run.last_error);
    assert.equal(polled.status, 'failed');
    assert.ok(Number.isInteger(polled.failed_at));
    const steps = await client.runApi.steps.list(threadId, run.id, { order: 'asc' });
    assert.equal(steps.data.length, 1);
    assert.equal(steps.data[0].status, 'failed');
    assert.equal(steps.data[0].last_error?.code, 'server_error');
    const [call] = codeCalls(steps.data[0]);
    assert.equal(call.code_interpreter.input, "print('never runs')");
    assert.deepEqual(call.code_interpreter.outputs, []);

    // the thread is not left locked: a run without the tool completes
    upstream.script(model, { text: 'Without code, then.' });
    const next = await client.runApi.runs.createAndPoll(threadId, { assistant_id: assistantId, tools: [] });
    assert.equal(next.status, 'completed', JSON.stringify(next.last_error));
  });
}

describeCi('code interpreter: CODE_INTERPRETER=off', { env: { CODE_INTERPRETER: 'off' } }, (ctx) => {
  let client: CiClient | undefined;
  unavailableCases(() => ({ client: (client ??= newestSdk().make(ctx.baseURL)), upstream: ctx.upstream, baseURL: ctx.baseURL }), /CODE_INTERPRETER=off/, /not configured on this server/);
});

/**
 * A sandbox that cannot run here (bubblewrap missing): the sandbox's own setting points at a path
 * with nothing there. It has no environment variable, so this server is built from a config
 * directly; SQLite only, the backend plays no part in it.
 */
describe('code interpreter: sandbox missing (no bubblewrap) · sqlite', () => {
  let upstream: ScriptedUpstream | undefined;
  let server: RunningServer | undefined;
  let client: CiClient | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'oa-test-nobwrap-'));
  before(async () => {
    upstream = await startScriptedUpstream();
    const config = loadConfig({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: process.env.OA_TEST_LOG_LEVEL ?? 'silent',
      UPSTREAM_BASE_URL: upstream.baseURL,
      UPSTREAM_API_KEY: 'sk-upstream',
      RUN_POLL_MS: '50',
    });
    assert.ok(config.sandbox, 'the sandbox is on by default');
    const sandbox = { ...config.sandbox, bwrapPath: join(dataDir, 'no-such-bwrap') } as Config['sandbox'];
    server = await startServer({ ...config, sandbox });
    client = newestSdk().make(server.baseUrl, CI_API_KEY);
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  unavailableCases(() => {
    assert.ok(server && client && upstream, 'the server is running');
    return { client, upstream, baseURL: server.baseUrl };
  }, /bubblewrap.*not found/, /not available on this server: bubblewrap.*not found/);
});
