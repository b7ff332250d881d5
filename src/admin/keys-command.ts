import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hashApiKey } from '../api/auth.js';
import { systemClock, unixSeconds } from '../core/clock.js';
import { SortableIdGenerator } from '../core/ids.js';
import type { Store } from '../store/store.js';

export const KEYS_USAGE = `  keys create --project <id> [--name <n>] create an API key for a project; prints the key once
  keys list                               list keys (hints only; keys are stored hashed)
  keys revoke <key-id|hint>               revoke a key
`;

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `open-assistants keys …` against a store: run by the CLI on the database directly, or, while a
 * server holds an embedded database, by that server for the CLI (control-socket.ts).
 */
export async function runKeysCommand(store: Pick<Store, 'apiKeys'>, args: string[]): Promise<CommandResult> {
  const [sub, ...rest] = args;
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(rest);
  } catch (err) {
    return { code: 2, stdout: '', stderr: `${err instanceof Error ? err.message : String(err)}\n` };
  }
  const { values, positionals } = parsed;
  if (sub === 'create') {
    const project = values.project;
    if (!project || !/^[A-Za-z0-9_.-]{1,64}$/.test(project)) {
      return { code: 2, stdout: '', stderr: 'keys create needs --project <id> (letters, digits, _ . -; up to 64)\n' };
    }
    const key = `sk-oa-${randomBytes(24).toString('base64url')}`;
    const id = new SortableIdGenerator(systemClock).next('apiKey');
    await store.apiKeys.insert({
      id,
      project_id: project,
      name: values.name ?? null,
      key_hash: hashApiKey(key),
      key_hint: `${key.slice(0, 9)}…${key.slice(-4)}`,
      created_at: unixSeconds(systemClock),
      revoked_at: null,
    });
    return { code: 0, stdout: `${key}\n`, stderr: `created ${id} for project ${project}; the key is shown only once\n` };
  }
  if (sub === 'list') {
    let stdout = '';
    for (const k of await store.apiKeys.list()) {
      const state = k.revoked_at ? `revoked ${new Date(k.revoked_at * 1000).toISOString()}` : 'active';
      stdout += `${k.id}\t${k.project_id}\t${k.key_hint}\t${k.name ?? ''}\t${state}\n`;
    }
    return { code: 0, stdout, stderr: '' };
  }
  if (sub === 'revoke') {
    const target = positionals[0];
    if (!target) return { code: 2, stdout: '', stderr: 'keys revoke needs a key id or hint\n' };
    const revoked = await store.apiKeys.revoke(target, unixSeconds(systemClock));
    if (!revoked) return { code: 1, stdout: '', stderr: `no active key matches ${target}\n` };
    return { code: 0, stdout: `revoked ${revoked.id} (${revoked.key_hint})\n`, stderr: '' };
  }
  return { code: 2, stdout: '', stderr: `usage:\n${KEYS_USAGE}` };
}

function parse(args: string[]) {
  return parseArgs({ args, options: { project: { type: 'string' }, name: { type: 'string' } }, allowPositionals: true });
}
