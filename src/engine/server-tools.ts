import type { AssistantStreamEvent } from '../core/events.js';
import type { Run, RunStep, StepToolCall } from '../core/wire.js';
import type { EngineDeps } from './deps.js';

/** What a server-side tool call needs from the run executing it. */
export interface ToolRunContext {
  deps: EngineDeps;
  projectId: string;
  run: Run;
  signal: AbortSignal;
  /** Whether file_search results in this run's events carry their content. */
  includeContent: boolean;
  now(): number;
  /** Streams a tool-call delta of the open tool step. */
  emitToolDelta(call: Record<string, unknown> & { index: number; type: string }): void;
  emit(event: AssistantStreamEvent): void;
}

/** A server-side call of the current turn: where it sits in the step, and the model's arguments. */
export interface PendingCall {
  index: number;
  call: StepToolCall;
  args: string;
}

export type ModelIo = NonNullable<RunStep['model_io']>;

/** Sleeps `ms`, or rejects at once when the run is aborted. */
export function abortableSleep(ms: number, signal: AbortSignal, onAbort: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(onAbort());
    const abort = () => {
      clearTimeout(t);
      reject(onAbort());
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal.addEventListener('abort', abort, { once: true });
  });
}
