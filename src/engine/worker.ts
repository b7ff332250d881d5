import { randomBytes } from 'node:crypto';
import { unixSeconds } from '../core/clock.js';
import { toWireStep, type Message, type Run, type RunStep } from '../core/wire.js';
import type { RunHold } from '../store/store.js';
import type { EngineDeps } from './deps.js';
import { ClaimLoop } from '../jobs/claim-loop.js';
import { RunExecution } from './run-executor.js';
import { finishStep, incompleteMessage } from './run-records.js';

/** Most runs one claim takes at once. */
const CLAIM_BATCH = 32;
/**
 * Room in this process for a run being created, so that it starts here at once instead of going
 * through the queue and a claim: the run is written already claimed (`claim(run)`, in_progress
 * under `lease`), its created and queued events are published, then `start` executes it.
 */
export interface RunSlot {
  /** This worker's lease, to write the claimed run with. */
  lease: RunHold;
  /** The run as this worker takes it: in_progress, started now. */
  claim(run: Run): Run;
  /**
   * Executes the claimed run, written with `lease`, once its first events are out; `history`:
   * the thread's messages, if already being read.
   */
  start(projectId: string, run: Run, includeContent: boolean, history?: Promise<Message[]>): void;
  /** Gives the room back unused (the run was not written). */
  cancel(): void;
}

export interface WorkerOptions {
  concurrency: number;
  /** How long a claim lasts without a heartbeat. */
  leaseMs: number;
  /** How often to look for work others queued, orphaned runs and expired tool waits. */
  pollMs: number;
  /**
   * Treat every lease held by another worker as lapsed at start (one process per store, as with
   * an embedded SQLite file): runs interrupted by a crash are recovered at once.
   */
  exclusive: boolean;
}

/**
 * Claims queued runs from the store (a lease with heartbeat) and executes them. A run a dead
 * worker left in in_progress is failed with `server_error` once its lease lapses (a cancelling one
 * is cancelled); a run left waiting for tool outputs past `expires_at` expires.
 */
export class RunWorker {
  readonly id = `worker_${randomBytes(6).toString('hex')}`;
  private readonly active = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private readonly claims: ClaimLoop;
  private timers: NodeJS.Timeout[] = [];
  /** Slots handed out by `reserve` and not yet started or cancelled. */
  private reserved = 0;
  private started = false;
  private stopping = false;

  constructor(
    private readonly deps: EngineDeps,
    private readonly options: WorkerOptions,
  ) {
    this.claims = new ClaimLoop({
      pollMs: options.pollMs,
      hasCapacity: () => this.free() > 0,
      claimOne: async () => {
        // a burst of queued runs is taken a batch per round trip, as many as there are free slots
        const free = Math.min(CLAIM_BATCH, this.free());
        const claimed = await this.deps.store.runs.claim(this.id, this.deps.clock.nowMs(), this.options.leaseMs, free);
        for (const next of claimed) this.execute(next.projectId, next.run, next.includeContent);
        return claimed.length > 0;
      },
      onError: (err) => this.deps.logger.error({ err }, 'claiming a run failed'),
    });
  }

  start(): void {
    this.started = true;
    this.claims.start();
    const heartbeat = setInterval(() => void this.heartbeat(), Math.max(50, Math.floor(this.options.leaseMs / 3)));
    const maintenance = setInterval(() => void this.maintain(false), this.options.pollMs);
    heartbeat.unref();
    maintenance.unref();
    this.timers.push(heartbeat, maintenance);
    void this.maintain(this.options.exclusive);
  }

  private free(): number {
    return this.options.concurrency - this.active.size - this.reserved;
  }

