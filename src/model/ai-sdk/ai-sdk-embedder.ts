import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { Embedder } from '../embedder.js';
import { ModelError } from '../language-model.js';
import { classify } from './ai-sdk-model.js';

/**
 * An Embedder over an OpenAI-compatible `/embeddings` endpoint, in batches of `batchSize`. A batch
 * that gets no answer within `timeoutMs` fails as a (retryable) timeout, so a stalled endpoint
 * cannot hold an ingestion job or a search forever. Failures are ModelErrors whose message says
 * that the embeddings endpoint failed.
 */
export function createOpenAICompatibleEmbedder(options: {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  batchSize?: number;
  timeoutMs?: number;
}): Embedder {
  const provider = createOpenAICompatible({
    name: 'embeddings',
    baseURL: options.baseUrl,
    ...(options.apiKey && { apiKey: options.apiKey }),
  });
  const model = provider.textEmbeddingModel(options.model);
  const batchSize = options.batchSize ?? 64;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const failed = (e: ModelError, cause: unknown): ModelError =>
    new ModelError(e.kind, `The embeddings endpoint (model ${options.model}) failed: ${e.message}`, { ...e.options, cause });
  return {
    name: options.model,
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const values = texts.slice(i, i + batchSize);
        const caller = signal ?? new AbortController().signal;
        const timeout = AbortSignal.timeout(timeoutMs);
        let embeddings: number[][];
        try {
          ({ embeddings } = await model.doEmbed({ values, abortSignal: AbortSignal.any([caller, timeout]) }));
        } catch (err) {
          const e = classify(err, timeout.aborted && !caller.aborted, caller);
          throw e.kind === 'aborted' ? e : failed(e, err);
        }
        if (embeddings.length !== values.length) {
          const e = new ModelError('server', `answered ${embeddings.length} vectors for ${values.length} inputs.`);
          throw failed(e, undefined);
        }
        for (const e of embeddings) out.push(Float32Array.from(e));
      }
      return out;
    },
  };
}
