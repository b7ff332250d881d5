import type { ResolvedOptions } from './options.js';

/** What one sandboxed process sees and may use. */
export interface SandboxMounts {
  /** Host directory bound read-write at `dataMount`. */
  dataDir: string;
  dataMount: string;
  /** Host files bound read-only at the given sandbox paths (kernel script, font cache, /etc/passwd). */
  readOnlyFiles: Array<{ host: string; sandbox: string }>;
  /** `cgroup.procs` files the process joins before it execs bubblewrap. */
  cgroupProcs: string[];
  /** Apply RLIMIT_AS (when memory is not capped by a cgroup) and RLIMIT_NPROC (when pids are not). */
  rlimitMemory: boolean;
  rlimitProcesses: boolean;
}

export const SANDBOX_UID = 1000;
/** The private, writable MPLCONFIGDIR (a prebuilt fontlist is bound into it). */
export const MPL_DIR = '/tmp/.matplotlib';

// Joins each cgroup given before `--` with this shell's pid, then execs the rest: the process is
// counted from its first instruction, and so is everything it forks.
const JOIN_CGROUPS = 'for f do [ "$f" = -- ] && break; echo $$ > "$f" || exit 125; shift; done; shift; exec "$@"';

/** Host /etc files Python and matplotlib read, bound read-only when present. */
const ETC_FILES = ['/etc/alternatives', '/etc/fonts', '/etc/matplotlibrc', '/etc/ld.so.cache', '/etc/localtime', '/etc/mime.types'];

/**
 * The full argv: `/bin/sh` (joins the cgroups) → setpriv (dies with this server) → prlimit → bwrap →
 * python. The environment is built from nothing: nothing of the server's reaches the sandbox.
 */
export function sandboxCommand(options: ResolvedOptions, mounts: SandboxMounts, python: string[]): string[] {
  const limits = [
    `--cpu=${options.cpuSecondsPerProcess}`,
    `--fsize=${options.maxFileBytes}`,
    `--nofile=${options.maxOpenFiles}`,
    '--core=0',
  ];
  if (mounts.rlimitMemory) limits.push(`--as=${options.memoryBytes}`);
  else limits.push(`--as=${Math.max(2 * options.memoryBytes, options.memoryBytes + 1024 * 1024 * 1024)}`);
  if (mounts.rlimitProcesses) limits.push(`--nproc=${options.maxProcesses}`);
  return [
    '/bin/sh', '-c', JOIN_CGROUPS, 'sh', ...mounts.cgroupProcs, '--',
    options.setprivPath, '--pdeathsig', 'KILL',
    options.prlimitPath, ...limits,
    options.bwrapPath, ...bwrapArgs(options, mounts),
    '--', ...python,
  ];
}

function bwrapArgs(options: ResolvedOptions, mounts: SandboxMounts): string[] {
  const threads = String(Math.max(1, Math.ceil(options.cpus)));
  const args = [
    // No network (only a private lo), IPC, PID, UTS or cgroup namespace shared with the host; a user
    // namespace with one unprivileged uid, no capabilities, and no nested user namespaces.
    '--unshare-all', '--unshare-user', '--disable-userns',
    '--uid', String(SANDBOX_UID), '--gid', String(SANDBOX_UID),
    '--cap-drop', 'ALL', '--die-with-parent', '--new-session', '--hostname', 'sandbox',
    // The host filesystem: /usr read-only (minus /usr/local), a few /etc files, nothing else.
    '--ro-bind', '/usr', '/usr', '--tmpfs', '/usr/local',
    '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64',
    '--symlink', 'usr/bin', '/bin', '--symlink', 'usr/sbin', '/sbin',
  ];
  for (const file of ETC_FILES) args.push('--ro-bind-try', file, file);
  args.push(
    '--proc', '/proc', '--dev', '/dev',
    '--size', String(options.tmpBytes), '--tmpfs', '/tmp',
    '--size', String(options.tmpBytes), '--tmpfs', '/dev/shm',
    '--dir', MPL_DIR,
  );
  for (const file of mounts.readOnlyFiles) args.push('--ro-bind', file.host, file.sandbox);
  args.push('--bind', mounts.dataDir, mounts.dataMount, '--chdir', mounts.dataMount);
  args.push('--clearenv');
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin',
    HOME: '/tmp',
    USER: 'sandbox',
    LANG: 'C.UTF-8',
    TMPDIR: '/tmp',
    MPLBACKEND: 'Agg',
    MPLCONFIGDIR: MPL_DIR,
    PYTHONDONTWRITEBYTECODE: '1',
    OPENBLAS_NUM_THREADS: threads,
    OMP_NUM_THREADS: threads,
    MKL_NUM_THREADS: threads,
    NUMEXPR_MAX_THREADS: threads,
  };
  for (const [name, value] of Object.entries(env)) args.push('--setenv', name, value);
  return args;
}
