import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { Errors } from '../core/errors.js';
import type { ApiKeyRepo } from '../store/store.js';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface Authenticator {
  /** Resolves the project a request acts for, or throws a 401 ApiError. */
  authenticate(authorization: string | undefined): Promise<string>;
  /** `open` when no key is configured anywhere: every bearer key is accepted. */
  mode(): Promise<'open' | 'keys'>;
}

const CACHE_MS = 10_000;

/**
 * Keys come from `API_KEYS` and from the `api_keys` table (managed by `open-assistants keys`),
 * stored as SHA-256 hashes. Table look-ups are cached for ten seconds, so a revoked key stops
 * working within that time without a restart.
 */
export function createAuthenticator(options: {
  envKeys: Array<{ key: string; projectId: string }>;
  keys: ApiKeyRepo;
  clock: Clock;
  openProject: string;
}): Authenticator {
  const envByHash = new Map(options.envKeys.map((k) => [hashApiKey(k.key), k.projectId]));
  const cache = new Map<string, { projectId: string | null; at: number }>();
  let activeCount: { n: number; at: number } | undefined;

  async function mode(): Promise<'open' | 'keys'> {
    if (envByHash.size > 0) return 'keys';
    const now = options.clock.nowMs();
    if (!activeCount || now - activeCount.at > CACHE_MS) {
      activeCount = { n: await options.keys.countActive(), at: now };
    }
    return activeCount.n > 0 ? 'keys' : 'open';
  }

  return {
    mode,
    async authenticate(authorization) {
      const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
      if ((await mode()) === 'open') return options.openProject;
      if (!match) throw Errors.missingApiKey();
      const key = match[1];
      const hash = hashApiKey(key);
      const fromEnv = envByHash.get(hash);
      if (fromEnv) return fromEnv;
      const now = options.clock.nowMs();
      let hit = cache.get(hash);
      if (!hit || now - hit.at > CACHE_MS) {
        const row = await options.keys.findByHash(hash);
        hit = { projectId: row && row.revoked_at === null ? row.project_id : null, at: now };
        if (cache.size > 10_000) cache.clear();
        cache.set(hash, hit);
      }
      if (!hit.projectId) throw Errors.invalidApiKey(maskKey(key));
      return hit.projectId;
    },
  };
}

function maskKey(key: string): string {
  return key.length <= 8 ? '*'.repeat(key.length) : `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}
