import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { Errors } from '../core/errors.js';
import type { ApiKeyRepo } from '../store/store.js';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface Authenticator {
  /**
   * The project a request acts for, or a 401 ApiError (thrown or rejected). Answers on the spot,
   * without a promise, whenever it can decide from what it already knows (an `API_KEYS` key, or a
   * table answer younger than the cache time), so the common request pays for no look-up at all.
   */
  authenticate(authorization: string | undefined): string | Promise<string>;
  /** `open` when no key is configured anywhere: every bearer key is accepted. */
  mode(): Promise<'open' | 'keys'>;
}

/** How long a table answer (a key's project, a revocation, whether any key exists) is reused. */
export const AUTH_CACHE_MS = 10_000;

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * Keys come from `API_KEYS` and from the `api_keys` table (managed by `open-assistants keys`),
 * stored as SHA-256 hashes. Table answers are cached per key for `AUTH_CACHE_MS`, in each process:
 * a key revoked (or created) with `keys revoke`/`keys create` takes effect within that time, in
 * every process sharing the database, without a restart. The cache is keyed by the bearer token
 * itself, so a cached request hashes nothing; it lives only in this process's memory, where the
 * token is anyway while its request is served.
 */
export function createAuthenticator(options: {
  envKeys: Array<{ key: string; projectId: string }>;
  keys: ApiKeyRepo;
  clock: Clock;
  openProject: string;
}): Authenticator {
  const envByKey = new Map(options.envKeys.map((k) => [k.key, k.projectId]));
  const cache = new Map<string, { projectId: string | null; at: number }>();
  let activeCount: { n: number; at: number } | undefined;

  /** The mode if known without a look-up. */
  function knownMode(now: number): 'open' | 'keys' | undefined {
    if (envByKey.size > 0) return 'keys';
    if (activeCount && now - activeCount.at <= AUTH_CACHE_MS) return activeCount.n > 0 ? 'keys' : 'open';
    return undefined;
  }

  async function mode(): Promise<'open' | 'keys'> {
    const now = options.clock.nowMs();
    const known = knownMode(now);
    if (known) return known;
    activeCount = { n: await options.keys.countActive(), at: now };
    return activeCount.n > 0 ? 'keys' : 'open';
  }

  function answer(key: string, projectId: string | null): string {
    if (!projectId) throw Errors.invalidApiKey(maskKey(key));
    return projectId;
  }

  async function lookUp(key: string, now: number): Promise<string> {
    const row = await options.keys.findByHash(hashApiKey(key));
    const projectId = row && row.revoked_at === null ? row.project_id : null;
    if (cache.size > 10_000) cache.clear();
    cache.set(key, { projectId, at: now });
    return answer(key, projectId);
  }

  function inMode(m: 'open' | 'keys', authorization: string | undefined): string | Promise<string> {
    if (m === 'open') return options.openProject;
    const match = authorization ? BEARER.exec(authorization) : null;
    if (!match) throw Errors.missingApiKey();
    const key = match[1];
    const fromEnv = envByKey.get(key);
    if (fromEnv) return fromEnv;
    const now = options.clock.nowMs();
    const hit = cache.get(key);
    return hit && now - hit.at <= AUTH_CACHE_MS ? answer(key, hit.projectId) : lookUp(key, now);
  }

  return {
    mode,
    authenticate(authorization) {
      const known = knownMode(options.clock.nowMs());
      return known ? inMode(known, authorization) : mode().then((m) => inMode(m, authorization));
    },
  };
}

function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}
