import type { Kysely } from 'kysely';
import type { ApiKeyRepo } from '../store.js';
import type { Tables } from './tables.js';

export function apiKeyRepo(db: Kysely<Tables>): ApiKeyRepo {
  return {
    async insert(key) {
      await db.insertInto('api_keys').values(key).execute();
    },
    async findByHash(hash) {
      return db.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
    },
    async list() {
      return db.selectFrom('api_keys').selectAll().orderBy('id').execute();
    },
    async revoke(idOrHint, at) {
      const key = await db
        .selectFrom('api_keys')
        .selectAll()
        .where((eb) => eb.or([eb('id', '=', idOrHint), eb('key_hint', '=', idOrHint)]))
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (!key) return undefined;
      await db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', key.id).execute();
      return { ...key, revoked_at: at };
    },
    async countActive() {
      const row = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
