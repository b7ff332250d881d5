/**
 * Text preparation (extraction + chunking) on worker threads, so parsing a large PDF or tokenizing
 * a long document never blocks the event loop that serves requests and streams. A fixed number of
 * threads, started on first use and kept; each prepares one file at a time and the rest wait in
 * order. Aborting a file's work terminates its thread (the CPU is really freed) and a fresh one
 * takes its place; so does a thread that dies.
 */
import { Worker } from 'node:worker_threads';
import { ExtractError } from './extract-types.js';
import type { PrepareText, PrepareTextInput, PreparedText } from './prepare-text.js';
import type { TextWorkerRequest, TextWorkerResponse } from './text-worker.js';

// The compiled server runs text-worker.js. From the TypeScript sources (tests, `npm run dev` under
// tsx) the thread registers tsx itself first: loader hooks are not inherited by worker threads.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const WORKER_URL = new URL(`./text-worker${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);

function newWorker(): Worker {
  if (!FROM_SOURCE) return new Worker(WORKER_URL);
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { eval: true });
}

interface Pending {
  input: PrepareTextInput;
  signal: AbortSignal;
  resolve(value: PreparedText): void;
  reject(err: unknown): void;
}

interface Slot {
  worker: Worker | undefined;
  job: (Pending & { id: number; onAbort(): void }) | undefined;
}

export class TextWorkerPool {
  private readonly slots: Slot[];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => ({ worker: undefined, job: undefined }));
  }

  /** A PrepareText bound to this pool. */
  readonly prepare: PrepareText = (input, signal) =>
    new Promise<PreparedText>((resolve, reject) => {
      if (this.closed) return reject(new Error('the text worker pool is closed'));
      if (signal.aborted) return reject(signal.reason);
      this.queue.push({ input, signal, resolve, reject });
      this.pump();
    });

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('the text worker pool is closed'));
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.job?.reject(new Error('the text worker pool is closed'));
        slot.job = undefined;
        const w = slot.worker;
        slot.worker = undefined;
        await w?.terminate();
      }),
    );
  }

  /** Threads started so far (tests). */
  get threads(): number {
    return this.slots.filter((s) => s.worker).length;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.job) continue;
      let next = this.queue.shift();
      while (next && next.signal.aborted) {
        next.reject(next.signal.reason);
        next = this.queue.shift();
      }
      if (!next) return;
      this.start(slot, next);
    }
  }

  private start(slot: Slot, pending: Pending): void {
    const worker = slot.worker ?? this.spawn(slot);
    const id = this.nextId++;
    const onAbort = () => {
      if (slot.job?.id !== id) return;
      slot.job = undefined;
      pending.reject(pending.signal.reason);
      this.replace(slot);
    };
    slot.job = { ...pending, id, onAbort };
    pending.signal.addEventListener('abort', onAbort, { once: true });
    const { bytes } = pending.input;
    // a copy the thread owns (the caller's buffer may be a view into a pooled one); moved, not cloned
    const own = new Uint8Array(bytes);
    const request: TextWorkerRequest = { ...pending.input, bytes: own, id };
    worker.ref(); // a thread at work keeps the process alive; an idle one does not
    worker.postMessage(request, [own.buffer]);
  }

  private spawn(slot: Slot): Worker {
    const worker = newWorker();
    slot.worker = worker;
    worker.on('message', (res: TextWorkerResponse) => {
      const job = slot.job;
      if (!job || job.id !== res.id) return;
      slot.job = undefined;
      worker.unref();
      job.signal.removeEventListener('abort', job.onAbort);
      if (res.ok) {
        const pieces = res.pieces.map((p) => ({ ...p, text: res.text.slice(p.start, p.end) }));
        job.resolve({ text: res.text, pieces });
      } else if (res.extract && res.code) {
        job.reject(new ExtractError(res.code, res.message));
      } else {
        job.reject(new Error(res.message));
      }
      this.pump();
    });
    const died = (reason: string) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const job = slot.job;
      slot.job = undefined;
      if (job) {
        job.signal.removeEventListener('abort', job.onAbort);
        job.reject(new Error(`the text extraction thread stopped (${reason})`));
      }
      if (!this.closed) this.pump();
    };
    worker.on('error', (err) => died(err.message));
    worker.on('exit', (code) => died(`exit code ${code}`));
    worker.unref();
    return worker;
  }

  private replace(slot: Slot): void {
    const old = slot.worker;
    slot.worker = undefined;
    void old?.terminate();
    if (!this.closed) this.pump();
  }
}
