/**
 * Requests per second of the real server against a bare Fastify hello-world measured in the same
 * run, so the ratio means something on any machine.
 *
 *   npx tsx bench/http-rps.ts [--duration=10] [--warmup=2] [--connections=50] [--rounds=3] [--only=TEXT] [--profile]
 *
 * Each server runs in its own child process (pinned to CPU 0 with `taskset` when there are two or
 * more CPUs), the load generator in this one (pinned to CPU 1), so autocannon does not starve the
 * server. All servers start first; then, in each of `--rounds` rounds, every scenario takes its
 * turn, so a busy spell on a shared machine falls on all of them alike, and each is compared with
 * the baseline of its own round (medians over the rounds are reported, with the load average).
 * The server's CPU time per request is reported beside req/s because it moves much less than
 * req/s when other work shares the machine.
 * `--only=TEXT` runs just the scenarios whose name contains TEXT (plus the baseline); `--profile`
 * writes a V8 CPU profile of each server child under `$TMPDIR/oa-bench-profiles/`. The table is
 * printed and written between this benchmark's markers in bench/RESULTS.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);
const BENCH_DIR = join(SELF, '..');
const RESULTS = join(BENCH_DIR, 'RESULTS.md');
const START = '<!-- http-rps:start -->';
const END = '<!-- http-rps:end -->';
const PROFILE_DIR = join(tmpdir(), 'oa-bench-profiles');
const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const HEADERS = { authorization: 'Bearer bench', 'content-type': 'application/json' };

type ServerKind = 'bare' | 'sqlite' | 'postgres';

// ---------------------------------------------------------------- server child

async function serve(kind: ServerKind, dataDir: string, databaseUrl: string | undefined): Promise<void> {
  let url: string;
  let close: () => Promise<void>;
  if (kind === 'bare') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify();
    app.get('/', async () => ({ hello: 'world' }));
    url = await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
  } else {
    const { loadConfig } = await import('../src/config/config.js');
    const { startServer } = await import('../src/main.js');
    const config = loadConfig({
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    });
    const server = await startServer(config);
    url = server.baseUrl.replace(/\/v1$/, '');
    close = () => server.close();
  }
  // A profile (--cpu-prof) is only written on a clean exit, so SIGTERM closes and exits.
  process.once('SIGTERM', () => {
    void close().finally(() => process.exit(0));
  });
  // Exit with the parent: a server left behind would keep CPU 0 for itself.
  const parent = process.ppid;
  setInterval(() => process.ppid !== parent && process.exit(1), 500).unref();
  process.stdout.on('error', () => process.exit(1));
  process.stdout.write(`READY ${url}\n`);
}

// ---------------------------------------------------------------- load generator (parent)

/** The subset of autocannon's programmatic API used here (it ships no types). */
interface AutocannonOptions {
  url: string;
  connections: number;
  pipelining: number;
  duration: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}
interface Histogram {
  average: number;
  p50: number;
  p99: number;
}
interface AutocannonResult {
  requests: Histogram & { total: number };
  latency: Histogram;
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (o: AutocannonOptions) => Promise<AutocannonResult>;
// Loaded in the parent only, so server children do not pay for it.
const autocannon: Autocannon = (o) => (createRequire(import.meta.url)('autocannon') as Autocannon)(o);

interface Options {
  duration: number;
  warmup: number;
  connections: number;
  /** Times every scenario is measured, the scenarios taking turns; medians are reported. */
  rounds: number;
  profile: boolean;
  /** Only the scenarios whose name contains this (the baseline always runs). */
  only: string | null;
}

/** One measurement of one scenario. */
interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx responses, errors and timeouts. */
  failed: number;
  /** Server CPU time per request (user + system), µs; null where /proc is unavailable. */
  cpuUs: number | null;
}

interface Row {
  scenario: string;
  /** Medians over the rounds. */
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number | null;
  /** Summed over the rounds. */
  failed: number;
  /** Median over the rounds of req/s over the baseline's in the same round. */
  ratio: number;
  /** Share of one CPU the server used (median): under ~85% the server was not the limit. */
  busy: number | null;
  /** Median over the rounds of the baseline's CPU per request over this one's. */
  cpuRatio: number | null;
  /** The per-round ratios behind the medians. */
  ratios: number[];
  cpuRatios: number[];
}

interface Running {
  url: string;
  /** CPU time the server process has used so far, µs (Linux /proc), or null. */
  cpuUs(): number | null;
  stop(): Promise<void>;
}

const CLOCK_TICK_US = 1e6 / Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

function processCpuUs(pid: number | undefined): number | null {
  try {
    // fields after the parenthesised command name: state is [0], utime [11], stime [12]
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_US;
  } catch {
    return null;
  }
}

