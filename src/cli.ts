#!/usr/bin/env node
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { hashApiKey } from './api/auth.js';
import { ConfigError, loadConfig } from './config/config.js';
import { systemClock, unixSeconds } from './core/clock.js';
import { SortableIdGenerator } from './core/ids.js';
import { openStore, startServer } from './main.js';

const USAGE = `usage: open-assistants <command>

  serve                                   start the server (configured by environment, see README)
  keys create --project <id> [--name <n>] create an API key for a project; prints the key once
  keys list                               list keys (hints only; keys are stored hashed)
  keys revoke <key-id|hint>               revoke a key
`;

async function main(argv: string[]): Promise<number> {
  const [command = 'serve', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  const config = loadConfig();
  if (command === 'serve') {
    const server = await startServer(config);
    const stop = async () => {
      await server.close();
      process.exit(0);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return -1;
  }
  if (command === 'keys') return keys(rest, config);
  process.stderr.write(`unknown command: ${command}\n\n${USAGE}`);
  return 2;
}

async function keys(args: string[], config: ReturnType<typeof loadConfig>): Promise<number> {
  const [sub, ...rest] = args;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { project: { type: 'string' }, name: { type: 'string' } },
    allowPositionals: true,
  });
  const store = await openStore(config);
  try {
    if (sub === 'create') {
      const project = values.project;
      if (!project || !/^[A-Za-z0-9_.-]{1,64}$/.test(project)) {
        process.stderr.write('keys create needs --project <id> (letters, digits, _ . -; up to 64)\n');
        return 2;
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
      process.stdout.write(`${key}\n`);
      process.stderr.write(`created ${id} for project ${project}; the key is shown only once\n`);
      return 0;
    }
    if (sub === 'list') {
      for (const k of await store.apiKeys.list()) {
        const state = k.revoked_at ? `revoked ${new Date(k.revoked_at * 1000).toISOString()}` : 'active';
        process.stdout.write(`${k.id}\t${k.project_id}\t${k.key_hint}\t${k.name ?? ''}\t${state}\n`);
      }
      return 0;
    }
    if (sub === 'revoke') {
      const target = positionals[0];
      if (!target) {
        process.stderr.write('keys revoke needs a key id or hint\n');
        return 2;
      }
      const revoked = await store.apiKeys.revoke(target, unixSeconds(systemClock));
      if (!revoked) {
        process.stderr.write(`no active key matches ${target}\n`);
        return 1;
      }
      process.stdout.write(`revoked ${revoked.id} (${revoked.key_hint})\n`);
      return 0;
    }
    process.stderr.write(USAGE);
    return 2;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    if (err instanceof ConfigError) process.stderr.write(`configuration error: ${err.message}\n`);
    else process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
