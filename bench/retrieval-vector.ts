/**
 * The vector leg of the retrieval benchmark: `SearchIndex.vector` latency over one store of N
 * chunks with 384-d embeddings, for the vector index the server uses (sqlite-vec / pgvector) and
 * for the brute-force fallback as the baseline, both loaded with the same vectors in the same run.
 *
 *   npx tsx bench/retrieval-vector.ts [--store=sqlite|postgres|all] [--vector-sizes=10000[,100000]]
 *                                     [--no-hnsw] [--no-write]
 *
 * Chunks are the keyword leg's synthetic ones (first half of one SciFact/SQuAD passage, second
 * half of another) embedded by the hashing embedder (test/fixtures/hashing-embedder.ts, 384-d:
 * no model weights here); queries are SciFact claims and SQuAD questions, embedded the same way.
 * Exact search costs the same for any vectors; HNSW's recall depends on them (a neural model's
 * embeddings have more structure). 100 queries after 20 warm-up, 100 results each (what file
 * search asks for).
 * CPU per query counts this process and, on PostgreSQL, the database's backends serving it
 * (/proc), so it holds up when other work shares the machine; wall-clock percentiles do not.
 * PostgreSQL also tries an HNSW index (m 16, ef_construction 64) with the query shape HNSW can
 * serve — ORDER BY distance alone, ef_search 100, iterative scan for the store filter — and
 * reports whether the planner takes it, its latency and its recall of the exact top 100.
 * Standalone, it rewrites only its block inside the retrieval section of bench/RESULTS.md;
 * bench/retrieval.ts runs it as one of its legs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Chunk } from '../src/search/search-index.js';
import { openScratchSearchIndex, type ScratchSearchIndex } from '../src/search/sql/scratch-search-index.js';
import type { SearchDialect } from '../src/search/sql/search-tables.js';
import { vectorParam } from '../src/search/sql/vector-pgvector.js';
import { HASHING_DIMS, hashingEmbedding } from '../test/fixtures/hashing-embedder.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, '../../shared/data');
const RESULTS = join(HERE, 'RESULTS.md');
export const VECTOR_START = '<!-- retrieval-vector:start -->';
export const VECTOR_END = '<!-- retrieval-vector:end -->';

const DIMS = HASHING_DIMS;
const LIMIT = 100;
const QUERIES = 100;
const WARM_UP = 20;
const ADD_BATCH = 1000;

export interface VectorLegOptions {
  backends: SearchDialect[];
  sizes: number[];
  hnsw: boolean;
  pgAdminUrl: string;
  progress?: (line: string) => void;
}

export interface VectorLegResult {
  backend: SearchDialect;
  vectors: number;
  /** `brute-force` (baseline), `sqlite-vec`, `pgvector`, or `pgvector HNSW`. */
  index: string;
  p50: number;
  p95: number;
  cpuMs: number;
  /** Seconds to add the chunks (1,000 per add), or to build the HNSW index. */
  loadSeconds: number;
  /** Share of the exact (or baseline) top 100 found. */
  recall?: number;
  /** HNSW only: whether the planner takes the index for the server's query / the HNSW-shaped one. */
  plan?: { production: boolean; ann: boolean };
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

/** The corpus: chunk texts on demand with their embeddings (computed once), and the queries. */
class Corpus {
  private readonly passages: string[][];
  private readonly embeddings: Float32Array[] = [];
  readonly queries: Float32Array[];

  constructor() {
    const scifact = readJsonl<{ title: string; text: string }>(join(DATA, 'scifact/corpus.jsonl'));
    const squad = readJsonl<{ context: string }>(join(DATA, 'squad-v1.1-dev/paragraphs.jsonl'));
    this.passages = [...scifact.map((d) => `${d.title}. ${d.text}`), ...squad.map((p) => p.context)].map((p) => p.split(/\s+/));
    const claims = readJsonl<{ text: string }>(join(DATA, 'scifact/queries.jsonl')).map((q) => q.text);
    const questions = readJsonl<{ question: string }>(join(DATA, 'squad-v1.1-dev/qa_sample.jsonl')).map((q) => q.question);
    const texts: string[] = [];
    for (let i = 0; texts.length < WARM_UP + QUERIES; i++) texts.push(i % 2 ? questions[i % questions.length] : claims[i % claims.length]);
    this.queries = texts.map((t) => hashingEmbedding(t));
  }

