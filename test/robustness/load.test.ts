/**
 * Load, measured: many concurrent streaming runs against the scripted upstream (each streams
 * DELTAS text deltas), mixed with CRUD traffic on every kind of object, then one thread with many
 * messages listed page by page. Per backend, the server runs as a child process (so its peak RSS
 * is its own) with RUN_CONCURRENCY above the number of streams (every run executes at once).
 *
 * Asserted: zero failed requests (streams and CRUD), every stream has every event in canonical
 * order with exactly the upstream's text (its own: each run's text is unique, so a crossed stream
 * shows), every run completed with that text stored, one upstream request per run; every listed
 * message present exactly once, in creation order, both directions.
 * Measured (printed as `ROBUSTNESS {…}`): latency the server adds to the first token (through a
 * streaming run minus straight to the upstream, same machine, same moment: idle and under the
 * load), CRUD latency, peak RSS, wall times.
 *
 * Bounded (npm test): 150 streams, 2,000 messages. FULL (npm run robustness): 1,000 and 10,000.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';
import { BACKENDS } from '../helpers/server.js';
import { FULL, scale } from './mode.js';
import { freshStore, startChild, type ChildServer, type Store } from './support/child-server.js';
import { api, judgeTextStream, listAll, ok, readSse, streamRun, textOf, uploadFile, type SseEvent } from './support/http.js';
import { pct, pool, report, round, sleep } from './support/report.js';

const STREAMS = scale(150, 1000);
const DELTAS = 50;
const DELTA_GAP_MS = 10;
const CRUD_WORKERS = scale(4, 12);
const IDLE_SAMPLES = scale(30, 200);
const MESSAGES = scale(2000, 10_000);
const MESSAGE_WAVE = 8;

const pieces = (i: number): string[] => Array.from({ length: DELTAS }, (_, k) => `r${i}w${k} `);
const textFor = (i: number): string => pieces(i).join('');

/** Straight to the upstream: ms from the request to the first content chunk. */
async function directTtft(upstream: ScriptedUpstream, model: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(`${upstream.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'direct' }] }),
  });
  let first = 0;
  await readSse(res, (e: SseEvent) => {
    if (first || e.data === '[DONE]') return;
    const chunk = JSON.parse(e.data) as { choices: Array<{ delta?: { content?: string } }> };
    if (chunk.choices[0]?.delta?.content) first = e.at;
  });
  if (!first) throw new Error('the upstream streamed no content');
  return first - t0;
}

/** Through the server: ms from POST (streaming run) to the first `thread.message.delta`. */
function firstDelta(events: readonly SseEvent[], sentAt: number): number {
  const e = events.find((x) => x.event === 'thread.message.delta');
  return e ? e.at - sentAt : Number.NaN;
}

/** One round of CRUD on every kind of object; every non-2xx answer counts as a failure. */
async function crudRound(base: string, model: string, worker: number, round_: number, latencies: number[], failures: string[]): Promise<number> {
  let n = 0;
  const call = async (method: string, path: string, body?: unknown, expect = 200): Promise<any> => {
    const t0 = performance.now();
    n++;
    try {
      const res = await api(base, method, path, body);
      latencies.push(performance.now() - t0);
      if (res.status !== expect) failures.push(`${method} ${path} → ${res.status} ${res.text.slice(0, 200)}`);
      return res.json;
    } catch (err) {
      failures.push(`${method} ${path} → ${String(err)}`);
      return undefined;
    }
  };
  const tag = `w${worker}r${round_}`;
  const a = await call('POST', '/assistants', { model, name: tag, instructions: 'CRUD', metadata: { tag } });
  if (a?.id) {
    await call('GET', `/assistants/${a.id}`);
    await call('POST', `/assistants/${a.id}`, { name: `${tag}-renamed` });
    await call('GET', '/assistants?limit=5');
    await call('DELETE', `/assistants/${a.id}`);
  }
  const t = await call('POST', '/threads', { messages: [{ role: 'user', content: `crud ${tag}` }], metadata: { tag } });
  if (t?.id) {
    const m = await call('POST', `/threads/${t.id}/messages`, { role: 'user', content: `second ${tag}` });
    const list = await call('GET', `/threads/${t.id}/messages?order=asc`);
    if (list && (list.data.length !== 2 || list.data[1].id !== m?.id)) failures.push(`thread ${t.id}: listed ${JSON.stringify(list.data.map((x: any) => x.id))}`);
    await call('POST', `/threads/${t.id}`, { metadata: { tag, done: 'yes' } });
    await call('DELETE', `/threads/${t.id}`);
  }
  const t0 = performance.now();
  n++;
  try {
    const up = await uploadFile(base, `${tag}.txt`, Buffer.from(`file ${tag}\n`.repeat(50)));
    latencies.push(performance.now() - t0);
    if (up.status !== 200) failures.push(`POST /files → ${up.status} ${up.text.slice(0, 200)}`);
    else {
      await call('GET', `/files/${up.json.id}`);
      await call('DELETE', `/files/${up.json.id}`);
    }
  } catch (err) {
    failures.push(`POST /files → ${String(err)}`);
  }
  const vs = await call('POST', '/vector_stores', { name: tag });
  if (vs?.id) {
    await call('GET', `/vector_stores/${vs.id}`);
    await call('DELETE', `/vector_stores/${vs.id}`);
  }
  return n;
}

for (const backend of BACKENDS) {
  describe(`robustness: load · ${backend}`, { timeout: scale(240_000, 1_800_000) }, () => {
    let upstream: ScriptedUpstream;
    let store: Store;
    let server: ChildServer;
    const model = `load-${backend}`;

    before(async () => {
      upstream = await startScriptedUpstream();
      store = await freshStore(backend, 'load');
      // Each run's text is its own (the thread says which run it is), so a stream that got
      // another run's events would show it.
      upstream.scriptFn(model, (req) => {
        const m = /load-(\d+)/.exec(JSON.stringify(req.body.messages ?? []));
        return { text: pieces(m ? Number(m[1]) : -1), delayMs: DELTA_GAP_MS };
      });
      upstream.scriptFn('direct', () => ({ text: pieces(-1), delayMs: DELTA_GAP_MS }));
      // the idle first-token samples: two quick chunks, like bench/run-latency.ts
      upstream.scriptFn(`${model}-ttft`, () => ({ text: ['Hello', ' world'] }));
      upstream.scriptFn('direct-ttft', () => ({ text: ['Hello', ' world'] }));
      server = await startChild({
        ...store.env,
        UPSTREAM_BASE_URL: upstream.baseURL,
        UPSTREAM_API_KEY: 'sk-upstream',
        RUN_CONCURRENCY: String(Math.max(2000, STREAMS * 2)),
      });
    });
    after(async () => {
      await server?.stop();
      await upstream?.close();
      await store?.drop();
    });

    it(`${STREAMS} concurrent streaming runs (${DELTAS} deltas each) mixed with CRUD: nothing failed, lost or reordered`, async () => {
      const base = server.baseURL;
      const assistant = await ok(base, 'POST', '/assistants', { model, instructions: 'Answer.' });

      // idle: first token through a run vs straight to the upstream, alternating
      const quick = await ok(base, 'POST', '/assistants', { model: `${model}-ttft` });
      const idleDirect: number[] = [];
      const idleServer: number[] = [];
      for (let i = -5; i < IDLE_SAMPLES; i++) {
        const d = await directTtft(upstream, 'direct-ttft');
        const t = await ok(base, 'POST', '/threads', { messages: [{ role: 'user', content: 'hi' }] });
        const s = await streamRun(base, `/threads/${t.id}/runs`, { assistant_id: quick.id });
        assert.equal(s.events.at(-2)?.event, 'thread.run.completed');
        if (i < 0) continue; // warm-up
        idleDirect.push(d);
        idleServer.push(firstDelta(s.events, s.sentAt));
      }

      // the threads of the storm, made beforehand
      const threads = await pool(
        Array.from({ length: STREAMS }, (_, i) => i),
        16,
        async (i) => (await ok(base, 'POST', '/threads', { messages: [{ role: 'user', content: `load-${i}` }] })).id as string,
      );
      const rssBefore = server.peakRssMb();
      const upstreamBefore = upstream.requests(model).length;

      // the storm: every stream at once, direct probes to the upstream alongside, CRUD until it ends
      let stormDone = false;
      const crudLatencies: number[] = [];
      const crudFailures: string[] = [];
      let crudRequests = 0;
      const crud = Array.from({ length: CRUD_WORKERS }, async (_, w) => {
        for (let r = 0; !stormDone; r++) crudRequests += await crudRound(base, model, w, r, crudLatencies, crudFailures);
      });
      let stormRss = 0;
      const sampler = setInterval(() => {
        try {
          const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
          if (m) stormRss = Math.max(stormRss, Number(m[1]) / 1024);
        } catch {
          // gone
        }
      }, 50);
      const t0 = performance.now();
      const probes = Array.from({ length: Math.max(20, Math.ceil(STREAMS / 5)) }, async (_, k) => {
        await sleep((k % 20) * 10);
        return directTtft(upstream, 'direct');
      });
      const streams = await Promise.all(threads.map((id) => streamRun(base, `/threads/${id}/runs`, { assistant_id: assistant.id })));
      const stormMs = performance.now() - t0;
      stormDone = true;
      const direct = await Promise.all(probes);
      await Promise.all(crud);
      const peakRss = server.peakRssMb();
      clearInterval(sampler);

      const failed = streams.filter((s) => s.status !== 200 || s.broken);
      const problems = streams.map((s, i) => ({ i, problems: judgeTextStream(s.events, { deltas: DELTAS, text: textFor(i) }) })).filter((p) => p.problems.length);
      const ttft = streams.map((s) => firstDelta(s.events, s.sentAt)).filter(Number.isFinite);
      const at = (name: string) => streams.map((s) => (s.events.find((e) => e.event === name)?.at ?? Number.NaN) - s.sentAt).filter(Number.isFinite);
      const created = at('thread.run.created');
      const inProgress = at('thread.run.in_progress');
      // the longest silence inside each stream, between its first and last delta (the upstream sends every DELTA_GAP_MS)
      const maxGap = streams.map((s) => {
        const at = s.events.filter((e) => e.event === 'thread.message.delta').map((e) => e.at);
        let gap = 0;
        for (let i = 1; i < at.length; i++) gap = Math.max(gap, at[i] - at[i - 1]);
        return gap;
      });
      const lastEvent = streams.map((s) => (s.events.at(-1)?.at ?? Number.NaN) - s.sentAt).filter(Number.isFinite);

      // what was stored: every run completed with its text, one upstream request each
      const runIds = streams.map((s) => JSON.parse(s.events[0]?.data ?? '{}').id as string | undefined);
      const stored = await pool(threads, 16, async (threadId, i) => {
        const runs = await ok(base, 'GET', `/threads/${threadId}/runs`);
        const messages = await ok(base, 'GET', `/threads/${threadId}/messages?order=asc`);
        const issues: string[] = [];
        if (runs.data.length !== 1 || runs.data[0].id !== runIds[i] || runs.data[0].status !== 'completed') {
          issues.push(`runs ${JSON.stringify(runs.data.map((r: any) => [r.id, r.status]))}`);
        }
        if (messages.data.length !== 2 || textOf(messages.data[1]) !== textFor(i) || messages.data[1].status !== 'completed') {
          issues.push(`messages ${JSON.stringify(messages.data.map((m: any) => [m.role, m.status, textOf(m).slice(0, 30)]))}`);
        }
        return issues.length ? `thread ${i}: ${issues.join('; ')}` : undefined;
      });
      const storedProblems = stored.filter((x): x is string => x !== undefined);
      const upstreamRequests = upstream.requests(model).length - upstreamBefore;

      const addedIdle = idleServer.map((s, i) => s - idleDirect[i]);
      const figures = {
        backend,
        streams: STREAMS,
        deltas_each: DELTAS,
        delta_gap_ms: DELTA_GAP_MS,
        failed_streams: failed.length,
        streams_with_lost_or_reordered_events: problems.length,
        runs_not_stored_right: storedProblems.length,
        upstream_requests: upstreamRequests,
        crud_workers: CRUD_WORKERS,
        crud_requests: crudRequests,
        crud_failed: crudFailures.length,
        crud_ms: { p50: round(pct(crudLatencies, 50)), p99: round(pct(crudLatencies, 99)) },
        added_first_token_ms_idle: { p50: round(pct(addedIdle, 50)), p99: round(pct(addedIdle, 99)), samples: addedIdle.length },
        first_token_ms_under_load: {
          server_p50: round(pct(ttft, 50)),
          server_p99: round(pct(ttft, 99)),
          direct_p50: round(pct(direct, 50)),
          direct_p99: round(pct(direct, 99)),
        },
        added_first_token_ms_under_load: { p50: round(pct(ttft, 50) - pct(direct, 50)), p99: round(pct(ttft, 99) - pct(direct, 99)) },
        under_load_breakdown_p50_ms: {
          run_created: round(pct(created, 50)),
          run_in_progress: round(pct(inProgress, 50)),
          first_delta: round(pct(ttft, 50)),
        },
        longest_delta_gap_ms: { p50: round(pct(maxGap, 50)), p99: round(pct(maxGap, 99)), max: round(Math.max(...maxGap)) },
        stream_duration_ms: { p50: round(pct(lastEvent, 50)), p99: round(pct(lastEvent, 99)), upstream_alone: DELTAS * DELTA_GAP_MS },
        peak_rss_mb: peakRss === null ? null : round(peakRss, 0),
        peak_rss_before_storm_mb: rssBefore === null ? null : round(rssBefore, 0),
        max_rss_sampled_during_storm_mb: round(stormRss, 0),
        storm_wall_s: round(stormMs / 1000, 1),
        first_failure: failed[0] ? String(failed[0].broken ?? failed[0].body).slice(0, 300) : crudFailures[0] ?? problems[0]?.problems.join('; ') ?? storedProblems[0] ?? null,
      };
      report(`load-streams-${backend}`, figures);

      assert.equal(failed.length, 0, `${failed.length} streams failed; first: ${String(failed[0]?.broken ?? failed[0]?.body).slice(0, 300)}`);
      assert.deepEqual(problems.slice(0, 5), [], `${problems.length} streams lost or reordered events`);
      assert.deepEqual(crudFailures.slice(0, 5), [], `${crudFailures.length} CRUD requests failed`);
      assert.deepEqual(storedProblems.slice(0, 5), [], `${storedProblems.length} runs stored wrong`);
      assert.equal(upstreamRequests, STREAMS, 'one upstream request per run');
      assert.ok(crudRequests > 0);
    });

    it(`${MESSAGES} messages in one thread, listed page by page: each exactly once, in order`, async () => {
      const base = server.baseURL;
      const thread = await ok(base, 'POST', '/threads', {});
      // Waves of MESSAGE_WAVE concurrent creates: across waves the order is the client's; within a
      // wave the server's ids decide (they only have to agree with the list order).
      const t0 = performance.now();
      const created: Array<{ id: string; wave: number; content: string }> = [];
      for (let w = 0; w * MESSAGE_WAVE < MESSAGES; w++) {
        const wave = await Promise.all(
          Array.from({ length: Math.min(MESSAGE_WAVE, MESSAGES - w * MESSAGE_WAVE) }, async (_, k) => {
            const content = `message ${w * MESSAGE_WAVE + k}`;
            const m = await ok(base, 'POST', `/threads/${thread.id}/messages`, { role: 'user', content });
            return { id: m.id as string, wave: w, content };
          }),
        );
        created.push(...wave);
      }
      const createMs = performance.now() - t0;
      const byId = new Map(created.map((c) => [c.id, c]));
      assert.equal(byId.size, MESSAGES, 'every create answered a new id');

      const check = (listed: any[], order: 'asc' | 'desc'): void => {
        const ids = listed.map((m) => m.id as string);
        assert.equal(new Set(ids).size, ids.length, `${order}: a message listed twice`);
        assert.equal(ids.length, MESSAGES, `${order}: ${ids.length} listed of ${MESSAGES}`);
        for (const [i, m] of listed.entries()) {
          const c = byId.get(m.id);
          assert.ok(c, `${order}: listed ${m.id}, never created`);
          assert.equal(textOf(m), c.content);
          if (i > 0) {
            const prev = byId.get(listed[i - 1].id)!;
            const inOrder = order === 'asc' ? prev.wave <= c.wave && listed[i - 1].id < m.id : prev.wave >= c.wave && listed[i - 1].id > m.id;
            assert.ok(inOrder, `${order}: ${listed[i - 1].id} (wave ${prev.wave}) then ${m.id} (wave ${c.wave})`);
          }
        }
      };
      const t1 = performance.now();
      const asc = await listAll(base, `/threads/${thread.id}/messages`, 100, 'asc');
      const ascMs = performance.now() - t1;
      check(asc, 'asc');
      const t2 = performance.now();
      const desc = await listAll(base, `/threads/${thread.id}/messages`, 100, 'desc');
      const descMs = performance.now() - t2;
      check(desc, 'desc');
      // and backwards from the newest with `before` cursors (order asc: each page just ahead of the cursor)
      let before = desc[0].id as string;
      let backwards: any[] = [desc[0]];
      for (;;) {
        const page = await ok(base, 'GET', `/threads/${thread.id}/messages?limit=100&order=asc&before=${before}`);
        backwards = [...page.data, ...backwards];
        if (!page.has_more) break;
        before = page.first_id;
      }
      check(backwards, 'asc');
      report(`load-messages-${backend}`, {
        backend,
        messages: MESSAGES,
        listed_asc: asc.length,
        listed_desc: desc.length,
        listed_before: backwards.length,
        pages_each_way: Math.ceil(MESSAGES / 100),
        create_wall_s: round(createMs / 1000, 1),
        list_asc_ms: round(ascMs, 0),
        list_desc_ms: round(descMs, 0),
        full: FULL,
      });
    });
  });
}
