/**
 * What the server adds to a streamed run, against the scripted upstream measured directly in the
 * same run:
 *   1. time to first token: POST a streaming run → first `thread.message.delta`, versus POST
 *      /chat/completions straight to the upstream → first content chunk (p50 / p95 over many runs);
 *   2. per token: the span from first to last delta of a long stream, through the server versus
 *      direct, divided by the number of deltas (paced at 2 ms like a real model, and unpaced);
 *   3. N concurrent streaming runs (default 500, 50 deltas each): failures, events lost or out of
 *      order, first-token p50/p99, wall time, the server's peak RSS.
 *
 *   npx tsx bench/run-latency.ts [--runs=200] [--concurrent=500] [--store=sqlite|postgres] [--rounds=3] [--warmup=300]
 *     [--skip=delta,concurrent] [--profile=DIR] [--no-write]
 *
 * The server runs in a child process pinned to CPU 0 (taskset); the scripted upstream in another
 * child and the client here, both on CPU 1. The upstream has a process of its own so that the
 * direct baseline crosses processes as a real client's call does (a client in the upstream's own
 * process skipped the scheduler hand-offs that any call over a socket pays, and charged them all to
 * the server).
 * Measurements 1 and 2 are taken `rounds` times and the median round is reported; with them the
 * server's CPU time (all its threads, from /proc) per run and per delta, which a busy machine
 * disturbs far less than wall-clock latency. `--profile=DIR` writes a V8 CPU profile of the server
 * there. Results are printed and, unless `--no-write`, written between this benchmark's markers in
 * bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startScriptedUpstream } from '../test/fixtures/scripted-upstream.js';

const SELF = fileURLToPath(import.meta.url);
const RESULTS = join(SELF, '..', 'RESULTS.md');
const START = '<!-- run-latency:start -->';
const END = '<!-- run-latency:end -->';
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const HEADERS = { authorization: 'Bearer bench', 'content-type': 'application/json' };

// ------------------------------------------------------------------ server child

/** The scripted turns, by model name (see the measurements below). */
const LONG_DELTAS = 300;
const CONCURRENT_DELTAS = 50;

async function upstreamChild(): Promise<void> {
  const upstream = await startScriptedUpstream();
  upstream.scriptFn('ttft', () => ({ text: ['Hello', ' world'] }));
  for (const delayMs of [0, 2]) {
    upstream.scriptFn(`long-${delayMs}`, () => ({ text: Array.from({ length: LONG_DELTAS }, (_, i) => `t${i} `), delayMs }));
  }
  upstream.scriptFn('concurrent', () => ({ text: Array.from({ length: CONCURRENT_DELTAS }, (_, i) => `w${i} `), delayMs: 10 }));
  process.once('SIGTERM', () => void upstream.close().finally(() => process.exit(0)));
  process.stdout.write(`READY ${upstream.baseURL}\n`);
}

async function serveChild(): Promise<void> {
  const { loadConfig } = await import('../src/config/config.js');
  const { startServer } = await import('../src/main.js');
  const server = await startServer(loadConfig({ ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' }));
  process.once('SIGTERM', () => void server.close().finally(() => process.exit(0)));
  process.stdout.write(`READY ${server.baseUrl}\n`);
}

// ------------------------------------------------------------------ helpers

interface Options {
  runs: number;
  concurrent: number;
  store: 'sqlite' | 'postgres';
  rounds: number;
  /** First-token runs (each direct and through the server) before the measured rounds. */
  warmup: number;
  skip: Set<string>;
  profile: string | null;
  write: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { runs: 200, concurrent: 500, store: 'sqlite', rounds: 3, warmup: 300, skip: new Set(), profile: null, write: true };
  for (const arg of argv) {
    const [k, v = ''] = arg.replace(/^--/, '').split('=');
    if (k === 'runs') o.runs = Number(v);
    else if (k === 'concurrent') o.concurrent = Number(v);
    else if (k === 'store' && (v === 'sqlite' || v === 'postgres')) o.store = v;
    else if (k === 'rounds') o.rounds = Math.max(1, Number(v));
    else if (k === 'warmup') o.warmup = Math.max(0, Number(v));
    else if (k === 'skip') for (const phase of v.split(',')) o.skip.add(phase);
    else if (k === 'profile') o.profile = v || join(tmpdir(), 'oa-run-latency-prof');
    else if (k === 'no-write') o.write = false;
  }
  return o;
}

const median = (values: number[]) => pct(values, 50);

/** CPU time of a process, all its threads, in milliseconds (from the scheduler's nanosecond counters). */
function cpuMs(pid: number | undefined): number {
  let ns = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    return Number.NaN;
  }
  return ns / 1e6;
}

function pct(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

const ms = (n: number) => n.toFixed(2);

/** Reads an SSE response, calling `onEvent(name, data, at)` per event; resolves at the end. */
async function readSse(res: Response, onEvent: (name: string, data: string, at: number) => void): Promise<void> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const at = performance.now();
    buffer += decoder.decode(value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trim());
      }
      if (data.length) onEvent(name, data.join('\n'), at);
    }
  }
}

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
}