  /** Chunk j: the first half of passage j, then the second half of a passage far from it. */
  chunk(j: number): Chunk {
    const a = this.passages[j % this.passages.length];
    const b = this.passages[(j * 7919 + 13) % this.passages.length];
    const text = [...a.slice(0, Math.ceil(a.length / 2)), ...b.slice(Math.ceil(b.length / 2))].join(' ');
    this.embeddings[j] ??= hashingEmbedding(text);
    const fileId = `f${Math.floor(j / 1000)}`;
    return { id: `vs_vec:${j}`, projectId: 'proj', vectorStoreId: 'vs_vec', fileId, index: j % 1000, text, attributes: {}, embedding: this.embeddings[j] };
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const CLOCK_TICKS_PER_MS = 100 / 1000; // USER_HZ

/** CPU ms so far of this process and, on PostgreSQL, of the backends connected to the database. */
async function cpuMs(s: ScratchSearchIndex): Promise<number> {
  const own = process.cpuUsage();
  let ms = (own.user + own.system) / 1000;
  if (s.dialect === 'postgres') {
    const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(s.db);
    for (const { pid } of rows) {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
        ms += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_MS; // utime, stime
      } catch {
        // a backend that ended meanwhile
      }
    }
  }
  return ms;
}

/** Adds chunks [from, to) 1,000 per call; seconds spent in `add` (not in embedding them). */
async function load(s: ScratchSearchIndex, corpus: Corpus, from: number, to: number): Promise<number> {
  let seconds = 0;
  for (let i = from; i < to; i += ADD_BATCH) {
    const batch = Array.from({ length: Math.min(ADD_BATCH, to - i) }, (_, k) => corpus.chunk(i + k));
    const t0 = performance.now();
    await s.index.add(batch);
    seconds += (performance.now() - t0) / 1000;
  }
  if (s.dialect === 'postgres') await sql`VACUUM ANALYZE`.execute(s.db);
  return seconds;
}

interface Timing {
  p50: number;
  p95: number;
  cpuMs: number;
  answers: string[][];
}

async function time(s: ScratchSearchIndex, queries: Float32Array[], run: (q: Float32Array) => Promise<string[]>): Promise<Timing> {
  for (let q = 0; q < WARM_UP; q++) await run(queries[QUERIES + q]);
  const times: number[] = [];
  const answers: string[][] = [];
  const cpu0 = await cpuMs(s);
  for (let q = 0; q < QUERIES; q++) {
    const t = performance.now();
    answers.push(await run(queries[q]));
    times.push(performance.now() - t);
  }
  const cpu = ((await cpuMs(s)) - cpu0) / QUERIES;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), cpuMs: cpu, answers };
}

const viaIndex = (s: ScratchSearchIndex) => async (q: Float32Array) =>
  (await s.index.vector({ vectorStoreIds: ['vs_vec'], text: '', embedding: q, limit: LIMIT })).map((h) => h.chunk.id);

