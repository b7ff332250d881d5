import { mkdir, readdir, readFile, rmdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { instanceAlive, liveInstances } from './instance-name.js';

/**
 * cgroup v1 groups for the sandbox's processes: memory.limit_in_bytes, pids.max and a CFS CPU
 * quota, one group per Python process under `<root>/<controller>/open-assistants/<instance>/`.
 * A process joins its groups before it execs bubblewrap (see `wrapper-command.ts`), so everything
 * it forks is counted. cgroup v2 (unified) hierarchies are not handled: rlimits are used there.
 */
export type Controller = 'memory' | 'pids' | 'cpu';

const LIMIT_FILE: Record<Controller, string> = {
  memory: 'memory.limit_in_bytes',
  pids: 'pids.max',
  cpu: 'cpu.cfs_quota_us',
};

const BASE = 'open-assistants';

export interface CgroupLimits {
  memoryBytes: number;
  maxProcesses: number;
  cpus: number;
}

/** The instance's cgroup directories, one per usable controller. */
export class CgroupHost {
  private constructor(private readonly dirs: Partial<Record<Controller, string>>) {}

  /** Which controllers can be used; null when none (no cgroup v1, or not writable, e.g. not root). */
  static async detect(root: string, instance: string): Promise<CgroupHost | null> {
    const dirs: Partial<Record<Controller, string>> = {};
    for (const controller of Object.keys(LIMIT_FILE) as Controller[]) {
      const mount = join(root, controller);
      try {
        await stat(join(mount, 'cgroup.procs'));
        const base = join(mount, BASE);
        await mkdir(base, { recursive: true });
        await removeStale(base, instance);
        const dir = join(base, instance);
        await mkdir(dir, { recursive: true });
        // Probe: a child must accept a limit, or the controller is of no use.
        const probe = join(dir, 'probe');
        await mkdir(probe, { recursive: true });
        try {
          await writeFile(join(probe, LIMIT_FILE[controller]), controller === 'memory' ? String(64 << 20) : controller === 'cpu' ? '100000' : '10');
        } finally {
          await rmdir(probe).catch(() => undefined);
        }
        dirs[controller] = dir;
      } catch {
        // not mounted, not writable, or the limit file is missing: fall back to rlimits for it
      }
    }
    return Object.keys(dirs).length > 0 ? new CgroupHost(dirs) : null;
  }

  has(controller: Controller): boolean {
    return this.dirs[controller] !== undefined;
  }

  /** A fresh group per controller with the limits set; the caller's process must join it via `procsFiles()`. */
  async create(name: string, limits: CgroupLimits): Promise<KernelCgroup> {
    const created: Partial<Record<Controller, string>> = {};
    const group = new KernelCgroup(created);
    try {
      for (const [controller, parent] of Object.entries(this.dirs) as Array<[Controller, string]>) {
        const dir = join(parent, name);
        await mkdir(dir, { recursive: true });
        created[controller] = dir;
        if (controller === 'memory') {
          await writeFile(join(dir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
          // Without swap accounting the file is absent; with it, swap must not extend the limit.
          await writeFile(join(dir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => undefined);
        } else if (controller === 'pids') {
          await writeFile(join(dir, 'pids.max'), String(limits.maxProcesses));
        } else {
          await writeFile(join(dir, 'cpu.cfs_period_us'), '100000');
          await writeFile(join(dir, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round(limits.cpus * 100000))));
        }
      }
      return group;
    } catch (error) {
      await group.remove();
      throw error;
    }
  }

  /** Removes the instance's directories (their groups must be gone already). */
  async close(): Promise<void> {
    for (const dir of Object.values(this.dirs)) await rmdir(dir).catch(() => undefined);
  }
}

/** The groups of one Python process. */
export class KernelCgroup {
  constructor(private readonly dirs: Partial<Record<Controller, string>>) {}

  /** The `cgroup.procs` files a process writes its pid into to join. */
  procsFiles(): string[] {
    return Object.values(this.dirs).map((dir) => join(dir, 'cgroup.procs'));
  }

  /** Monotonic counters: OOM kills in the memory group, fork/clone refusals by pids.max. */
  async counters(): Promise<{ oomKills: number; pidsMaxHits: number }> {
    const [oom, pids] = await Promise.all([
      this.dirs.memory ? readFile(join(this.dirs.memory, 'memory.oom_control'), 'utf8').catch(() => '') : '',
      this.dirs.pids ? readFile(join(this.dirs.pids, 'pids.events'), 'utf8').catch(() => '') : '',
    ]);
    return { oomKills: counter(oom, 'oom_kill'), pidsMaxHits: counter(pids, 'max') };
  }

  /** SIGKILLs every process in the groups (a backstop: bubblewrap's PID namespace dies with its init). */
  async killAll(): Promise<void> {
    for (const file of this.procsFiles()) {
      const text = await readFile(file, 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        const pid = Number(line);
        if (Number.isInteger(pid) && pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    }
  }

  /** Kills what is left and removes the groups, retrying while the kernel reaps the processes. */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      await this.killAll();
      let left = 0;
      for (const [controller, dir] of Object.entries(this.dirs) as Array<[Controller, string]>) {
        try {
          await rmdir(dir);
          delete this.dirs[controller];
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') delete this.dirs[controller];
          else left++;
        }
      }
      if (left === 0) return;
      await sleep(attempt < 10 ? 10 : 50);
    }
  }
}

function counter(text: string, name: string): number {
  const match = new RegExp(`^${name}\\s+(\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/**
 * Removes empty groups left by instances whose process is gone. Instance names start with the
 * owner's pid (see `instance-name.ts`); a live owner's groups are left alone even when empty.
 */
async function removeStale(base: string, instance: string): Promise<void> {
  const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isDirectory() || entry.name === instance || instanceAlive(entry.name, liveInstances)) continue;
    const dir = join(base, entry.name);
    const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const child of children) if (child.isDirectory()) await rmdir(join(dir, child.name)).catch(() => undefined);
    await rmdir(dir).catch(() => undefined);
  }
}

