/**
 * Retrieval benchmark for the file-search index (src/search), on SQLite and PostgreSQL.
 *
 *   npx tsx bench/retrieval.ts [--store=sqlite|postgres|all] [--sizes=10000,100000] [--skip-scifact]
 *                              [--skip-latency] [--no-write]
 *
 * 1. Quality: SciFact (BEIR, ../shared/data/scifact): each document (title + text) is one file,
 *    chunked as the server chunks files (chunkText, auto strategy: 800 tokens, 400 overlap) and
 *    added one file per `add` call, like ingestion. The 300 test queries are run keyword-only; a
 *    document's score is the best of its chunks. nDCG@10 and Recall@100 (trec_eval definitions,
 *    src/search/ranking-metrics.ts). Bar: nDCG@10 ≥ 0.66 and R@100 ≥ 0.88 on both backends.
 * 2. Latency: keyword queries (SciFact test claims + SQuAD sample questions, 100 candidates as
 *    file search asks for) against one store of 10k and then 100k synthetic chunks, each the
 *    first half of one SciFact/SQuAD passage joined to the second half of another.
 * 3. Indexing throughput: MB of chunk text per second, for both the per-file SciFact adds and the
 *    bulk synthetic adds (1,000 chunks per call).
 * 4. Vector latency: brute-force cosine over 10k chunks with 384-d (pseudo-random) embeddings.
 * Results go to bench/RESULTS.md between the retrieval markers (when all stores ran).
 */
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { AUTO_CHUNKING, chunkText } from '../src/ingest/chunk.js';
import { mean, ndcgAt, recallAt } from '../src/search/ranking-metrics.js';
import type { Chunk } from '../src/search/search-index.js';
import { openScratchSearchIndex, type ScratchSearchIndex } from '../src/search/sql/scratch-search-index.js';
import type { SearchDialect } from '../src/search/sql/search-tables.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATA = join(HERE, '../../shared/data');
const RESULTS = join(HERE, 'RESULTS.md');
const START = '<!-- retrieval:start -->';
const END = '<!-- retrieval:end -->';

const args = new Map(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k, v ?? 'true'] as const;
  }),
);
const storeArg = args.get('store') ?? 'all';
const BACKENDS: SearchDialect[] = storeArg === 'all' ? ['sqlite', 'postgres'] : [storeArg as SearchDialect];
const SIZES = (args.get('sizes') ?? '10000,100000').split(',').map(Number);
const PG_ADMIN_URL = process.env.OA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LOAD = loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ');
const CANDIDATES = 100; // what file search asks the index for
const CHUNK_LIMIT = 1000;
const VECTORS = 10_000; // chunks fetched per SciFact query, so that 100 distinct documents remain

interface Doc {
  _id: string;
  title: string;
  text: string;
}

function readJsonl<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}

