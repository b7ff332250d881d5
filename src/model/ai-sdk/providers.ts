import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { ProviderConfig } from '../../config/config.js';
import type { LanguageModel } from '../language-model.js';
import { createAiSdkModel } from './ai-sdk-model.js';

/** One LanguageModel per configured provider, each caching its per-model client objects. */
export function buildProviders(configs: ProviderConfig[], idleTimeoutMs: number): Map<string, LanguageModel> {
  const out = new Map<string, LanguageModel>();
  for (const c of configs) {
    const cache = new Map<string, LanguageModelV3>();
    let make: (id: string) => LanguageModelV3;
    let providerOptionsName: string;
    if (c.type === 'anthropic') {
      const provider = createAnthropic({
        ...(c.baseUrl && { baseURL: c.baseUrl }),
        ...(c.apiKey && { apiKey: c.apiKey }),
        headers: c.headers,
      });
      make = (id) => provider(id);
      providerOptionsName = 'anthropic';
    } else {
      const provider = createOpenAICompatible({
        name: c.name,
        baseURL: c.baseUrl ?? '',
        ...(c.apiKey && { apiKey: c.apiKey }),
        headers: c.headers,
        queryParams: c.queryParams,
        includeUsage: true,
        // send json_schema response formats as such (otherwise they degrade to json_object, schema lost)
        supportsStructuredOutputs: true,
      });
      make = (id) => provider.chatModel(id);
      providerOptionsName = c.name;
    }
    out.set(
      c.name,
      createAiSdkModel({
        providerName: providerOptionsName,
        idleTimeoutMs,
        resolve(id) {
          let m = cache.get(id);
          if (!m) cache.set(id, (m = make(id)));
          return m;
        },
      }),
    );
  }
  return out;
}
