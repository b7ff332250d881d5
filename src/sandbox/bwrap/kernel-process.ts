import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { type KernelReady, type KernelReply, type KernelRequest, parseKernelMessage } from './kernel-protocol.js';
import { LineSplitter } from './line-splitter.js';

export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of the process's own stderr (bubblewrap's complaints, a crash of kernel.py). */
  diagnostics: string;
}

export type KernelOutcome =
  /** The kernel answered; `interrupted` when it was asked to stop the cell first. */
  | { kind: 'reply'; reply: KernelReply; interrupted: 'timeout' | 'abort' | null }
  /** The process is gone: killed by us for `cause`, or it exited by itself (`exit`). */
  | { kind: 'died'; cause: KillReason | 'exit'; exit: KernelExit };

/** Why the host killed a kernel: time, the caller's signal, an output flood, /mnt/data over its quota. */
export type KillReason = 'timeout' | 'abort' | 'output' | 'file_size';

const DIAGNOSTICS_BYTES = 8192;

/** One kernel.py process (inside its sandbox): start, exec cells one at a time, kill. */
export class KernelProcess {
  private readonly splitter: LineSplitter;
  private diagnostics = '';
  private nextId = 1;
  private pending: { id: number; resolve: (reply: KernelReply) => void } | null = null;
  private killedFor: KillReason | null = null;
  private readyWaiter: ((ready: KernelReady) => void) | null = null;
  private exitInfo: KernelExit | null = null;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<KernelExit>;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    maxLineBytes: number,
  ) {
    this.splitter = new LineSplitter(maxLineBytes);
    child.stdin.on('error', () => undefined); // EPIPE once the process is gone; seen as its exit
    child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      this.diagnostics = (this.diagnostics + chunk.toString('utf8')).slice(-DIAGNOSTICS_BYTES);
    });
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.exitInfo) return;
        this.exitInfo = { code, signal, diagnostics: this.diagnostics.trim() };
        resolve(this.exitInfo);
      };
      child.on('exit', done);
      child.on('error', (error) => {
        this.diagnostics += `\n${error.message}`;
        done(null, null);
      });
    });
  }

  /**
   * Spawns `argv` (with `inherit` as its fds 3, 4, …) and waits for the kernel's ready line. Rejects with the process's diagnostics
   * when it exits or does not get ready in time; kills it when `signal` fires meanwhile.
   */
  static async start(
    argv: string[],
    options: { maxLineBytes: number; startTimeoutMs: number; inherit?: number[]; signal?: AbortSignal },
  ): Promise<KernelProcess> {
    const [command, ...args] = argv;
    if (command === undefined) throw new Error('empty kernel command');
    // An empty environment: nothing of the server's (keys, URLs) may reach the sandbox.
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe', ...(options.inherit ?? [])], env: {} }) as ChildProcessWithoutNullStreams;
    const kernel = new KernelProcess(child, options.maxLineBytes);
    const ready = new Promise<KernelReady>((resolve) => (kernel.readyWaiter = resolve));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.startTimeoutMs)));
    const aborted = new Promise<'abort'>((resolve) => {
      if (options.signal?.aborted) resolve('abort');
      options.signal?.addEventListener('abort', () => resolve('abort'), { once: true });
    });
    try {
      const first = await Promise.race([ready, kernel.exited, timedOut, aborted]);
      if (first === 'timeout' || first === 'abort' || !('type' in first)) {
        const exit = await kernel.kill();
        const why = first === 'timeout' ? `did not start within ${options.startTimeoutMs} ms` : first === 'abort' ? 'start aborted' : 'exited during start';
        throw new Error(`the sandboxed Python process ${why} (exit ${exit.code ?? exit.signal ?? '?'}): ${exit.diagnostics || 'no diagnostics'}`);
      }
      return kernel;
    } finally {
      clearTimeout(timer);
    }
  }

  get alive(): boolean {
    return this.exitInfo === null && this.killedFor === null;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * Runs one cell. At `softMs` the cell is interrupted (TimeoutError in Python; the state survives);
   * at `hardMs` the process is killed. A fired `signal` interrupts, then kills after `abortGraceMs`.
   */
  async exec(code: string, cell: number, limits: { softMs: number; hardMs: number; abortGraceMs: number }, signal?: AbortSignal): Promise<KernelOutcome> {
    if (!this.alive) return { kind: 'died', cause: this.killedFor ?? 'exit', exit: await this.kill() };
    if (this.pending) throw new Error('kernel is busy'); // callers serialize execs
    const id = this.nextId++;
    let interrupted: 'timeout' | 'abort' | null = null;
    const timers: NodeJS.Timeout[] = [];
    const interrupt = (reason: 'timeout' | 'abort', killAfterMs: number) => {
      if (interrupted === null) interrupted = reason;
      this.send({ op: 'interrupt', reason });
      timers.push(setTimeout(() => void this.kill(reason), killAfterMs));
    };
    const onAbort = () => interrupt('abort', limits.abortGraceMs);
    const reply = new Promise<KernelReply>((resolve) => (this.pending = { id, resolve }));
    try {
      timers.push(setTimeout(() => interrupt('timeout', Math.max(0, limits.hardMs - limits.softMs)), limits.softMs));
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ op: 'exec', id, cell, code });
      const first = await Promise.race([reply, this.exited]);
      if ('type' in first && this.killedFor === null) return { kind: 'reply', reply: first, interrupted };
      return { kind: 'died', cause: this.killedFor ?? 'exit', exit: await this.exited };
    } finally {
      this.pending = null;
      for (const timer of timers) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** SIGKILLs the process (its sandbox dies with it) and waits for its exit. */
  async kill(reason?: KillReason): Promise<KernelExit> {
    if (this.exitInfo) return this.exitInfo;
    if (reason && this.killedFor === null) this.killedFor = reason;
    else if (this.killedFor === null) this.killedFor = 'abort';
    this.child.kill('SIGKILL');
    this.child.stdin.destroy();
    return this.exited;
  }

  private send(request: KernelRequest): void {
    if (this.exitInfo || !this.child.stdin.writable) return;
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
  }

  private onData(chunk: Buffer): void {
    for (const line of this.splitter.push(chunk)) {
      const message = parseKernelMessage(line);
      if (message?.type === 'ready') {
        this.readyWaiter?.(message);
        this.readyWaiter = null;
      } else if (message?.type === 'result' && this.pending && message.id === this.pending.id) {
        this.pending.resolve(message);
      }
    }
    if (this.splitter.overflowed) void this.kill('output');
  }
}
