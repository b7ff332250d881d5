/**
 * Faults, measured: the server (a child process) is killed with SIGKILL while runs execute,
 * streams are open, files are being ingested and uploads are arriving, then started again on the
 * same store; in PostgreSQL mode the database is also restarted under a live server.
 *
 * Each kill cycle aims at one kind of work (the kill waits until it is under way; everything else
 * runs too) and afterwards checks, over everything done so far (support/workload.ts):
 * - within a bounded recovery time every run is terminal or progressing again (none left
 *   in_progress by the dead process), and then every run ends in a state its history allows
 *   (cut mid-answer: failed/server_error with an incomplete message; never started: completed),
 *   every stream cut by the kill is a right prefix of the canonical stream;
 * - no acknowledged message, file, Upload or vector-store file is lost, nothing visible is half
 *   there (file bytes, message content, chunk bytes of an ingested file, markers at both ends),
 *   `file_counts` and `usage_bytes` agree with the files, no file appears twice.
 *
 * Bounded (npm test): 4 kill cycles per backend (one of each kind). FULL: 12 per backend and 3
 * PostgreSQL restarts. The PostgreSQL restart needs FULL or OA_ROBUSTNESS_PG_RESTART=1 (see
 * support/postgres.ts: the cluster is shared with other test files).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';
import { BACKENDS } from '../helpers/server.js';
import { scale } from './mode.js';
import { freshStore, startChild, type ChildServer, type Store } from './support/child-server.js';
import { api, ok, TERMINAL } from './support/http.js';
import { PG_RESTART_ENABLED, restartPostgres } from './support/postgres.js';
import { SEED, pct, pool, prng, report, round, sleep } from './support/report.js';
import { Workload, type FaultKind, type InFlight } from './support/workload.js';

const KILL_CYCLES = scale(4, 12);
const PG_RESTARTS = scale(1, 3);
const LEASE_MS = 1000;
const POLL_MS = 100;
/** Every run terminal or progressing again within this long after the restarted server answers. */
const RECOVERY_BOUND_MS = LEASE_MS + 4000;
const KINDS: FaultKind[] = ['streaming', 'runs', 'ingestion', 'uploads'];

const TOOL = { type: 'function' as const, function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } };

/** Whether the kind of work a cycle aims at was really in flight when the server died. */
function underWay(kind: FaultKind, f: InFlight): boolean {
  switch (kind) {
    case 'streaming':
      return f.streamsMidDelta > 0;
    case 'runs':
      return f.runsAtUpstream > 0 && f.runsNotStarted > 0;
    case 'ingestion':
      return f.ingestionInProgress > 0;
    case 'uploads':
      return f.fileUploadsMidBody + f.uploadPartsMidBody > 0;
  }
}

interface CycleFigures {
  cycle: number;
  kind: FaultKind | 'pg-restart';
  reached: boolean;
  in_flight: InFlight;
  restart_ms: number;
  recovery_ms: number;
  all_runs_ended_ms: number;
  problems: number;
}

/**
 * Polls the runs until none is left in_progress by the dead process: each is terminal, waiting
 * (queued, requires_action) or in_progress with an upstream request made after `since` (ms epoch).
 * Returns ms from `from` (performance.now()) to that moment.
 */
async function recoveryTime(base: string, wl: Workload, upstream: ScriptedUpstream, since: number, from: number, boundMs: number): Promise<number> {
  const deadline = performance.now() + boundMs * 3;
  const runs = wl.runs.filter((r) => r.runId);
  for (;;) {
    const states = await pool(runs, 8, async (r) => {
      const res = await api(base, 'GET', `/threads/${r.threadId}/runs/${r.runId}`).catch(() => undefined);
      return res?.status === 200 ? (res.json.status as string) : 'unreachable';
    });
    const stuck = runs.filter((r, i) => {
      const s = states[i];
      if (TERMINAL.has(s) || s === 'queued' || s === 'requires_action') return false;
      if (s === 'in_progress') return !upstream.requests().some((q) => q.receivedAt >= since && JSON.stringify(q.body.messages ?? []).includes(r.tag));
      return true;
    });
    if (!stuck.length) return performance.now() - from;
    if (performance.now() > deadline) throw new Error(`runs still stuck after ${boundMs * 3} ms: ${stuck.map((r) => r.tag).join(', ')}`);
    await sleep(50);
  }
}

async function allRunsEnded(base: string, wl: Workload, from: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const states = await pool(
      wl.runs.filter((r) => r.runId),
      8,
      async (r) => (await ok(base, 'GET', `/threads/${r.threadId}/runs/${r.runId}`)).status as string,
    );
    if (states.every((s) => TERMINAL.has(s) || s === 'requires_action')) return performance.now() - from;
    if (performance.now() > deadline) return Number.NaN;
    await sleep(100);
  }
}