/** HNSW on PostgreSQL: build it, check the plan, time the query shape it can serve. */
async function hnsw(s: ScratchSearchIndex, queries: Float32Array[], exact: string[][]): Promise<Omit<VectorLegResult, 'backend' | 'vectors'>> {
  const t0 = performance.now();
  await sql`SET maintenance_work_mem = '512MB'`.execute(s.db);
  await sql.raw(`CREATE INDEX search_vec_${DIMS}_hnsw ON search_vec_${DIMS} USING hnsw (embedding vector_cosine_ops)`).execute(s.db);
  const loadSeconds = (performance.now() - t0) / 1000;
  await sql`ANALYZE`.execute(s.db);
  const storeKey = Number(
    (await s.db.selectFrom('search_stores').select('store_key').where('vector_store_id', '=', 'vs_vec').executeTakeFirstOrThrow()).store_key,
  );
  // the production query: does the planner take the index for it?
  const plan = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT chunk_seq, embedding <=> CAST(${vectorParam(queries[0])} AS vector) AS distance
    FROM ${sql.table(`search_vec_${DIMS}`)} WHERE store_key = ANY(CAST(${[storeKey]} AS INTEGER[])) ORDER BY distance, chunk_seq LIMIT ${LIMIT}`.execute(s.db);
  const productionUsesIndex = plan.rows.some((r) => r['QUERY PLAN'].includes('hnsw'));
  // the HNSW-shaped query, in one transaction so its settings apply
  let annUsesIndex = false;
  const timing = await time(s, queries, (q) =>
    s.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL hnsw.ef_search = 100`.execute(trx);
      await sql`SET LOCAL hnsw.iterative_scan = relaxed_order`.execute(trx);
      const query = sql<{ chunk_seq: string | number }>`SELECT chunk_seq FROM ${sql.table(`search_vec_${DIMS}`)}
        WHERE store_key = ${storeKey} ORDER BY embedding <=> CAST(${vectorParam(q)} AS vector) LIMIT ${LIMIT}`;
      if (!annUsesIndex) {
        const p = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${query}`.execute(trx);
        annUsesIndex = p.rows.some((r) => r['QUERY PLAN'].includes('hnsw'));
      }
      const { rows } = await query.execute(trx);
      const seqs = rows.map((r) => Number(r.chunk_seq));
      const chunks = await trx.selectFrom('search_chunks').select(['seq', 'id']).where('seq', 'in', seqs.length ? seqs : [-1]).execute();
      const idOf = new Map(chunks.map((c) => [Number(c.seq), c.id]));
      return seqs.map((seq) => idOf.get(seq)!);
    }),
  );
  let found = 0;
  timing.answers.forEach((answer, i) => {
    const truth = new Set(exact[i]);
    found += answer.filter((id) => truth.has(id)).length;
  });
  return {
    index: 'pgvector HNSW',
    p50: timing.p50,
    p95: timing.p95,
    cpuMs: timing.cpuMs,
    loadSeconds,
    recall: found / (QUERIES * LIMIT),
    plan: { production: productionUsesIndex, ann: annUsesIndex },
  };
}

export async function vectorLeg(options: VectorLegOptions): Promise<VectorLegResult[]> {
  const out: VectorLegResult[] = [];
  const say = options.progress ?? (() => undefined);
  const corpus = new Corpus();
  for (const backend of options.backends) {
    const indexed = await openScratchSearchIndex(backend, { pgAdminUrl: options.pgAdminUrl });
    const baseline = await openScratchSearchIndex(backend, { pgAdminUrl: options.pgAdminUrl, vectors: 'brute-force' });
    try {
      let loaded = 0;
      let seconds = { indexed: 0, baseline: 0 };
      for (const size of options.sizes) {
        seconds = {
          indexed: seconds.indexed + (await load(indexed, corpus, loaded, size)),
          baseline: seconds.baseline + (await load(baseline, corpus, loaded, size)),
        };
        loaded = size;
        const base = await time(baseline, corpus.queries, viaIndex(baseline));
        const mine = await time(indexed, corpus.queries, viaIndex(indexed));
        // same answers: both are exact (scores may differ in the last float32 bits)
        let same = 0;
        mine.answers.forEach((a, i) => (same += a.filter((id) => base.answers[i].includes(id)).length));
        out.push({ backend, vectors: size, index: 'brute-force', p50: base.p50, p95: base.p95, cpuMs: base.cpuMs, loadSeconds: seconds.baseline });
        out.push({ backend, vectors: size, index: indexed.index.vectorIndex, p50: mine.p50, p95: mine.p95, cpuMs: mine.cpuMs, loadSeconds: seconds.indexed, recall: same / (QUERIES * LIMIT) });
        say(`  ${backend} ${size}: brute force p50 ${base.p50.toFixed(1)} ms, ${indexed.index.vectorIndex} p50 ${mine.p50.toFixed(1)} ms (same top ${LIMIT}: ${((100 * same) / (QUERIES * LIMIT)).toFixed(1)}%)`);
        if (backend === 'postgres' && options.hnsw && size === options.sizes.at(-1)) {
          const h = await hnsw(indexed, corpus.queries, mine.answers);
          out.push({ backend, vectors: size, ...h });
          say(`  ${backend} ${size}: HNSW built in ${h.loadSeconds.toFixed(1)} s, p50 ${h.p50.toFixed(1)} ms, recall ${h.recall!.toFixed(3)}`);
        }
      }
    } finally {
      await indexed.close();
      await baseline.close();
    }
  }
  return out;
}

const f1 = (x: number) => x.toFixed(1);

/** The markdown block (between the retrieval-vector markers). */
export function vectorReport(results: VectorLegResult[], command: string): string {
  const rows = results.map((r) => {
    const base = results.find((b) => b.backend === r.backend && b.vectors === r.vectors && b.index === 'brute-force')!;
    const note =
      r.index === 'brute-force'
        ? 'baseline'
        : r.index === 'pgvector HNSW'
          ? `recall of the exact top ${LIMIT}: ${r.recall!.toFixed(3)}; the planner takes the index for the server's query: ${r.plan!.production ? 'yes' : 'no'}, for the HNSW-shaped one: ${r.plan!.ann ? 'yes' : 'no'}`
          : `same top ${LIMIT} as the baseline: ${((r.recall ?? 0) * 100).toFixed(1)}%`;
    const load = r.index === 'pgvector HNSW' ? `build ${f1(r.loadSeconds)} s` : `${f1(r.loadSeconds)} s`;
    return `| ${r.backend} | ${r.vectors.toLocaleString('en-US')} | ${r.index} | ${f1(r.p50)} | ${f1(r.p95)} | ${f1(r.cpuMs)} | ${(base.p50 / r.p50).toFixed(1)}× / ${(base.cpuMs / r.cpuMs).toFixed(1)}× | ${load} | ${note} |`;
  });
  return [
    VECTOR_START,
    `**Vector latency** (\`SearchIndex.vector\`, one store of N synthetic chunks with ${DIMS}-d hashing-embedder embeddings, ${LIMIT} results, ${QUERIES} queries (SciFact claims, SQuAD questions) after ${WARM_UP} warm-up; the vector index against the brute-force fallback loaded with the same chunks in the same run)`,
    '',
    `- date: ${new Date().toISOString()}; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' / ')}; ${cpus().length} CPUs; command: \`${command}\``,
    '- CPU ms/query: this process plus, on PostgreSQL, the database backends serving it (/proc); steadier than wall-clock on a shared machine. Speed-up = baseline ÷ index, by p50 and by CPU. Load: seconds in \`add\` for all N chunks (text, postings and vectors, 1,000 per call). HNSW: m 16, ef_construction 64, queried with ef_search 100 and iterative scan, \`ORDER BY distance\` alone (the shape it can serve).',
    '',
    '| backend | vectors | index | p50 ms | p95 ms | CPU ms/query | speed-up (p50 / CPU) | load | note |',
    '|---|--:|---|--:|--:|--:|--:|--:|---|',
    ...rows,
    '',
    VECTOR_END,
  ].join('\n');
}

