/**
 * Runs fuzz cases against a server in batches (a few at a time), checks every answer, checks the
 * server still answers its health check after each batch, and keeps the numbers: inputs tried,
 * status histogram, per-category and per-operation counts, failures with what it takes to replay.
 */
import { appendFileSync } from 'node:fs';
import { buildCase, type Category, type CaseEnv, type FuzzCase } from './cases.js';
import { send, sendRaw, type Outcome } from './client.js';
import { createRng, type Rng } from './prng.js';
import type { Operation } from './spec.js';

/** `OA_FUZZ_TRACE=<file>`: one line per case sent (pass:index, status, operation, mutation, request). */
const TRACE = process.env.OA_FUZZ_TRACE;

export interface Failure {
  /** The pass the case belongs to (`OA_FUZZ_CASES=<pass>:<index>` replays it). */
  pass: string;
  index: number;
  fuzzCase: FuzzCase;
  outcome: Outcome;
}

export interface Stats {
  inputs: number;
  statuses: Map<string, number>;
  byCategory: Map<Category, Map<string, number>>;
  /** Valid inputs per operation: tried, and answered 2xx. */
  validByOp: Map<string, { tried: number; ok: number; other: Map<string, number> }>;
  opsCovered: Set<string>;
  failures: Failure[];
  /** Valid inputs not answered 2xx (the first few), for the verbose report. */
  validMisses: Failure[];
  healthChecks: number;
  setupErrors: string[];
  ms: number;
}

export function emptyStats(): Stats {
  return { inputs: 0, statuses: new Map(), byCategory: new Map(), validByOp: new Map(), opsCovered: new Set(), failures: [], validMisses: [], healthChecks: 0, setupErrors: [], ms: 0 };
}

function bump(m: Map<string, number>, k: string, n = 1): void {
  m.set(k, (m.get(k) ?? 0) + n);
}

export function record(stats: Stats, pass: string, index: number, c: FuzzCase, o: Outcome): void {
  stats.inputs++;
  stats.opsCovered.add(c.op);
  const s = String(o.status);
  bump(stats.statuses, s);
  let cat = stats.byCategory.get(c.category);
  if (!cat) stats.byCategory.set(c.category, (cat = new Map()));
  bump(cat, s);
  if (c.category === 'valid') {
    let v = stats.validByOp.get(c.op);
    if (!v) stats.validByOp.set(c.op, (v = { tried: 0, ok: 0, other: new Map() }));
    v.tried++;
    if (typeof o.status === 'number' && o.status >= 200 && o.status < 300) v.ok++;
    else {
      bump(v.other, `${o.status} ${codeOf(o.excerpt)}`);
      if (stats.validMisses.length < 40) stats.validMisses.push({ pass, index, fuzzCase: c, outcome: o });
    }
  }
  if (o.problems.length) stats.failures.push({ pass, index, fuzzCase: c, outcome: o });
}

function codeOf(excerpt: string): string {
  return /"code":\s*("[^"]*"|null)/.exec(excerpt)?.[1] ?? '';
}

export async function healthy(baseURL: string): Promise<string | null> {
  try {
    const res = await fetch(`${baseURL}/health`, { signal: AbortSignal.timeout(10_000) });
    const body = await res.text();
    return res.status === 200 ? null : `health check answered ${res.status}: ${body.slice(0, 200)}`;
  } catch (err) {
    return `health check failed: ${(err as Error).message}`;
  }
}

export interface RunOptions {
  baseURL: string;
  env: CaseEnv;
  ops: Operation[];
  seed: number;
  /** Label mixed into the per-case generators, so that passes differ. */
  label: string;
  count: number;
  concurrency: number;
  batchSize: number;
  validRate?: number;
  /** Only these case indices (replaying a failure). */
  only?: number[];
}

/** The generator of case `index` of a pass: replayable from the seed alone. */
export function caseRng(seed: number, label: string, index: number): Rng {
  return createRng(seed).fork(`${label}#${index}`);
}

