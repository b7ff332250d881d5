/**
 * Retrieval benchmark for the file-search index (src/search), on SQLite and PostgreSQL.
 *
 *   npx tsx bench/retrieval.ts [--store=sqlite|postgres|all] [--legs=scifact,squad,ingest,latency,vector]
 *                              [--sizes=10000,100000] [--squad-every=10] [--hybrid-queries=100]
 *                              [--ingest-rounds=3] [--vector-sizes=10000[,100000]] [--no-hnsw]
 *                              [--skip-scifact] [--skip-latency] [--no-write]
 *
 * Embeddings come from a hashing embedder (test/fixtures/hashing-embedder.ts: signed feature
 * hashing of words, word pairs and character trigrams, 384-d) served over HTTP by a local
 * OpenAI-compatible `/embeddings` server (the scripted upstream, in this process) and read through
 * the server's own AI SDK embedder: no model weights are available here, so the vector and
 * hybrid legs measure the pipeline, not the quality a neural embedding model would give.
 *
 * 1. Quality, SciFact (BEIR, ../shared/data/scifact): each document (title + text) is one file,
 *    chunked as the server chunks files (chunkText, auto strategy: 800 tokens, 400 overlap),
 *    embedded, and added one file per `add` call, like ingestion. The 300 test queries run three
 *    ways: keyword (BM25), vector (cosine), hybrid (searchStores, as the server searches); a
 *    document's score is the best of its chunks. nDCG@10 and Recall@100 (trec_eval definitions,
 *    src/search/ranking-metrics.ts). Bar (keyword): nDCG@10 ≥ 0.66 and R@100 ≥ 0.88.
 * 2. Quality, SQuAD v1.1 dev (../shared/data/squad-v1.1-dev): each of the 2,067 paragraphs is one
 *    document; every `squad-every`-th question is a query; hit@1 and hit@20 of its paragraph,
 *    keyword, vector and hybrid.
 * 3. Ingestion throughput: the sample documents (../shared/data/docs: PDF, DOCX, PPTX, XLSX,
 *    XLSM, HTML, MD, CSV) and the SciFact corpus as 5,183 text files, each through
 *    src/ingest/ingest-file.ts (read blob → extract → chunk → index, keyword-only) like one ingest
 *    worker; MB of extracted text per second, wall and CPU, against extraction alone.
 * 4. Latency: keyword queries (SciFact test claims + SQuAD sample questions, 100 candidates as
 *    file search asks for) against one store of 10k and then 100k synthetic chunks, each the
 *    first half of one SciFact/SQuAD passage joined to the second half of another, each with a
 *    384-d hashing embedding; then hybrid search through searchStores (query embedding over
 *    HTTP + keyword + vector + fusion) on the first `hybrid-queries` of them, with keyword-only
 *    searchStores on the same queries as the baseline, and the embedding call's share.
 * 5. Indexing throughput: MB of chunk text per second, for both the per-file SciFact adds and the
 *    bulk synthetic adds (1,000 chunks per call).
 * 6. Vector latency (bench/retrieval-vector.ts): SearchIndex.vector on the vector index
 *    (sqlite-vec / pgvector) against the brute-force fallback, loaded alike in the same run, at
 *    `vector-sizes` chunks; on PostgreSQL also an HNSW index, for comparison.
 * Results go to bench/RESULTS.md between the retrieval markers (when all stores ran); a run
 * without the vector leg keeps the vector block that is there.
 */