/** Replaces the block inside RESULTS.md (appending it to the retrieval section when absent). */
export function writeVectorBlock(block: string): void {
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const i = current.indexOf(VECTOR_START);
  const j = current.indexOf(VECTOR_END);
  let next: string;
  if (i >= 0 && j > i) next = current.slice(0, i) + block + current.slice(j + VECTOR_END.length);
  else {
    const end = current.indexOf('<!-- retrieval:end -->');
    next = end >= 0 ? `${current.slice(0, end)}${block}\n\n${current.slice(end)}` : `${current.trimEnd()}\n\n${block}\n`;
  }
  writeFileSync(RESULTS, next);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = new Map(
    process.argv.slice(2).map((a) => {
      const [k, v] = a.replace(/^--/, '').split('=');
      return [k, v ?? 'true'] as const;
    }),
  );
  const store = args.get('store') ?? 'all';
  const results = await vectorLeg({
    backends: store === 'all' ? ['sqlite', 'postgres'] : [store as SearchDialect],
    sizes: (args.get('vector-sizes') ?? '10000').split(',').map(Number),
    hnsw: args.get('no-hnsw') !== 'true',
    pgAdminUrl: process.env.OA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  const block = vectorReport(results, `npx tsx bench/retrieval-vector.ts ${process.argv.slice(2).join(' ')}`.trim());
  console.log(block);
  if (store === 'all' && args.get('no-write') !== 'true') writeVectorBlock(block);
}
