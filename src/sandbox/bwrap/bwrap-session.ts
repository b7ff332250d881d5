import { chown, mkdir, realpath, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type ExecResult, type PlacedFile, SandboxError, type SessionFile } from '../sandbox.js';
import type { CgroupHost, KernelCgroup } from './cgroups.js';
import { collectDataChanges } from './collect-data-changes.js';
import { DiskGuard, removeCreated } from './disk-guard.js';
import { buildExecResult } from './exec-result.js';
import type { KernelConfig } from './kernel-protocol.js';
import { KernelProcess } from './kernel-process.js';
import type { ResolvedOptions, RunAs } from './options.js';
import { placeFile, sanitizeFileName } from './place-file.js';
import { removeTree } from './remove-tree.js';
import { sandboxCommand } from './sandbox-command.js';
import { type SandboxFds, openSandboxFds } from './sandbox-fds.js';
import { type DirSnapshot, scanDataDir } from './scan-data-dir.js';

/** What every session of one sandbox instance shares. */
export interface SessionContext {
  options: ResolvedOptions;
  /** Host files bound read-only into every sandbox: kernel.py, the font cache, /etc/passwd. */
  readOnlyFiles: Array<{ host: string; sandbox: string }>;
  kernelPath: string;
  cgroups: CgroupHost | null;
  /** Host uid/gid of the sandboxed processes (null: the server's). */
  runAs: RunAs;
  /** Host file holding the seccomp program, or null when there is none for this architecture. */
  seccompFile: string | null;
}

export const DATA_MOUNT = '/mnt/data';
const ABORT_GRACE_MS = 500;
/** PNG bytes of all figures of one exec together. */
const FIGURE_BYTES = 16 * 1024 * 1024;
const DISK_CHECK_MS = 1000;

/**
 * One session: a host directory bound at /mnt/data and, while alive, one kernel.py process in its
 * own sandbox and cgroups. Operations run one at a time in call order. A kernel that died is
 * replaced by a fresh one on the next exec; the directory lives until the session is closed.
 */
export class BwrapSession {
  private readonly placed = new Map<string, PlacedFile>();
  private kernel: KernelProcess | null = null;
  private cgroup: KernelCgroup | null = null;
  private starting: Promise<KernelProcess> | null = null;
  /** Kernels started so far; the state of an exec lives in one of them. */
  private generation = 0;
  /** The generation the last exec ran in; -1 when an earlier incarnation of the session had state. */
  private stateGeneration: number | null;
  private cells = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private pendingOps = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  /** /mnt/data as it was before the running exec, or after the last one: what a quota breach rolls back to. */
  private baseline: DirSnapshot = new Map();
  /** Bytes of the input files placed: not counted against the quota. */
  private inputBytes = 0;
  private placing = false;
  private readonly disk: DiskGuard;
  /** Set while a quota breach is being handled: the kill and the deletion of the new files. */
  private diskCleanup: Promise<void> | null = null;
  closed = false;

  private constructor(
    private readonly ctx: SessionContext,
    private currentKey: string,
    /** The real path of the session's host directory. */
    private currentDir: string,
    hadState: boolean,
    private onIdle: ((session: BwrapSession) => void) | null,
  ) {
    this.stateGeneration = hadState ? -1 : null;
    // While input files are being written, they are not the code's doing: no check then.
    this.disk = new DiskGuard(() => this.currentDir, () => (this.placing ? Infinity : this.inputBytes + ctx.options.maxDataBytes), DISK_CHECK_MS, () => {
      this.diskCleanup = this.onDiskOver();
    });
  }