export async function runPass(opts: RunOptions, stats: Stats): Promise<void> {
  const started = Date.now();
  const order = createRng(opts.seed).fork(`${opts.label}:order`).shuffle([...opts.ops]);
  const indices = opts.only ?? Array.from({ length: opts.count }, (_, i) => i);
  for (let b = 0; b < indices.length; b += opts.batchSize) {
    const batch = indices.slice(b, b + opts.batchSize);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const index = batch[next++];
        const op = order[index % order.length];
        let c: FuzzCase;
        try {
          c = await buildCase(caseRng(opts.seed, opts.label, index), op, opts.env, opts.validRate);
        } catch (err) {
          stats.setupErrors.push(`case ${index} (${op.operationId}): ${(err as Error).message}`);
          continue;
        }
        const o = c.raw ? await sendRaw(opts.baseURL, c.raw) : await send(opts.baseURL, c.http!);
        record(stats, opts.label, index, c, o);
        if (TRACE) appendFileSync(TRACE, `${opts.label}:${index} ${o.status} ${c.op} [${c.category}] ${c.mutation.slice(0, 120)} ${c.http ? `${c.http.method} ${c.http.path.slice(0, 200)}` : ''}\n`);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    stats.healthChecks++;
    const problem = await healthy(opts.baseURL);
    if (problem) throw new Error(`the server stopped answering after cases ${batch[0]}–${batch[batch.length - 1]} of pass ${opts.label}: ${problem}`);
  }
  stats.ms += Date.now() - started;
}

/** Runs prebuilt cases (same batching and health checks as a pass). */
export async function runList(baseURL: string, cases: FuzzCase[], label: string, concurrency: number, batchSize: number, stats: Stats): Promise<void> {
  const started = Date.now();
  for (let b = 0; b < cases.length; b += batchSize) {
    const batch = cases.slice(b, b + batchSize).map((c, i) => ({ c, index: b + i }));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const { c, index } = batch[next++];
        const o = c.raw ? await sendRaw(baseURL, c.raw) : await send(baseURL, c.http!);
        record(stats, label, index, c, o);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    stats.healthChecks++;
    const problem = await healthy(baseURL);
    if (problem) throw new Error(`the server stopped answering after cases ${b}–${b + batch.length - 1} of pass ${label}: ${problem}`);
  }
  stats.ms += Date.now() - started;
}

/** A failure as text: enough to see what was sent and replay it. */
export function describeFailure(f: Failure, seed: number): string {
  const c = f.fuzzCase;
  const replay = f.pass.endsWith('-spec') ? ` (replay: OA_FUZZ_SEED=${seed} OA_FUZZ_CASES=${f.pass}:${f.index})` : ` (seed ${seed})`;
  const lines = [`case ${f.index} of pass "${f.pass}"${replay} — ${c.op} [${c.category}] ${c.mutation}`];
  if (c.http) {
    lines.push(`  ${c.http.method} ${c.http.path.slice(0, 300)}${c.http.path.length > 300 ? '…' : ''}`);
    lines.push(`  headers ${JSON.stringify(c.http.headers).slice(0, 300)}`);
    if (c.http.body) lines.push(`  body (${c.http.body.length} bytes) ${JSON.stringify(c.http.body.subarray(0, 400).toString('utf8'))}`);
  }
  if (c.raw) lines.push(`  raw (${c.raw.bytes.length} bytes) ${JSON.stringify(c.raw.bytes.subarray(0, 400).toString('latin1'))}`);
  lines.push(`  → ${f.outcome.status}: ${f.outcome.problems.join('; ')} ${f.outcome.excerpt.slice(0, 300)}`);
  return lines.join('\n');
}

export function histogram(m: Map<string, number>): string {
  return [...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(', ');
}

/** The multi-line report printed after a backend's run. */
export function report(backend: string, seed: number, stats: Stats): string {
  const valid = [...stats.validByOp.values()].reduce((a, v) => ({ tried: a.tried + v.tried, ok: a.ok + v.ok }), { tried: 0, ok: 0 });
  const lines = [
    `hostile input · ${backend} · seed ${seed}: ${stats.inputs} inputs over ${stats.opsCovered.size} operations in ${(stats.ms / 1000).toFixed(1)} s, ${stats.healthChecks} health checks`,
    `  statuses: ${histogram(stats.statuses)}`,
    ...[...stats.byCategory.entries()].map(([c, m]) => `  ${c.padEnd(9)} ${histogram(m)}`),
    `  valid inputs answered 2xx: ${valid.ok}/${valid.tried}`,
  ];
  const misses = [...stats.validByOp.entries()].filter(([, v]) => v.ok < v.tried).sort(([a], [b]) => a.localeCompare(b));
  if (misses.length) lines.push(`  valid inputs not answered 2xx: ${misses.map(([op, v]) => `${op} ${v.tried - v.ok}/${v.tried} (${histogram(v.other)})`).join('; ')}`);
  if (process.env.OA_FUZZ_VERBOSE) for (const f of stats.validMisses) lines.push(describeFailure(f, seed));
  return lines.join('\n');
}
