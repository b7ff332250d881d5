import { unixSeconds, type Clock } from '../core/clock.js';
import type { IdGenerator } from '../core/ids.js';
import type { Message, MessageIncompleteReason, Run, RunStep, RunUsage, StepDetails, StepStatus } from '../core/wire.js';

/** Builders for the objects a run writes, so every field is set the same way everywhere. */
export function newStep(run: Run, details: StepDetails, ids: IdGenerator, clock: Clock): RunStep {
  return {
    id: ids.next('step'),
    object: 'thread.run.step',
    created_at: unixSeconds(clock),
    run_id: run.id,
    assistant_id: run.assistant_id,
    thread_id: run.thread_id,
    type: details.type,
    status: 'in_progress',
    cancelled_at: null,
    completed_at: null,
    expired_at: null,
    failed_at: null,
    last_error: null,
    step_details: details,
    usage: null,
    metadata: {},
  };
}

export function newAssistantMessage(run: Run, ids: IdGenerator, clock: Clock): Message {
  return {
    id: ids.next('message'),
    object: 'thread.message',
    created_at: unixSeconds(clock),
    assistant_id: run.assistant_id,
    thread_id: run.thread_id,
    run_id: run.id,
    role: 'assistant',
    content: [],
    attachments: [],
    metadata: {},
    status: 'in_progress',
    incomplete_details: null,
    completed_at: null,
    incomplete_at: null,
  };
}

export function finishStep(
  step: RunStep,
  status: Exclude<StepStatus, 'in_progress'>,
  now: number,
  extra: { usage?: RunUsage | null; error?: RunStep['last_error'] } = {},
): RunStep {
  return {
    ...step,
    status,
    completed_at: status === 'completed' ? now : step.completed_at,
    cancelled_at: status === 'cancelled' ? now : step.cancelled_at,
    failed_at: status === 'failed' ? now : step.failed_at,
    expired_at: status === 'expired' ? now : step.expired_at,
    last_error: extra.error ?? step.last_error,
    usage: extra.usage !== undefined ? extra.usage : step.usage,
  };
}

export function completeMessage(m: Message, now: number): Message {
  return { ...m, status: 'completed', completed_at: now };
}

export function incompleteMessage(m: Message, reason: MessageIncompleteReason, now: number): Message {
  return { ...m, status: 'incomplete', incomplete_details: { reason }, incomplete_at: now };
}

export function usageOf(prompt: number, completion: number): RunUsage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export function addUsage(a: RunUsage | null, b: RunUsage): RunUsage {
  return a ? usageOf(a.prompt_tokens + b.prompt_tokens, a.completion_tokens + b.completion_tokens) : b;
}
