import type { Message, Run, RunStep, Thread } from './wire.js';

/** Run event names carrying a Run, in the order the API defines them. */
export type RunEventName =
  | 'thread.run.created'
  | 'thread.run.queued'
  | 'thread.run.in_progress'
  | 'thread.run.requires_action'
  | 'thread.run.completed'
  | 'thread.run.incomplete'
  | 'thread.run.failed'
  | 'thread.run.cancelling'
  | 'thread.run.cancelled'
  | 'thread.run.expired';

export type StepEventName =
  | 'thread.run.step.created'
  | 'thread.run.step.in_progress'
  | 'thread.run.step.completed'
  | 'thread.run.step.failed'
  | 'thread.run.step.cancelled'
  | 'thread.run.step.expired';

export type MessageEventName =
  | 'thread.message.created'
  | 'thread.message.in_progress'
  | 'thread.message.completed'
  | 'thread.message.incomplete';

export interface MessageDelta {
  id: string;
  object: 'thread.message.delta';
  delta: { content: Array<Record<string, unknown> & { index: number; type: string }> };
}

export interface StepDelta {
  id: string;
  object: 'thread.run.step.delta';
  delta: { step_details: { type: 'tool_calls'; tool_calls: Array<Record<string, unknown> & { index: number; type: string }> } };
}

/**
 * The domain events of a run, one discriminated union. Only `api/sse.ts` turns them into
 * `event:`/`data:` lines.
 */
export type AssistantStreamEvent =
  | { event: 'thread.created'; data: Thread }
  | { event: RunEventName; data: Run }
  | { event: StepEventName; data: RunStep }
  | { event: 'thread.run.step.delta'; data: StepDelta }
  | { event: MessageEventName; data: Message }
  | { event: 'thread.message.delta'; data: MessageDelta }
  | { event: 'error'; data: { message: string; type: string; param: string | null; code: string | null } };

/** Events after which a stream ends: the run reached a terminal state or waits for tool outputs. */
export const STREAM_END_EVENTS: ReadonlySet<string> = new Set([
  'thread.run.requires_action',
  'thread.run.completed',
  'thread.run.incomplete',
  'thread.run.failed',
  'thread.run.cancelled',
  'thread.run.expired',
  'error',
]);
