import { readdir, realpath, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type DirSnapshot, type DirUsage, scanDataDir } from './scan-data-dir.js';

/**
 * RLIMIT_FSIZE caps one file, not how much a session writes to /mnt/data (a directory on the
 * server's disk). While a kernel lives, its directory is measured every `intervalMs`; over
 * `maxBytes`, or more entries than a scan covers, `onOver` runs once.
 */
export class DiskGuard {
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private fired = false;

  constructor(
    private readonly dir: () => string,
    private readonly maxBytes: () => number,
    private readonly intervalMs: number,
    private readonly onOver: (usage: DirUsage) => void,
  ) {}

  start(): void {
    this.stop();
    this.fired = false;
    this.timer = setInterval(() => void this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Measures now; true when over the quota (and `onOver` has been called). */
  async check(): Promise<boolean> {
    if (this.checking || this.fired) return this.fired;
    this.checking = true;
    try {
      const usage: DirUsage = { bytes: 0, entries: 0, complete: true };
      await scanDataDir(this.dir(), usage);
      if (usage.bytes > this.maxBytes() || !usage.complete) {
        this.fired = true;
        this.stop();
        this.onOver(usage);
      }
      return this.fired;
    } finally {
      this.checking = false;
    }
  }
}

/**
 * Deletes what is new since `baseline` under `root`: top-level entries it did not have (whole
 * trees, however large) and files it did not have inside directories it had. Call only once the
 * session's processes are dead; every path is checked to resolve inside `root` first.
 */
export async function removeCreated(root: string, baseline: DirSnapshot): Promise<number> {
  const keepTop = new Set([...baseline.keys()].map((path) => path.split('/')[0]!));
  let removed = 0;
  for (const name of await readdir(root).catch(() => [])) {
    if (keepTop.has(name)) continue;
    await rm(join(root, name), { recursive: true, force: true }).catch(() => undefined);
    removed++;
  }
  for (const path of (await scanDataDir(root)).keys()) {
    if (baseline.has(path)) continue;
    const parent = await realpath(dirname(join(root, path))).catch(() => null);
    if (parent !== root && !parent?.startsWith(`${root}/`)) continue;
    await unlink(join(root, path)).catch(() => undefined);
    removed++;
  }
  return removed;
}
