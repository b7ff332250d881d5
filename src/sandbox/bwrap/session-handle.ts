import { type ExecResult, type PlacedFile, SandboxError, type SandboxSession, type SessionFile } from '../sandbox.js';
import type { BwrapSession } from './bwrap-session.js';

/** How a handle gets a live session again after its session was evicted or idled out. */
export type AcquireSession = (key: string, files: readonly SessionFile[], hadState: boolean, signal?: AbortSignal) => Promise<BwrapSession>;

/**
 * The SandboxSession given to callers. It outlives the session behind it: if that one is closed by
 * eviction or the idle timeout, the next call rebuilds it with the files placed so far, and the
 * exec reports `restarted`.
 */
export class SessionHandle implements SandboxSession {
  private readonly remembered = new Map<string, SessionFile>();
  private executed = false;
  private closed = false;

  constructor(
    private session: BwrapSession,
    files: readonly SessionFile[],
    private readonly acquire: AcquireSession,
  ) {
    for (const file of files) this.remembered.set(file.id, file);
  }

  get key(): string {
    return this.session.key;
  }

  files(): PlacedFile[] {
    return this.session.files();
  }

  async addFiles(files: readonly SessionFile[], signal?: AbortSignal): Promise<PlacedFile[]> {
    for (const file of files) this.remembered.set(file.id, file);
    return this.withSession((session) => session.addFiles(files, signal), signal);
  }

  async exec(code: string, signal?: AbortSignal): Promise<ExecResult> {
    const result = await this.withSession((session) => session.exec(code, signal), signal);
    this.executed = true;
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.session.close();
  }

  private async withSession<T>(op: (session: BwrapSession) => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new SandboxError('closed', 'the sandbox session is closed');
      if (this.session.closed) this.session = await this.acquire(this.session.key, [...this.remembered.values()], this.executed, signal);
      try {
        return await op(this.session);
      } catch (error) {
        // Evicted between acquiring and queueing: once more with a fresh session.
        if (!(error instanceof SandboxError && error.code === 'closed' && this.session.closed && !this.closed && attempt === 0)) throw error;
      }
    }
  }
}
