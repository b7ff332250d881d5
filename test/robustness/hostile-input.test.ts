/**
 * Hostile input: requests generated from the official OpenAPI description for all 48 operations,
 * valid and deliberately invalid (wrong types, huge strings, deep nesting, unknown ids, bad
 * cursors, odd unicode, broken multipart and HTTP framing, wrong content types, duplicate keys,
 * odd numbers), against SQLite and PostgreSQL. Every answer must be below 500, every 4xx must be
 * `application/json` in the OpenAI error shape, the server must keep answering its health check
 * after every batch, and valid inputs must mostly succeed.
 *
 * Bounded inside `npm test`; `npm run robustness` runs many more inputs. Each run prints its seed;
 * `OA_FUZZ_SEED=<seed>` replays it, and `OA_FUZZ_CASES=<pass>:<index>,…` replays single cases
 * (the failure report prints both). `OA_FUZZ_VERBOSE=1` also lists valid inputs not answered 2xx;
 * `OA_FUZZ_TRACE=<file>` writes one line per request sent.
 *
 * The generators live in ./fuzz/: spec.ts (operations), schema-walker.ts + hints.ts (valid
 * instances), json-mutators.ts, http-mutators.ts, multipart.ts, raw-framing.ts (hostile ones),
 * world.ts (real objects to aim at), cases.ts, client.ts and runner.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.js';
import { exhaustiveCases, type CaseEnv } from './fuzz/cases.js';
import { createRng, fuzzSeed } from './fuzz/prng.js';
import { describeFailure, emptyStats, report, runList, runPass, type Stats } from './fuzz/runner.js';
import { loadSpec, operations, resolveRef } from './fuzz/spec.js';
import { World, scriptUpstream } from './fuzz/world.js';
import { FULL, scale } from './mode.js';

const SEED = fuzzSeed();
const KEY = 'sk-fuzz';
const LIMITS = { bodyBytes: 2 * 1024 * 1024, fileBytes: 256 * 1024 };
/** Random cases per backend (each one request; consuming operations also set up a fresh target). */
const CASES = scale(800, 16_000);
/** Rounds over every raw-framing and multipart variant. */
const EXHAUSTIVE_ROUNDS = scale(1, 12);
const CONCURRENCY = 4;
const BATCH = 40;
/** Share of the valid inputs that must be answered 2xx (a few may meet state rules, e.g. a batch that finished before its cancel). */
const VALID_OK_SHARE = 0.95;

const spec = loadSpec();
const ops = operations(spec);
const modelEnum = (resolveRef(spec, '#/components/schemas/AssistantSupportedModels').enum as string[] | undefined) ?? [];
const only = (process.env.OA_FUZZ_CASES ?? '')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean)
  .map((s) => {
    const [pass, index] = s.split(':');
    return { pass, index: Number(index) };
  });

console.log(`hostile input: seed ${SEED} (replay with OA_FUZZ_SEED=${SEED}), ${FULL ? 'full' : 'bounded'} mode, ${ops.length} operations`);

for (const backend of BACKENDS) {
  describe(`${backend} · hostile input`, () => {
    let upstream: ScriptedUpstream;
    let server: TestServer;
    let env: CaseEnv;
    /** `http://host:port` (cases carry their `/v1` paths). */
    let origin: string;
    const stats: Stats = emptyStats();

    before(async () => {
      upstream = await startScriptedUpstream();
      scriptUpstream(upstream, modelEnum);
      server = await startTestServer(backend, {
        env: {
          API_KEYS: `${KEY}:proj-fuzz`,
          UPSTREAM_BASE_URL: upstream.baseURL,
          UPSTREAM_MAX_RETRIES: '0',
          CODE_INTERPRETER: 'off',
          MAX_BODY_BYTES: String(LIMITS.bodyBytes),
          MAX_FILE_BYTES: String(LIMITS.fileBytes),
          MAX_UPLOAD_PART_BYTES: String(LIMITS.fileBytes),
        },
      });
      const world = new World(server.baseURL, { authorization: `Bearer ${KEY}` }, modelEnum);
      await world.seed();
      origin = new URL(server.baseURL).origin;
      env = { spec, world, auth: `Bearer ${KEY}`, limits: LIMITS };
    });

    after(async () => {
      if (stats.inputs) console.log(report(backend, SEED, stats));
      await server?.close();
      await upstream?.close();
    });

    it('covers all 48 operations of the spec', () => {
      assert.equal(ops.length, 48);
      assert.equal(new Set(ops.map((o) => o.operationId)).size, 48);
    });

    it('answers spec-generated valid and invalid requests for every operation below 500, in the OpenAI error shape, and stays up', async () => {
      const pass = `${backend}-spec`;
      const selected = only.filter((o) => o.pass === pass).map((o) => o.index);
      if (only.length && !selected.length) return;
      const before = stats.failures.length;
      await runPass(
        { baseURL: origin, env, ops, seed: SEED, label: pass, count: CASES, concurrency: CONCURRENCY, batchSize: BATCH, ...(selected.length && { only: selected }) },
        stats,
      );
      const failures = stats.failures.slice(before);
      assert.equal(failures.length, 0, `${failures.length} bad answers:\n${failures.slice(0, 25).map((f) => describeFailure(f, SEED)).join('\n')}`);
      assert.deepEqual(stats.setupErrors, [], 'setting up targets for cases failed');
      if (!selected.length) assert.equal(stats.opsCovered.size, 48, 'every operation got inputs');
    });

    it('answers broken HTTP framing and broken multipart bodies in the OpenAI error shape and stays up', async () => {
      if (only.length) return;
      const before = stats.failures.length;
      for (let round = 0; round < EXHAUSTIVE_ROUNDS; round++) {
        const cases = await exhaustiveCases(createRng(SEED).fork(`${backend}-framing-${round}`), env);
        await runList(origin, cases, `${backend}-framing-${round}`, CONCURRENCY, BATCH, stats);
      }
      const failures = stats.failures.slice(before);
      assert.equal(failures.length, 0, `${failures.length} bad answers:\n${failures.slice(0, 25).map((f) => describeFailure(f, SEED)).join('\n')}`);
    });

    it('answers most valid inputs with 2xx', () => {
      if (only.length) return;
      let tried = 0;
      let ok = 0;
      for (const v of stats.validByOp.values()) {
        tried += v.tried;
        ok += v.ok;
      }
      assert.ok(tried > 0, 'valid inputs were tried');
      assert.ok(ok / tried >= VALID_OK_SHARE, `only ${ok}/${tried} valid inputs answered 2xx:\n${report(backend, SEED, stats)}`);
    });
  });
}
