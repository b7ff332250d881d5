import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  type Sandbox,
  type SandboxAvailability,
  SandboxError,
  type SandboxLimits,
  type SandboxSession,
  type SessionFile,
} from '../sandbox.js';
import { BwrapSession, type SessionContext, rlimitProcesses } from './bwrap-session.js';
import { CgroupHost } from './cgroups.js';
import { INSTANCE_NAME, instanceAlive, liveInstances, newInstanceName } from './instance-name.js';
import { KERNEL_SCRIPT } from './kernel-script.js';
import { type BwrapSandboxOptions, NOBODY, type ResolvedOptions, type RunAs, resolveOptions } from './options.js';
import { type ProbeResult, probeSandbox } from './probe-sandbox.js';
import { removeTree } from './remove-tree.js';
import { MPL_DIR, SANDBOX_UID } from './sandbox-command.js';
import { seccompProgram } from './seccomp-filter.js';
import { SessionHandle } from './session-handle.js';

interface Setup {
  availability: SandboxAvailability;
  ctx: SessionContext | null;
}

/**
 * The code interpreter sandbox on Linux: bubblewrap namespaces around Debian's /usr/bin/python3,
 * cgroup v1 (or rlimit) limits, one persistent kernel.py per session key. Session directories live
 * under `<root>/<instance>/`, where `<instance>` is unique to this object.
 */
export class BwrapSandbox implements Sandbox {
  private readonly options: ResolvedOptions;
  private readonly instance = newInstanceName();
  private readonly instanceDir: string;
  private setup: Promise<Setup> | null = null;
  /** Live sessions, least recently used first. */
  private readonly sessions = new Map<string, BwrapSession>();
  private readonly creating = new Map<string, Promise<BwrapSession>>();
  /** A session started ahead under a placeholder name, adopted by the next new key. */
  private spare: BwrapSession | null = null;
  private refilling = false;
  private closed = false;

  constructor(options: BwrapSandboxOptions) {
    this.options = resolveOptions(options);
    this.instanceDir = join(resolve(this.options.root), this.instance);
    liveInstances.add(this.instance);
  }

  available(signal?: AbortSignal): Promise<SandboxAvailability> {
    return this.prepare(signal).then(
      (setup) => setup.availability,
      (error: unknown) => ({ ok: false, reason: `sandbox setup aborted: ${(error as Error).message}` }),
    );
  }