function loadSciFact() {
  const corpus = readJsonl<Doc>(join(DATA, 'scifact/corpus.jsonl'));
  const queries = new Map(readJsonl<{ _id: string; text: string }>(join(DATA, 'scifact/queries.jsonl')).map((q) => [q._id, q.text]));
  const qrels = new Map<string, Map<string, number>>();
  for (const line of readFileSync(join(DATA, 'scifact/qrels/test.tsv'), 'utf8').split('\n').slice(1)) {
    const [qid, did, rel] = line.trim().split('\t');
    if (!qid) continue;
    if (!qrels.has(qid)) qrels.set(qid, new Map());
    qrels.get(qid)!.set(did, Number(rel));
  }
  return { corpus, queries, qrels };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function databaseBytes(s: ScratchSearchIndex): Promise<number> {
  if (s.dialect === 'sqlite') {
    const r = await sql<{ n: number }>`SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()`.execute(s.db);
    return Number(r.rows[0].n);
  }
  const r = await sql<{ n: string }>`SELECT pg_database_size(current_database()) AS n`.execute(s.db);
  return Number(r.rows[0].n);
}

/**
 * PostgreSQL: VACUUM ANALYZE after loading, as autovacuum would soon after (it sets the
 * visibility map, which lets BM25 read the postings index-only).
 */
async function settle(s: ScratchSearchIndex): Promise<void> {
  if (s.dialect === 'postgres') await sql`VACUUM ANALYZE`.execute(s.db);
}

interface QualityResult {
  backend: SearchDialect;
  docs: number;
  chunks: number;
  ndcg10: number;
  recall100: number;
  queries: number;
  indexSeconds: number;
  megabytes: number;
  queryP50: number;
}

async function sciFact(backend: SearchDialect): Promise<QualityResult> {
  const { corpus, queries, qrels } = loadSciFact();
  const s = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL });
  try {
    const files = corpus.map((doc) => {
      const pieces = chunkText(`${doc.title}\n\n${doc.text}`, {
        maxTokens: AUTO_CHUNKING.max_chunk_size_tokens,
        overlapTokens: AUTO_CHUNKING.chunk_overlap_tokens,
      });
      return pieces.map(
        (p): Chunk => ({ id: `vs_scifact:${doc._id}:${p.index}`, projectId: 'proj', vectorStoreId: 'vs_scifact', fileId: doc._id, index: p.index, text: p.text, attributes: {} }),
      );
    });
    const bytes = files.flat().reduce((n, c) => n + Buffer.byteLength(c.text), 0);
    const t0 = performance.now();
    for (const chunks of files) await s.index.add(chunks);
    const indexSeconds = (performance.now() - t0) / 1000;
    await settle(s);

    const ndcg: Array<number | undefined> = [];
    const recall: Array<number | undefined> = [];
    const times: number[] = [];
    for (const [qid, judged] of qrels) {
      const t = performance.now();
      const hits = await s.index.keyword({ vectorStoreIds: ['vs_scifact'], text: queries.get(qid)!, limit: CHUNK_LIMIT });
      times.push(performance.now() - t);
      const best = new Map<string, number>();
      for (const h of hits) best.set(h.chunk.fileId, Math.max(best.get(h.chunk.fileId) ?? -Infinity, h.score));
      // trec_eval order: score descending, then document id descending
      const ranking = [...best]
        .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0))
        .map(([doc]) => doc)
        .slice(0, 100);
      ndcg.push(ndcgAt(ranking, judged, 10));
      recall.push(recallAt(ranking, judged, 100));
    }
    times.sort((a, b) => a - b);
    return {
      backend,
      docs: corpus.length,
      chunks: files.flat().length,
      ndcg10: mean(ndcg),
      recall100: mean(recall),
      queries: qrels.size,
      indexSeconds,
      megabytes: bytes / 1e6,
      queryP50: percentile(times, 50),
    };
  } finally {
    await s.close();
  }
}

interface VectorResult {
  backend: SearchDialect;
  vectors: number;
  dims: number;
  p50: number;
  p95: number;
}

/** Deterministic pseudo-random vectors (xorshift), for timing only. */
function randomVector(seed: number, dims: number): Float32Array {
  let x = (seed * 2654435761) >>> 0 || 1;
  const v = new Float32Array(dims);
  for (let i = 0; i < dims; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v[i] = (x >>> 0) / 2 ** 32 - 0.5;
  }
  return v;
}

/** Brute-force cosine latency: VECTORS chunks with 384-d embeddings in a store of their own. */
async function vectorLatency(s: ScratchSearchIndex, words: string[][]): Promise<VectorResult> {
  const n = VECTORS;
  const dims = 384;
  for (let i = 0; i < n; i += 1000) {
    await s.index.add(
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
        ...syntheticChunk(words, i + k),
        id: `vs_vec:${i + k}`,
        vectorStoreId: 'vs_vec',
        embedding: randomVector(i + k + 1, dims),
      })),
    );
  }
  await settle(s);
  const times: number[] = [];
  for (let q = 0; q < 120; q++) {
    const t = performance.now();
    await s.index.vector({ vectorStoreIds: ['vs_vec'], text: '', embedding: randomVector(1_000_000 + q, dims), limit: CANDIDATES });
    if (q >= 20) times.push(performance.now() - t); // the first 20 warm up
  }
  times.sort((a, b) => a - b);
  return { backend: s.dialect, vectors: n, dims, p50: percentile(times, 50), p95: percentile(times, 95) };
}

interface LatencyResult {
  backend: SearchDialect;
  chunks: number;
  p50: number;
  p95: number;
  meanMs: number;
  queries: number;
  indexSeconds: number;
  megabytes: number;
  dbMegabytes: number;
}