async function json<T>(res: Response): Promise<T> {
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

// ------------------------------------------------------------------ measurements

/** Straight to the upstream: first content chunk, and first→last content span. */
async function direct(upstreamUrl: string, model: string): Promise<{ ttft: number; span: number; deltas: number }> {
  const t0 = performance.now();
  const res = await post(`${upstreamUrl}/chat/completions`, {
    model,
    stream: true,
    stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'hi' }],
  });
  let first = 0;
  let last = 0;
  let deltas = 0;
  await readSse(res, (_n, data, at) => {
    if (data === '[DONE]') return;
    const chunk = JSON.parse(data) as { choices: Array<{ delta?: { content?: string } }> };
    if (chunk.choices[0]?.delta?.content) {
      if (!first) first = at;
      last = at;
      deltas++;
    }
  });
  return { ttft: first - t0, span: last - first, deltas };
}

/** Through the server: POST a streaming run → first message delta, and first→last delta span. */
async function viaServer(
  base: string,
  assistantId: string,
  threadId?: string,
): Promise<{ ttft: number; span: number; deltas: number; events: string[]; at: Map<string, number> }> {
  const thread = threadId ?? (await newThread(base));
  const t0 = performance.now();
  const res = await post(`${base}/threads/${thread}/runs`, { assistant_id: assistantId, stream: true });
  const headers = performance.now() - t0;
  let first = 0;
  let last = 0;
  let deltas = 0;
  const events: string[] = [];
  const seen = new Map<string, number>([['response headers', headers]]);
  await readSse(res, (name, _d, at) => {
    events.push(name);
    if (!seen.has(name)) seen.set(name, at - t0);
    if (name === 'thread.message.delta') {
      if (!first) first = at;
      last = at;
      deltas++;
    }
  });
  return { ttft: first - t0, span: last - first, deltas, events, at: seen };
}

/** Median arrival time of each event (ms since the POST), in stream order: where the first token's time goes. */
function breakdown(runs: Array<Map<string, number>>): string {
  const names = [...(runs[0]?.keys() ?? [])];
  return names.map((n) => `${n} ${ms(median(runs.map((r) => r.get(n) ?? Number.NaN)))}`).join(' → ');
}

async function newThread(base: string): Promise<string> {
  return (await json<{ id: string }>(await post(`${base}/threads`, { messages: [{ role: 'user', content: 'hi' }] }))).id;
}

async function newThreads(base: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await newThread(base));
  return out;
}

const CANONICAL_HEAD = [
  'thread.run.created',
  'thread.run.queued',
  'thread.run.in_progress',
  'thread.run.step.created',
  'thread.run.step.in_progress',
  'thread.message.created',
  'thread.message.in_progress',
];
const CANONICAL_TAIL = ['thread.message.completed', 'thread.run.step.completed', 'thread.run.completed', 'done'];

function inOrder(events: string[], deltas: number): boolean {
  const expected = [...CANONICAL_HEAD, ...Array<string>(deltas).fill('thread.message.delta'), ...CANONICAL_TAIL];
  return events.length === expected.length && events.every((e, i) => e === expected[i]);
}

function peakRssMb(pid: number | undefined): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

