/**
 * Measured figures: printed as one `ROBUSTNESS {json}` line per test (collect them with
 * `grep '^ROBUSTNESS '`), and in FULL mode also written to test/robustness/results/<name>.json
 * (that directory is ignored by git).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL } from '../mode.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

export function report(name: string, figures: Record<string, unknown>): void {
  const line = { name, mode: FULL ? 'full' : 'bounded', at: new Date().toISOString(), ...figures };
  // The test runner's TAP output escapes backslashes and '#' in what tests print: strings are
  // made free of them (and of quotes and newlines), so the printed line stays valid JSON.
  process.stdout.write(`ROBUSTNESS ${JSON.stringify(line, (_k, v: unknown) => (typeof v === 'string' ? tapSafe(v) : v))}\n`);
  if (FULL) {
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, `${name}.json`), `${JSON.stringify(line, null, 2)}\n`);
  }
}

function tapSafe(s: string): string {
  return s.replace(/\\/g, '/').replace(/"/g, "'").replace(/#/g, 'No.').replace(/[\u0000-\u001f]/g, ' ');
}

/** The p-th percentile (nearest rank) of `values`; NaN when empty. */
export function pct(values: readonly number[], p: number): number {
  if (!values.length) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const round = (n: number, digits = 2): number => (Number.isFinite(n) ? Number(n.toFixed(digits)) : n);

/** A small seeded PRNG (mulberry32), so a failing fault schedule can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for this process: `OA_ROBUSTNESS_SEED`, or a fresh one (printed with the figures). */
export const SEED = process.env.OA_ROBUSTNESS_SEED ? Number(process.env.OA_ROBUSTNESS_SEED) : Math.floor(Math.random() * 2 ** 31);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` over `items`, at most `concurrency` at a time; results in item order. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  });
  await Promise.all(lanes);
  return out;
}
