#!/usr/bin/env node
import { controlSocketPath, sendToServer } from './admin/control-socket.js';
import { KEYS_USAGE, runKeysCommand } from './admin/keys-command.js';
import { ConfigError, loadConfig } from './config/config.js';
import { openStore, startServer } from './main.js';

const USAGE = `usage: open-assistants <command>

  serve                                   start the server (configured by environment, see README)
${KEYS_USAGE}`;

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
  // a server on the embedded database holds it exclusively: hand it the command
  const viaServer =
    config.database.kind === 'sqlite' ? await sendToServer(controlSocketPath(config.database.filename), ['keys', ...args]) : undefined;
  let result = viaServer;
  if (!result) {
    const store = await openStore(config);
    try {
      result = await runKeysCommand(store, args);
    } finally {
      await store.close();
    }
  }
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.code;
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