async function startChild(
  role: 'server' | 'upstream',
  env: Record<string, string>,
  profile: string | null,
  pin: boolean,
): Promise<{ child: ChildProcess; base: string }> {
  const prof = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, '--cpu-prof-interval=200'] : [];
  const args = [...prof, '--import', 'tsx', SELF, `--${role}`];
  const cpu = role === 'server' ? '0' : '1';
  const child = pin
    ? spawn('taskset', ['-c', cpu, process.execPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const base = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => l.startsWith('READY ') && resolve(l.slice(6)));
    child.once('exit', (code) => reject(new Error(`${role} exited ${code}`)));
  });
  if (pin) spawnSync('taskset', ['-pc', '1', String(process.pid)]);
  return { child, base };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cpus = availableParallelism(); // before this process is pinned to one CPU
  const load = loadavg().map((n) => n.toFixed(2)).join(' / ');
  const pin = cpus >= 2 && spawnSync('taskset', ['-V']).status === 0;
  const upstream = await startChild('upstream', {}, null, pin);
  const upstreamUrl = upstream.base;
  const dataDir = mkdtempSync(join(tmpdir(), 'oa-bench-'));
  let dbName: string | undefined;
  const env: Record<string, string> = { DATA_DIR: dataDir, UPSTREAM_BASE_URL: upstreamUrl, RUN_CONCURRENCY: '2000' };
  if (options.store === 'postgres') {
    dbName = `oa_bench_${Date.now()}`;
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    env.DATABASE_URL = ADMIN_URL.replace(/\/postgres$/, `/${dbName}`);
  }
  const { child, base } = await startChild('server', env, options.profile, pin);
  const range = (values: number[], digits = 2) => `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
  const rows: string[] = [];
  const perDelta: string[] = [];
  let concurrentLine = '';
  try {
    // 1. first token
    const oneChunk = 'ttft';
    const SHORT = 2;
    const assistant = await json<{ id: string }>(await post(`${base}/assistants`, { model: oneChunk }));
    // steady state, as a long-running server is: the hot paths compiled by V8's optimizing tiers
    const warmThreads = await newThreads(base, options.warmup);
    for (let i = 0; i < options.warmup; i++) {
      await direct(upstreamUrl, oneChunk);
      await viaServer(base, assistant.id, warmThreads[i]);
    }
    let stages = '';
    const rounds: Array<{ d50: number; d95: number; s50: number; s95: number; cpuPerRun: number }> = [];
    for (let r = 0; r < options.rounds; r++) {
      const threads = await newThreads(base, options.runs);
      const d: number[] = [];
      const s: number[] = [];
      const at: Array<Map<string, number>> = [];
      const cpu0 = cpuMs(child.pid);
      for (let i = 0; i < options.runs; i++) {
        d.push((await direct(upstreamUrl, oneChunk)).ttft);
        const res = await viaServer(base, assistant.id, threads[i]);
        s.push(res.ttft);
        at.push(res.at);
      }
      const cpuPerRun = (cpuMs(child.pid) - cpu0) / options.runs;
      if (r === 0) stages = breakdown(at);
      rounds.push({ d50: pct(d, 50), d95: pct(d, 95), s50: pct(s, 50), s95: pct(s, 95), cpuPerRun });
      process.stderr.write(`round ${r + 1}: direct ${ms(pct(d, 50))}, via server ${ms(pct(s, 50))} (+${ms(pct(s, 50) - pct(d, 50))}), server CPU ${ms(cpuPerRun)} ms/run\n`);
    }
    const added = rounds.map((x) => x.s50 - x.d50);
    const cpuPerRun = median(rounds.map((x) => x.cpuPerRun));
    rows.push(`| first token, direct to upstream (baseline) | ${ms(median(rounds.map((x) => x.d50)))} | ${ms(median(rounds.map((x) => x.d95)))} | | |`);
    rows.push(
      `| first token, through a streaming run | ${ms(median(rounds.map((x) => x.s50)))} | ${ms(median(rounds.map((x) => x.s95)))} | ` +
        `**+${ms(median(added))} ms p50** (rounds ${range(added)}) | ${ms(cpuPerRun)} ms per run |`,
    );

    process.stderr.write(`first round, event arrival p50 (ms after the POST): ${stages}\n`);

    // 2. per delta
    for (const [label, delayMs] of options.skip.has('delta') ? [] : ([['paced 2 ms', 2], ['unpaced', 0]] as const)) {
      const model = `long-${delayMs}`;
      const N = LONG_DELTAS;
      const a = await json<{ id: string }>(await post(`${base}/assistants`, { model }));
      await direct(upstreamUrl, model);
      await viaServer(base, a.id);
      const per: number[] = [];
      const cpuPer: number[] = [];
      const dSpan: number[] = [];
      const sSpan: number[] = [];
      for (let r = 0; r < options.rounds; r++) {
        const threads = await newThreads(base, 10);
        const spansD: number[] = [];
        const spansS: number[] = [];
        let cpu = 0;
        for (let i = 0; i < 10; i++) {
          spansD.push((await direct(upstreamUrl, model)).span);
          const cpu0 = cpuMs(child.pid);
          const res = await viaServer(base, a.id, threads[i]);
          cpu += cpuMs(child.pid) - cpu0;
          if (res.deltas !== N) throw new Error(`lost deltas: ${res.deltas}/${N}`);
          spansS.push(res.span);
        }
        dSpan.push(median(spansD));
        sSpan.push(median(spansS));
        per.push((median(spansS) - median(spansD)) / N);
        // what a long run costs beyond a short one, spread over its extra deltas
        cpuPer.push((cpu / 10 - cpuPerRun) / (N - SHORT));
      }
      perDelta.push(
        `| ${N} deltas ${label}: first→last span | ${ms(median(dSpan))} direct | ${ms(median(sSpan))} via server | ` +
          `**${median(per).toFixed(3)} ms per delta** (rounds ${range(per, 3)}) | ${median(cpuPer).toFixed(3)} ms per delta |`,
      );
    }

    // 3. concurrent streaming runs
    if (!options.skip.has('concurrent')) {
      const model = 'concurrent';
      const DELTAS = CONCURRENT_DELTAS;
      const a = await json<{ id: string }>(await post(`${base}/assistants`, { model }));
      const t0 = performance.now();
      const results = await Promise.allSettled(Array.from({ length: options.concurrent }, () => viaServer(base, a.id)));
      const wall = performance.now() - t0;
      const ok = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<typeof viaServer>>> => r.status === 'fulfilled');
      const failed = results.length - ok.length;
      const disordered = ok.filter((r) => !inOrder(r.value.events, DELTAS)).length;
      const ttfts = ok.map((r) => r.value.ttft);
      const rss = peakRssMb(child.pid);
      const first = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      concurrentLine =
        `**${options.concurrent} concurrent streaming runs** (${DELTAS} deltas each, 10 ms apart): ${failed} failed, ` +
        `${disordered} with a lost or reordered event, first token p50 ${ms(pct(ttfts, 50))} ms / p99 ${ms(pct(ttfts, 99))} ms, ` +
        `all done in ${(wall / 1000).toFixed(1)} s, server peak RSS ${rss === null ? 'n/a' : `${rss.toFixed(0)} MB`}.` +
        (first ? ` First failure: ${String(first.reason).slice(0, 200)}` : '');
    }

    const lines = [
      START,
      `## run-latency: what a streamed run adds on top of the model (${options.store})`,
      '',
      `- date: ${new Date().toISOString()}`,
      `- machine: ${cpus} CPUs, Node ${process.version}, ${process.platform}/${process.arch}; load average (1/5/15 min) ${load} at the start, ` +
        `${loadavg().map((n) => n.toFixed(2)).join(' / ')} at the end`,
      `- command: \`npx tsx bench/run-latency.ts ${process.argv.slice(2).join(' ')}\``,
      '- server in a child process pinned to CPU 0 (taskset); scripted upstream in another child process and the client in this one, both on CPU 1',
      `- ${options.warmup} first-token runs each way to warm up, then ${options.rounds} rounds of ${options.runs} first-token runs and of 10 long runs per pacing, alternating direct and through the server; ` +
        'the median round is shown; server CPU is its process CPU time (all threads) during the runs through it',
      '',
      '| measurement | p50 ms | p95 ms | added by the server | server CPU |',
      '|---|--:|--:|--:|--:|',
      ...rows,
      '',
      `Where the first token's time goes (first round, p50 ms after the POST): ${stages}.`,
      '',
      '| per-token cost | upstream | server | added | server CPU beyond a 2-delta run |',
      '|---|--:|--:|--:|--:|',
      ...perDelta,
      '',
      ...(concurrentLine ? [concurrentLine, ''] : []),
      '- Targets: under 2 ms p50 added to the first token, under 0.1 ms per delta, zero errors at 500 concurrent runs.',
      END,
    ];
    const text = lines.join('\n');
    process.stdout.write(`${text}\n`);
    if (options.write) writeSection(options.store, text);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    upstream.child.kill('SIGTERM');
    await new Promise((r) => upstream.child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
    if (dbName) {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

/** Replaces this benchmark's section for `store` in bench/RESULTS.md (appends it the first time). */
function writeSection(store: string, text: string): void {
  let doc = '';
  try {
    doc = readFileSync(RESULTS, 'utf8');
  } catch {
    doc = '# Benchmark results\n';
  }
  const markerStart = START.replace(':start', `:${store}:start`);
  const markerEnd = END.replace(':end', `:${store}:end`);
  const section = text.replace(START, markerStart).replace(END, markerEnd);
  const i = doc.indexOf(markerStart);
  const j = doc.indexOf(markerEnd);
  doc = i >= 0 && j > i ? doc.slice(0, i) + section + doc.slice(j + markerEnd.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS, doc);
}

if (process.argv.includes('--server')) await serveChild();
else if (process.argv.includes('--upstream')) await upstreamChild();
else await main();