/** The 1, 5 and 15 minute load averages, or null where /proc is unavailable. */
function loadAverage(): string | null {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return null;
  }
}

function parseOptions(argv: string[]): Options {
  const options: Options = { duration: 10, warmup: 2, connections: 50, rounds: 3, profile: false, only: null };
  for (const arg of argv) {
    const [name, value = ''] = arg.replace(/^--/, '').split('=');
    if (name === 'profile') options.profile = true;
    else if (name === 'only' && value) options.only = value;
    else if (name === 'duration' || name === 'warmup' || name === 'connections' || name === 'rounds') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < (name === 'warmup' ? 0 : 1)) throw new Error(`--${name} must be a positive integer`);
      options[name] = n;
    } else {
      throw new Error(
        `unknown option ${arg} (known: --duration=N --warmup=N --connections=N --rounds=N --only=TEXT --profile)`,
      );
    }
  }
  return options;
}

// Read before this process pins itself to one CPU, which changes what availableParallelism() sees.
const NPROC = availableParallelism();
const canPin = NPROC >= 2 && spawnSync('taskset', ['-V']).status === 0;

async function startChild(kind: ServerKind, options: Options, databaseUrl?: string): Promise<Running> {
  const dataDir = mkdtempSync(join(tmpdir(), `oa-bench-${kind}-`));
  // One directory per server: every thread (the main one, tsx's loader worker) writes its own profile.
  const profileDir = join(PROFILE_DIR, `${kind}-${Date.now()}`);
  if (options.profile) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = [
    ...process.execArgv, // tsx's loader
    ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    SELF,
    '--serve',
    kind,
    dataDir,
    databaseUrl ?? '',
  ];
  const child: ChildProcess = canPin
    ? spawn('taskset', ['-c', '0', process.execPath, ...nodeArgs], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) resolve(line.slice('READY '.length));
    });
  });
  return {
    url,
    cpuUs: () => processCpuUs(child.pid), // taskset execs node, so the pid is the server's
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function post(url: string, body: unknown): Promise<{ id: string }> {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`POST ${url} → ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string };
}

type Target = Omit<AutocannonOptions, 'connections' | 'pipelining' | 'duration'>;

interface Scenario {
  name: string;
  server: Running;
  target: Target;
  samples: Sample[];
}

async function measure(scenario: Scenario, options: Options, warm: boolean): Promise<Sample> {
  const base = { ...scenario.target, connections: options.connections, pipelining: 1 };
  if (warm && options.warmup > 0) await autocannon({ ...base, duration: options.warmup });
  const cpuBefore = scenario.server.cpuUs();
  const r = await autocannon({ ...base, duration: options.duration });
  const cpuAfter = scenario.server.cpuUs();
  const cpuUs =
    cpuBefore === null || cpuAfter === null || r.requests.total === 0 ? null : (cpuAfter - cpuBefore) / r.requests.total;
  const failed = r.errors + r.timeouts + r.non2xx;
  if (failed > 0) console.warn(`  ! ${scenario.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  console.log(`  ${scenario.name}: ${Math.round(r.requests.average)} req/s, ${cpuUs === null ? 'n/a' : fmt(cpuUs, 1)} µs CPU/req`);
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, failed, cpuUs };
}

function wanted(scenario: string, options: Options): boolean {
  return options.only === null || scenario.includes(options.only);
}

function storeScenarios(kind: 'sqlite' | 'postgres') {
  return { get: `${kind}: GET /v1/assistants/{id}`, create: `${kind}: POST /v1/threads/{id}/messages` };
}

function anyWanted(kind: 'sqlite' | 'postgres', options: Options): boolean {
  return Object.values(storeScenarios(kind)).some((s) => wanted(s, options));
}

/** A server (SQLite or PostgreSQL) with an assistant to GET and a thread to POST messages to. */
async function storeServer(kind: 'sqlite' | 'postgres', options: Options, databaseUrl?: string) {
  const { get, create } = storeScenarios(kind);
  const server = await startChild(kind, options, databaseUrl);
  const assistant = await post(`${server.url}/v1/assistants`, { model: 'gpt-4o', name: 'bench' });
  const thread = await post(`${server.url}/v1/threads`, {});
  const scenarios: Scenario[] = [];
  if (wanted(get, options)) {
    const url = `${server.url}/v1/assistants/${assistant.id}`;
    scenarios.push({ name: get, server, target: { url, method: 'GET', headers: HEADERS }, samples: [] });
  }
  if (wanted(create, options)) {
    const body = JSON.stringify({ role: 'user', content: 'hello' });
    const url = `${server.url}/v1/threads/${thread.id}/messages`;
    scenarios.push({ name: create, server, target: { url, method: 'POST', headers: HEADERS, body }, samples: [] });
  }
  return { server, scenarios };
}

/** Runs one statement on the admin database, on a connection of its own (none is held open). */
async function adminQuery(text: string): Promise<void> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  admin.on('error', () => undefined); // a server-side disconnect surfaces through the query instead
  try {
    await admin.connect();
    await admin.query(text);
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** A fresh database on the local PostgreSQL, or the reason it cannot be had. */
async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> } | { skipped: string }> {
  const name = `oa_bench_${process.pid}_${Date.now()}`;
  try {
    await adminQuery(`CREATE DATABASE ${name}`);
  } catch (err) {
    return { skipped: `PostgreSQL not usable at ${ADMIN_URL} (${(err as Error).message})` };
  }
  return {
    url: ADMIN_URL.replace(/\/postgres$/, `/${name}`),
    async drop() {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((err: Error) =>
        console.warn(`  ! could not drop database ${name}: ${err.message}`),
      );
    },
  };
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function medianOrNull(values: Array<number | null>): number | null {
  return values.every((v): v is number => v !== null) && values.length > 0 ? median(values) : null;
}

function summarise(scenario: Scenario, baseline: Scenario): Row {
  const samples = scenario.samples;
  const ratios = samples.map((s, i) => s.rps / baseline.samples[i].rps);
  const cpuRatios = samples.flatMap((s, i) => {
    const base = baseline.samples[i].cpuUs;
    return s.cpuUs && base ? [base / s.cpuUs] : [];
  });
  const cpuUs = medianOrNull(samples.map((s) => s.cpuUs));
  return {
    scenario: scenario.name,
    rps: median(samples.map((s) => s.rps)),
    p50: median(samples.map((s) => s.p50)),
    p99: median(samples.map((s) => s.p99)),
    cpuUs,
    failed: samples.reduce((n, s) => n + s.failed, 0),
    ratio: median(ratios),
    busy: medianOrNull(samples.map((s) => (s.cpuUs === null ? null : (s.cpuUs * s.rps) / 1e6))),
    cpuRatio: cpuRatios.length === samples.length ? median(cpuRatios) : null,
    ratios,
    cpuRatios,
  };
}

function table(rows: Row[]): string {
  const or = (v: number | null, f: (v: number) => string) => (v === null ? 'n/a' : f(v));
  return [
    '| scenario | req/s | p50 ms | p99 ms | failed | vs bare | server CPU µs/req | server busy | vs bare by CPU |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...rows.map((r) =>
      [
        '',
        r.scenario,
        fmt(r.rps),
        fmt(r.p50),
        fmt(r.p99),
        r.failed,
        `${fmt(r.ratio, 2)}×`,
        or(r.cpuUs, (v) => fmt(v, 1)),
        or(r.busy, (v) => `${fmt(v * 100)}%`),
        or(r.cpuRatio, (v) => `${fmt(v, 2)}×`),
        '',
      ].join(' | ').trim(),
    ),
  ].join('\n');
}

function writeResults(section: string): void {
  const header = `# Benchmark results

Each benchmark measures its own baseline in the same run (for \`http-rps\`, a bare Fastify
hello-world) and prints every result as a ratio against it, so runs on different machines compare
by ratio rather than by absolute numbers. Each benchmark rewrites only its own section below,
between its marker comments.
`;
  let doc = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : header;
  const block = `${START}\n${section}\n${END}`;
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start !== -1 && end > start) doc = doc.slice(0, start) + block + doc.slice(end + END.length);
  else doc = `${doc.trimEnd()}\n\n${block}\n`;
  writeFileSync(RESULTS, doc);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (canPin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const pinning = canPin
    ? 'servers pinned to CPU 0, autocannon to CPU 1 (taskset)'
    : 'no CPU pinning (taskset or a second CPU missing)';
  const load =
    `autocannon, ${options.connections} connections, pipelining 1; ${options.rounds} round(s) in which every scenario ` +
    `takes its turn for ${options.duration}s (after a ${options.warmup}s warm-up in the first round); medians reported`;
  const loadBefore = loadAverage();
  console.log(`http-rps: ${load}; ${pinning}; load average ${loadBefore ?? 'n/a'}`);

  const notes: string[] = [];
  const servers: Running[] = [];
  let pgdb: { url: string; drop(): Promise<void> } | undefined;
  const scenarios: Scenario[] = [];
  try {
    const bare = await startChild('bare', options);
    servers.push(bare);
    const baseline: Scenario = {
      name: 'bare Fastify: GET / (baseline)',
      server: bare,
      target: { url: `${bare.url}/`, method: 'GET', headers: HEADERS },
      samples: [],
    };
    scenarios.push(baseline);
    if (anyWanted('sqlite', options)) {
      const sqlite = await storeServer('sqlite', options);
      servers.push(sqlite.server);
      scenarios.push(...sqlite.scenarios);
    }
    if (anyWanted('postgres', options)) {
      const created = await createPostgresDatabase();
      if ('skipped' in created) {
        notes.push(`PostgreSQL skipped: ${created.skipped}.`);
        console.log(`  ${notes[notes.length - 1]}`);
      } else {
        pgdb = created;
        const postgres = await storeServer('postgres', options, pgdb.url);
        servers.push(postgres.server);
        scenarios.push(...postgres.scenarios);
      }
    }
    // The scenarios take turns, so a busy spell on the machine touches every one of them alike,
    // and each is compared with the baseline measured in the same round.
    for (let round = 0; round < options.rounds; round++) {
      console.log(`round ${round + 1} of ${options.rounds}`);
      for (const s of scenarios) s.samples.push(await measure(s, options, round === 0));
    }
  } finally {
    for (const server of servers) await server.stop();
    await pgdb?.drop();
  }
  const loadAfter = loadAverage();

  const baseline = scenarios[0];
  const rows = scenarios.map((s) => summarise(s, baseline));
  const baseRps = baseline.samples.map((s) => s.rps);
  const spread = (Math.max(...baseRps) - Math.min(...baseRps)) / median(baseRps);
  const steady = spread <= 0.1;
  if (!steady) {
    notes.push(
      `The baseline's req/s varied ${fmt(spread * 100)}% between rounds: other work shared the machine; req/s ratios are unreliable.`,
    );
  }
  const saturated = (r: Row | undefined) => r !== undefined && (r.busy === null || r.busy >= 0.85);
  const idle = rows.filter((r) => !saturated(r));
  if (idle.length) {
    notes.push(
      `Under 85% busy, so limited by something other than the server process (the load generator, the database, ` +
        `or other work on the machine): ${idle.map((r) => `${r.scenario} (${fmt(r.busy! * 100)}%)`).join('; ')}. ` +
        'Their req/s understate what that server can do; compare by CPU.',
    );
  }
  const getSqlite = rows.find((r) => r.scenario.startsWith('sqlite: GET'));
  if (getSqlite) {
    const verdict = (ratio: number) => `${ratio >= 0.5 ? 'meets' : 'misses'} it (${fmt(ratio, 2)}×)`;
    const rounds = (ratios: number[]) => ratios.map((r) => `${fmt(r, 2)}×`).join(', ');
    const trusted = steady && saturated(rows[0]) && saturated(getSqlite);
    notes.push(
      `Target: SQLite GET at least 0.5× the bare hello-world. By CPU per request it ${
        getSqlite.cpuRatio === null ? 'cannot be told (no /proc)' : verdict(getSqlite.cpuRatio)
      } (rounds: ${rounds(getSqlite.cpuRatios)}); by req/s it ${verdict(getSqlite.ratio)} (rounds: ${rounds(
        getSqlite.ratios,
      )})${trusted ? '' : ', a figure this run cannot vouch for (see above)'}.`,
    );
  }
  notes.push(
    '"vs bare" is the median over the rounds of each round\'s ratio to the baseline measured in that round. Server CPU ' +
      "µs/req is the server process's user+system time over the measured requests, busy its share of one CPU; CPU " +
      'per request moves much less than req/s when other work shares the machine.',
  );
  if (options.profile) notes.push(`CPU profiles of the server children are in ${PROFILE_DIR}/ (open in Chrome DevTools).`);

  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const command = ['npx tsx bench/http-rps.ts', ...process.argv.slice(2)].join(' ');
  const section = [
    '## http-rps: requests per second vs a bare Fastify hello-world',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${NPROC} CPUs (nproc), ${cpu}, Node ${process.version}, ${process.platform}/${process.arch}`,
    `- load average (1/5/15 min): ${loadBefore ?? 'n/a'} before, ${loadAfter ?? 'n/a'} after`,
    `- command: \`${command}\``,
    `- load: ${load}; ${pinning}`,
    '',
    table(rows),
    '',
    ...notes.map((n) => `- ${n}`),
  ].join('\n');

  console.log(`\n${table(rows)}\n`);
  for (const n of notes) console.log(n);
  writeResults(section);
  console.log(`\nwritten to ${RESULTS}`);
}

if (process.argv[2] === '--serve') {
  const [, , , kind, dataDir, databaseUrl] = process.argv;
  await serve(kind as ServerKind, dataDir, databaseUrl || undefined);
} else {
  await main();
}