import { readFileSync, writeFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { FsBlobStore } from '../src/blobs/fs/fs-blob-store.js';
import { AUTO_CHUNKING, chunkText } from '../src/ingest/chunk.js';
import { extractText } from '../src/ingest/extract.js';
import { ingestFile } from '../src/ingest/ingest-file.js';
import { createOpenAICompatibleEmbedder } from '../src/model/ai-sdk/ai-sdk-embedder.js';
import type { Embedder } from '../src/model/embedder.js';
import { mean, ndcgAt, recallAt } from '../src/search/ranking-metrics.js';
import type { Chunk, ScoredChunk } from '../src/search/search-index.js';
import type { StoredFile, StoredVectorStoreFile } from '../src/store/store.js';
import { searchStores } from '../src/tools/search-stores.js';
import { HASHING_DIMS, hashingEmbedding } from '../test/fixtures/hashing-embedder.js';
import { startScriptedUpstream } from '../test/fixtures/scripted-upstream.js';
import { openScratchSearchIndex, type ScratchSearchIndex } from '../src/search/sql/scratch-search-index.js';
import { VECTOR_END, VECTOR_START, vectorLeg, vectorReport, type VectorLegResult } from './retrieval-vector.js';
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
const LEGS = new Set((args.get('legs') ?? 'scifact,squad,ingest,latency,vector').split(','));
if (args.get('skip-scifact') === 'true') LEGS.delete('scifact');
if (args.get('skip-latency') === 'true') LEGS.delete('latency');
const SQUAD_EVERY = Number(args.get('squad-every') ?? 10);
const HYBRID_QUERIES = Number(args.get('hybrid-queries') ?? 100);
const INGEST_ROUNDS = Number(args.get('ingest-rounds') ?? 3);
const EMBED_MODEL = `hashing-${HASHING_DIMS}`;
const BACKENDS: SearchDialect[] = storeArg === 'all' ? ['sqlite', 'postgres'] : [storeArg as SearchDialect];
const SIZES = (args.get('sizes') ?? '10000,100000').split(',').map(Number);
const VECTOR_SIZES = (args.get('vector-sizes') ?? '10000').split(',').map(Number);
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

// ---- the embedding endpoint: the hashing embedder behind a local /embeddings server

/** The server's embedder, timing each call (the hybrid leg reports the embedding's share). */
interface TimedEmbedder extends Embedder {
  /** Milliseconds per `embed` call since the last `reset`. */
  readonly calls: number[];
  reset(): void;
}

async function startEmbeddingServer(): Promise<{ embedder: TimedEmbedder; close(): Promise<void> }> {
  const upstream = await startScriptedUpstream();
  upstream.serveEmbeddings(EMBED_MODEL);
  const inner = createOpenAICompatibleEmbedder({ baseUrl: upstream.baseURL, apiKey: null, model: EMBED_MODEL });
  const calls: number[] = [];
  return {
    embedder: {
      name: inner.name,
      calls,
      reset: () => void calls.splice(0),
      async embed(texts, signal) {
        const t = performance.now();
        try {
          return await inner.embed(texts, signal);
        } finally {
          calls.push(performance.now() - t);
        }
      },
    },
    close: () => upstream.close(),
  };
}

interface LegQuality {
  ndcg10: number;
  recall100: number;
  p50: number;
}

interface QualityResult {
  backend: SearchDialect;
  docs: number;
  chunks: number;
  /** Keyword (BM25), the leg the bar is about. */
  ndcg10: number;
  recall100: number;
  queries: number;
  indexSeconds: number;
  embedSeconds: number;
  megabytes: number;
  queryP50: number;
  vector: LegQuality;
  hybrid: LegQuality;
}

/** Documents best first by their best chunk; trec_eval order: score descending, then id descending. */
function docRanking(hits: readonly ScoredChunk[], n: number): string[] {
  const best = new Map<string, number>();
  for (const h of hits) best.set(h.chunk.fileId, Math.max(best.get(h.chunk.fileId) ?? -Infinity, h.score));
  return [...best]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : a[0] > b[0] ? -1 : 0))
    .map(([doc]) => doc)
    .slice(0, n);
}

