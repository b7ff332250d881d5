/**
 * The seam between the code_interpreter tool and whatever runs model-written Python. The code may
 * follow a hostile prompt: an implementation isolates it from the host and the other sessions and
 * reports every limit it hits in the result instead of throwing.
 *
 * One session per key (a thread id, say): a long-lived Python process whose variables survive
 * between `exec` calls, with its own `/mnt/data` directory holding the input files and whatever
 * the code writes there.
 */
export interface Sandbox {
  /** Whether sessions can run here, and if not why (cached after the first call). Never throws. */
  available(signal?: AbortSignal): Promise<SandboxAvailability>;
  /**
   * The session for `key`, created (and its Python process started) if there is none. `files` not
   * yet placed in it (by `id`) are written to `/mnt/data`. Throws `SandboxError` with code
   * `unavailable` or `capacity` (every session slot is busy executing).
   */
  session(key: string, files?: readonly SessionFile[], signal?: AbortSignal): Promise<SandboxSession>;
  /** Kills every session's process and deletes every session directory. */
  close(): Promise<void>;
}

export type SandboxAvailability = { ok: true; limits: SandboxLimits } | { ok: false; reason: string };

/** The limits in force, and by which mechanism, for the server to report. */
export interface SandboxLimits {
  /** Wall-clock limit of one exec. */
  execTimeoutMs: number;
  memoryBytes: number;
  /** `cgroup`: all of a session's processes together, killed over the limit; `rlimit`: RLIMIT_AS per process, allocations fail with MemoryError. */
  memoryEnforcedBy: 'cgroup' | 'rlimit';
  maxProcesses: number;
  /**
   * `cgroup`: pids.max of each session; `rlimit`: RLIMIT_NPROC of the sandbox uid, one budget shared
   * by all sessions (maxProcesses × sessions); `none`: only the wall-clock kill bounds a fork bomb
   * (the sandbox runs as the server's uid, or as root, whom RLIMIT_NPROC does not bind).
   */
  processesEnforcedBy: 'cgroup' | 'rlimit' | 'none';
  /** CPUs' worth of time a session may use (a cgroup CPU quota); null when not enforced. */
  cpus: number | null;
  /** CPU seconds one Python process may use over its whole life (RLIMIT_CPU). */
  cpuSecondsPerProcess: number;
  /** Largest file the code can write (RLIMIT_FSIZE). */
  maxFileBytes: number;
  /** What a session may write to /mnt/data beyond its input files, checked every second. */
  maxDataBytes: number;
  /** Bytes kept of each of stdout and stderr per exec. */
  maxOutputBytes: number;
  /** Sessions alive at once; the least recently used idle one is closed to make room. */
  maxSessions: number;
  /** A session unused this long is closed and its files deleted. */
  idleTimeoutMs: number;
  /** Host uid the sandboxed code runs as (0: root, though without capabilities, in a user namespace). */
  sandboxUid: number;
  /** Whether risky system calls (io_uring, bpf, userfaultfd, perf, keyrings, mounts, ptrace…) are blocked by seccomp. */
  seccomp: boolean;
}

/** An input file for `/mnt/data`. */
export interface SessionFile {
  /** Stable identity (e.g. the OpenAI file id): each id is placed once per session. */
  id: string;
  /** The original name; sanitized (no '/', '\\', NUL or control characters, not '.' or '..') and deduplicated. */
  name: string;
  /** The bytes. May be called again if the session has to be rebuilt after an eviction. */
  read(): AsyncIterable<Uint8Array> | Uint8Array;
}

/** Where an input file was placed. */
export interface PlacedFile {
  id: string;
  /** The sanitized, deduplicated name in `/mnt/data`. */
  name: string;
  /** Absolute path inside the sandbox, e.g. `/mnt/data/sales.csv`. */
  path: string;
}

export interface SandboxSession {
  readonly key: string;
  /** The input files placed so far. */
  files(): PlacedFile[];
  /** Places files not placed yet (by `id`); returns where each of `files` is. */
  addFiles(files: readonly SessionFile[], signal?: AbortSignal): Promise<PlacedFile[]>;
  /**
   * Runs one cell. Calls on one session run one at a time, in order. Limits and a fired `signal`
   * come back as `limit` (`killed` for the signal), never as a rejection; it rejects only with a
   * `SandboxError` when the sandbox cannot start a Python process at all, or is closed.
   */
  exec(code: string, signal?: AbortSignal): Promise<ExecResult>;
  /** Ends the session now: kills its process and deletes its `/mnt/data`. */
  close(): Promise<void>;
}

export interface ExecResult {
  /** What the cell printed (fd 1 of the process and its children), then the value of a trailing expression as a notebook shows it. */
  stdout: string;
  stderr: string;
  /** The exception that ended the cell, if any, or a description of why the process died. */
  error: ExecError | null;
  /** The limit the cell ran into, if any. */
  limit: ExecLimit | null;
  /** True when state from earlier execs of this session was lost before this one (process died, was evicted or idled out). */
  restarted: boolean;
  /** Figures shown or left open (as PNG), then image files new or changed in `/mnt/data`. */
  images: OutputImage[];
  /** Other files new or changed in `/mnt/data` by this exec. */
  files: OutputFile[];
  durationMs: number;
}

export interface ExecError {
  /** The exception class, e.g. `ZeroDivisionError`. */
  name: string;
  value: string;
  /** The formatted traceback, limited to the cell's own frames. */
  traceback: string;
}

/**
 * - `timeout`: the wall-clock limit of one exec or the CPU-time limit of the process;
 * - `memory`: the memory limit (the process was killed, or an allocation raised MemoryError);
 * - `output`: stdout or stderr went over the cap and was truncated (or the process flooded the protocol and was killed);
 * - `processes`: the process/thread limit (fork or thread creation failed);
 * - `file_size`: a write went over the file-size limit, or the session's /mnt/data over its quota (the new files are then deleted);
 * - `killed`: stopped by the caller's signal or the session closing, or the process died by itself.
 */
export type ExecLimit = 'timeout' | 'memory' | 'output' | 'processes' | 'file_size' | 'killed';

export interface OutputImage {
  /** `figure-<n>.png` for a figure, the file's base name for an image file. */
  name: string;
  /** Path relative to `/mnt/data` for an image file; null for a figure. */
  path: string | null;
  mime: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
  bytes: Uint8Array;
}

export interface OutputFile {
  /** Relative to `/mnt/data`, '/'-separated. */
  path: string;
  bytes: Uint8Array;
  /** True when the file did not exist before this exec. */
  created: boolean;
}

export type SandboxErrorCode = 'unavailable' | 'capacity' | 'start_failed' | 'closed';

/** The only error the sandbox throws; limits hit by the code are results, not errors. */
export class SandboxError extends Error {
  constructor(
    readonly code: SandboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SandboxError';
  }
}