  /**
   * Room to execute a run this process is creating, without the queue and a claim (see RunSlot);
   * null when this worker is not running or has no room (the run then waits for a claim).
   */
  reserve(): RunSlot | null {
    if (!this.started || this.stopping || this.free() <= 0) return null;
    this.reserved++;
    let open = true;
    const close = () => {
      if (!open) return false;
      open = false;
      this.reserved--;
      return true;
    };
    const { clock } = this.deps;
    return {
      lease: { by: this.id, untilMs: clock.nowMs() + this.options.leaseMs },
      claim: (run) => ({ ...run, status: 'in_progress', started_at: run.started_at ?? unixSeconds(clock) }),
      start: (projectId, run, includeContent, history) => {
        if (close()) this.execute(projectId, run, includeContent, true, history);
      },
      cancel: () => {
        if (close()) this.notify();
      },
    };
  }

  /** A run was queued: look for work now rather than at the next poll. */
  notify(): void {
    this.claims.notify();
  }

  /** Aborts a run this process is executing (cancel); false when it runs elsewhere or not at all. */
  abort(runId: string, reason: 'cancel' | 'shutdown' = 'cancel'): boolean {
    const a = this.active.get(runId);
    if (!a) return false;
    a.controller.abort(reason);
    return true;
  }

  get running(): number {
    return this.active.size;
  }

  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    await this.claims.stop();
    const all = Promise.all([...this.active.values()].map((a) => a.done));
    const timeout = new Promise<void>((r) => setTimeout(r, graceMs).unref());
    await Promise.race([all, timeout]);
    for (const id of this.active.keys()) this.abort(id, 'shutdown');
    await all;
  }

  /** Executes a run claimed by this worker; `fresh` when it never ran before (whatever its started_at). */
  private execute(
    projectId: string,
    run: Run,
    includeContent: boolean,
    fresh = run.started_at === null,
    history?: Promise<Message[]>,
  ): void {
    const controller = new AbortController();
    // A cancel made through another process arrives as its `cancelling` event (the heartbeat
    // would also see it, but only every few seconds).
    const events = this.deps.bus.subscribe(run.id, this.deps.bus.nextSeq(run.id));
    void (async () => {
      for await (const { event } of events) if (event.event === 'thread.run.cancelling') controller.abort('cancel');
    })();
    const execution = new RunExecution(this.deps, projectId, run, controller.signal, { includeContent, fresh, history });
    const done = execution
      .execute()
      .catch((err) => this.deps.logger.error({ err, runId: run.id }, 'run execution crashed'))
      .finally(async () => {
        events.close();
        this.active.delete(run.id);
        await this.deps.store.runs.release(this.id, run.id).catch(() => undefined);
        this.notify();
      });
    this.active.set(run.id, { controller, done });
  }

  private async heartbeat(): Promise<void> {
    if (!this.active.size) return;
    try {
      const ids = [...this.active.keys()];
      const statuses = await this.deps.store.runs.heartbeat(this.id, ids, this.deps.clock.nowMs(), this.options.leaseMs);
      // A cancel made through another process shows up here.
      for (const [id, status] of statuses) if (status === 'cancelling') this.abort(id);
      // A run that is gone (its thread was deleted, maybe through another process) has nobody to answer.
      for (const id of ids) if (!statuses.has(id)) this.abort(id);
    } catch (err) {
      this.deps.logger.error({ err }, 'run heartbeat failed');
    }
  }

  /** Recovers runs orphaned by a dead worker and expires runs that waited too long for tool outputs. */
  async maintain(takeOverAll: boolean): Promise<void> {
    const { store, clock } = this.deps;
    try {
      const horizon = takeOverAll ? Number.MAX_SAFE_INTEGER : clock.nowMs();
      for (const { projectId, run } of await store.runs.listOrphaned(horizon, 100)) {
        if (this.active.has(run.id)) continue;
        if (run.status === 'cancelling') await this.settle(projectId, run, 'cancelled');
        else await this.settle(projectId, run, 'failed');
      }
      for (const { projectId, run } of await store.runs.listExpiring(unixSeconds(clock), 100)) {
        await expireRun(this.deps, projectId, run);
      }
    } catch (err) {
      this.deps.logger.error({ err }, 'run maintenance failed');
    }
  }

  private async settle(projectId: string, run: Run, to: 'failed' | 'cancelled'): Promise<void> {
    const { store, clock, bus } = this.deps;
    const now = unixSeconds(clock);
    const next: Run =
      to === 'failed'
        ? {
            ...run,
            status: 'failed',
            failed_at: now,
            expires_at: null,
            last_error: { code: 'server_error', message: 'The server stopped while this run was in progress; it was not resumed.' },
          }
        : { ...run, status: 'cancelled', cancelled_at: now, expires_at: null };
    if (!(await endWithLeftovers(this.deps, projectId, run, next, to))) return;
    bus.publish(run.id, { event: to === 'failed' ? 'thread.run.failed' : 'thread.run.cancelled', data: next });
  }
}

