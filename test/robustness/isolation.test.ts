/**
 * Isolation between projects, exhaustively: two API keys in two projects (`API_KEYS`), and in
 * FULL mode a third made with `open-assistants keys create`. For every one of the spec's 48
 * operations, every object kind and several object states (live, completed, waiting, deleted),
 * each project aims its requests at the other's objects (every mix of foreign, own and unknown
 * ids over the path; foreign ids inside bodies: attachments, image_file, tool_resources, file_ids,
 * batches, assistant_id, part_ids, tool_call_id; streamed and not) and must get exactly the
 * answer an unknown id of the same kind gets. Lists, searches and the prompts sent upstream hold
 * only the caller's own. Keys are stored hashed and never appear in a response or in the logs.
 * Hostile file names stay inside the blob directory and come back as safe headers.
 *
 *   npm test -- test/robustness/isolation.test.ts          # bounded (CI)
 *   OA_ROBUSTNESS=full npm test -- test/robustness/isolation.test.ts
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type Backend, type TestServer } from '../helpers/server.js';
import { FULL, scale } from './mode.js';
import { acceptableStoredName, allowedDataPath, CHANNELS, dispositionProblems, hostileNames, sendNamed, type Sent } from './isolation/filenames.js';
import { Client, Journal, pool, sseEvents, waitFor, type Req } from './isolation/http.js';
import { idsIn, randomId, type Kind } from './isolation/ids.js';
import { count, newTally, pathProbes, refProbes, runLists, runProbes, type Probe } from './isolation/matrix.js';
import { OPERATIONS, specOperations } from './isolation/operations.js';
import { ChildServer, dumpTables, freshDatabase, runCli, secretKey, sqliteFiles, storeEnv, walk } from './isolation/secrets.js';
import { buildWorld, TERMINAL, uploadFile, waitForRun, type World } from './isolation/world.js';

const CONCURRENCY = 8;

function report(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`ROBUSTNESS ${JSON.stringify({ name, mode: FULL ? 'full' : 'bounded', at: new Date().toISOString(), ...figures })}\n`);
}

/** The state of a project's objects as its owner reads them (no reads that change anything). */
async function snapshot(w: World): Promise<string> {
  const c = w.client;
  const reads: Array<Promise<unknown>> = [
    c.get(`/assistants/${w.assistant}`),
    c.get('/assistants', { limit: '100' }),
    c.get(`/threads/${w.thread}`),
    c.get(`/threads/${w.raThread}`),
    c.get(`/threads/${w.thread}/messages`, { limit: '100' }),
    c.get(`/threads/${w.raThread}/messages`, { limit: '100' }),
    c.get(`/threads/${w.thread}/runs`, { limit: '100' }),
    c.get(`/threads/${w.raThread}/runs`, { limit: '100' }),
    c.get(`/threads/${w.thread}/runs/${w.run}/steps`, { 'include[]': 'step_details.tool_calls[*].file_search.results[*].content' }),
    c.get(`/threads/${w.raThread}/runs/${w.raRun}/steps`),
    c.get('/files', { limit: '10000' }),
    c.get(`/vector_stores/${w.vectorStore}`),
    c.get('/vector_stores', { limit: '100' }),
    c.get(`/vector_stores/${w.vectorStore}/files`, { limit: '100' }),
    c.get(`/vector_stores/${w.vectorStore}/files/${w.file}`),
    c.get(`/vector_stores/${w.vectorStore}/files/${w.file}/content`),
    c.get(`/vector_stores/${w.vectorStore}/file_batches/${w.batch}`),
    c.get(`/vector_stores/${w.vectorStore}/file_batches/${w.batch}/files`),
    ...[w.file, w.file2, w.file3].map(async (f) => (await c.send({ method: 'GET', path: `/files/${f}/content` })).bytes.toString('base64')),
  ];
  return JSON.stringify(await Promise.all(reads));
}

