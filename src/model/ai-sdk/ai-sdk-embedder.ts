import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { Embedder } from '../embedder.js';
import { ModelError } from '../language-model.js';
import { classify } from './ai-sdk-model.js';

/** The longest wait before a retry, whatever `retry-after` asks (a search is waiting). */
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * An Embedder over an OpenAI-compatible `/embeddings` endpoint, in batches of `batchSize`. A batch
 * that gets no answer within `timeoutMs` fails as a timeout, so a stalled endpoint cannot hold an
 * ingestion job or a search forever. A 5xx, a 429 or a dropped connection (a kept-alive socket
 * the endpoint closed while this process was busy) is retried up to `maxRetries` times, after
 * `retry-after` or `retryBaseMs` doubling; a timeout is not (it has waited long enough). Failures
 * are ModelErrors whose message says that the embeddings endpoint failed.
 */
export function createOpenAICompatibleEmbedder(options: {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  batchSize?: number;
  timeoutMs?: number;
  maxRetries?: number;
  retryBaseMs?: number;
}): Embedder {
  const provider = createOpenAICompatible({
    name: 'embeddings',
    baseURL: options.baseUrl,
    ...(options.apiKey && { apiKey: options.apiKey }),
  });
  const model = provider.textEmbeddingModel(options.model);
  const batchSize = options.batchSize ?? 64;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxRetries = options.maxRetries ?? 2;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const failed = (e: ModelError, cause: unknown): ModelError =>
    new ModelError(e.kind, `The embeddings endpoint (model ${options.model}) failed: ${e.message}`, { ...e.options, cause });
  return {
    name: options.model,
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const values = texts.slice(i, i + batchSize);
        const caller = signal ?? new AbortController().signal;
        let embeddings: number[][] | undefined;
        for (let attempt = 0; !embeddings; attempt++) {
          const timeout = AbortSignal.timeout(timeoutMs);
          try {
            ({ embeddings } = await model.doEmbed({ values, abortSignal: AbortSignal.any([caller, timeout]) }));
          } catch (err) {
            const e = classify(err, timeout.aborted && !caller.aborted, caller);
            if (e.kind === 'aborted') throw e;
            if (attempt >= maxRetries || (e.kind !== 'server' && e.kind !== 'rate_limit')) throw failed(e, err);
            await sleep(Math.min(e.options.retryAfterMs ?? retryBaseMs * 2 ** attempt, MAX_RETRY_DELAY_MS), caller);
          }
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

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new ModelError('aborted', 'The request was aborted.'));
    const done = (): void => {
      signal.removeEventListener('abort', abort);
      resolve();
    };
    const abort = (): void => {
      clearTimeout(timer);
      reject(new ModelError('aborted', 'The request was aborted.'));
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}