type LeftoverEnd = 'failed' | 'cancelled' | 'expired';
type EndDeps = Pick<EngineDeps, 'store' | 'clock' | 'bus'>;

/** The in-progress messages and steps of a run that stopped without its executor, as they end. */
async function leftoversOf(deps: EndDeps, projectId: string, run: Run, how: LeftoverEnd): Promise<{ messages: Message[]; steps: RunStep[] }> {
  const { store, clock } = deps;
  const now = unixSeconds(clock);
  const reason = how === 'failed' ? 'run_failed' : how === 'cancelled' ? 'run_cancelled' : 'run_expired';
  const error: RunStep['last_error'] =
    how === 'failed' ? { code: 'server_error', message: 'The server stopped while this step was in progress.' } : null;
  return {
    messages: (await store.messages.inProgressForRun(projectId, run.thread_id, run.id)).map((m) => incompleteMessage(m, reason, now)),
    steps: (await store.steps.forRun(projectId, run.id)).filter((s) => s.status === 'in_progress').map((s) => finishStep(s, how, now, { error })),
  };
}

function publishLeftovers(deps: EndDeps, runId: string, how: LeftoverEnd, leftovers: { messages: Message[]; steps: RunStep[] }): void {
  for (const m of leftovers.messages) deps.bus.publish(runId, { event: 'thread.message.incomplete', data: m });
  for (const s of leftovers.steps) deps.bus.publish(runId, { event: `thread.run.step.${how}`, data: toWireStep(s) });
}

/** Ends the in-progress steps and messages of a run that stopped without its executor. */
export async function closeLeftovers(deps: EndDeps, projectId: string, run: Run, how: LeftoverEnd): Promise<void> {
  const leftovers = await leftoversOf(deps, projectId, run, how);
  for (const m of leftovers.messages) await deps.store.messages.update(projectId, m);
  for (const s of leftovers.steps) await deps.store.steps.save(projectId, s);
  publishLeftovers(deps, run.id, how, leftovers);
}

/**
 * Moves a run that stopped without its executor to `next`, if its stored status is still the one
 * read, together with its in-progress steps and messages in one transaction; then tells the
 * streams about those (the caller tells them about the run). A failed write (the database away
 * for a moment) changes nothing and the next sweep tries again: the run can never end with its
 * message or step left in progress and its streams never told. False when the run moved on.
 */
async function endWithLeftovers(deps: EndDeps, projectId: string, run: Run, next: Run, how: LeftoverEnd): Promise<boolean> {
  const leftovers = await leftoversOf(deps, projectId, run, how);
  if (!(await deps.store.runs.save(projectId, next, [run.status], leftovers.steps, leftovers.messages))) return false;
  publishLeftovers(deps, run.id, how, leftovers);
  return true;
}

/** A run that waited in requires_action past `expires_at` ends `expired`, with its tool step. */
export async function expireRun(deps: EndDeps, projectId: string, run: Run): Promise<Run | undefined> {
  const now = unixSeconds(deps.clock);
  if (run.status !== 'requires_action' || run.expires_at === null || run.expires_at > now) return undefined;
  const next: Run = { ...run, status: 'expired', expires_at: run.expires_at, required_action: null };
  if (!(await endWithLeftovers(deps, projectId, run, next, 'expired'))) return undefined;
  deps.bus.publish(run.id, { event: 'thread.run.expired', data: next });
  return next;
}
