-- File-search index (src/search/sql): chunks, BM25 postings, per-store statistics, embeddings.
-- The same layout as postgres/0010_search_index.sql, so both backends rank identically.

-- One row per vector store that has chunks: a small key for the postings, and the chunk count and
-- token total that BM25's N and avgdl come from (kept up to date by every write, in its transaction).
CREATE TABLE search_stores (
  store_key INTEGER PRIMARY KEY,
  vector_store_id TEXT NOT NULL UNIQUE,
  chunk_count INTEGER NOT NULL,
  token_sum INTEGER NOT NULL
);

-- `terms`: the chunk's distinct index terms (space-separated), so that removing a chunk deletes
-- exactly its postings by primary key, without a second index on the postings.
CREATE TABLE search_chunks (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  project_id TEXT NOT NULL,
  vector_store_id TEXT NOT NULL,
  file_id TEXT NOT NULL,
  chunk_index INTEGER NOT NULL,
  text TEXT NOT NULL,
  attributes TEXT NOT NULL,
  token_count INTEGER NOT NULL,
  terms TEXT NOT NULL
);
CREATE INDEX search_chunks_file ON search_chunks (vector_store_id, file_id, chunk_index);

-- The inverted index: one row per (store, term, chunk). `dl` (the chunk's token count) is copied
-- in so that scoring reads the postings alone. Clustered on the key (WITHOUT ROWID), so a term's
-- postings in a store are one contiguous range.
CREATE TABLE search_postings (
  store_key INTEGER NOT NULL,
  term TEXT NOT NULL,
  chunk_seq INTEGER NOT NULL,
  tf INTEGER NOT NULL,
  dl INTEGER NOT NULL,
  PRIMARY KEY (store_key, term, chunk_seq)
) WITHOUT ROWID;

-- Embeddings (little-endian float32, unit length) apart from the chunk text, so that a vector scan
-- reads vectors only.
CREATE TABLE search_vectors (
  chunk_seq INTEGER PRIMARY KEY,
  store_key INTEGER NOT NULL,
  embedding BLOB NOT NULL
);
CREATE INDEX search_vectors_store ON search_vectors (store_key, chunk_seq);
