import type { LanguageModel } from './language-model.js';

export interface ResolvedModel {
  model: LanguageModel;
  /** The id sent upstream. */
  providerModelId: string;
  provider: string;
  contextWindow: number;
}

export interface ModelRouter {
  /** The provider for a client-facing model name, or why there is none. */
  resolve(model: string): ResolvedModel | { error: string };
}

export interface RouterOptions {
  providers: Map<string, LanguageModel>;
  aliases: Record<string, string>;
  contextWindows: Record<string, number>;
  defaultProvider: string | null;
  defaultContextWindow: number;
}

/**
 * Model names resolve in this order: an alias from the config file (`gpt-4o` → `ollama/llama3.1`),
 * an explicit `provider/model` whose provider exists, then the default provider with the name
 * passed through unchanged.
 */
export function createModelRouter(options: RouterOptions): ModelRouter {
  return {
    resolve(name) {
      let provider: string | null = null;
      let id = name;
      const alias = options.aliases[name];
      const explicit = alias ?? name;
      const slash = explicit.indexOf('/');
      if (slash > 0 && options.providers.has(explicit.slice(0, slash))) {
        provider = explicit.slice(0, slash);
        id = explicit.slice(slash + 1);
      } else if (options.defaultProvider) {
        provider = options.defaultProvider;
      }
      const model = provider ? options.providers.get(provider) : undefined;
      if (!provider || !model) {
        return {
          error:
            `No model provider is configured for model '${name}'. Set UPSTREAM_BASE_URL (and UPSTREAM_API_KEY) ` +
            `to an OpenAI-compatible endpoint, or map '${name}' to a provider in the OPEN_ASSISTANTS_CONFIG file ` +
            `(see docs/configuration.md).`,
        };
      }
      const contextWindow =
        options.contextWindows[name] ?? options.contextWindows[`${provider}/${id}`] ?? options.defaultContextWindow;
      return { model, providerModelId: id, provider, contextWindow };
    },
  };
}