function passages(): string[] {
  const { corpus } = loadSciFact();
  const squad = readJsonl<{ context: string }>(join(DATA, 'squad-v1.1-dev/paragraphs.jsonl'));
  return [...corpus.map((d) => `${d.title}. ${d.text}`), ...squad.map((p) => p.context)];
}

/** Chunk j: the first half of passage j, then the second half of a passage far from it. */
function syntheticChunk(all: string[][], j: number): Chunk {
  const a = all[j % all.length];
  const b = all[(j * 7919 + 13) % all.length];
  const text = [...a.slice(0, Math.ceil(a.length / 2)), ...b.slice(Math.ceil(b.length / 2))].join(' ');
  return { id: `vs_synth:f${Math.floor(j / 1000)}:${j}`, projectId: 'proj', vectorStoreId: 'vs_synth', fileId: `f${Math.floor(j / 1000)}`, index: j % 1000, text, attributes: {} };
}

function latencyQueries(): string[] {
  const { queries, qrels } = loadSciFact();
  const squad = readJsonl<{ question: string }>(join(DATA, 'squad-v1.1-dev/qa_sample.jsonl'));
  return [...[...qrels.keys()].map((q) => queries.get(q)!), ...squad.map((q) => q.question)];
}

async function latency(backend: SearchDialect): Promise<{ keyword: LatencyResult[]; vector: VectorResult }> {
  const words = passages().map((p) => p.split(/\s+/));
  const qs = latencyQueries();
  const s = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL });
  const out: LatencyResult[] = [];
  try {
    let indexed = 0;
    let seconds = 0;
    let bytes = 0;
    for (const size of SIZES) {
      while (indexed < size) {
        const n = Math.min(1000, size - indexed);
        const batch = Array.from({ length: n }, (_, i) => syntheticChunk(words, indexed + i));
        bytes += batch.reduce((x, c) => x + Buffer.byteLength(c.text), 0);
        const t0 = performance.now();
        await s.index.add(batch);
        seconds += (performance.now() - t0) / 1000;
        indexed += n;
        if (indexed % 20000 === 0) process.stderr.write(`  ${backend}: ${indexed} chunks, ${seconds.toFixed(0)} s\n`);
      }
      await settle(s);
      for (const q of qs.slice(0, 50)) await s.index.keyword({ vectorStoreIds: ['vs_synth'], text: q, limit: CANDIDATES }); // warm-up
      const times: number[] = [];
      for (const q of qs) {
        const t = performance.now();
        await s.index.keyword({ vectorStoreIds: ['vs_synth'], text: q, limit: CANDIDATES });
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      out.push({
        backend,
        chunks: indexed,
        p50: percentile(times, 50),
        p95: percentile(times, 95),
        meanMs: times.reduce((a, b) => a + b, 0) / times.length,
        queries: times.length,
        indexSeconds: seconds,
        megabytes: bytes / 1e6,
        dbMegabytes: (await databaseBytes(s)) / 1e6,
      });
      process.stderr.write(`  ${backend} ${indexed}: p50 ${out.at(-1)!.p50.toFixed(1)} ms, p95 ${out.at(-1)!.p95.toFixed(1)} ms\n`);
    }
    const vector = await vectorLatency(s, words);
    process.stderr.write(`  ${backend} vectors ${vector.vectors}×${vector.dims}: p50 ${vector.p50.toFixed(1)} ms, p95 ${vector.p95.toFixed(1)} ms\n`);
    return { keyword: out, vector };
  } finally {
    await s.close();
  }
}

const f1 = (x: number) => x.toFixed(1);
const f4 = (x: number) => x.toFixed(4);

