import type { AssistantStreamEvent } from '../core/events.js';
import { STREAM_END_EVENTS } from '../core/events.js';
import type { EventBus, SequencedEvent, Subscription } from './event-bus.js';

interface Channel {
  events: SequencedEvent[];
  listeners: Set<() => void>;
  next: number;
  dropTimer?: NodeJS.Timeout;
}

/**
 * The in-process bus. Each run keeps its events buffered, so a subscriber that arrives late (the
 * stream of a run created a moment earlier, a reconnect) still sees them from the start; the
 * buffer is dropped `retainMs` after the run's last stream-ending event.
 */
export class MemoryEventBus implements EventBus {
  private readonly channels = new Map<string, Channel>();

  constructor(private readonly retainMs = 120_000) {}

  private channel(runId: string): Channel {
    let c = this.channels.get(runId);
    if (!c) this.channels.set(runId, (c = { events: [], listeners: new Set(), next: 0 }));
    return c;
  }

  nextSeq(runId: string): number {
    return this.channels.get(runId)?.next ?? 0;
  }

  publish(runId: string, event: AssistantStreamEvent): void {
    const c = this.channel(runId);
    c.events.push({ seq: c.next++, event });
    if (c.dropTimer) {
      clearTimeout(c.dropTimer);
      c.dropTimer = undefined;
    }
    if (STREAM_END_EVENTS.has(event.event)) {
      c.dropTimer = setTimeout(() => {
        if (c.listeners.size === 0) this.channels.delete(runId);
      }, this.retainMs);
      c.dropTimer.unref();
    }
    for (const wake of c.listeners) wake();
  }

  subscribe(runId: string, from = 0): Subscription {
    const c = this.channel(runId);
    let closed = false;
    let wake: (() => void) | undefined;
    const listener = () => wake?.();
    c.listeners.add(listener);
    const close = () => {
      closed = true;
      c.listeners.delete(listener);
      wake?.();
    };
    return {
      close,
      async *[Symbol.asyncIterator]() {
        let cursor = from;
        try {
          while (!closed) {
            // events are sequenced from 0 and never removed while a listener exists
            const start = c.events.length ? cursor - c.events[0].seq : 0;
            if (start < c.events.length) {
              for (let i = Math.max(0, start); i < c.events.length; i++) {
                const e = c.events[i];
                cursor = e.seq + 1;
                yield e;
                if (closed) return;
              }
              continue;
            }
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        } finally {
          close();
        }
      },
    };
  }
}