function isolationSuite(backend: Backend): void {
  describe(`isolation · ${backend}`, { concurrency: 1 }, () => {
    const keyA = secretKey('a');
    const keyB = secretKey('b');
    let root = '';
    let dataDir = '';
    let upstream: ScriptedUpstream;
    let server: TestServer;
    const journal = new Journal();
    let a: World;
    let b: World;
    /** Worlds by label (a third one made with the CLI key in FULL mode). */
    const worlds: World[] = [];
    /** Keys whose values must never appear in a response. */
    const keys: string[] = [keyA, keyB];
    /** Ids each project made after set-up (fresh objects, hostile-named files). */
    const later = new Map<string, Set<string>>();
    const tally = newTally();
    let started = 0;
    const timings: Record<string, number> = {};

    const ownedLater = (label: string): Set<string> => {
      let s = later.get(label);
      if (!s) later.set(label, (s = new Set()));
      return s;
    };
    /** Every id the projects other than `label` made. */
    const idsOfOthers = (label: string): Set<string> =>
      new Set(worlds.filter((w) => w.label !== label).flatMap((w) => [...w.owned, ...ownedLater(w.label)]));
    const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      try {
        return await fn();
      } finally {
        timings[name] = Date.now() - t0;
      }
    };

    before(async () => {
      started = Date.now();
      root = mkdtempSync(join(tmpdir(), 'oa-iso-'));
      dataDir = join(root, 'outer', 'inner', 'data');
      mkdirSync(dataDir, { recursive: true });
      upstream = await startScriptedUpstream();
      server = await startTestServer(backend, {
        env: {
          DATA_DIR: dataDir,
          API_KEYS: `${keyA}:team-a,${keyB}:team-b`,
          UPSTREAM_BASE_URL: upstream.baseURL,
          UPSTREAM_API_KEY: 'sk-upstream',
          UPSTREAM_RETRY_BASE_MS: '10',
          RUN_POLL_MS: '50',
          // FULL also runs code_interpreter (a sandbox session per project and thread)
          ...(!FULL && { CODE_INTERPRETER: 'off' }),
        },
      });
      await timed('setup', async () => {
        [a, b] = await Promise.all([
          buildWorld('a', new Client(server.baseURL, keyA, 'a', journal), upstream, journal),
          buildWorld('b', new Client(server.baseURL, keyB, 'b', journal), upstream, journal),
        ]);
      });
      worlds.push(a, b);
    });

    after(async () => {
      await server?.close();
      await upstream?.close();
      if (root) rmSync(root, { recursive: true, force: true });
      const perOp = Object.fromEntries([...tally.perOp].map(([op, c]) => [op, c]));
      const byKind = { path: 0, ref: 0, list: 0, fresh: 0 };
      for (const c of tally.perOp.values()) for (const k of Object.keys(byKind) as Array<keyof typeof byKind>) byKind[k] += c[k];
      const targets = new Set([...tally.targets.values()].flatMap((s) => [...s]));
      report(`isolation-${backend}`, {
        backend,
        projects: worlds.length,
        operations: tally.perOp.size,
        probes: byKind,
        foreignObjects: targets.size,
        operationObjectPairs: [...tally.targets.values()].reduce((n, s) => n + s.size, 0),
        requests: journal.entries.length,
        failures: tally.failures.length,
        ms: Date.now() - started,
        timings,
        perOp,
      });
    });

    it('the operation table covers exactly the 48 operations of the spec', () => {
      const spec = specOperations();
      assert.equal(spec.length, 48);
      assert.deepEqual(Object.keys(OPERATIONS).sort(), spec);
      for (const [op, def] of Object.entries(OPERATIONS)) {
        assert.ok(def.chains || def.refs || def.lists || def.fresh, `${op} has no probe`);
        if (/\{/.test(op)) assert.ok(def.chains, `${op} has path ids but no chains`);
      }
    });

    it('the two projects share nothing: no id is in both', () => {
      const both = [...a.owned].filter((id) => b.owned.has(id));
      assert.deepEqual(both, []);
    });

    it("every operation on the other project's objects answers exactly as for an unknown id, both ways, and changes nothing", async () => {
      const before_ = await Promise.all(worlds.map(snapshot));
      await timed('matrix', async () => {
        for (const [actor, victim] of [
          [b, a],
          [a, b],
        ] as const) {
          const probes: Probe[] = [];
          for (const op of Object.keys(OPERATIONS)) probes.push(...pathProbes(op, actor, victim), ...refProbes(op, actor, victim));
          await runProbes(actor, probes, tally, CONCURRENCY);
        }
      });
      const after_ = await Promise.all(worlds.map(snapshot));
      assert.deepEqual(tally.failures, []);
      worlds.forEach((w, i) => assert.equal(after_[i], before_[i], `project ${w.label}'s objects changed`));
      for (const op of Object.keys(OPERATIONS)) {
        const c = tally.perOp.get(op);
        if (OPERATIONS[op].chains) assert.ok(c && c.path > 0, `${op}: no path probe ran`);
        if (OPERATIONS[op].refs) assert.ok(c && c.ref > 0, `${op}: no reference probe ran`);
      }
    });

    it("lists hold only the caller's own objects, with the other's ids as cursors too", async () => {
      await timed('lists', async () => {
        for (const [actor, victim] of [
          [b, a],
          [a, b],
        ] as const) {
          await runLists(actor, victim, tally, CONCURRENCY, ownedLater(actor.label), idsOfOthers(actor.label), true);
        }
      });
      assert.deepEqual(tally.failures, []);
    });

    it("search and a run's file_search return only the caller's chunks; prompts upstream hold only the caller's content", async () => {
      for (const [actor, victim] of [
        [b, a],
        [a, b],
      ] as const) {
        const queries = ['saffron', 'secret formula', 'cardamom autumn harvest', victim.canary, `${victim.canary}-secret.md`];
        for (const query of [...queries, queries]) {
          const res = await actor.client.post(`/vector_stores/${actor.vectorStore}/search`, { query, max_num_results: 50 });
          count(tally, 'POST /vector_stores/{vector_store_id}/search', 'list');
          const files = new Set((res.data as Array<{ file_id: string }>).map((h) => h.file_id));
          for (const f of files) assert.ok([actor.file, actor.file2].includes(f), `${actor.label}'s search returned ${f}`);
          if (query === 'saffron') assert.equal(files.size, 2, `${actor.label}'s own files are found: ${JSON.stringify(res.data)}`);
        }
        // the completed run's file_search step: only the caller's files, with content
        const steps = await actor.client.get(`/threads/${actor.thread}/runs/${actor.run}/steps/${actor.step}`, {
          'include[]': 'step_details.tool_calls[*].file_search.results[*].content',
        });
        const results = steps.step_details.tool_calls[0].file_search.results as Array<{ file_id: string }>;
        assert.ok(results.length > 0, 'the file_search step found something');
        for (const r of results) assert.ok(actor.owned.has(r.file_id), `${actor.label}'s file_search step shows ${r.file_id}`);
        // what went upstream for the caller's runs
        for (const req of upstream.requests().filter((r) => r.model.startsWith(actor.model))) {
          const text = JSON.stringify(req.body);
          assert.ok(!text.includes(victim.canary), `a prompt of ${actor.label} holds ${victim.label}'s content`);
          for (const id of idsIn(text)) assert.ok(!victim.owned.has(id), `a prompt of ${actor.label} names ${victim.label}'s ${id}`);
        }
      }
    });

    it("objects made by each creating operation are out of the other project's reach", async () => {
      const ctx = {
        waitForRun: async (own: World, threadId: string, runId: string) => {
          const run = await waitForRun(own.client, threadId, runId, TERMINAL);
          assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
        },
        uploadFile: async (own: World, name: string, text: string) => (await uploadFile(own.client, name, text)).id as string,
      };
      await timed('fresh', async () => {
        for (const [actor, victim] of [
          [b, a],
          [a, b],
        ] as const) {
          const from = journal.entries.length;
          for (const [op, def] of Object.entries(OPERATIONS)) {
            if (!def.fresh) continue;
            const reads = await def.fresh.create(actor, ctx);
            const probes: Probe[] = reads.map((r) => {
              const stand = r.ids.map((id, i) => randomId(r.kinds[i] as Kind, id));
              return {
                op,
                kind: 'fresh',
                label: `read ${r.kinds.join('/')}`,
                req: r.read(r.ids),
                twin: r.read(stand),
                pairs: r.ids.map((id, i) => [id, stand[i]] as [string, string]),
                expect: 'notFound',
              };
            });
            await runProbes(victim, probes, tally, CONCURRENCY);
          }
          for (const e of journal.entries.slice(from)) if (e.actor === actor.label) for (const id of idsIn(e.res.text)) ownedLater(actor.label).add(id);
        }
      });
      assert.deepEqual(tally.failures, []);
      for (const op of Object.keys(OPERATIONS)) if (OPERATIONS[op].fresh) assert.ok(tally.perOp.get(op)!.fresh > 0, `${op}: no fresh probe`);
    });

    it('the waiting run and the pending upload still work for their owner (plain and streamed)', async () => {
      for (const w of worlds) upstream.script(w.model, { text: `done ${w.canary}` });
      await a.client.post(`/threads/${a.raThread}/runs/${a.raRun}/submit_tool_outputs`, { tool_outputs: [{ tool_call_id: a.call, output: a.canary }] });
      assert.equal((await waitForRun(a.client, a.raThread, a.raRun, TERMINAL)).status, 'completed');
      const streamed = await b.client.send({
        method: 'POST',
        path: `/threads/${b.raThread}/runs/${b.raRun}/submit_tool_outputs`,
        json: { tool_outputs: [{ tool_call_id: b.call, output: b.canary }], stream: true },
        timeoutMs: 20_000,
      });
      assert.equal(streamed.status, 200);
      assert.ok(sseEvents(streamed.text).some((e) => e.event === 'thread.run.completed'), streamed.text.slice(0, 500));
      for (const w of worlds) {
        const done = await w.client.post(`/uploads/${w.upload}/complete`, { part_ids: [w.part] });
        assert.equal(done.status, 'completed');
        const bytes = (await w.client.send({ method: 'GET', path: `/files/${done.file.id}/content` })).bytes;
        assert.deepEqual(bytes, w.partBytes);
        ownedLater(w.label).add(done.file.id);
      }
    });

    it('keys made with `keys create` are stored hashed and open only their own project', async () => {
      const made = await timed('cli', () => runCli(['keys', 'create', '--project', 'team-c', '--name', 'isolation'], storeEnv(server)));
      assert.equal(made.code, 0, made.stderr);
      const keyC = made.stdout.trim();
      assert.match(keyC, /^sk-oa-[A-Za-z0-9_-]{32}$/);
      assert.ok(!made.stderr.includes(keyC), 'the key is printed once, on stdout');
      keys.push(keyC);

      const listing = runCli(['keys', 'list'], storeEnv(server));

      // nothing in the database holds a key in plain text: not the CLI's, not API_KEYS'
      const tables = await dumpTables(server);
      assert.ok(tables.has('api_keys'));
      assert.ok(tables.get('api_keys')!.includes('team-c'));
      assert.ok(tables.get('api_keys')!.includes(createHash('sha256').update(keyC).digest('hex')), 'the key is stored as its SHA-256');
      for (const [table, text] of tables) {
        for (const k of keys) {
          assert.ok(!text.includes(k), `table ${table} holds a key in plain text`);
          assert.ok(!text.includes(k.slice(-20)), `table ${table} holds most of a key`);
        }
      }
      if (backend === 'sqlite') {
        for (const raw of sqliteFiles(dataDir)) for (const k of keys) assert.ok(!raw.includes(k) && !raw.includes(k.slice(-20)), 'the SQLite files hold a key');
      }

      // the new key works, in a project of its own
      const c = new Client(server.baseURL, keyC, 'c', journal);
      const cWorld = FULL
        ? await timed('setup-c', () => buildWorld('c', c, upstream, journal))
        : undefined;
      if (cWorld) worlds.push(cWorld);
      for (const list of ['/assistants', '/files', '/vector_stores']) {
        const res = await c.get(list);
        for (const item of res.data as Array<{ id: string }>) assert.ok(!a.owned.has(item.id) && !b.owned.has(item.id), `C lists ${item.id}`);
      }
      // C against A and B: every operation (FULL: all mixes and both ways, with C's own objects)
      const victims = [a, b];
      await timed('matrix-c', async () => {
        for (const victim of victims) {
          if (cWorld) {
            for (const [actor, target] of [
              [cWorld, victim],
              [victim, cWorld],
            ] as const) {
              const probes: Probe[] = [];
              for (const op of Object.keys(OPERATIONS)) probes.push(...pathProbes(op, actor, target), ...refProbes(op, actor, target));
              await runProbes(actor, probes, tally, CONCURRENCY);
              await runLists(actor, target, tally, CONCURRENCY, ownedLater(actor.label), idsOfOthers(actor.label), false);
            }
          } else {
            // bounded: the victim's own ids at every path position, for every operation
            const probes: Probe[] = [];
            for (const op of Object.keys(OPERATIONS)) {
              probes.push(...pathProbes(op, victim, victim).filter((p) => !/[BR]/.test(p.mix ?? 'B')));
            }
            const asC = { ...victim, client: c, label: 'c' };
            await runProbes(asC, probes, tally, CONCURRENCY);
          }
        }
      });
      assert.deepEqual(tally.failures, []);
      const listed = await listing;
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(listed.stdout.includes('team-c'));
      for (const k of keys) assert.ok(!listed.stdout.includes(k) && !listed.stderr.includes(k), '`keys list` shows hints only');
    });

    it("code_interpreter: hostile-named files land inside the sandbox; one project's session finds nothing of the other's", { skip: !FULL && 'FULL only' }, async (t) => {
      const health = (await (await fetch(`${server.baseURL}/health`)).json()) as { tools?: { code_interpreter?: { available?: boolean } } };
      if (!health.tools?.code_interpreter?.available) {
        t.skip(`code_interpreter is not available: ${JSON.stringify(health.tools?.code_interpreter)}`);
        return;
      }
      const marker = `oa-iso-sbx-${randomBytes(6).toString('hex')}`;
      const names = ['../../etc/passwd', `${'../'.repeat(12)}tmp/${marker}`, 'a\u0000b.txt', '..', '..\\..\\win.ini', `${'n'.repeat(300)}.txt`];
      const files: string[] = [];
      for (const name of names) {
        const s = await sendNamed(b.client, 'uploads', name);
        assert.ok(s.file, `${name}: ${s.res.status} ${s.res.text.slice(0, 200)}`);
        files.push(s.file.id);
        ownedLater('b').add(s.file.id);
      }
      files.push(b.file3); // holds B's canary: B's own search must find it (the control)
      const contentOf = new Map<string, string>();
      for (const id of files) contentOf.set(id, (await b.client.send({ method: 'GET', path: `/files/${id}/content` })).bytes.toString('base64'));
      // the needle is assembled at run time, so the code itself never holds it
      const hidden = [...b.canary].reverse().join('');
      const py = (who: World, extra: string) =>
        [
          'import os, base64',
          "for root, dirs, fs in os.walk('/mnt'):",
          '    for f in fs:',
          '        p = os.path.join(root, f)',
          "        print('FILE', repr(p), base64.b64encode(open(p, 'rb').read()[:512]).decode())",
          `needle = ''.join(reversed(${JSON.stringify(hidden)})).encode()`,
          'hits = []',
          `for top in ['/mnt', '/tmp', '/var/tmp', '/home', '/root', '/srv', '/opt', ${JSON.stringify(dataDir)}, ${JSON.stringify(root)}]:`,
          '    for r, ds, fs in os.walk(top):',
          '        for f in fs:',
          '            try:',
          "                with open(os.path.join(r, f), 'rb') as h:",
          '                    if needle in h.read(1 << 20): hits.append(os.path.join(r, f))',
          '            except Exception:',
          '                pass',
          "print('HITS', len(hits))",
          extra,
          `print('DONE', ${JSON.stringify(who.label)})`,
        ].join('\n');
      const logsOf = async (who: World, code: string, fileIds: string[]): Promise<string> => {
        const model = `${who.model}-ci`;
        upstream.script(model, { toolCalls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: `ran ${who.canary}` });
        const asst = await who.client.post('/assistants', { model, tools: [{ type: 'code_interpreter' }], tool_resources: { code_interpreter: { file_ids: fileIds } } });
        const thread = await who.client.post('/threads', { messages: [{ role: 'user', content: `run ${who.canary}` }] });
        const run = await who.client.post(`/threads/${thread.id}/runs`, { assistant_id: asst.id });
        const done = await waitFor(`code run ${run.id}`, async () => {
          const r = await who.client.get(`/threads/${thread.id}/runs/${run.id}`);
          return TERMINAL(r.status) ? r : undefined;
        }, 120_000);
        assert.equal(done.status, 'completed', JSON.stringify(done.last_error));
        const steps = await who.client.get(`/threads/${thread.id}/runs/${run.id}/steps`);
        const call = steps.data.flatMap((s: any) => s.step_details.tool_calls ?? []).find((c: any) => c.type === 'code_interpreter');
        return (call.code_interpreter.outputs as Array<{ type: string; logs?: string }>).map((o) => o.logs ?? '').join('\n');
      };
      // B's session: every file placed directly in /mnt/data, bytes intact; a write outside goes nowhere on the host
      const bLogs = await timed('sandbox-b', () =>
        logsOf(b, py(b, `try:\n    open('/mnt/data/${'../'.repeat(12)}tmp/${marker}-py', 'w').write('x')\nexcept Exception as e:\n    print('refused', type(e).__name__)`), files),
      );
      assert.match(bLogs, /DONE b/, bLogs);
      assert.match(bLogs, /^HITS [1-9]/m, `the control: B's session finds its own canary\n${bLogs}`);
      const placed = [...bLogs.matchAll(/^FILE '([^']*)' (\S*)$/gm)].map((m) => ({ path: m[1], b64: m[2] }));
      assert.equal(placed.length, files.length, bLogs);
      for (const p of placed) {
        assert.match(p.path, /^\/mnt\/data\/[^/]+$/, `placed at ${p.path}`);
        assert.ok([...contentOf.values()].includes(p.b64), `the bytes at ${p.path} are one of the files'`);
      }
      // A's session, with the needle of B's canary: found nowhere it can read
      const aLogs = await timed('sandbox-a', () => logsOf(a, py(a, ''), [a.file3]));
      assert.match(aLogs, /DONE a/, aLogs);
      assert.match(aLogs, /^HITS 0$/m, aLogs);
      for (const p of [`/tmp/${marker}`, `/tmp/${marker}-py`]) assert.ok(!existsSync(p), `${p} was written on the host`);
    });

    it('hostile file names stay inside the blob directory, bytes and names come back safely', async () => {
      const marker = `oa-iso-escape-${randomBytes(6).toString('hex')}`;
      const names = hostileNames(root, marker, scale(2000, 60_000));
      const sent: Sent[] = [];
      await timed('filenames', async () => {
        const tasks: Array<() => Promise<Sent>> = [];
        for (const name of names) for (const ch of CHANNELS) if (ch.carries(name)) tasks.push(() => sendNamed(b.client, ch.name, name));
        sent.push(...(await pool(4, tasks)));
      });
      const problems: string[] = [];
      const listed = new Map((await b.client.get('/files', { limit: '10000' })).data.map((f: { id: string; filename: string }) => [f.id, f.filename]));
      const crossProbes: Probe[] = [];
      for (const s of sent) {
        const where = `${s.channel} ${JSON.stringify(s.name.slice(0, 80))}${s.name.length > 80 ? `… (${s.name.length})` : ''}`;
        if (!s.file) {
          // refusing a name is fine; failing on it is not
          if (s.res.status !== 400) problems.push(`${where}: ${s.res.status} ${s.res.text.slice(0, 200)}`);
          continue;
        }
        ownedLater('b').add(s.file.id);
        const why = acceptableStoredName(s.name, s.file.filename);
        if (why) problems.push(`${where}: ${why}`);
        const meta = await b.client.get(`/files/${s.file.id}`);
        if (meta.filename !== s.file.filename) problems.push(`${where}: retrieve says ${JSON.stringify(meta.filename)}`);
        if (listed.get(s.file.id) !== s.file.filename) problems.push(`${where}: the list says ${JSON.stringify(listed.get(s.file.id))}`);
        let download;
        try {
          download = await b.client.send({ method: 'GET', path: `/files/${s.file.id}/content` });
        } catch (err) {
          problems.push(`${where}: the download failed: ${String((err as { cause?: unknown }).cause ?? err)}`);
          continue;
        }
        if (download.status !== 200) problems.push(`${where}: download ${download.status}`);
        else if (!download.bytes.equals(s.bytes)) problems.push(`${where}: the downloaded bytes differ`);
        for (const p of dispositionProblems(download.headers['content-disposition'], s.file.filename)) problems.push(`${where}: ${p}`);
        for (const path of [`/files/${s.file.id}`, `/files/${s.file.id}/content`]) {
          const stand = randomId('file', s.file.id);
          crossProbes.push({
            op: path.endsWith('content') ? 'GET /files/{file_id}/content' : 'GET /files/{file_id}',
            kind: 'fresh',
            label: 'hostile name',
            req: { method: 'GET', path },
            twin: { method: 'GET', path: path.replace(s.file.id, stand) },
            pairs: [[s.file.id, stand]],
            expect: 'notFound',
          });
        }
      }
      await runProbes(a, crossProbes, tally, CONCURRENCY);
      assert.deepEqual(problems, []);
      assert.deepEqual(tally.failures, []);
      assert.ok(sent.filter((s) => s.file).length >= names.length, 'most names were taken');

      // on disk: only the database and server-made blob keys under DATA_DIR, nothing else in the root
      await new Promise((r) => setTimeout(r, 100));
      const inData = walk(dataDir);
      assert.deepEqual(inData.filter((p) => !allowedDataPath(p)), [], 'files under DATA_DIR outside blobs/, the database and sandbox/');
      assert.ok(inData.some((p) => p.startsWith('blobs/files/')));
      const inRoot = walk(root).filter((p) => !p.startsWith('outer/inner/data/') || p === 'outer/inner/data/');
      assert.deepEqual(inRoot, ['outer/', 'outer/inner/', 'outer/inner/data/'], 'nothing written next to DATA_DIR');
      for (const p of [`/tmp/${marker}`, `/tmp/${marker}.txt`, `/tmp/${marker}-abs.txt`, join(root, 'abs-escape.txt'), join(dataDir, 'etc')]) {
        assert.ok(!existsSync(p), `${p} was written`);
      }
    });

    it("no response carries another project's ids or content, or any API key; no prompt carries another project's", () => {
      const leaks: string[] = [];
      const owners = worlds.map((w) => ({ w, ids: new Set([...w.owned, ...ownedLater(w.label)]) }));
      for (const e of journal.entries) {
        const where = `${e.actor}: ${e.req.method} ${e.req.path}`;
        const headers = JSON.stringify(e.res.headers);
        for (const k of keys) if (e.res.text.includes(k) || headers.includes(k)) leaks.push(`${where}: a response holds an API key`);
        for (const { w, ids } of owners) {
          if (w.label === e.actor) continue;
          if (!e.sent.includes(w.canary) && (e.res.text.includes(w.canary) || headers.includes(w.canary))) {
            leaks.push(`${where}: holds ${w.label}'s content (${w.canary})`);
          }
          for (const id of idsIn(e.res.text + headers)) if (ids.has(id) && !e.sent.includes(id)) leaks.push(`${where}: names ${w.label}'s ${id}`);
        }
      }
      report(`isolation-scan-${backend}`, { responses: journal.entries.length, leaks: leaks.length });
      assert.deepEqual(leaks.slice(0, 50), []);
    });

    it('API_KEYS values never reach the logs (info level) or a response, nor a configuration error', async () => {
      const k1 = secretKey('log1');
      const k2 = secretKey('log2');
      const dir = join(root, 'logs');
      mkdirSync(dir, { recursive: true });
      const db = backend === 'postgres' ? await freshDatabase() : undefined;
      // a bad API_KEYS entry stops the server, and says which entry without printing its key
      const bad = runCli(['serve'], { DATA_DIR: dir, API_KEYS: `${k1}:team-a,${k2}:bad project!`, LOG_LEVEL: 'info' });
      const child = await timed('log-server', () =>
        ChildServer.start({
          DATA_DIR: dir,
          LOG_LEVEL: 'info',
          API_KEYS: `${k1}:team-a,${k2}:team-b`,
          CODE_INTERPRETER: 'off',
          ...(db && { DATABASE_URL: db.url }),
        }),
      );
      const seen: string[] = [];
      try {
        const c1 = new Client(child.baseURL, k1, 'log1', new Journal());
        const c2 = new Client(child.baseURL, k2, 'log2', new Journal());
        const asst = await c1.post('/assistants', { model: 'gpt-4o', name: 'log probe' });
        const reqs: Array<[Client, Req]> = [
          [c1, { method: 'GET', path: '/assistants' }],
          [c2, { method: 'GET', path: `/assistants/${asst.id}` }],
          [c2, { method: 'POST', path: `/assistants/${asst.id}`, json: { name: 'x' } }],
          [c2, { method: 'POST', path: '/threads', json: { messages: [{ role: 'nobody' }] } }],
          [c2, { method: 'POST', path: '/threads', json: '{not json' }],
          [c1, { method: 'GET', path: '/files/file-none/content' }],
          [c1, { method: 'GET', path: '/nowhere' }],
          [c1, { method: 'DELETE', path: '/assistants' }],
          [c1, { method: 'GET', path: '/assistants', query: { api_key: k1 } }],
          [c1, { method: 'POST', path: '/files', multipart: { fields: { purpose: 'assistants' } } }],
        ];
        for (const [client, req] of reqs) seen.push(JSON.stringify((await client.send(req)).headers), (await client.send(req)).text);
        for (const wrong of [`${k1}x`, k1.slice(0, -1), k1.toUpperCase(), `${k2}:team-b`]) {
          const res = await new Client(child.baseURL, wrong, 'wrong', new Journal()).send({ method: 'GET', path: '/assistants' });
          assert.equal(res.status, 401);
          seen.push(res.text, JSON.stringify(res.headers));
        }
        const raw = await fetch(`${child.baseURL}/assistants`, { headers: { authorization: `Basic ${Buffer.from(k1).toString('base64')}` } });
        seen.push(await raw.text());
      } finally {
        await child.stop();
        await db?.drop();
      }
      const logs = child.stdout + child.stderr;
      assert.match(logs, /listening on/, 'the logs were captured');
      for (const k of [k1, k2]) {
        assert.ok(!logs.includes(k) && !logs.includes(k.slice(-20)), 'a key is in the logs');
        assert.ok(!logs.includes(Buffer.from(k).toString('base64').slice(0, 40)), 'a base64 key is in the logs');
        for (const s of seen) assert.ok(!s.includes(k) && !s.includes(k.slice(-20)), `a response holds a key: ${s.slice(0, 200)}`);
      }

      const badRun = await bad;
      assert.equal(badRun.code, 1);
      assert.match(badRun.stderr, /API_KEYS .*bad entry "sk-\*\*\*:bad project!" \(entry 2/);
      for (const k of [k1, k2]) assert.ok(!(badRun.stdout + badRun.stderr).includes(k.slice(-20)), `the configuration error prints a key: ${badRun.stderr}`);
    });
  });
}

// the backends run side by side (each suite's own tests in order)
describe('robustness: isolation between projects', { concurrency: true }, () => {
  for (const backend of BACKENDS) isolationSuite(backend);
});