  /** A session with a new directory; `onIdle` null for a spare (started ahead, adopted later). */
  static async create(ctx: SessionContext, key: string, dir: string, hadState: boolean, onIdle: ((session: BwrapSession) => void) | null): Promise<BwrapSession> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (ctx.runAs) await chown(dir, ctx.runAs.uid, ctx.runAs.gid);
    const session = new BwrapSession(ctx, key, await realpath(dir), hadState, onIdle);
    session.armIdle();
    return session;
  }

  get key(): string {
    return this.currentKey;
  }

  get dir(): string {
    return this.currentDir;
  }

  /**
   * Makes a spare the session for `key`. Its directory is renamed to `dir`: the running sandbox
   * does not notice (a bind mount follows the directory, not its name), and no code has run in it.
   */
  async adopt(key: string, dir: string, hadState: boolean, onIdle: (session: BwrapSession) => void): Promise<void> {
    await rename(this.currentDir, dir);
    this.currentDir = await realpath(dir);
    this.currentKey = key;
    this.stateGeneration = hadState ? -1 : null;
    this.onIdle = onIdle;
    this.armIdle();
  }

  /** An operation is queued or running: the session must not be evicted. */
  get busy(): boolean {
    return this.pendingOps > 0;
  }

  files(): PlacedFile[] {
    return [...this.placed.values()];
  }

  addFiles(files: readonly SessionFile[], signal?: AbortSignal): Promise<PlacedFile[]> {
    return this.serialize(async () => {
      const result: PlacedFile[] = [];
      this.placing = true;
      try {
        await this.placeAll(files, result, signal);
      } finally {
        this.placing = false;
      }
      this.baseline = await scanDataDir(this.dir);
      return result;
    });
  }

  private async placeAll(files: readonly SessionFile[], result: PlacedFile[], signal?: AbortSignal): Promise<void> {
    for (const file of files) {
      let placed = this.placed.get(file.id);
      if (!placed) {
        signal?.throwIfAborted();
        const name = await placeFile(this.dir, sanitizeFileName(file.name), file.read(), { owner: this.ctx.runAs, signal });
        placed = { id: file.id, name, path: `${DATA_MOUNT}/${name}` };
        this.placed.set(file.id, placed);
        this.inputBytes += (await stat(join(this.dir, name)).catch(() => null))?.size ?? 0;
      }
      result.push(placed);
    }
  }

  exec(code: string, signal?: AbortSignal): Promise<ExecResult> {
    return this.serialize(() => this.run(code, signal));
  }

  /** Starts the kernel if none is running (idempotent); used to warm a session up ahead of its first exec. */
  ensureKernel(signal?: AbortSignal): Promise<KernelProcess> {
    if (this.closed) return Promise.reject(new SandboxError('closed', 'the sandbox session is closed'));
    if (this.kernel?.alive) return Promise.resolve(this.kernel);
    this.starting ??= this.startKernel(signal).finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  /** Kills the kernel and deletes the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.starting?.catch(() => undefined);
    await this.dropKernel();
    await this.queue.catch(() => undefined);
    await removeTree(this.dir);
  }

  private async run(code: string, signal?: AbortSignal): Promise<ExecResult> {
    const startedAt = performance.now();
    const cell = ++this.cells;
    const { options } = this.ctx;
    let kernel: KernelProcess;
    try {
      kernel = await untilAborted(this.ensureKernel(signal), signal); // a shared start in flight goes on for the next exec
    } catch (error) {
      if (signal?.aborted) {
        return buildExecResult(
          { outcome: { kind: 'died', cause: 'abort', exit: { code: null, signal: null, diagnostics: '' } }, cell, oomKills: 0, pidsMaxHits: 0,
            restarted: false, images: [], files: [], notes: [], durationMs: performance.now() - startedAt },
          options,
        );
      }
      if (error instanceof SandboxError) throw error;
      throw new SandboxError('start_failed', (error as Error).message);
    }
    const restarted = this.stateGeneration !== null && this.stateGeneration !== this.generation;
    this.stateGeneration = this.generation;
    const cgroup = this.cgroup;
    const [before, countersBefore] = await Promise.all([scanDataDir(this.dir), cgroup?.counters()]);
    this.baseline = before;
    const grace = Math.min(1000, options.execTimeoutMs * 0.2);
    const outcome = await kernel.exec(code, cell, { softMs: options.execTimeoutMs - grace, hardMs: options.execTimeoutMs, abortGraceMs: ABORT_GRACE_MS }, signal);
    const countersAfter = await cgroup?.counters();
    if (outcome.kind === 'died') await this.dropKernel();
    await this.diskCleanup;
    const after = await scanDataDir(this.dir);
    this.baseline = after;
    const changes = await collectDataChanges(this.dir, before, after, { maxBytes: options.maxReturnedFileBytes, maxFiles: options.maxReturnedFiles });
    const result = buildExecResult(
      {
        outcome,
        cell,
        oomKills: (countersAfter?.oomKills ?? 0) - (countersBefore?.oomKills ?? 0),
        pidsMaxHits: (countersAfter?.pidsMaxHits ?? 0) - (countersBefore?.pidsMaxHits ?? 0),
        restarted,
        ...changes,
        durationMs: performance.now() - startedAt,
      },
      options,
    );
    if (result.limit === 'processes' && this.kernel === kernel) {
      // What a fork bomb leaves behind keeps spinning after the cell; only a new process is clean.
      await this.dropKernel();
      result.stderr += '[sandbox] the process limit was hit: the Python process was restarted and its variables are lost\n';
      result.durationMs = performance.now() - startedAt;
    }
    return result;
  }

  private async startKernel(signal?: AbortSignal): Promise<KernelProcess> {
    await this.diskCleanup;
    await this.dropKernel();
    const { options, cgroups } = this.ctx;
    const generation = ++this.generation;
    const cgroup = cgroups
      ? await cgroups.create(`${this.dir.split('/').pop()}-${generation}`, { memoryBytes: options.memoryBytes, maxProcesses: options.maxProcesses, cpus: options.cpus })
      : null;
    const config: KernelConfig = {
      maxOutputBytes: options.maxOutputBytes,
      maxImages: options.maxImages,
      maxImageBytes: FIGURE_BYTES,
      maxValueChars: 100_000,
      timeoutSeconds: Math.round(options.execTimeoutMs / 1000),
    };
    // Room for both streams at the cap, JSON escaping (up to 6 bytes per byte), and the figures.
    const maxLineBytes = 12 * options.maxOutputBytes + Math.ceil((FIGURE_BYTES * 4) / 3) + (1 << 20);
    let fds: SandboxFds | null = null;
    try {
      fds = await openSandboxFds(this.dir, this.ctx.readOnlyFiles, this.ctx.seccompFile);
      const argv = sandboxCommand(
        options,
        {
          dataFd: fds.dataFd,
          dataMount: DATA_MOUNT,
          readOnlyData: fds.readOnlyData,
          seccompFd: fds.seccompFd,
          cgroupProcs: cgroup?.procsFiles() ?? [],
          rlimitMemory: !cgroups?.has('memory'),
          rlimitProcesses: rlimitProcesses(cgroups, this.ctx.runAs),
          runAs: this.ctx.runAs,
        },
        [options.pythonPath, '-I', '-B', this.ctx.kernelPath, JSON.stringify(config)],
      );
      const kernel = await KernelProcess.start(argv, { maxLineBytes, startTimeoutMs: options.startTimeoutMs, inherit: fds.inherit, signal });
      if (this.closed) {
        await kernel.kill();
        throw new SandboxError('closed', 'the sandbox session is closed');
      }
      this.kernel = kernel;
      this.cgroup = cgroup;
      this.diskCleanup = null;
      this.disk.start();
      return kernel;
    } catch (error) {
      await cgroup?.remove();
      throw error;
    } finally {
      await fds?.close();
    }
  }

  /** The quota is breached: stop everything that writes, then delete what is new since the baseline. */
  private async onDiskOver(): Promise<void> {
    await this.kernel?.kill('file_size');
    await this.dropKernel();
    await removeCreated(this.dir, this.baseline);
  }

  private async dropKernel(): Promise<void> {
    this.disk.stop();
    const kernel = this.kernel;
    const cgroup = this.cgroup;
    this.kernel = null;
    this.cgroup = null;
    await kernel?.kill();
    await cgroup?.remove();
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SandboxError('closed', 'the sandbox session is closed'));
    this.pendingOps++;
    clearTimeout(this.idleTimer);
    const result = this.queue.then(() => {
      if (this.closed) throw new SandboxError('closed', 'the sandbox session is closed');
      return op();
    });
    this.queue = result.catch(() => undefined).finally(() => {
      if (--this.pendingOps === 0) this.armIdle();
    });
    return result;
  }

  private armIdle(): void {
    if (this.closed || !this.onIdle) return;
    const onIdle = this.onIdle;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => onIdle(this), this.ctx.options.idleTimeoutMs);
    this.idleTimer.unref();
  }
}

/** RLIMIT_NPROC only when no pids cgroup, and the sandbox has a uid of its own (not root, whom it does not bind, nor the server's). */
export function rlimitProcesses(cgroups: CgroupHost | null, runAs: RunAs): boolean {
  return !cgroups?.has('pids') && runAs !== null && runAs.uid !== 0;
}

/** `promise`, or a rejection as soon as `signal` fires. */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