async function sciFact(backend: SearchDialect, embedder: TimedEmbedder): Promise<QualityResult> {
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
    const all = files.flat();
    const bytes = all.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
    const e0 = performance.now();
    const vectors = await embedder.embed(all.map((c) => c.text));
    const embedSeconds = (performance.now() - e0) / 1000;
    all.forEach((c, i) => (c.embedding = vectors[i]));
    const t0 = performance.now();
    for (const chunks of files) await s.index.add(chunks);
    const indexSeconds = (performance.now() - t0) / 1000;
    await settle(s);

    const legs = ['keyword', 'vector', 'hybrid'] as const;
    const ndcg = Object.fromEntries(legs.map((l) => [l, [] as Array<number | undefined>]));
    const recall = Object.fromEntries(legs.map((l) => [l, [] as Array<number | undefined>]));
    const times = Object.fromEntries(legs.map((l) => [l, [] as number[]]));
    const stores = ['vs_scifact'];
    for (const [qid, judged] of qrels) {
      const text = queries.get(qid)!;
      const rankings: Record<(typeof legs)[number], () => Promise<ScoredChunk[]>> = {
        keyword: () => s.index.keyword({ vectorStoreIds: stores, text, limit: CHUNK_LIMIT }),
        vector: async () => {
          const [embedding] = await embedder.embed([text]);
          return s.index.vector({ vectorStoreIds: stores, text, embedding, limit: CHUNK_LIMIT });
        },
        // as the server searches: 100 candidates per retriever, fused; 100 results
        hybrid: () => searchStores({ index: s.index, embedder }, { vectorStoreIds: stores, queries: [text], limit: CANDIDATES, scoreThreshold: 0 }),
      };
      for (const leg of legs) {
        const t = performance.now();
        const hits = await rankings[leg]();
        times[leg].push(performance.now() - t);
        const ranking = docRanking(hits, 100);
        ndcg[leg].push(ndcgAt(ranking, judged, 10));
        recall[leg].push(recallAt(ranking, judged, 100));
      }
    }
    const leg = (l: (typeof legs)[number]): LegQuality => ({
      ndcg10: mean(ndcg[l]),
      recall100: mean(recall[l]),
      p50: percentile(times[l].sort((a, b) => a - b), 50),
    });
    const keyword = leg('keyword');
    return {
      backend,
      docs: corpus.length,
      chunks: all.length,
      ndcg10: keyword.ndcg10,
      recall100: keyword.recall100,
      queries: qrels.size,
      indexSeconds,
      embedSeconds,
      megabytes: bytes / 1e6,
      queryP50: keyword.p50,
      vector: leg('vector'),
      hybrid: leg('hybrid'),
    };
  } finally {
    await s.close();
  }
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

function withHashingEmbedding(c: Chunk): Chunk {
  return { ...c, embedding: hashingEmbedding(c.text) };
}

function latencyQueries(): string[] {
  const { queries, qrels } = loadSciFact();
  const squad = readJsonl<{ question: string }>(join(DATA, 'squad-v1.1-dev/qa_sample.jsonl'));
  return [...[...qrels.keys()].map((q) => queries.get(q)!), ...squad.map((q) => q.question)];
}

async function latency(
  backend: SearchDialect,
  embedder: TimedEmbedder,
): Promise<{ keyword: LatencyResult[]; hybrid: HybridResult[] }> {
  const words = passages().map((p) => p.split(/\s+/));
  const qs = latencyQueries();
  const s = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL });
  const out: LatencyResult[] = [];
  const hybrid: HybridResult[] = [];
  try {
    let indexed = 0;
    let seconds = 0;
    let bytes = 0;
    for (const size of SIZES) {
      while (indexed < size) {
        const n = Math.min(1000, size - indexed);
        // embedded in this process (not timed): 100k chunks over HTTP would measure JSON, not the index
        const batch = Array.from({ length: n }, (_, i) => withHashingEmbedding(syntheticChunk(words, indexed + i)));
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
      const h = await hybridLatency(s, qs, embedder, indexed);
      hybrid.push(h);
      process.stderr.write(`  ${backend} ${indexed} hybrid: p50 ${f1(h.hybrid.p50)} ms (keyword ${f1(h.keyword.p50)} ms, embedding ${f1(h.embed.p50)} ms)\n`);
    }
    return { keyword: out, hybrid };
  } finally {
    await s.close();
  }
}

// ---- SQuAD: paragraph retrieval

interface SquadResult {
  backend: SearchDialect;
  paragraphs: number;
  chunks: number;
  questions: number;
  legs: Record<'keyword' | 'vector' | 'hybrid', { hit1: number; hit20: number; p50: number }>;
}

