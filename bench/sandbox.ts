/**
 * The code interpreter sandbox (bubblewrap + Debian's python3), against plain process starts
 * measured in the same run:
 *   - baselines: `/usr/bin/python3 -c pass`, the same inside bare bubblewrap, and
 *     `python3 -c "import pandas, matplotlib.pyplot"` on the host;
 *   - cold start: `sandbox.session(key)` + `exec("import pandas, matplotlib.pyplot")` for a new key,
 *     without a spare session (everything started from nothing) and with one (the usual case);
 *   - warm exec round trip of `1+1` in a live session, and a pandas + savefig cell.
 * Median and p95 of each.
 *
 *   npx tsx bench/sandbox.ts [--cold=20] [--spare=10] [--warm=200]
 *
 * Results are printed and written between this benchmark's markers in bench/RESULTS.md.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { BwrapSandbox } from '../src/sandbox/bwrap/bwrap-sandbox.js';
import type { SandboxLimits } from '../src/sandbox/sandbox.js';

const SELF = fileURLToPath(import.meta.url);
const RESULTS = join(SELF, '..', 'RESULTS.md');
const START = '<!-- sandbox:start -->';
const END = '<!-- sandbox:end -->';
const PYTHON = '/usr/bin/python3';
const COLD_CELL = 'import pandas, matplotlib.pyplot';
const CHART_CELL = `import pandas as pd, matplotlib.pyplot as plt
df = pd.DataFrame({'x': range(1000), 'y': [i % 17 for i in range(1000)]})
df.groupby('y').x.sum().plot(kind='bar')
plt.savefig('/mnt/data/chart.png')
plt.close('all')`;

function arg(name: string, fallback: number): number {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function timeCommand(argv: string[], runs: number, env: Record<string, string> = {}): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', env });
    times.push(performance.now() - t);
    if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}`);
  }
  return times;
}

const BWRAP_PASS = [
  '/usr/bin/bwrap', '--unshare-all', '--unshare-user', '--die-with-parent', '--ro-bind', '/usr', '/usr',
  '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin',
  '--proc', '/proc', '--dev', '/dev', PYTHON, '-c', 'pass',
];

async function coldStarts(root: string, runs: number, spare: boolean): Promise<{ times: number[]; limits: SandboxLimits | null }> {
  const sandbox = new BwrapSandbox({ root, spare });
  try {
    const availability = await sandbox.available();
    if (!availability.ok) throw new Error(`sandbox not available: ${availability.reason}`);
    if (spare) {
      // The first session has no spare yet; it leaves one behind.
      await (await sandbox.session('warm-up')).exec(COLD_CELL);
    }
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      if (spare) await sleep(3000); // let the spare finish starting, as between real runs
      const t = performance.now();
      const session = await sandbox.session(`cold-${spare ? 'spare' : 'none'}-${i}`);
      const result = await session.exec(COLD_CELL);
      times.push(performance.now() - t);
      if (result.error) throw new Error(`cold cell failed: ${result.error.name}: ${result.error.value}`);
      await session.close();
    }
    return { times, limits: availability.limits };
  } finally {
    await sandbox.close();
  }
}

async function warmExecs(root: string, warmRuns: number, chartRuns: number): Promise<{ warm: number[]; chart: number[] }> {
  const sandbox = new BwrapSandbox({ root, spare: false });
  try {
    const session = await sandbox.session('warm');
    await session.exec('1+1');
    for (let i = 0; i < 20; i++) await session.exec('1+1'); // JIT and caches of both sides
    const warm: number[] = [];
    for (let i = 0; i < warmRuns; i++) {
      const t = performance.now();
      const r = await session.exec('1+1');
      warm.push(performance.now() - t);
      if (r.stdout !== '2\n') throw new Error(`unexpected output ${JSON.stringify(r.stdout)}`);
    }
    const chart: number[] = [];
    for (let i = 0; i < chartRuns; i++) {
      const t = performance.now();
      const r = await session.exec(CHART_CELL);
      chart.push(performance.now() - t);
      if (r.error || r.images.length !== 1) throw new Error(`chart cell failed: ${JSON.stringify(r.error)}`);
    }
    return { warm, chart };
  } finally {
    await sandbox.close();
  }
}

async function main(): Promise<void> {
  const coldRuns = arg('cold', 20);
  const spareRuns = arg('spare', 10);
  const warmRuns = arg('warm', 200);
  const work = mkdtempSync(join(tmpdir(), 'oa-bench-sandbox-'));
  chmodSync(work, 0o711); // lets the sandbox run as nobody when this runs as root
  try {
    const base = timeCommand([PYTHON, '-c', 'pass'], coldRuns);
    const bwrapBase = timeCommand(BWRAP_PASS, coldRuns);
    // With a kept MPLCONFIGDIR (warmed by the first run), or matplotlib rebuilds its font cache each time.
    const mplEnv = { MPLCONFIGDIR: join(work, 'mpl'), MPLBACKEND: 'Agg' };
    timeCommand([PYTHON, '-c', COLD_CELL], 1, mplEnv);
    const hostImports = timeCommand([PYTHON, '-c', COLD_CELL], Math.min(coldRuns, 10), mplEnv);
    const cold = await coldStarts(join(work, 'cold'), coldRuns, false);
    const spare = await coldStarts(join(work, 'spare'), spareRuns, true);
    const { warm, chart } = await warmExecs(join(work, 'warm'), warmRuns, 20);

    const row = (name: string, values: number[], note = '') =>
      `| ${name} | ${values.length} | ${ms(pct(values, 50))} | ${ms(pct(values, 95))} | ${note} |`;
    const baseMedian = pct(base, 50);
    const ratio = (values: number[]) => {
      const r = pct(values, 50) / baseMedian;
      return `${r >= 0.1 ? r.toFixed(1) : r.toFixed(3)}× baseline`;
    };
    const limits = cold.limits;
    const lines = [
      START,
      '## sandbox: code interpreter cold start and exec round trip',
      '',
      `- date: ${new Date().toISOString()}`,
      `- machine: ${availableParallelism()} CPUs, ${cpus()[0]?.model ?? '?'}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} at the end, Node ${process.version}`,
      `- command: \`npx tsx bench/sandbox.ts --cold=${coldRuns} --spare=${spareRuns} --warm=${warmRuns}\``,
      ...(limits
        ? [
            `- limits in force: memory ${limits.memoryBytes / 2 ** 20} MiB by ${limits.memoryEnforcedBy}, processes ${limits.maxProcesses} by ${limits.processesEnforcedBy}, ` +
              `CPU ${limits.cpus ?? 'unlimited'}, sandbox uid ${limits.sandboxUid}`,
          ]
        : []),
      '',
      '| measurement | n | p50 ms | p95 ms | |',
      '|---|--:|--:|--:|---|',
      row('`/usr/bin/python3 -c pass` (baseline)', base, '1.0× baseline'),
      row('bare bwrap + `python3 -c pass`', bwrapBase, ratio(bwrapBase)),
      row('host `python3 -c "import pandas, matplotlib.pyplot"` (font cache kept)', hostImports, ratio(hostImports)),
      row('**cold session**, no spare: `session()` + `import pandas, matplotlib.pyplot`', cold.times, ratio(cold.times)),
      row('**cold session** from the spare (the usual case)', spare.times, ratio(spare.times)),
      row('**warm exec** `1+1` round trip', warm, ratio(warm)),
      row('warm exec: pandas groupby + bar chart + savefig', chart, ratio(chart)),
      '',
      `- Targets: cold session under 1500 ms (p50 ${ms(pct(cold.times, 50))} ms without a spare, ${ms(pct(spare.times, 50))} ms with one), ` +
        `warm \`1+1\` under 20 ms (p50 ${ms(pct(warm, 50))} ms).`,
      '- A cold session without a spare is bubblewrap + python start + the pandas/numpy/matplotlib imports (the font cache is prebuilt once); ' +
        'with a spare, a kernel started ahead is adopted by renaming its directory. Between spare runs the bench waits 3 s, as real runs are spaced.',
      END,
    ];
    const text = lines.join('\n');
    process.stdout.write(`${text}\n`);
    let doc: string;
    try {
      doc = readFileSync(RESULTS, 'utf8');
    } catch {
      doc = '# Benchmark results\n';
    }
    const i = doc.indexOf(START);
    const j = doc.indexOf(END);
    doc = i >= 0 && j > i ? doc.slice(0, i) + text + doc.slice(j + END.length) : `${doc.trimEnd()}\n\n${text}\n`;
    writeFileSync(RESULTS, doc);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
