import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { Embedder } from '../embedder.js';
import { classify } from './ai-sdk-model.js';

/** An Embedder over an OpenAI-compatible `/embeddings` endpoint, in batches of `batchSize`. */
export function createOpenAICompatibleEmbedder(options: {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  batchSize?: number;
}): Embedder {
  const provider = createOpenAICompatible({
    name: 'embeddings',
    baseURL: options.baseUrl,
    ...(options.apiKey && { apiKey: options.apiKey }),
  });
  const model = provider.textEmbeddingModel(options.model);
  const batchSize = options.batchSize ?? 64;
  return {
    name: options.model,
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const values = texts.slice(i, i + batchSize);
        try {
          const { embeddings } = await model.doEmbed({ values, abortSignal: signal });
          for (const e of embeddings) out.push(Float32Array.from(e));
        } catch (err) {
          throw classify(err, false, signal ?? new AbortController().signal);
        }
      }
      return out;
    },
  };
}
