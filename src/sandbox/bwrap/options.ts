/** Settings of the bubblewrap sandbox; every field but `root` has a default (see `resolveOptions`). */
export interface BwrapSandboxOptions {
  /** Host directory holding one directory per session (bound at /mnt/data) and the font cache. */
  root: string;
  bwrapPath?: string;
  /** Debian's Python with numpy, pandas and matplotlib; not a pyenv shim. */
  pythonPath?: string;
  prlimitPath?: string;
  setprivPath?: string;
  /** Memory of one session's processes together (cgroup), default 1 GiB. */
  memoryBytes?: number;
  /** Processes and threads of one session (cgroup pids.max), default 64. */
  maxProcesses?: number;
  /** CPU quota of one session in CPUs (cgroup cfs quota), default 1. */
  cpus?: number;
  /** RLIMIT_CPU of the Python process over its life, default 600 s. */
  cpuSecondsPerProcess?: number;
  /** RLIMIT_FSIZE, default 128 MiB. */
  maxFileBytes?: number;
  /** What a session may write to /mnt/data beyond its input files (checked every second; over it, the new files are deleted), default 1 GiB. */
  maxDataBytes?: number;
  /** RLIMIT_NOFILE, default 512. */
  maxOpenFiles?: number;
  /** Size of the private /tmp (and /dev/shm) tmpfs, default 128 MiB (counted in the memory limit too). */
  tmpBytes?: number;
  /** Wall-clock limit of one exec, default 60 s. The cell is interrupted a little earlier, then killed at the limit. */
  execTimeoutMs?: number;
  /** How long a Python process may take to start and import its libraries, default 30 s. */
  startTimeoutMs?: number;
  /** A session unused this long is closed and its directory deleted, default 10 min. */
  idleTimeoutMs?: number;
  /** Sessions alive at once, default 8; the least recently used idle one makes room. */
  maxSessions?: number;
  /** Bytes kept of each of stdout and stderr per exec, default 1 MiB. */
  maxOutputBytes?: number;
  /** Bytes of new or changed /mnt/data files returned by one exec (the rest are listed in stderr), default 64 MiB. */
  maxReturnedFileBytes?: number;
  /** Files returned by one exec, default 50. */
  maxReturnedFiles?: number;
  /** Figures returned by one exec, default 20. */
  maxImages?: number;
  /** 'auto' uses cgroup v1 memory/pids/cpu when writable and falls back to rlimits; 'off' always uses rlimits. */
  cgroups?: 'auto' | 'off';
  /** Where the cgroup v1 controllers are mounted, default /sys/fs/cgroup. */
  cgroupRoot?: string;
  /** Start the Python process when a session is created rather than at its first exec, default true. */
  eagerStart?: boolean;
  /**
   * Keep one session started ahead (libraries imported, no code run), adopted by the next new key
   * so it starts in milliseconds; refilled after each use, the first one after the first session.
   * Default true (about 100 MB while idle).
   */
  spare?: boolean;
  /**
   * Host uid/gid the sandbox runs as (its uid 1000 maps to it); null keeps the server's own.
   * 'auto' (default): nobody (65534) when the server runs as root, so that even an escape from the
   * namespaces lands unprivileged, if that works here (bubblewrap as nobody needs unprivileged user
   * namespaces and o+x on every directory above `root`); else the server's own uid.
   */
  runAs?: RunAs | 'auto';
}

export type RunAs = { uid: number; gid: number } | null;

export type ResolvedOptions = Required<BwrapSandboxOptions>;

export const NOBODY: RunAs = { uid: 65534, gid: 65534 };

const MiB = 1024 * 1024;

export function resolveOptions(options: BwrapSandboxOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    root: options.root,
    bwrapPath: options.bwrapPath ?? '/usr/bin/bwrap',
    pythonPath: options.pythonPath ?? '/usr/bin/python3',
    prlimitPath: options.prlimitPath ?? '/usr/bin/prlimit',
    setprivPath: options.setprivPath ?? '/usr/bin/setpriv',
    memoryBytes: options.memoryBytes ?? 1024 * MiB,
    maxProcesses: options.maxProcesses ?? 64,
    cpus: options.cpus ?? 1,
    cpuSecondsPerProcess: options.cpuSecondsPerProcess ?? 600,
    maxFileBytes: options.maxFileBytes ?? 128 * MiB,
    maxOpenFiles: options.maxOpenFiles ?? 512,
    maxDataBytes: options.maxDataBytes ?? 1024 * MiB,
    tmpBytes: options.tmpBytes ?? 128 * MiB,
    execTimeoutMs: options.execTimeoutMs ?? 60_000,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 10 * 60_000,
    maxSessions: options.maxSessions ?? 8,
    maxOutputBytes: options.maxOutputBytes ?? MiB,
    maxReturnedFileBytes: options.maxReturnedFileBytes ?? 64 * MiB,
    maxReturnedFiles: options.maxReturnedFiles ?? 50,
    maxImages: options.maxImages ?? 20,
    cgroups: options.cgroups ?? 'auto',
    cgroupRoot: options.cgroupRoot ?? '/sys/fs/cgroup',
    eagerStart: options.eagerStart ?? true,
    spare: options.spare ?? true,
    runAs: options.runAs ?? 'auto',
  };
  for (const key of ['memoryBytes', 'maxProcesses', 'cpus', 'cpuSecondsPerProcess', 'maxFileBytes', 'maxDataBytes', 'maxOpenFiles', 'tmpBytes',
    'execTimeoutMs', 'startTimeoutMs', 'idleTimeoutMs', 'maxSessions', 'maxOutputBytes', 'maxReturnedFiles', 'maxImages'] as const) {
    const value = resolved[key];
    if (!(Number.isFinite(value) && value > 0)) throw new Error(`sandbox option ${key} must be a positive number, got ${String(value)}`);
  }
  if (!(resolved.maxReturnedFileBytes >= 0)) throw new Error('sandbox option maxReturnedFileBytes must be >= 0');
  return resolved;
}