for (const backend of BACKENDS) {
  describe(`robustness: faults · ${backend}`, { timeout: scale(300_000, 3_600_000) }, () => {
    let upstream: ScriptedUpstream;
    let store: Store;
    const children: ChildServer[] = [];
    let env: Record<string, string>;

    before(async () => {
      upstream = await startScriptedUpstream();
      store = await freshStore(backend, 'faults');
      env = {
        ...store.env,
        UPSTREAM_BASE_URL: upstream.baseURL,
        UPSTREAM_API_KEY: 'sk-upstream',
        RUN_LEASE_MS: String(LEASE_MS),
        RUN_POLL_MS: String(POLL_MS),
        // few slots, so some runs are always queued when the server dies
        RUN_CONCURRENCY: '6',
        INGEST_CONCURRENCY: '2',
        UPSTREAM_MAX_RETRIES: '1',
        UPSTREAM_RETRY_BASE_MS: '10',
      };
    });
    after(async () => {
      for (const c of children) await c.stop(5000).catch(() => undefined);
      await upstream?.close();
      await store?.drop();
    });

    const start = async (): Promise<ChildServer> => {
      const c = await startChild(env);
      children.push(c);
      return c;
    };

    it(`kill -9 during runs, streaming, ingestion and uploads (${KILL_CYCLES} cycles), restart: recovered, nothing lost or half-visible`, async () => {
      const wl = new Workload({
        upstream,
        model: `faults-${backend}`,
        toolModel: `faults-tool-${backend}`,
        streams: scale(6, 10),
        polled: scale(3, 6),
        documents: scale(2, 3),
        documentWords: scale(60_000, 120_000),
        seed: SEED,
      });
      let server = await start();
      await wl.init(server.baseURL);
      const assistants = {
        slow: (await ok(server.baseURL, 'POST', '/assistants', { model: `faults-${backend}` })).id,
        tool: (await ok(server.baseURL, 'POST', '/assistants', { model: `faults-tool-${backend}`, tools: [TOOL] })).id,
      };
      const cycles: CycleFigures[] = [];
      const rnd = prng(SEED ^ 0xfa017);
      let lastFigures: Record<string, number> = {};
      const allProblems: string[] = [];
      for (let cycle = 1; cycle <= KILL_CYCLES; cycle++) {
        const kind = KINDS[(cycle - 1) % KINDS.length];
        wl.start(server.baseURL, cycle, assistants);
        // wait until the work this cycle aims at is under way (ingestion: a file is being ingested)
        for (const until = performance.now() + 15_000; performance.now() < until; await sleep(10)) {
          if (!wl.reached(kind)) continue;
          if (kind !== 'ingestion' || (await wl.inFlight(server.baseURL)).ingestionInProgress > 0) break;
        }
        // land at a random moment of the activity, not always its first instant
        if (kind === 'streaming' || kind === 'runs') await sleep(Math.floor(rnd() * 150));
        const inFlight = await wl.inFlight(server.baseURL);
        const reached = underWay(kind, inFlight);
        const at = performance.now();
        await server.kill9();
        await wl.killed(at);

        const since = Date.now();
        server = await start();
        const recovery = await recoveryTime(server.baseURL, wl, upstream, since, server.readyAt, RECOVERY_BOUND_MS);
        const ended = await allRunsEnded(server.baseURL, wl, server.readyAt, 60_000);
        const { problems, figures } = await wl.verify(server.baseURL, 60_000);
        lastFigures = figures;
        cycles.push({
          cycle,
          kind,
          reached,
          in_flight: inFlight,
          restart_ms: round(server.startMs, 0),
          recovery_ms: round(recovery, 0),
          all_runs_ended_ms: round(ended, 0),
          problems: problems.length,
        });
        if (recovery > RECOVERY_BOUND_MS) problems.push(`cycle ${cycle}: recovery took ${round(recovery, 0)} ms (bound ${RECOVERY_BOUND_MS})`);
        allProblems.push(...problems.map((p) => `cycle ${cycle} (${kind}): ${p}`));
        if (problems.length) break; // the store is now suspect; report what broke
      }
      const leftovers = Workload.leftovers(store.dataDir);
      const survived = Object.fromEntries(KINDS.map((k) => [k, cycles.filter((c) => c.kind === k && c.problems === 0 && c.reached).length]));
      report(`faults-kill-${backend}`, {
        backend,
        seed: SEED,
        cycles: cycles.length,
        survived_per_kind: survived,
        recovery_ms: { p50: round(pct(cycles.map((c) => c.recovery_ms), 50), 0), max: Math.max(...cycles.map((c) => c.recovery_ms)), bound: RECOVERY_BOUND_MS },
        restart_ms_max: Math.max(...cycles.map((c) => c.restart_ms)),
        per_cycle: cycles,
        totals: lastFigures,
        blob_tmp_files_left: leftovers.tmpFiles,
        blob_tmp_bytes_left: leftovers.tmpBytes,
        client_notes: wl.notes.slice(0, 5),
        problems: allProblems.length,
        first_problems: allProblems.slice(0, 10),
      });
      await server.stop();
      assert.deepEqual(allProblems.slice(0, 20), [], `${allProblems.length} problems (seed ${SEED})`);
      for (const k of KINDS) assert.ok(cycles.some((c) => c.kind === k && c.reached), `no ${k} cycle had its work in flight at the kill: ${JSON.stringify(cycles)}`);
    });

    it(
      `PostgreSQL restarted under load (${PG_RESTARTS}×): the server stays up, recovers, nothing lost or half-visible`,
      { skip: backend !== 'postgres' ? 'PostgreSQL only' : !PG_RESTART_ENABLED ? 'set OA_ROBUSTNESS_PG_RESTART=1 (or FULL) to restart the shared cluster' : false },
      async () => {
        const wl = new Workload({
          upstream,
          model: `pgr-${backend}`,
          toolModel: `pgr-tool-${backend}`,
          streams: scale(6, 10),
          polled: scale(3, 6),
          documents: scale(2, 3),
          documentWords: scale(60_000, 120_000),
          seed: SEED + 1,
        });
        // a store of its own: what the kill cycles left is not this workload's
        const own = await freshStore(backend, 'pgrestart');
        const ownEnv = { ...env, ...own.env };
        const server = await startChild(ownEnv);
        children.push(server);
        await wl.init(server.baseURL);
        const assistants = {
          slow: (await ok(server.baseURL, 'POST', '/assistants', { model: `pgr-${backend}` })).id,
          tool: (await ok(server.baseURL, 'POST', '/assistants', { model: `pgr-tool-${backend}`, tools: [TOOL] })).id,
        };
        const rounds: Array<Record<string, unknown>> = [];
        let totals: Record<string, number> = {};
        const allProblems: string[] = [];
        for (let cycle = 1; cycle <= PG_RESTARTS; cycle++) {
          wl.start(server.baseURL, 100 + cycle, assistants);
          const until = performance.now() + 10_000;
          while (!(wl.reached('streaming') && wl.reached('ingestion')) && performance.now() < until) await sleep(10);
          const inFlight = await wl.inFlight(server.baseURL);
          const at = performance.now();
          const since = Date.now();
          wl.faultAt(at);
          const pgTimes = await restartPostgres();
          // the server must survive, and answer again soon
          let answeringMs = Number.NaN;
          for (const deadline = performance.now() + 30_000; performance.now() < deadline; await sleep(50)) {
            const res = await api(server.baseURL, 'GET', '/assistants?limit=1').catch(() => undefined);
            if (res?.status === 200) {
              answeringMs = performance.now() - at;
              break;
            }
          }
          wl.stop();
          await wl.settle();
          const alive = server.alive();
          const problems: string[] = [];
          if (!alive) problems.push(`the server died: ${server.stderr().slice(-2000)}`);
          if (!Number.isFinite(answeringMs)) problems.push('the server did not answer within 30 s of the restart');
          let recovery = Number.NaN;
          let ended = Number.NaN;
          if (alive) {
            recovery = await recoveryTime(server.baseURL, wl, upstream, since, at, RECOVERY_BOUND_MS + 10_000).catch((err) => {
              problems.push(String(err));
              return Number.NaN;
            });
            ended = await allRunsEnded(server.baseURL, wl, at, 60_000);
            const verified = await wl.verify(server.baseURL, 60_000);
            problems.push(...verified.problems);
            totals = verified.figures;
          }
          rounds.push({
            cycle,
            in_flight: inFlight,
            pg_restart_ms: round(pgTimes.readyMs, 0),
            server_answering_after_ms: round(answeringMs, 0),
            recovery_ms: round(recovery, 0),
            all_runs_ended_ms: round(ended, 0),
            problems: problems.length,
          });
          allProblems.push(...problems.map((p) => `restart ${cycle}: ${p}`));
          if (problems.length) break;
        }
        const leftovers = Workload.leftovers(own.dataDir);
        report(`faults-pg-restart-${backend}`, {
          backend,
          seed: SEED,
          restarts: rounds.length,
          rounds,
          totals,
          blob_tmp_files_left: leftovers.tmpFiles,
          client_notes: wl.notes.slice(0, 5),
          problems: allProblems.length,
          first_problems: allProblems.slice(0, 10),
        });
        await server.stop();
        await own.drop();
        assert.deepEqual(allProblems.slice(0, 20), [], `${allProblems.length} problems (seed ${SEED})`);
      },
    );
  });
}
