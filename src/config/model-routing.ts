import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ModelRouting, type ProviderConfig } from './config.js';

const providerSchema = z
  .object({
    type: z.enum(['openai-compatible', 'anthropic']).default('openai-compatible'),
    baseURL: z.string().url().optional(),
    apiKey: z.string().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    queryParams: z.record(z.string(), z.string()).default({}),
  })
  .strict();

const fileSchema = z
  .object({
    providers: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), providerSchema).default({}),
    models: z
      .record(
        z.string(),
        z.union([z.string(), z.object({ target: z.string().optional(), contextWindow: z.number().int().positive().optional() }).strict()]),
      )
      .default({}),
    defaultProvider: z.string().optional(),
    contextWindow: z.number().int().positive().optional(),
  })
  .strict();

const DEFAULT_CONTEXT_WINDOW = 128_000;

/** `${NAME}` in the config file is replaced by that environment variable. */
function substitute(text: string, env: NodeJS.ProcessEnv, where: string): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) throw new ConfigError(`${where} refers to \${${name}}, but ${name} is not set.`);
    return v;
  });
}

/**
 * Model routing from `UPSTREAM_BASE_URL`/`UPSTREAM_API_KEY` (one OpenAI-compatible provider named
 * `upstream`, the default) and/or the JSON file named by `OPEN_ASSISTANTS_CONFIG`.
 */
export function loadModelRouting(env: NodeJS.ProcessEnv): ModelRouting {
  const routing: ModelRouting = {
    providers: [],
    aliases: {},
    contextWindows: {},
    defaultProvider: null,
    defaultContextWindow: DEFAULT_CONTEXT_WINDOW,
  };
  if (env.UPSTREAM_BASE_URL) {
    try {
      new URL(env.UPSTREAM_BASE_URL);
    } catch {
      throw new ConfigError(`UPSTREAM_BASE_URL must be a URL such as http://127.0.0.1:11434/v1; got "${env.UPSTREAM_BASE_URL}".`);
    }
    routing.providers.push({
      name: 'upstream',
      type: 'openai-compatible',
      baseUrl: env.UPSTREAM_BASE_URL.replace(/\/+$/, ''),
      apiKey: env.UPSTREAM_API_KEY || null,
      headers: {},
      queryParams: {},
    });
    routing.defaultProvider = 'upstream';
  }
  const path = env.OPEN_ASSISTANTS_CONFIG;
  if (!path) return routing;

  let raw: unknown;
  try {
    raw = JSON.parse(substitute(readFileSync(path, 'utf8'), env, path));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`OPEN_ASSISTANTS_CONFIG=${path} could not be read as JSON: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}. See docs/configuration.md.`);
  }
  const file = parsed.data;
  for (const [name, p] of Object.entries(file.providers)) {
    if (p.type === 'openai-compatible' && !p.baseURL) {
      throw new ConfigError(`${path}: providers.${name}.baseURL is required for an openai-compatible provider.`);
    }
    const provider: ProviderConfig = {
      name,
      type: p.type,
      baseUrl: p.baseURL?.replace(/\/+$/, '') ?? null,
      apiKey: p.apiKey ?? null,
      headers: p.headers,
      queryParams: p.queryParams,
    };
    routing.providers = routing.providers.filter((x) => x.name !== name).concat(provider);
  }
  const names = new Set(routing.providers.map((p) => p.name));
  for (const [model, entry] of Object.entries(file.models)) {
    const target = typeof entry === 'string' ? entry : entry.target;
    if (target !== undefined) {
      const slash = target.indexOf('/');
      if (slash <= 0 || !names.has(target.slice(0, slash))) {
        throw new ConfigError(`${path}: models.${model} must name "<provider>/<model>" with a configured provider; got "${target}".`);
      }
      routing.aliases[model] = target;
    }
    if (typeof entry !== 'string' && entry.contextWindow) routing.contextWindows[model] = entry.contextWindow;
  }
  if (file.defaultProvider !== undefined) {
    if (!names.has(file.defaultProvider)) {
      throw new ConfigError(`${path}: defaultProvider "${file.defaultProvider}" is not one of the providers.`);
    }
    routing.defaultProvider = file.defaultProvider;
  }
  if (file.contextWindow) routing.defaultContextWindow = file.contextWindow;
  return routing;
}
