/**
 * The embedded store's control socket. A server on SQLite holds its database file exclusively
 * (no other process can open it; see store/sqlite/connect.ts), so `open-assistants keys …` run
 * beside it hands its command to the server over a Unix socket next to the database file
 * (`<database>.sock`, owner-only), and the server runs it on its own store.
 * One JSON line each way: `{"argv":[…]}` → `{"code","stdout","stderr"}`.
 */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import type { Store } from '../store/store.js';
import { runKeysCommand, type CommandResult } from './keys-command.js';

const MAX_REQUEST_BYTES = 64 * 1024;

export function controlSocketPath(databaseFile: string): string {
  return `${databaseFile}.sock`;
}

export async function startControlSocket(
  path: string,
  store: Pick<Store, 'apiKeys'>,
  log: (err: unknown) => void,
): Promise<{ close(): Promise<void> }> {
  // a socket file left by a process that died (the database lock says no server holds it now)
  if (existsSync(path)) unlinkSync(path);
  const server: Server = createServer((socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_REQUEST_BYTES) return void socket.destroy();
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      socket.pause();
      void answer(buffered.slice(0, end)).then((result) => socket.end(`${JSON.stringify(result)}\n`));
    });
  });
  const answer = async (line: string): Promise<CommandResult> => {
    try {
      const { argv } = JSON.parse(line) as { argv?: unknown };
      if (!Array.isArray(argv) || !argv.every((a): a is string => typeof a === 'string') || argv[0] !== 'keys') {
        return { code: 2, stdout: '', stderr: 'the control socket takes keys commands only\n' };
      }
      return await runKeysCommand(store, argv.slice(1));
    } catch (err) {
      log(err);
      return { code: 1, stdout: '', stderr: `the server could not run the command: ${err instanceof Error ? err.message : String(err)}\n` };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(path, 0o600);
  server.unref();
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }),
  };
}

/**
 * Sends `argv` to the server listening on `path`; undefined when none listens there (no socket
 * file, or one left by a process that died).
 */
export function sendToServer(path: string, argv: string[], timeoutMs = 30_000): Promise<CommandResult | undefined> {
  if (!existsSync(path)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let reply = '';
    let connected = false;
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`the server did not answer within ${timeoutMs} ms`)));
    socket.on('connect', () => {
      connected = true;
      socket.write(`${JSON.stringify({ argv })}\n`);
    });
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && (err.code === 'ECONNREFUSED' || err.code === 'ENOENT')) resolve(undefined);
      else reject(err);
    });
    socket.on('end', () => {
      try {
        resolve(JSON.parse(reply) as CommandResult);
      } catch {
        reject(new Error('the server answered the command with something unreadable'));
      }
    });
  });
}
