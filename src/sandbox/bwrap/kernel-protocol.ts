/**
 * The JSON-lines protocol of kernel.py. One line per message each way; the kernel's lines are
 * untrusted (the code it runs can write to the protocol fd), so they are checked field by field.
 */

/** Passed as argv[1] to kernel.py. */
export interface KernelConfig {
  maxOutputBytes: number;
  maxImages: number;
  maxImageBytes: number;
  maxValueChars: number;
  timeoutSeconds: number;
}

export type KernelRequest =
  | { op: 'exec'; id: number; cell: number; code: string }
  /** Raises TimeoutError (`timeout`) or KeyboardInterrupt (`abort`) in the running cell, if any. */
  | { op: 'interrupt'; reason: 'timeout' | 'abort' };

export interface KernelReady {
  type: 'ready';
  python: string;
  /** Version of each preloaded module, null when it failed to import. */
  modules: Record<string, string | null>;
}

export interface KernelError {
  name: string;
  value: string;
  traceback: string;
  /** errno of an OSError, to tell EFBIG (file size) and EAGAIN (processes) apart. */
  errno: number | null;
}

export interface KernelReply {
  type: 'result';
  id: number;
  stdout: string;
  stderr: string;
  /** Bytes of each stream dropped past maxOutputBytes. */
  stdoutDropped: number;
  stderrDropped: number;
  error: KernelError | null;
  /** Base64 PNGs of the figures shown or left open. */
  images: string[];
}

export function parseKernelMessage(line: string): KernelReady | KernelReply | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRecord(value)) return null;
  if (value.type === 'ready') {
    const modules: Record<string, string | null> = {};
    if (isRecord(value.modules)) {
      for (const [name, version] of Object.entries(value.modules)) modules[name] = typeof version === 'string' ? version : null;
    }
    return { type: 'ready', python: str(value.python), modules };
  }
  if (value.type !== 'result' || typeof value.id !== 'number') return null;
  return {
    type: 'result',
    id: value.id,
    stdout: str(value.stdout),
    stderr: str(value.stderr),
    stdoutDropped: count(value.stdoutDropped),
    stderrDropped: count(value.stderrDropped),
    error: isRecord(value.error)
      ? {
          name: str(value.error.name) || 'Error',
          value: str(value.error.value),
          traceback: str(value.error.traceback),
          errno: typeof value.error.errno === 'number' ? value.error.errno : null,
        }
      : null,
    images: Array.isArray(value.images) ? value.images.filter((image): image is string => typeof image === 'string') : [],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}