  async session(key: string, files: readonly SessionFile[] = [], signal?: AbortSignal): Promise<SandboxSession> {
    const session = await this.acquire(key, files, false, signal);
    return new SessionHandle(session, files, (k, f, hadState, s) => this.acquire(k, f, hadState, s));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.creating.values()]);
    await Promise.all([...this.sessions.values(), ...(this.spare ? [this.spare] : [])].map((session) => session.close()));
    this.sessions.clear();
    this.spare = null;
    const setup = await this.setup?.catch(() => null);
    await setup?.ctx?.cgroups?.close();
    await removeTree(this.instanceDir);
    liveInstances.delete(this.instance);
  }

  private async acquire(key: string, files: readonly SessionFile[], hadState: boolean, signal?: AbortSignal): Promise<BwrapSession> {
    if (this.closed) throw new SandboxError('closed', 'the sandbox is closed');
    const { availability, ctx } = await this.prepare(signal);
    if (!ctx) throw new SandboxError('unavailable', availability.ok ? 'unavailable' : availability.reason);
    let session = this.sessions.get(key);
    if (session && !session.closed) {
      this.sessions.delete(key); // re-insert: most recently used last
      this.sessions.set(key, session);
    } else {
      session = await this.create(ctx, key, hadState);
    }
    if (files.length > 0) await session.addFiles(files, signal);
    return session;
  }

  private create(ctx: SessionContext, key: string, hadState: boolean): Promise<BwrapSession> {
    const pending = this.creating.get(key);
    if (pending) return pending;
    this.makeRoom();
    const dir = join(this.instanceDir, sessionDirName(key));
    const onIdle = (s: BwrapSession) => void this.evict(s);
    const spare = this.spare;
    this.spare = null;
    const made = spare
      ? spare.adopt(key, dir, hadState, onIdle).then(
          () => spare,
          async () => {
            await spare.close();
            return BwrapSession.create(ctx, key, dir, hadState, onIdle);
          },
        )
      : BwrapSession.create(ctx, key, dir, hadState, onIdle);
    const creating = made
      .then((session) => {
        if (this.closed) {
          void session.close();
          throw new SandboxError('closed', 'the sandbox is closed');
        }
        this.sessions.set(key, session);
        // Start the kernel now (a failure shows at the first exec), then the next spare: not both
        // at once, the new session's start matters more.
        const started = this.options.eagerStart ? session.ensureKernel() : Promise.resolve();
        started.catch(() => undefined).finally(() => this.refillSpare(ctx));
        return session;
      })
      .finally(() => this.creating.delete(key));
    this.creating.set(key, creating);
    return creating;
  }

  /** Starts a spare session (a kernel with its libraries imported) for the next new key. */
  private refillSpare(ctx: SessionContext): void {
    if (this.closed || this.spare || this.refilling || !this.options.spare) return;
    this.refilling = true;
    const dir = join(this.instanceDir, `spare-${randomBytes(6).toString('hex')}`);
    void BwrapSession.create(ctx, '(spare)', dir, false, null)
      .then(
        (spare) => {
          if (this.closed) return void spare.close();
          this.spare = spare;
          spare.ensureKernel().catch(() => {
            if (this.spare === spare) this.spare = null;
            void spare.close();
          });
        },
        () => undefined,
      )
      .finally(() => {
        this.refilling = false;
      });
  }

  /** Closes least recently used idle sessions until one more fits; throws when all are busy. */
  private makeRoom(): void {
    for (const [key, session] of this.sessions) {
      if (session.closed) this.sessions.delete(key);
    }
    const excess = this.sessions.size + this.creating.size + 1 - this.options.maxSessions;
    let freed = 0;
    for (const session of this.sessions.values()) {
      if (freed >= excess) break;
      if (session.busy) continue;
      void this.evict(session);
      freed++;
    }
    if (freed < excess) {
      throw new SandboxError('capacity', `all ${this.options.maxSessions} sandbox sessions are busy; try again later`);
    }
  }

  private async evict(session: BwrapSession): Promise<void> {
    if (session.busy) return; // the idle timer re-arms when its work finishes
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
    await session.close();
  }

  private prepare(signal?: AbortSignal): Promise<Setup> {
    this.setup ??= this.doPrepare(signal).catch((error: unknown) => {
      this.setup = null; // e.g. aborted: try again next time
      throw error;
    });
    return this.setup;
  }

  private async doPrepare(signal?: AbortSignal): Promise<Setup> {
    try {
      return await this.probeAndConfigure(signal);
    } catch (error) {
      signal?.throwIfAborted();
      return { availability: { ok: false, reason: `sandbox setup failed: ${(error as Error).message}` }, ctx: null };
    }
  }

  private async probeAndConfigure(signal?: AbortSignal): Promise<Setup> {
    const root = resolve(this.options.root);
    // o+x only: an unprivileged sandbox uid must reach its own directory, but list nothing here.
    await mkdir(root, { recursive: true, mode: 0o711 });
    await mkdir(this.instanceDir, { recursive: true, mode: 0o711 });
    await removeStaleInstances(root, this.instance);
    const cacheDir = join(this.instanceDir, '.cache');
    await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    const program = seccompProgram();
    const seccompFile = program ? join(this.instanceDir, 'seccomp.bpf') : null;
    if (program && seccompFile) await writeFile(seccompFile, program);
    const candidates: RunAs[] =
      this.options.runAs !== 'auto' ? [this.options.runAs] : process.getuid?.() === 0 ? [NOBODY, null] : [null];
    let probe: ProbeResult = { ok: false, reason: 'not probed' };
    let runAs: RunAs = null;
    for (const candidate of candidates) {
      runAs = candidate;
      probe = await probeSandbox(this.options, cacheDir, runAs, seccompFile, signal);
      if (probe.ok) break;
    }
    if (!probe.ok) return { availability: probe, ctx: null };
    const passwd = join(this.instanceDir, 'passwd');
    const group = join(this.instanceDir, 'group');
    await writeFile(passwd, `sandbox:x:${SANDBOX_UID}:${SANDBOX_UID}:sandbox:/tmp:/usr/sbin/nologin\n`);
    await writeFile(group, `sandbox:x:${SANDBOX_UID}:\n`);
    const readOnlyFiles = [
      { host: KERNEL_SCRIPT, sandbox: '/opt/sandbox/kernel.py' },
      { host: passwd, sandbox: '/etc/passwd' },
      { host: group, sandbox: '/etc/group' },
    ];
    if (probe.fontlist) readOnlyFiles.push({ host: probe.fontlist, sandbox: `${MPL_DIR}/${probe.fontlist.split('/').pop()}` });
    const cgroups = this.options.cgroups === 'auto' ? await CgroupHost.detect(this.options.cgroupRoot, this.instance) : null;
    const o = this.options;
    const limits: SandboxLimits = {
      execTimeoutMs: o.execTimeoutMs,
      memoryBytes: o.memoryBytes,
      memoryEnforcedBy: cgroups?.has('memory') ? 'cgroup' : 'rlimit',
      maxProcesses: o.maxProcesses,
      processesEnforcedBy: cgroups?.has('pids') ? 'cgroup' : rlimitProcesses(cgroups, runAs) ? 'rlimit' : 'none',
      cpus: cgroups?.has('cpu') ? o.cpus : null,
      cpuSecondsPerProcess: o.cpuSecondsPerProcess,
      maxFileBytes: o.maxFileBytes,
      maxDataBytes: o.maxDataBytes,
      maxOutputBytes: o.maxOutputBytes,
      maxSessions: o.maxSessions,
      idleTimeoutMs: o.idleTimeoutMs,
      sandboxUid: runAs?.uid ?? process.getuid?.() ?? 0,
      seccomp: seccompFile !== null,
    };
    return {
      availability: { ok: true, limits },
      ctx: { options: o, readOnlyFiles, kernelPath: '/opt/sandbox/kernel.py', cgroups, runAs, seccompFile },
    };
  }
}

/** A directory name per key: readable, and unique through a hash of the whole key. */
function sessionDirName(key: string): string {
  const readable = key.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `s-${readable}-${createHash('sha256').update(key).digest('hex').slice(0, 12)}`;
}

/** Deletes session roots left by servers that are gone (a crash skips `close`). */
async function removeStaleInstances(root: string, instance: string): Promise<void> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory() && entry.name !== instance && INSTANCE_NAME.test(entry.name) && !instanceAlive(entry.name, liveInstances)) {
      await removeTree(join(root, entry.name));
    }
  }
}