function report(quality: QualityResult[], lat: LatencyResult[], vec: VectorResult[]): string {
  const lines = [
    START,
    '## retrieval: file-search index quality, latency and indexing (keyword / BM25)',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus().length} CPUs, ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${process.platform}/${process.arch}, load average at start ${LOAD}; PostgreSQL 15 with its default settings, VACUUM ANALYZE after loading`,
    `- command: \`npx tsx bench/retrieval.ts ${process.argv.slice(2).join(' ')}\``.replace(' `', '`'),
    '- index: src/search (analyzer.ts → postings; BM25 k1 1.2, b 0.75 in one SQL statement, same on both backends)',
    '',
  ];
  if (quality.length) {
    const q0 = quality[0];
    lines.push(
      `**SciFact** (BEIR test split, ${q0.queries} queries; ${q0.docs} documents = files, title + text chunked like the server, 800/400 tokens → ${q0.chunks} chunks; one \`add\` per file; document score = best chunk)`,
      '',
      '| backend | nDCG@10 | Recall@100 | bar (≥ 0.66 / ≥ 0.88) | query p50 ms | indexing (per-file adds) |',
      '|---|--:|--:|---|--:|--:|',
      ...quality.map(
        (r) =>
          `| ${r.backend} | ${f4(r.ndcg10)} | ${f4(r.recall100)} | ${r.ndcg10 >= 0.66 && r.recall100 >= 0.88 ? 'met' : '**missed**'} | ${f1(r.queryP50)} | ${f1(r.megabytes)} MB in ${f1(r.indexSeconds)} s = ${f1(r.megabytes / r.indexSeconds)} MB/s |`,
      ),
      '',
      'Reference on the same files: Anserini BM25 flat 0.6789 / 0.9253, multifield 0.6647 / 0.9076 (shared/data/scifact/SOURCE.md).',
      '',
    );
  }
  if (lat.length) {
    lines.push(
      `**Keyword latency** (one store; synthetic chunks: first half of one SciFact/SQuAD passage + second half of another, ≈${Math.round((lat[0].megabytes * 1e6) / lat[0].chunks)} bytes each; ${lat[0].queries} queries = SciFact test claims + SQuAD sample questions, ${CANDIDATES} results each, after 50 warm-up queries; end to end through \`SearchIndex.keyword\`)`,
      '',
      '| backend | chunks | p50 ms | p95 ms | mean ms | bulk indexing (1,000 chunks per add) | database size |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...lat.map(
        (r) =>
          `| ${r.backend} | ${r.chunks.toLocaleString('en-US')} | ${f1(r.p50)} | ${f1(r.p95)} | ${f1(r.meanMs)} | ${f1(r.megabytes)} MB in ${f1(r.indexSeconds)} s = ${f1(r.megabytes / r.indexSeconds)} MB/s | ${Math.round(r.dbMegabytes)} MB |`,
      ),
      '',
    );
  }
  if (vec.length) {
    lines.push(
      `**Vector latency** (brute-force cosine in the application over one store's ${vec[0].vectors.toLocaleString('en-US')} chunks with ${vec[0].dims}-d embeddings, ${CANDIDATES} results, 100 queries after 20 warm-up)`,
      '',
      '| backend | vectors | p50 ms | p95 ms |',
      '|---|--:|--:|--:|',
      ...vec.map((r) => `| ${r.backend} | ${r.vectors.toLocaleString('en-US')} × ${r.dims} | ${f1(r.p50)} | ${f1(r.p95)} |`),
      '',
    );
  }
  lines.push(END);
  return lines.join('\n');
}

function writeSection(section: string): void {
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const i = current.indexOf(START);
  const j = current.indexOf(END);
  const next = i >= 0 && j > i ? current.slice(0, i) + section + current.slice(j + END.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS, next);
}

async function main(): Promise<void> {
  const quality: QualityResult[] = [];
  const lat: LatencyResult[] = [];
  const vec: VectorResult[] = [];
  for (const backend of BACKENDS) {
    if (args.get('skip-scifact') !== 'true') {
      process.stderr.write(`SciFact on ${backend}…\n`);
      const r = await sciFact(backend);
      quality.push(r);
      process.stderr.write(`  nDCG@10 ${f4(r.ndcg10)}  R@100 ${f4(r.recall100)}  indexed ${f1(r.megabytes)} MB in ${f1(r.indexSeconds)} s\n`);
    }
    if (args.get('skip-latency') !== 'true') {
      process.stderr.write(`latency on ${backend}…\n`);
      const r = await latency(backend);
      lat.push(...r.keyword);
      vec.push(r.vector);
    }
  }
  const section = report(quality, lat, vec);
  console.log(section);
  for (const r of quality) {
    if (r.ndcg10 < 0.66 || r.recall100 < 0.88) console.log(`BAR MISSED on ${r.backend}: nDCG@10 ${f4(r.ndcg10)}, R@100 ${f4(r.recall100)}`);
  }
  if (storeArg === 'all' && args.get('no-write') !== 'true') writeSection(section);
}

await main();
