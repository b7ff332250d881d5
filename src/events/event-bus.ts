import type { AssistantStreamEvent } from '../core/events.js';

export interface SequencedEvent {
  seq: number;
  event: AssistantStreamEvent;
}

export interface Subscription extends AsyncIterable<SequencedEvent> {
  /** Stops delivery; the run itself goes on. */
  close(): void;
}

/**
 * Carries a run's events from whoever produces them (the worker executing the run, or the API
 * for transitions it makes itself) to any number of streaming clients.
 */
export interface EventBus {
  publish(runId: string, event: AssistantStreamEvent): void;
  /** Events with `seq >= from` (what is still buffered, then live ones). */
  subscribe(runId: string, from?: number): Subscription;
  /** The sequence number the next event of this run will get. */
  nextSeq(runId: string): number;
  /** Flushes what is pending and lets go of connections. */
  close?(): Promise<void>;
}