async function squad(backend: SearchDialect, embedder: TimedEmbedder): Promise<SquadResult> {
  const paragraphs = readJsonl<{ title: string; paragraph_index: number; context: string }>(join(DATA, 'squad-v1.1-dev/paragraphs.jsonl'));
  const questions = readJsonl<{ title: string; paragraph_index: number; question: string }>(join(DATA, 'squad-v1.1-dev/qa.jsonl')).filter(
    (_, i) => i % SQUAD_EVERY === 0,
  );
  const s = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL });
  try {
    const chunks = paragraphs.flatMap((p) => {
      const fileId = `${p.title}#${p.paragraph_index}`;
      return chunkText(p.context, { maxTokens: AUTO_CHUNKING.max_chunk_size_tokens, overlapTokens: AUTO_CHUNKING.chunk_overlap_tokens }).map(
        (c): Chunk => ({ id: `vs_squad:${fileId}:${c.index}`, projectId: 'proj', vectorStoreId: 'vs_squad', fileId, index: c.index, text: c.text, attributes: {} }),
      );
    });
    const vectors = await embedder.embed(chunks.map((c) => c.text));
    chunks.forEach((c, i) => (c.embedding = vectors[i]));
    for (let i = 0; i < chunks.length; i += 500) await s.index.add(chunks.slice(i, i + 500));
    await settle(s);
    const legs = ['keyword', 'vector', 'hybrid'] as const;
    const hits = Object.fromEntries(legs.map((l) => [l, { hit1: 0, hit20: 0, times: [] as number[] }]));
    const stores = ['vs_squad'];
    for (const q of questions) {
      const gold = `${q.title}#${q.paragraph_index}`;
      const text = q.question;
      const run: Record<(typeof legs)[number], () => Promise<ScoredChunk[]>> = {
        keyword: () => s.index.keyword({ vectorStoreIds: stores, text, limit: 20 }),
        vector: async () => {
          const [embedding] = await embedder.embed([text]);
          return s.index.vector({ vectorStoreIds: stores, text, embedding, limit: 20 });
        },
        hybrid: () => searchStores({ index: s.index, embedder }, { vectorStoreIds: stores, queries: [text], limit: 20, scoreThreshold: 0 }),
      };
      for (const leg of legs) {
        const t = performance.now();
        const ranked = [...new Set((await run[leg]()).map((h) => h.chunk.fileId))].slice(0, 20);
        hits[leg].times.push(performance.now() - t);
        if (ranked[0] === gold) hits[leg].hit1++;
        if (ranked.includes(gold)) hits[leg].hit20++;
      }
    }
    const out = (l: (typeof legs)[number]) => ({
      hit1: hits[l].hit1 / questions.length,
      hit20: hits[l].hit20 / questions.length,
      p50: percentile(hits[l].times.sort((a, b) => a - b), 50),
    });
    return {
      backend,
      paragraphs: paragraphs.length,
      chunks: chunks.length,
      questions: questions.length,
      legs: { keyword: out('keyword'), vector: out('vector'), hybrid: out('hybrid') },
    };
  } finally {
    await s.close();
  }
}

// ---- ingestion throughput through ingestFile (read blob → extract → chunk → index)

interface IngestRow {
  label: string;
  files: number;
  inputMb: number;
  textMb: number;
  /** Extraction alone (extractText), the baseline. */
  extractSeconds: number;
  extractCpuSeconds: number;
  /** The whole of ingestFile. */
  seconds: number;
  cpuSeconds: number;
  chunks: number;
}

