/** Turns texts into vectors for semantic search. Optional: without one, search is keyword-only. */
export interface Embedder {
  /** A name for logs and docs, e.g. `upstream/text-embedding-3-small`. */
  readonly name: string;
  /** One vector per text, in order. Implementations batch as their upstream needs. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
