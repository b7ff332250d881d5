import type { ResolvedOptions, RunAs } from './options.js';

/**
 * What one sandboxed process sees and may use. Host paths reach bubblewrap as inherited file
 * descriptors (see `sandbox-fds.ts`), so it needs no permission on the path to them after the
 * switch to `runAs`.
 */
export interface SandboxMounts {
  /** Child fd open on the host directory bound read-write at `dataMount`. */
  dataFd: number;
  dataMount: string;
  /** Child fds of host files copied read-only into the sandbox (kernel script, font cache, /etc/passwd). */
  readOnlyData: Array<{ fd: number; sandbox: string }>;
  /** Child fd of a seccomp BPF program (see seccomp-filter.ts), or null for none. */
  seccompFd: number | null;
  /** `cgroup.procs` files the process joins before it execs bubblewrap. */
  cgroupProcs: string[];
  /** Apply RLIMIT_AS (when memory is not capped by a cgroup) and RLIMIT_NPROC (when pids are not, and the uid is a dedicated one). */
  rlimitMemory: boolean;
  rlimitProcesses: boolean;
  /** Host uid/gid to switch to before bubblewrap (needs a root server); null: stay as is. */
  runAs: RunAs;
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
 * The full argv: `/bin/sh` (joins the cgroups) → setpriv (switches to `mounts.runAs`, dies with this
 * server) → prlimit → bwrap → python. The environment is built from nothing: nothing of the
 * server's reaches the sandbox.
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
  // RLIMIT_NPROC counts every process of the uid on the host: one budget for all sessions.
  if (mounts.rlimitProcesses) limits.push(`--nproc=${options.maxProcesses * (options.maxSessions + 2) + 64}`);
  return [
    '/bin/sh', '-c', JOIN_CGROUPS, 'sh', ...mounts.cgroupProcs, '--',
    options.setprivPath, ...(mounts.runAs ? ['--reuid', String(mounts.runAs.uid), '--regid', String(mounts.runAs.gid), '--clear-groups'] : []),
    '--pdeathsig', 'KILL',
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
  for (const file of mounts.readOnlyData) args.push('--perms', '0444', '--ro-bind-data', String(file.fd), file.sandbox);
  args.push('--bind-fd', String(mounts.dataFd), mounts.dataMount, '--chdir', mounts.dataMount);
  if (mounts.seccompFd !== null) args.push('--seccomp', String(mounts.seccompFd));
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
