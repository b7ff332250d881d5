import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { AssistantStreamEvent } from '../../core/events.js';
import type { EventBus, Subscription } from '../event-bus.js';
import { MemoryEventBus } from '../memory-event-bus.js';

const CHANNEL = 'open_assistants_run_events';
/** NOTIFY payloads must stay under 8000 bytes; larger batches go through a table. */
const MAX_PAYLOAD = 7000;

interface Envelope {
  origin: string;
  events: Array<[runId: string, event: AssistantStreamEvent]>;
}

/**
 * The event bus across server processes sharing one PostgreSQL database. Every process keeps its
 * own in-memory bus (buffer and local subscribers); what one process publishes is also sent with
 * NOTIFY and replayed into the other processes' buses, so a stream can be served by a process
 * other than the one executing the run. Batches too large for a NOTIFY payload are stored in
 * `run_event_batches` and only their id is sent.
 *
 * Sending is batched without a timer: what is published during one turn of the event loop goes
 * out at its end (setImmediate), and while a send is in flight whatever is published meanwhile
 * waits for it and goes as one batch. An idle server sends a delta at once, with no wake-up of
 * its own; a busy one sends fewer, larger batches, one at a time and in publish order.
 */
export class PgEventBus implements EventBus {
  private readonly local: MemoryEventBus;
  private readonly origin = randomBytes(8).toString('hex');
  private readonly pool: pg.Pool;
  private listener: pg.Client | undefined;
  private pending: Envelope['events'] = [];
  private flushScheduled = false;
  /** The send in flight, if any; the next batch waits for it. */
  private sending: Promise<void> | undefined;
  private closed = false;

  private constructor(connectionString: string, retainMs?: number, onError: (err: unknown) => void = () => undefined) {
    this.local = new MemoryEventBus(retainMs);
    this.pool = new pg.Pool({ connectionString, max: 2 });
    // An idle connection killed by the server must not become an uncaught exception.
    this.pool.on('error', (err) => {
      if (!this.closed) onError(err);
    });
    // ...nor may one that is checked out (see store/postgres/connect.ts): its query fails instead.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  static async connect(connectionString: string, options: { retainMs?: number; onError?: (err: unknown) => void } = {}): Promise<PgEventBus> {
    const bus = new PgEventBus(connectionString, options.retainMs, options.onError);
    await bus.listen(connectionString, options.onError ?? (() => undefined));
    return bus;
  }

  private async listen(connectionString: string, onError: (err: unknown) => void): Promise<void> {
    const client = new pg.Client({ connectionString });
    let lost = false;
    client.on('error', (err) => {
      onError(err);
      if (lost) return;
      lost = true;
      // reconnect: events published meanwhile by others are missed, local ones are not
      if (this.listener === client) this.relisten(connectionString, onError);
    });
    client.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      this.receive(n.payload).catch(onError);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      lost = true;
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.closed) return void (await client.end().catch(() => undefined));
    this.listener = client;
  }

  /**
   * Connects the LISTEN client again, every second until it works (PostgreSQL may take a while to
   * come back from a restart) or the bus is closed.
   */
  private relisten(connectionString: string, onError: (err: unknown) => void): void {
    const attempt = (): void => {
      if (this.closed) return;
      this.listen(connectionString, onError).catch((err) => {
        onError(err);
        setTimeout(attempt, 1000).unref();
      });
    };
    setTimeout(attempt, 1000).unref();
  }

  private async receive(payload: string): Promise<void> {
    let text = payload;
    if (payload.startsWith('#')) {
      const { rows } = await this.pool.query<{ body: string }>('SELECT body FROM run_event_batches WHERE id = $1', [Number(payload.slice(1))]);
      if (!rows[0]) return;
      text = rows[0].body;
    }
    const envelope = JSON.parse(text) as Envelope;
    if (envelope.origin === this.origin) return;
    for (const [runId, event] of envelope.events) this.local.publish(runId, event);
  }

  publish(runId: string, event: AssistantStreamEvent): void {
    this.local.publish(runId, event);
    this.pending.push([runId, event]);
    if (this.flushScheduled || this.sending) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends what is pending unless a send is in flight (it flushes again when done). */
  private flush(): void {
    if (this.sending || !this.pending.length) return;
    const events = this.pending;
    this.pending = [];
    // NOTIFYs from one sender arrive in order; one send at a time keeps ours in publish order too.
    this.sending = this.send(events)
      .catch(() => undefined)
      .finally(() => {
        this.sending = undefined;
        this.flush();
      });
  }

  private async send(events: Envelope['events']): Promise<void> {
    const batches: string[] = [];
    let current: Envelope['events'] = [];
    let size = 0;
    for (const e of events) {
      const n = JSON.stringify(e).length;
      if (current.length && size + n > MAX_PAYLOAD) {
        batches.push(JSON.stringify({ origin: this.origin, events: current }));
        current = [];
        size = 0;
      }
      current.push(e);
      size += n;
    }
    if (current.length) batches.push(JSON.stringify({ origin: this.origin, events: current }));
    for (const body of batches) {
      if (Buffer.byteLength(body) <= MAX_PAYLOAD) {
        await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, body]);
      } else {
        const { rows } = await this.pool.query<{ id: string }>(
          'INSERT INTO run_event_batches (body, created_at) VALUES ($1, $2) RETURNING id',
          [body, Math.floor(Date.now() / 1000)],
        );
        await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, `#${rows[0].id}`]);
      }
    }
  }

  subscribe(runId: string, from?: number): Subscription {
    return this.local.subscribe(runId, from);
  }

  nextSeq(runId: string): number {
    return this.local.nextSeq(runId);
  }

  /** Deletes stored oversized batches older than `ageSeconds` (they are read within moments). */
  async prune(ageSeconds = 600): Promise<void> {
    await this.pool.query('DELETE FROM run_event_batches WHERE created_at < $1', [Math.floor(Date.now() / 1000) - ageSeconds]);
  }

  async close(): Promise<void> {
    this.closed = true;
    // what is pending goes out (after the send in flight, which flushes again when done)
    this.flush();
    while (this.sending) await this.sending;
    await this.listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}
