import type { BlobStore } from '../blobs/blob-store.js';
import type { Embedder } from '../model/embedder.js';
import type { Chunk, SearchIndex } from '../search/search-index.js';
import type { StoredFile, StoredVectorStoreFile } from '../store/store.js';
import { AUTO_CHUNKING } from './chunk.js';
import { ExtractError } from './extract-types.js';
import { prepareTextInline, type PrepareText } from './prepare-text.js';

export interface IngestDeps {
  blobs: BlobStore;
  index: SearchIndex;
  embedder: Embedder | null;
  /** Extraction + chunking; on worker threads in the server (text-worker-pool.ts), inline by default. */
  prepareText?: PrepareText;
}

const INDEX_BATCH = 64;

/** Largest file read into memory for text extraction. */
export const MAX_INGEST_BYTES = 512 * 1024 * 1024;

/**
 * One file into one vector store: read its bytes, extract the text, chunk it by tokens, embed the
 * chunks when an embedder is configured, and replace the file's chunks in the index. The
 * extracted text is kept as a blob (`text/<file id>`) for the file-content endpoint. Returns the
 * bytes the file now takes in the store (chunk text plus vectors).
 */
export async function ingestFile(
  deps: IngestDeps,
  job: StoredVectorStoreFile,
  file: StoredFile,
  signal: AbortSignal,
): Promise<{ usageBytes: number; chunks: number }> {
  if (file.bytes > MAX_INGEST_BYTES) {
    throw new ExtractError('invalid_file', `The file is ${file.bytes} bytes; file search reads files up to ${MAX_INGEST_BYTES} bytes.`);
  }
  const parts: Buffer[] = [];
  for await (const c of deps.blobs.get(file.blob_key)) parts.push(c as Buffer);
  const bytes = new Uint8Array(Buffer.concat(parts));
  const strategy = job.chunking_strategy.type === 'static' ? job.chunking_strategy.static : AUTO_CHUNKING;
  const prepare = deps.prepareText ?? prepareTextInline;
  const { text, pieces } = await prepare(
    {
      bytes,
      filename: file.filename,
      mimeType: file.mime_type,
      maxTokens: strategy.max_chunk_size_tokens,
      overlapTokens: strategy.chunk_overlap_tokens,
    },
    signal,
  );
  signal.throwIfAborted();
  const embeddings = deps.embedder ? await deps.embedder.embed(pieces.map((p) => p.text), signal) : null;
  signal.throwIfAborted();
  const chunks: Chunk[] = pieces.map((p, i) => ({
    id: `${job.vector_store_id}:${job.id}:${p.index}`,
    projectId: job.project_id,
    vectorStoreId: job.vector_store_id,
    fileId: job.id,
    index: p.index,
    text: p.text,
    attributes: job.attributes ?? {},
    ...(embeddings && { embedding: embeddings[i] }),
  }));
  await deps.blobs.put(`text/${job.id}`, [Buffer.from(text, 'utf8')]);
  await deps.index.removeFile(job.vector_store_id, job.id);
  // In batches: on SQLite one write transaction holds the store's only connection, so a large
  // file added at once would stall every API request until it is indexed.
  for (let i = 0; i < chunks.length; i += INDEX_BATCH) {
    signal.throwIfAborted();
    await deps.index.add(chunks.slice(i, i + INDEX_BATCH));
    // SQLite's writes are synchronous and resolve at once: without a turn of the event loop
    // between batches, the whole file would be indexed without serving a request or a stream.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const usageBytes = chunks.reduce((n, c) => n + Buffer.byteLength(c.text) + (c.embedding ? c.embedding.byteLength : 0), 0);
  return { usageBytes, chunks: chunks.length };
}
