import type { ExecError, ExecLimit, ExecResult, OutputFile, OutputImage } from '../sandbox.js';
import type { KernelError } from './kernel-protocol.js';
import type { KernelOutcome } from './kernel-process.js';
import type { ResolvedOptions } from './options.js';

const EAGAIN = 11;
const EFBIG = 27;
const SIGXCPU = 24;
const SIGXFSZ = 25;

export interface ExecFacts {
  outcome: KernelOutcome;
  cell: number;
  /** Increase of the cgroup counters during the exec (0 without cgroups). */
  oomKills: number;
  pidsMaxHits: number;
  restarted: boolean;
  images: OutputImage[];
  files: OutputFile[];
  /** Lines about files not returned, for stderr. */
  notes: string[];
  durationMs: number;
}

/** The ExecResult of one exec: its output, and which limit it hit, told apart as well as the evidence allows. */
export function buildExecResult(facts: ExecFacts, options: ResolvedOptions): ExecResult {
  const { outcome } = facts;
  let stdout = '';
  let stderr = '';
  let kernelError: KernelError | null = null;
  const figures: OutputImage[] = [];
  if (outcome.kind === 'reply') {
    const { reply } = outcome;
    stdout = reply.stdout + dropNote(reply.stdoutDropped, 'stdout', options.maxOutputBytes);
    stderr = reply.stderr + dropNote(reply.stderrDropped, 'stderr', options.maxOutputBytes);
    kernelError = reply.error;
    reply.images.forEach((base64, i) => {
      const bytes = Buffer.from(base64, 'base64');
      if (bytes.subarray(0, 4).toString('latin1') !== '\x89PNG') return;
      figures.push({ name: `figure-${facts.cell}-${i + 1}.png`, path: null, mime: 'image/png', bytes: new Uint8Array(bytes) });
    });
  }
  const limit = classifyLimit(facts, kernelError);
  if (facts.notes.length > 0) stderr += (stderr === '' || stderr.endsWith('\n') ? '' : '\n') + facts.notes.map((n) => `[sandbox] ${n}\n`).join('');
  let error: ExecError | null = kernelError ? { name: kernelError.name, value: kernelError.value, traceback: kernelError.traceback } : null;
  if (outcome.kind === 'died') error = deathError(limit, outcome, options);
  return {
    stdout,
    stderr,
    error,
    limit,
    restarted: facts.restarted,
    images: [...figures, ...facts.images],
    files: facts.files,
    durationMs: facts.durationMs,
  };
}

function classifyLimit(facts: ExecFacts, error: KernelError | null): ExecLimit | null {
  const { outcome } = facts;
  const died = outcome.kind === 'died' ? outcome : null;
  const exitCode = died?.exit.code ?? null;
  if (died?.cause === 'abort' || (outcome.kind === 'reply' && outcome.interrupted === 'abort')) return 'killed';
  if (died?.cause === 'output') return 'output';
  if (facts.oomKills > 0 || error?.name === 'MemoryError') return 'memory';
  if (
    facts.pidsMaxHits > 0 ||
    (error?.name === 'BlockingIOError' && error.errno === EAGAIN) ||
    (error?.name === 'RuntimeError' && error.value.includes("can't start new thread"))
  ) {
    return 'processes';
  }
  if (died?.cause === 'file_size' || error?.errno === EFBIG || exitCode === 128 + SIGXFSZ) return 'file_size';
  if (died?.cause === 'timeout' || (outcome.kind === 'reply' && outcome.interrupted === 'timeout') || exitCode === 128 + SIGXCPU) return 'timeout';
  if (outcome.kind === 'reply' && (outcome.reply.stdoutDropped > 0 || outcome.reply.stderrDropped > 0)) return 'output';
  return died ? 'killed' : null;
}

const LOST = 'Its variables and imports are lost; the next execution starts a fresh Python process. Files in /mnt/data are kept.';

function deathError(limit: ExecLimit | null, outcome: Extract<KernelOutcome, { kind: 'died' }>, options: ResolvedOptions): ExecError {
  const mib = Math.round(options.memoryBytes / (1024 * 1024));
  const { code, signal } = outcome.exit;
  const how = signal ? `signal ${signal}` : `exit code ${code ?? '?'}`;
  switch (limit) {
    case 'memory':
      return died('MemoryError', `The Python process was killed for going over the memory limit of ${mib} MiB. ${LOST}`);
    case 'timeout':
      return died('TimeoutError', `The execution did not finish within the time limit of ${Math.round(options.execTimeoutMs / 1000)} s and the Python process was stopped. ${LOST}`);
    case 'output':
      return died('OutputLimitError', `The Python process wrote more output than the sandbox accepts and was stopped. ${LOST}`);
    case 'processes':
      return died('ProcessLimitError', `The Python process hit the limit of ${options.maxProcesses} processes/threads and was stopped. ${LOST}`);
    case 'file_size':
      if (outcome.cause === 'file_size') {
        return died('DiskQuotaError', `The code wrote more than ${Math.round(options.maxDataBytes / (1024 * 1024))} MiB (or too many files) to /mnt/data: the files it created were deleted and the Python process was stopped. ${LOST}`);
      }
      return died('FileSizeLimitError', `The Python process was killed for writing a file over ${Math.round(options.maxFileBytes / (1024 * 1024))} MiB. ${LOST}`);
    case 'killed':
      if (outcome.cause === 'abort') return died('KeyboardInterrupt', `The execution was cancelled. ${LOST}`);
      return died('KernelDied', `The Python process ended unexpectedly (${how}). ${LOST}`);
    default:
      return died('KernelDied', `The Python process ended unexpectedly (${how}). ${LOST}`);
  }
}

function died(name: string, value: string): ExecError {
  return { name, value, traceback: '' };
}

function dropNote(dropped: number, stream: string, max: number): string {
  return dropped > 0 ? `\n[... ${dropped} more bytes of ${stream} truncated: output is limited to ${max} bytes per execution]\n` : '';
}
