import type { RunStatus } from '../core/wire.js';

/**
 * Every status change a run may make, as data. `queued → in_progress` is the worker's claim;
 * `requires_action → queued` follows submitted tool outputs; `cancelling` is the in-flight
 * cancel that the worker finishes.
 */
export const RUN_TRANSITIONS: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['in_progress', 'cancelled', 'failed', 'expired'],
  in_progress: ['requires_action', 'completed', 'incomplete', 'failed', 'cancelling', 'cancelled', 'expired'],
  requires_action: ['queued', 'cancelled', 'expired', 'failed'],
  cancelling: ['cancelled', 'failed', 'completed'],
  cancelled: [],
  failed: [],
  completed: [],
  incomplete: [],
  expired: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}

/** The statuses a run may be in for it to move to `to` (the compare-and-set guard). */
export function sourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(RUN_TRANSITIONS) as RunStatus[]).filter((from) => RUN_TRANSITIONS[from].includes(to));
}

export function isTerminal(status: RunStatus): boolean {
  return RUN_TRANSITIONS[status].length === 0;
}
