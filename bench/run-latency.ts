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
 *   npx tsx bench/run-latency.ts [--runs=200] [--concurrent=500] [--store=sqlite|postgres]
 *
 * The server runs in a child process pinned to CPU 0 (taskset), the upstream and the client here.
 * Results are printed and written between this benchmark's markers in bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startScriptedUpstream, type ScriptedUpstream } from '../test/fixtures/scripted-upstream.js';

const SELF = fileURLToPath(import.meta.url);
const RESULTS = join(SELF, '..', 'RESULTS.md');
const START = '<!-- run-latency:start -->';
const END = '<!-- run-latency:end -->';
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const HEADERS = { authorization: 'Bearer bench', 'content-type': 'application/json' };

// ------------------------------------------------------------------ server child

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
}

function parseOptions(argv: string[]): Options {
  const o: Options = { runs: 200, concurrent: 500, store: 'sqlite' };
  for (const arg of argv) {
    const [k, v = ''] = arg.replace(/^--/, '').split('=');
    if (k === 'runs') o.runs = Number(v);
    else if (k === 'concurrent') o.concurrent = Number(v);
    else if (k === 'store' && (v === 'sqlite' || v === 'postgres')) o.store = v;
  }
  return o;
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
async function direct(upstream: ScriptedUpstream, model: string): Promise<{ ttft: number; span: number; deltas: number }> {
  const t0 = performance.now();
  const res = await post(`${upstream.baseURL}/chat/completions`, {
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
async function viaServer(base: string, assistantId: string): Promise<{ ttft: number; span: number; deltas: number; events: string[] }> {
  const thread = await json<{ id: string }>(await post(`${base}/threads`, { messages: [{ role: 'user', content: 'hi' }] }));
  const t0 = performance.now();
  const res = await post(`${base}/threads/${thread.id}/runs`, { assistant_id: assistantId, stream: true });
  let first = 0;
  let last = 0;
  let deltas = 0;
  const events: string[] = [];
  await readSse(res, (name, _d, at) => {
    events.push(name);
    if (name === 'thread.message.delta') {
      if (!first) first = at;
      last = at;
      deltas++;
    }
  });
  return { ttft: first - t0, span: last - first, deltas, events };
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

async function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; base: string }> {
  const pin = availableParallelism() >= 2 && spawnSync('taskset', ['-V']).status === 0;
  const args = ['--import', 'tsx', SELF, '--child'];
  const child = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const base = await new Promise<string>((resolve, reject) => {
    lines.on('line', (l) => l.startsWith('READY ') && resolve(l.slice(6)));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  if (pin) spawnSync('taskset', ['-pc', '1', String(process.pid)]);
  return { child, base };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const cpus = availableParallelism(); // before this process is pinned to one CPU
  const upstream = await startScriptedUpstream();
  const dataDir = mkdtempSync(join(tmpdir(), 'oa-bench-'));
  let dbName: string | undefined;
  const env: Record<string, string> = { DATA_DIR: dataDir, UPSTREAM_BASE_URL: upstream.baseURL, RUN_CONCURRENCY: '2000' };
  if (options.store === 'postgres') {
    dbName = `oa_bench_${Date.now()}`;
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`CREATE DATABASE ${dbName}`);
    await c.end();
    env.DATABASE_URL = ADMIN_URL.replace(/\/postgres$/, `/${dbName}`);
  }
  const { child, base } = await startChild(env);
  const rows: string[] = [];
  try {
    const oneChunk = 'ttft';
    upstream.scriptFn(oneChunk, () => ({ text: ['Hello', ' world'] }));
    const assistant = await json<{ id: string }>(await post(`${base}/assistants`, { model: oneChunk }));
    for (let i = 0; i < 20; i++) {
      await direct(upstream, oneChunk);
      await viaServer(base, assistant.id);
    }
    const d: number[] = [];
    const s: number[] = [];
    for (let i = 0; i < options.runs; i++) {
      d.push((await direct(upstream, oneChunk)).ttft);
      s.push((await viaServer(base, assistant.id)).ttft);
    }
    const added50 = pct(s, 50) - pct(d, 50);
    rows.push(`| first token, direct to upstream (baseline) | ${ms(pct(d, 50))} | ${ms(pct(d, 95))} | |`);
    rows.push(`| first token, through a streaming run | ${ms(pct(s, 50))} | ${ms(pct(s, 95))} | **+${ms(added50)} ms p50** |`);

    const perDelta: string[] = [];
    for (const [label, delayMs] of [['paced 2 ms', 2], ['unpaced', 0]] as const) {
      const model = `long-${delayMs}`;
      const N = 300;
      upstream.scriptFn(model, () => ({ text: Array.from({ length: N }, (_, i) => `t${i} `), delayMs }));
      const a = await json<{ id: string }>(await post(`${base}/assistants`, { model }));
      await direct(upstream, model);
      await viaServer(base, a.id);
      const spansD: number[] = [];
      const spansS: number[] = [];
      for (let i = 0; i < 10; i++) {
        spansD.push((await direct(upstream, model)).span);
        const r = await viaServer(base, a.id);
        if (r.deltas !== N) throw new Error(`lost deltas: ${r.deltas}/${N}`);
        spansS.push(r.span);
      }
      const per = (pct(spansS, 50) - pct(spansD, 50)) / N;
      perDelta.push(
        `| ${N} deltas ${label}: first→last span | ${ms(pct(spansD, 50))} direct | ${ms(pct(spansS, 50))} via server | **${per.toFixed(3)} ms per delta** |`,
      );
    }

    // concurrent streaming runs
    const model = 'concurrent';
    const DELTAS = 50;
    upstream.scriptFn(model, () => ({ text: Array.from({ length: DELTAS }, (_, i) => `w${i} `), delayMs: 10 }));
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

    const lines = [
      START,
      `## run-latency: what a streamed run adds on top of the model (${options.store})`,
      '',
      `- date: ${new Date().toISOString()}`,
      `- machine: ${cpus} CPUs, Node ${process.version}, ${process.platform}/${process.arch}`,
      `- command: \`npx tsx bench/run-latency.ts ${process.argv.slice(2).join(' ')}\``,
      '- server in a child process (pinned to CPU 0 when taskset exists); scripted upstream and client in this process',
      '',
      '| measurement | p50 ms | p95 ms | added by the server |',
      '|---|--:|--:|--:|',
      ...rows,
      '',
      '| per-token cost | upstream | server | added |',
      '|---|--:|--:|--:|',
      ...perDelta,
      '',
      `**${options.concurrent} concurrent streaming runs** (${DELTAS} deltas each, 10 ms apart): ${failed} failed, ` +
        `${disordered} with a lost or reordered event, first token p50 ${ms(pct(ttfts, 50))} ms / p99 ${ms(pct(ttfts, 99))} ms, ` +
        `all done in ${(wall / 1000).toFixed(1)} s, server peak RSS ${rss === null ? 'n/a' : `${rss.toFixed(0)} MB`}.` +
        (first ? ` First failure: ${String(first.reason).slice(0, 200)}` : ''),
      '',
      '- Targets: under 2 ms p50 added to the first token, under 0.1 ms per delta, zero errors at 500 concurrent runs.',
      END,
    ];
    const text = lines.join('\n');
    process.stdout.write(`${text}\n`);
    let doc = '';
    try {
      doc = readFileSync(RESULTS, 'utf8');
    } catch {
      doc = '# Benchmark results\n';
    }
    const markerStart = `${START.replace(':start', `:${options.store}:start`)}`;
    const markerEnd = `${END.replace(':end', `:${options.store}:end`)}`;
    const section = text.replace(START, markerStart).replace(END, markerEnd);
    const i = doc.indexOf(markerStart);
    const j = doc.indexOf(markerEnd);
    doc = i >= 0 && j > i ? doc.slice(0, i) + section + doc.slice(j + markerEnd.length) : `${doc.trimEnd()}\n\n${section}\n`;
    writeFileSync(RESULTS, doc);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await upstream.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (dbName) {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    }
  }
}

if (process.argv.includes('--child')) await serveChild();
else await main();