interface IngestResult {
  backend: SearchDialect;
  rows: IngestRow[];
  skipped: string[];
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

async function ingestion(backend: SearchDialect): Promise<IngestResult> {
  const docsDir = join(DATA, 'docs');
  // password-protected.pdf is refused (invalid_file) by design: no text to measure
  const skipped = ['password-protected.pdf'];
  const docs = readdirSync(docsDir)
    .filter((f) => f !== 'SOURCE.md' && !skipped.includes(f))
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(docsDir, name))) }));
  const { corpus } = loadSciFact();
  const scifact = corpus.map((d) => ({ name: `${d._id}.txt`, bytes: new Uint8Array(Buffer.from(`${d.title}\n\n${d.text}`)) }));
  const dir = mkdtempSync(join(tmpdir(), 'oa-bench-ingest-'));
  const blobs = new FsBlobStore(dir);
  const s = await openScratchSearchIndex(backend, { pgAdminUrl: PG_ADMIN_URL });
  const signal = new AbortController().signal;
  let n = 0;
  /** Stores the upload (not timed), then returns a function that ingests it as an ingest worker does. */
  const upload = async (name: string, bytes: Uint8Array): Promise<{ id: string; ingest: () => Promise<{ chunks: number }> }> => {
    const id = `file-bench${++n}`;
    await blobs.put(`files/${id}`, [bytes]);
    const file: StoredFile = {
      id, object: 'file', bytes: bytes.byteLength, created_at: 0, expires_at: null, filename: name,
      purpose: 'assistants', status: 'processed', status_details: null, blob_key: `files/${id}`, mime_type: 'application/octet-stream',
    };
    const job: StoredVectorStoreFile = {
      id, usage_bytes: 0, created_at: 0, vector_store_id: 'vs_ingest', status: 'in_progress', last_error: null,
      chunking_strategy: { type: 'static', static: { max_chunk_size_tokens: AUTO_CHUNKING.max_chunk_size_tokens, chunk_overlap_tokens: AUTO_CHUNKING.chunk_overlap_tokens } },
      attributes: {}, project_id: 'proj', batch_id: null, attempts: 1,
    };
    return { id, ingest: () => ingestFile({ blobs, index: s.index, embedder: null }, job, file, signal) };
  };
  const textBytes = async (id: string): Promise<number> => {
    let text = 0;
    for await (const c of blobs.get(`text/${id}`)) text += (c as Buffer).byteLength;
    return text;
  };
  const measure = async (label: string, files: Array<{ name: string; bytes: Uint8Array }>, rounds: number): Promise<IngestRow> => {
    const row: IngestRow = { label, files: 0, inputMb: 0, textMb: 0, extractSeconds: 0, extractCpuSeconds: 0, seconds: 0, cpuSeconds: 0, chunks: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const f of files) {
        let c = process.cpuUsage();
        let t = performance.now();
        await extractText(f.bytes, f.name, 'application/octet-stream');
        row.extractSeconds += (performance.now() - t) / 1000;
        row.extractCpuSeconds += cpuSeconds(c);
        const uploaded = await upload(f.name, f.bytes);
        c = process.cpuUsage();
        t = performance.now();
        const { chunks } = await uploaded.ingest();
        row.seconds += (performance.now() - t) / 1000;
        row.cpuSeconds += cpuSeconds(c);
        row.files++;
        row.inputMb += f.bytes.byteLength / 1e6;
        row.textMb += (await textBytes(uploaded.id)) / 1e6;
        row.chunks += chunks;
      }
    }
    return row;
  };
  try {
    // warm-up: each extractor's first call loads its library
    for (const d of docs) await extractText(d.bytes, d.name, 'application/octet-stream');
    const rows: IngestRow[] = [];
    const byType = new Map<string, typeof docs>();
    for (const d of docs) {
      const ext = d.name.slice(d.name.lastIndexOf('.') + 1).toUpperCase();
      byType.set(ext, [...(byType.get(ext) ?? []), d]);
    }
    for (const [ext, files] of [...byType].sort()) {
      rows.push(await measure(`${ext} (${files.map((f) => f.name).join(', ')})`, files, INGEST_ROUNDS));
    }
    const docRows = rows.slice();
    rows.push(
      docRows.reduce(
        (a, r) => ({
          label: `all sample documents (${docs.length} files × ${INGEST_ROUNDS} rounds)`,
          files: a.files + r.files,
          inputMb: a.inputMb + r.inputMb,
          textMb: a.textMb + r.textMb,
          extractSeconds: a.extractSeconds + r.extractSeconds,
          extractCpuSeconds: a.extractCpuSeconds + r.extractCpuSeconds,
          seconds: a.seconds + r.seconds,
          cpuSeconds: a.cpuSeconds + r.cpuSeconds,
          chunks: a.chunks + r.chunks,
        }),
        { label: '', files: 0, inputMb: 0, textMb: 0, extractSeconds: 0, extractCpuSeconds: 0, seconds: 0, cpuSeconds: 0, chunks: 0 },
      ),
    );
    await s.clear();
    rows.push(await measure(`SciFact corpus as ${scifact.length.toLocaleString('en-US')} text files`, scifact, 1));
    return { backend, rows, skipped };
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- hybrid latency: searchStores as the server runs it, in the latency store

interface HybridResult {
  backend: SearchDialect;
  chunks: number;
  queries: number;
  /** searchStores without an embedder (keyword only), the same queries: the baseline. */
  keyword: { p50: number; p95: number; mean: number };
  hybrid: { p50: number; p95: number; mean: number };
  /** The query-embedding call alone (HTTP to the local endpoint). */
  embed: { p50: number; p95: number; mean: number };
  /** Σ embedding time / Σ hybrid time. */
  embedShare: number;
}

function summary(times: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

async function hybridLatency(s: ScratchSearchIndex, qs: string[], embedder: TimedEmbedder, chunks: number): Promise<HybridResult> {
  const queries = qs.slice(0, HYBRID_QUERIES);
  const search = (e: Embedder | null, q: string) =>
    searchStores({ index: s.index, embedder: e }, { vectorStoreIds: ['vs_synth'], queries: [q], limit: 20, scoreThreshold: 0 });
  for (const q of qs.slice(-10)) await search(embedder, q); // warm-up, queries not measured
  const keyword: number[] = [];
  const hybrid: number[] = [];
  const embed: number[] = [];
  for (const q of queries) {
    let t = performance.now();
    await search(null, q);
    keyword.push(performance.now() - t);
    embedder.reset();
    t = performance.now();
    await search(embedder, q);
    hybrid.push(performance.now() - t);
    embed.push(embedder.calls.reduce((a, b) => a + b, 0));
  }
  return {
    backend: s.dialect,
    chunks,
    queries: queries.length,
    keyword: summary(keyword),
    hybrid: summary(hybrid),
    embed: summary(embed),
    embedShare: embed.reduce((a, b) => a + b, 0) / hybrid.reduce((a, b) => a + b, 0),
  };
}

const f1 = (x: number) => x.toFixed(1);
const f4 = (x: number) => x.toFixed(4);
const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);

interface Results {
  quality: QualityResult[];
  squad: SquadResult[];
  ingest: IngestResult[];
  lat: LatencyResult[];
  hybrid: HybridResult[];
  vec: VectorLegResult[];
}

const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

function report({ quality, squad: sq, ingest, lat, hybrid, vec }: Results): string {
  const lines = [
    START,
    '## retrieval: file-search quality (keyword, vector, hybrid), ingestion throughput, search latency',
    '',
    `- date: ${new Date().toISOString()}`,
    `- machine: ${cpus().length} CPUs, ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${process.platform}/${process.arch}, load average at start ${LOAD}, at the end ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (the machine was shared: CPU seconds are given where wall time is noisy); PostgreSQL 15 with its default settings, VACUUM ANALYZE after loading`,
    `- command: \`npx tsx bench/retrieval.ts ${process.argv.slice(2).join(' ')}\``.replace(' `', '`'),
    '- index: src/search (analyzer.ts → postings; BM25 k1 1.2, b 0.75 in one SQL statement, same on both backends); vectors and hybrid fusion as the server runs them (SearchIndex.vector, tools/search-stores.ts: 100 candidates per retriever, reciprocal rank fusion k = 60)',
    `- **embeddings: a hashing embedder, not a neural model** (test/fixtures/hashing-embedder.ts: signed feature hashing of lower-cased words, word pairs and character trigrams, ${HASHING_DIMS}-d, sublinear tf, L2-normalised), served by a local OpenAI-compatible \`/embeddings\` endpoint in this process and called through the server's AI SDK embedder. No model weights are available here, so the vector and hybrid rows measure the pipeline and its cost; a real embedding model would rank differently (typically better than BM25 on these sets).`,
    '',
  ];
  if (quality.length) {
    const q0 = quality[0];
    lines.push(
      `**SciFact** (BEIR test split, ${q0.queries} queries; ${q0.docs} documents = files, title + text chunked like the server, 800/400 tokens → ${q0.chunks} chunks, each embedded; one \`add\` per file; document score = best chunk; hybrid = \`searchStores\` with ${CANDIDATES} results)`,
      '',
      '| backend | leg | nDCG@10 | Recall@100 | vs keyword (nDCG@10) | query p50 ms |',
      '|---|---|--:|--:|--:|--:|',
      ...quality.flatMap((r) => [
        `| ${r.backend} | keyword (BM25) | ${f4(r.ndcg10)} | ${f4(r.recall100)} | 1.00× (bar ≥ 0.66 / ≥ 0.88: ${r.ndcg10 >= 0.66 && r.recall100 >= 0.88 ? 'met' : '**missed**'}) | ${f1(r.queryP50)} |`,
        `| ${r.backend} | vector (hashing embedder) | ${f4(r.vector.ndcg10)} | ${f4(r.vector.recall100)} | ${x(r.vector.ndcg10, r.ndcg10)} | ${f1(r.vector.p50)} |`,
        `| ${r.backend} | hybrid (RRF) | ${f4(r.hybrid.ndcg10)} | ${f4(r.hybrid.recall100)} | ${x(r.hybrid.ndcg10, r.ndcg10)} | ${f1(r.hybrid.p50)} |`,
      ]),
      '',
      ...quality.map(
        (r) =>
          `- ${r.backend}: indexing (per-file adds, chunks with vectors) ${f1(r.megabytes)} MB in ${f1(r.indexSeconds)} s = ${f1(r.megabytes / r.indexSeconds)} MB/s; embedding the ${r.chunks} chunks over HTTP ${f1(r.embedSeconds)} s`,
      ),
      '',
      'Reference on the same files: Anserini BM25 flat 0.6789 / 0.9253, multifield 0.6647 / 0.9076 (shared/data/scifact/SOURCE.md).',
      '',
    );
  }
  if (sq.length) {
    const s0 = sq[0];
    lines.push(
      `**SQuAD v1.1 dev, paragraph retrieval** (${s0.paragraphs.toLocaleString('en-US')} paragraphs = documents → ${s0.chunks.toLocaleString('en-US')} chunks; ${s0.questions.toLocaleString('en-US')} questions = every ${SQUAD_EVERY}th of the 10,570 in qa.jsonl; a hit is the question's own paragraph among the first 1 / 20 distinct paragraphs)`,
      '',
      '| backend | leg | hit@1 | hit@20 | vs keyword (hit@1) | query p50 ms |',
      '|---|---|--:|--:|--:|--:|',
      ...sq.flatMap((r) =>
        (['keyword', 'vector', 'hybrid'] as const).map(
          (l) =>
            `| ${r.backend} | ${l === 'keyword' ? 'keyword (BM25)' : l === 'vector' ? 'vector (hashing embedder)' : 'hybrid (RRF)'} | ${f4(r.legs[l].hit1)} | ${f4(r.legs[l].hit20)} | ${x(r.legs[l].hit1, r.legs.keyword.hit1)} | ${f1(r.legs[l].p50)} |`,
        ),
      ),
      '',
    );
  }
  if (ingest.length) {
    lines.push(
      `**Ingestion throughput** (each file through \`src/ingest/ingest-file.ts\` as one ingest worker runs it: blob read → text extraction → chunking (800/400 tokens) → keyword index (no embedder), extracted text kept as a blob; files one after another into one store; sample documents ${INGEST_ROUNDS} rounds as new files; baseline = \`extractText\` alone on the same bytes; ${ingest[0].skipped.join(', ')} left out: it is refused as encrypted, by design)`,
      '',
      '| backend | files | input MB | text MB | chunks | pipeline s (CPU s) | text MB/s wall | text MB/s CPU | extraction alone s (CPU s) | pipeline / extraction (wall) |',
      '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|',
      ...ingest.flatMap((r) =>
        r.rows.map(
          (w) =>
            `| ${r.backend} | ${w.label} | ${f3(w.inputMb)} | ${f3(w.textMb)} | ${w.chunks.toLocaleString('en-US')} | ${f2(w.seconds)} (${f2(w.cpuSeconds)}) | ${f2(w.textMb / w.seconds)} | ${f2(w.textMb / w.cpuSeconds)} | ${f2(w.extractSeconds)} (${f2(w.extractCpuSeconds)}) | ${x(w.seconds, w.extractSeconds)} |`,
        ),
      ),
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
  if (hybrid.length) {
    lines.push(
      `**Hybrid search latency** (the same store and chunks, each with a ${HASHING_DIMS}-d embedding; \`searchStores\` as the server runs it for file_search: query embedding over HTTP to the local endpoint, keyword + vector (${CANDIDATES} candidates each), fusion, 20 results; the first ${hybrid[0].queries} of the queries above, after 10 warm-up; baseline = \`searchStores\` without an embedder on the same queries, interleaved)`,
      '',
      '| backend | chunks | keyword p50 / p95 ms | hybrid p50 / p95 ms | hybrid / keyword (p50) | embedding call p50 / p95 ms | embedding share of hybrid time |',
      '|---|--:|--:|--:|--:|--:|--:|',
      ...hybrid.map(
        (r) =>
          `| ${r.backend} | ${r.chunks.toLocaleString('en-US')} | ${f1(r.keyword.p50)} / ${f1(r.keyword.p95)} | ${f1(r.hybrid.p50)} / ${f1(r.hybrid.p95)} | ${x(r.hybrid.p50, r.keyword.p50)} | ${f1(r.embed.p50)} / ${f1(r.embed.p95)} | ${(100 * r.embedShare).toFixed(1)} % |`,
      ),
      '',
    );
  }
  if (vec.length) lines.push(vectorReport(vec, `npx tsx bench/retrieval.ts ${process.argv.slice(2).join(' ')}`.trim()), '');
  lines.push(END);
  return lines.join('\n');
}

function writeSection(fresh: string): void {
  const current = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const i = current.indexOf(START);
  const j = current.indexOf(END);
  // without the vector leg, the vector block already there stays
  const vi = current.indexOf(VECTOR_START);
  const vj = current.indexOf(VECTOR_END);
  const section =
    fresh.includes(VECTOR_START) || !(i < vi && vi < vj && vj < j)
      ? fresh
      : fresh.replace(END, `${current.slice(vi, vj + VECTOR_END.length)}\n\n${END}`);
  const next = i >= 0 && j > i ? current.slice(0, i) + section + current.slice(j + END.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS, next);
}

async function main(): Promise<void> {
  const results: Results = { quality: [], squad: [], ingest: [], lat: [], hybrid: [], vec: [] };
  const endpoint = await startEmbeddingServer();
  const { embedder } = endpoint;
  try {
    for (const backend of BACKENDS) {
      if (LEGS.has('scifact')) {
        process.stderr.write(`SciFact on ${backend}…\n`);
        const r = await sciFact(backend, embedder);
        results.quality.push(r);
        process.stderr.write(
          `  nDCG@10 keyword ${f4(r.ndcg10)}, vector ${f4(r.vector.ndcg10)}, hybrid ${f4(r.hybrid.ndcg10)}; R@100 ${f4(r.recall100)} / ${f4(r.vector.recall100)} / ${f4(r.hybrid.recall100)}\n`,
        );
      }
      if (LEGS.has('squad')) {
        process.stderr.write(`SQuAD on ${backend}…\n`);
        const r = await squad(backend, embedder);
        results.squad.push(r);
        process.stderr.write(`  hit@1 keyword ${f4(r.legs.keyword.hit1)}, vector ${f4(r.legs.vector.hit1)}, hybrid ${f4(r.legs.hybrid.hit1)}\n`);
      }
      if (LEGS.has('ingest')) {
        process.stderr.write(`ingestion on ${backend}…\n`);
        const r = await ingestion(backend);
        results.ingest.push(r);
        for (const w of r.rows) process.stderr.write(`  ${w.label.slice(0, 60)}: ${f2(w.textMb / w.seconds)} MB/s\n`);
      }
      if (LEGS.has('latency')) {
        process.stderr.write(`latency on ${backend}…\n`);
        const r = await latency(backend, embedder);
        results.lat.push(...r.keyword);
        results.hybrid.push(...r.hybrid);
      }
    }
    if (LEGS.has('vector')) {
      process.stderr.write('vector latency…\n');
      results.vec = await vectorLeg({
        backends: BACKENDS,
        sizes: VECTOR_SIZES,
        hnsw: args.get('no-hnsw') !== 'true',
        pgAdminUrl: PG_ADMIN_URL,
        progress: (line) => process.stderr.write(`${line}\n`),
      });
    }
  } finally {
    await endpoint.close();
  }
  const section = report(results);
  console.log(section);
  for (const r of results.quality) {
    if (r.ndcg10 < 0.66 || r.recall100 < 0.88) console.log(`BAR MISSED on ${r.backend}: nDCG@10 ${f4(r.ndcg10)}, R@100 ${f4(r.recall100)}`);
  }
  if (storeArg === 'all' && args.get('no-write') !== 'true') writeSection(section);
}

await main();
