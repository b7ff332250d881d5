/**
 * The traffic the fault tests keep in flight when they break something (kill -9 the server,
 * restart PostgreSQL), and the ledger of what the server acknowledged, checked after recovery:
 *
 * - runs: streaming and polled runs on a slow model (their own text each), runs queued behind
 *   RUN_CONCURRENCY, a run waiting for tool outputs;
 * - messages appended one by one to a ledger thread;
 * - files uploaded with POST /files, their multipart bodies streamed slowly;
 * - Uploads (create, parts streamed slowly, complete with md5);
 * - vector-store files: large text files attached to a store one by one and in a batch.
 *
 * Verification: every acknowledged object is there, whole and once; everything visible is whole
 * (a file's bytes are the bytes sent, a message's content is what was sent); every run ends
 * terminal in a state its history allows, with one answer at most; every vector-store file ends
 * completed with exactly the usage_bytes its text gives, findable by the markers at its start
 * and end, and file_counts agree with the files listed.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedRequest, ScriptedUpstream } from '../../fixtures/scripted-upstream.js';
import { chunkText, AUTO_CHUNKING } from '../../../src/ingest/chunk.js';
import { extractText } from '../../../src/ingest/extract.js';
import {
  api,
  judgeTextStream,
  listAll,
  ok,
  streamRun,
  textOf,
  uploadFile,
  uploadPart,
  TERMINAL,
  type SseEvent,
} from './http.js';
import { pool, prng, sleep } from './report.js';

export const RUN_DELTAS = 30;
export const RUN_DELTA_GAP_MS = 25;
const RUN_TAG = /\brk_[a-z0-9_]+\b/;

export const runPieces = (tag: string): string[] => Array.from({ length: RUN_DELTAS }, (_, k) => `${tag}w${k} `);
export const runText = (tag: string): string => runPieces(tag).join('');

/** Letters only (the search analyzer keeps them as one term). */
function letters(n: number, width = 6): string {
  let s = '';
  for (let i = 0; i < width; i++) {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  }
  return s;
}

/** Deterministic bytes for a file name: printable lines, so any corruption shows. */
export function contentFor(name: string, size: number): Buffer {
  const rnd = prng(Number.parseInt(createHash('sha1').update(name).digest('hex').slice(0, 8), 16));
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i + 1) % 64 === 0 ? 10 : 97 + Math.floor(rnd() * 26);
  return out;
}

const VOCAB = Array.from({ length: 3000 }, (_, i) => `w${letters(i * 7919, 4)}`);

/** A large text document for ingestion with a unique marker at its start and its end. */
export function documentFor(index: number, words: number): { text: Buffer; start: string; end: string } {
  const rnd = prng(index * 7 + 1);
  const start = `zqstart${letters(index)}`;
  const end = `zqend${letters(index)}`;
  const parts: string[] = [start];
  for (let i = 0; i < words; i++) parts.push(VOCAB[Math.floor(rnd() * VOCAB.length)] + ((i + 1) % 15 === 0 ? '.\n' : ''));
  parts.push(end);
  return { text: Buffer.from(parts.join(' ')), start, end };
}

/** What ingestion must report for a text file: the bytes of its chunks' text (no embedder). */
export async function expectedUsageBytes(bytes: Buffer, filename: string): Promise<number> {
  const { text } = await extractText(new Uint8Array(bytes), filename, 'text/plain');
  const chunks = chunkText(text, { maxTokens: AUTO_CHUNKING.max_chunk_size_tokens, overlapTokens: AUTO_CHUNKING.chunk_overlap_tokens });
  return chunks.reduce((n, c) => n + Buffer.byteLength(c.text), 0);
}

export interface RunRec {
  tag: string;
  cycle: number;
  threadId: string;
  runId?: string;
  kind: 'stream' | 'poll' | 'tool';
  events: SseEvent[];
  /** The stream ended normally (`done`). */
  streamEnded: boolean;
  /** performance.now() of the kill that interrupted it (undefined: none did). */
  interruptedAt?: number;
  /** Its upstream request was open when the server died. */
  upstreamOpenAtKill?: boolean;
  /** It had no upstream request yet when the server died. */
  notStartedAtKill?: boolean;
  /** It had completed (as the client saw) before the kill. */
  completedBeforeKill?: boolean;
  /** A cancel was sent for it; `cancelAcked`: answered 200 (it must end cancelled). */
  cancelSent?: boolean;
  cancelAcked?: boolean;
}

export interface FileRec {
  name: string;
  size: number;
  id?: string;
  /** The request went out; `id` is set once it was answered. */
  cycle: number;
}

export interface UploadRec {
  filename: string;
  cycle: number;
  id?: string;
  parts: Array<{ size: number; seed: string; id?: string }>;
  /** complete answered 200 with this file. */
  fileId?: string;
  completeSent?: boolean;
}

export interface DocRec {
  index: number;
  name: string;
  words: number;
  fileId?: string;
  vectorStoreId: string;
  /** The attach (single or batch) was answered. */
  attached: boolean;
  start: string;
  end: string;
  usage?: number;
}

export interface InFlight {
  streamsMidDelta: number;
  streamsWaiting: number;
  runsAtUpstream: number;
  runsNotStarted: number;
  fileUploadsMidBody: number;
  uploadPartsMidBody: number;
  messagePostsInFlight: number;
  ingestionInProgress: number;
}

export type FaultKind = 'streaming' | 'runs' | 'ingestion' | 'uploads';

export interface WorkloadOptions {
  upstream: ScriptedUpstream;
  model: string;
  toolModel: string;
  /** Streaming runs started per cycle (some at once, the rest staggered). */
  streams: number;
  /** Polled (non-streaming) runs per cycle. */
  polled: number;
  /** Large documents attached to vector stores per cycle. */
  documents: number;
  documentWords: number;
  seed: number;
}

export class Workload {
  readonly runs: RunRec[] = [];
  readonly files: FileRec[] = [];
  readonly uploads: UploadRec[] = [];
  readonly docs: DocRec[] = [];
  /** Every document sent, answered or not: one whose answer the kill cut off may still be stored. */
  readonly docsSent: Array<Pick<DocRec, 'name' | 'index' | 'words'>> = [];
  ledgerThread = '';
  /** Messages acknowledged on the ledger thread, in order. */
  readonly ledger: Array<{ id: string; content: string }> = [];
  /** Contents posted but not acknowledged (the server died): may or may not be there, whole. */
  readonly maybeLedger = new Set<string>();
  readonly vectorStores: string[] = [];
  private stopping = false;
  private active: Promise<unknown>[] = [];
  private readonly rnd: () => number;
  private seq = 0;
  // in-flight trackers
  private filesMidBody = 0;
  private partsMidBody = 0;
  private messagesInFlight = 0;
  private readonly toolDocs = new Map<string, boolean>();
  readonly notes: string[] = [];

  constructor(private readonly o: WorkloadOptions) {
    this.rnd = prng(o.seed);
    o.upstream.scriptFn(o.model, (req) => {
      const tag = RUN_TAG.exec(JSON.stringify(req.body.messages ?? []))?.[0] ?? 'rk_unknown';
      return { text: runPieces(tag), delayMs: RUN_DELTA_GAP_MS };
    });
    o.upstream.scriptFn(o.toolModel, (req) => {
      const messages = req.body.messages ?? [];
      const tag = RUN_TAG.exec(JSON.stringify(messages))?.[0] ?? 'rk_unknown';
      if (messages.some((m) => m.role === 'tool')) return { text: runPieces(tag), delayMs: 1 };
      return { toolCalls: [{ name: 'lookup', arguments: { q: tag } }] };
    });
  }

  /** Things the server must have before traffic starts (the ledger thread). */
  async init(base: string): Promise<void> {
    this.ledgerThread = (await ok(base, 'POST', '/threads', { metadata: { role: 'ledger' } })).id;
  }

  private upstreamOf(tag: string): RecordedRequest[] {
    return this.o.upstream.requests(this.o.model).filter((r) => RUN_TAG.exec(JSON.stringify(r.body.messages ?? []))?.[0] === tag);
  }

  /** Starts all the traffic of one cycle against `base`; it runs until `interrupt` or the server dies. */
  start(base: string, cycle: number, assistants: { slow: string; tool: string }): void {
    this.stopping = false;
    const spawn = (p: Promise<unknown>) => this.active.push(p.catch((err) => this.notes.push(`cycle ${cycle}: ${String(err)}`)));

    // runs: a burst of streams, polled runs, a tool wait, then a stream every ~60 ms until stopped
    const newRun = async (kind: RunRec['kind']): Promise<void> => {
      const tag = `rk_c${cycle}_${++this.seq}`;
      const rec: RunRec = { tag, cycle, threadId: '', kind, events: [], streamEnded: false };
      let thread: any;
      try {
        thread = await ok(base, 'POST', '/threads', { messages: [{ role: 'user', content: `Question ${tag}` }] });
      } catch {
        return; // not acknowledged: nothing to track
      }
      rec.threadId = thread.id;
      this.runs.push(rec);
      const assistant = kind === 'tool' ? assistants.tool : assistants.slow;
      if (kind === 'stream') {
        const s = await streamRun(base, `/threads/${thread.id}/runs`, { assistant_id: assistant }, (e) => {
          rec.events.push(e);
          if (!rec.runId && e.event === 'thread.run.created') rec.runId = JSON.parse(e.data).id;
        });
        rec.streamEnded = s.events.at(-1)?.event === 'done';
        if (s.status !== 0 && s.status !== 200) this.notes.push(`stream ${tag} answered ${s.status} ${s.body}`);
      } else {
        const res = await api(base, 'POST', `/threads/${thread.id}/runs`, { assistant_id: assistant });
        if (res.status === 200) rec.runId = res.json.id;
        else this.notes.push(`run ${tag} answered ${res.status} ${res.text}`);
        // every third polled run is cancelled a moment later (queued, in progress or done by then)
        if (rec.runId && kind === 'poll' && this.seq % 3 === 0) {
          await sleep(50 + Math.floor(this.rnd() * 400));
          if (this.stopping) return;
          rec.cancelSent = true;
          const cancel = await api(base, 'POST', `/threads/${thread.id}/runs/${rec.runId}/cancel`, {});
          if (cancel.status === 200) rec.cancelAcked = true;
          else if (cancel.status !== 400) this.notes.push(`cancel ${tag} answered ${cancel.status} ${cancel.text}`);
        }
      }
    };
    for (let i = 0; i < Math.ceil(this.o.streams / 2); i++) spawn(newRun('stream'));
    for (let i = 0; i < this.o.polled; i++) spawn(newRun('poll'));
    spawn(newRun('tool'));
    spawn(
      (async () => {
        for (let i = Math.ceil(this.o.streams / 2); i < this.o.streams * 3 && !this.stopping; i++) {
          await sleep(60);
          if (!this.stopping) spawn(newRun(i % 3 === 0 ? 'poll' : 'stream'));
        }
      })(),
    );

    // messages, one after another
    spawn(
      (async () => {
        for (let i = 0; !this.stopping; i++) {
          const content = `ledger c${cycle} #${i} ${'x'.repeat(Math.floor(this.rnd() * 200))}`;
          this.messagesInFlight++;
          try {
            const res = await api(base, 'POST', `/threads/${this.ledgerThread}/messages`, { role: 'user', content });
            if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
            this.ledger.push({ id: res.json.id, content });
          } catch {
            this.maybeLedger.add(content);
            return;
          } finally {
            this.messagesInFlight--;
          }
        }
      })(),
    );

    // files, streamed slowly
    for (let lane = 0; lane < 2; lane++) {
      spawn(
        (async () => {
          for (let i = 0; !this.stopping; i++) {
            const rec: FileRec = { name: `f-c${cycle}-l${lane}-${i}.txt`, size: 16_384 + Math.floor(this.rnd() * 300_000), cycle };
            this.files.push(rec);
            let mid = false;
            try {
              const res = await uploadFile(base, rec.name, contentFor(rec.name, rec.size), {
                pieces: 12,
                gapMs: 12,
                onHalf: () => {
                  mid = true;
                  this.filesMidBody++;
                },
              });
              if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
              rec.id = res.json.id;
              if (res.json.bytes !== rec.size) this.notes.push(`file ${rec.name}: answered bytes ${res.json.bytes}, sent ${rec.size}`);
            } catch {
              return;
            } finally {
              if (mid) this.filesMidBody--;
            }
          }
        })(),
      );
    }

    // Uploads: create, three parts streamed slowly, complete with md5
    spawn(
      (async () => {
        for (let i = 0; !this.stopping; i++) {
          const rec: UploadRec = {
            filename: `u-c${cycle}-${i}.bin`,
            cycle,
            parts: Array.from({ length: 3 }, (_, k) => ({ size: 20_000 + Math.floor(this.rnd() * 60_000), seed: `u-c${cycle}-${i}-p${k}` })),
          };
          this.uploads.push(rec);
          if (!(await this.driveUpload(base, rec))) return;
        }
      })(),
    );

    // documents for ingestion: uploaded, then attached one by one and in a batch
    spawn(
      (async () => {
        const vs = await ok(base, 'POST', '/vector_stores', { name: `faults-c${cycle}` });
        this.vectorStores.push(vs.id);
        const docs: DocRec[] = [];
        for (let k = 0; k < this.o.documents; k++) {
          const index = cycle * 100 + k;
          const d = documentFor(index, this.o.documentWords);
          const rec: DocRec = { index, name: `doc-${index}.txt`, words: this.o.documentWords, vectorStoreId: vs.id, attached: false, start: d.start, end: d.end };
          this.docsSent.push(rec);
          const res = await uploadFile(base, rec.name, d.text);
          if (res.status !== 200) throw new Error(`document upload ${res.status} ${res.text}`);
          rec.fileId = res.json.id;
          this.docs.push(rec);
          docs.push(rec);
        }
        if (!docs.length) return;
        const single = await api(base, 'POST', `/vector_stores/${vs.id}/files`, { file_id: docs[0].fileId });
        if (single.status === 200) docs[0].attached = true;
        if (docs.length > 1) {
          const batch = await api(base, 'POST', `/vector_stores/${vs.id}/file_batches`, { file_ids: docs.slice(1).map((d) => d.fileId) });
          if (batch.status === 200) for (const d of docs.slice(1)) d.attached = true;
        }
      })(),
    );
  }

  /** Creates / continues an Upload through complete; false once the server stops answering. */
  async driveUpload(base: string, rec: UploadRec): Promise<boolean> {
    try {
      if (!rec.id) {
        const total = rec.parts.reduce((n, p) => n + p.size, 0);
        const res = await api(base, 'POST', '/uploads', { filename: rec.filename, purpose: 'assistants', bytes: total, mime_type: 'application/octet-stream' });
        if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
        rec.id = res.json.id;
      }
      for (const part of rec.parts) {
        if (part.id) continue;
        let mid = false;
        try {
          const res = await uploadPart(base, rec.id!, contentFor(part.seed, part.size), {
            pieces: 6,
            gapMs: 12,
            onHalf: () => {
              mid = true;
              this.partsMidBody++;
            },
          });
          if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
          part.id = res.json.id;
        } finally {
          if (mid) this.partsMidBody--;
        }
      }
      if (!rec.fileId) {
        rec.completeSent = true;
        const md5 = createHash('md5');
        for (const p of rec.parts) md5.update(contentFor(p.seed, p.size));
        const res = await api(base, 'POST', `/uploads/${rec.id}/complete`, { part_ids: rec.parts.map((p) => p.id), md5: md5.digest('hex') });
        if (res.status === 400 && /already been completed/.test(res.text)) {
          // completed before the crash, answer lost: the file is found by name in verify()
          return true;
        }
        if (res.status !== 200) throw new Error(`${res.status} ${res.text}`);
        rec.fileId = res.json.file.id;
      }
      return true;
    } catch {
      return false;
    }
  }

  /** What is in flight right now (call just before breaking something). */
  async inFlight(base: string): Promise<InFlight> {
    let ingestion = 0;
    for (const id of this.vectorStores) {
      const res = await api(base, 'GET', `/vector_stores/${id}`).catch(() => undefined);
      ingestion += res?.json?.file_counts?.in_progress ?? 0;
    }
    let runsAtUpstream = 0;
    let runsNotStarted = 0;
    let streamsMidDelta = 0;
    let streamsWaiting = 0;
    for (const r of this.runs) {
      if (r.streamEnded || r.interruptedAt !== undefined) continue;
      const reqs = this.upstreamOf(r.tag);
      if (reqs.some((q) => q.finishedAt === undefined && !q.aborted)) runsAtUpstream++;
      else if (!reqs.length && r.kind !== 'tool') runsNotStarted++;
      if (r.kind === 'stream') {
        if (r.events.some((e) => e.event === 'thread.message.delta')) streamsMidDelta++;
        else streamsWaiting++;
      }
    }
    return {
      streamsMidDelta,
      streamsWaiting,
      runsAtUpstream,
      runsNotStarted,
      fileUploadsMidBody: this.filesMidBody,
      uploadPartsMidBody: this.partsMidBody,
      messagePostsInFlight: this.messagesInFlight,
      ingestionInProgress: ingestion,
    };
  }

  /** Whether the activity a fault of `kind` should interrupt is under way right now. */
  reached(kind: FaultKind): boolean {
    const live = this.runs.filter((r) => r.interruptedAt === undefined && !TERMINAL_SEEN(r));
    switch (kind) {
      case 'streaming':
        return live.filter((r) => r.kind === 'stream' && r.events.filter((e) => e.event === 'thread.message.delta').length >= 3).length >= 2;
      case 'runs':
        return (
          live.some((r) => r.kind === 'poll' && r.runId && this.upstreamOf(r.tag).some((q) => q.finishedAt === undefined && !q.aborted)) &&
          live.some((r) => r.runId && this.upstreamOf(r.tag).length === 0)
        );
      case 'ingestion':
        return this.docs.some((d) => d.attached && d.vectorStoreId === this.vectorStores.at(-1));
      case 'uploads':
        return this.filesMidBody + this.partsMidBody > 0;
    }
  }

  /** Stops starting new work. */
  stop(): void {
    this.stopping = true;
  }

  /** Marks what the kill at `at` interrupted (from the upstream's point of view), then waits for the client side to settle. */
  async killed(at: number): Promise<void> {
    this.stopping = true;
    const atMs = Date.now() - (performance.now() - at);
    for (const r of this.runs) {
      if (r.interruptedAt !== undefined || TERMINAL_SEEN(r)) {
        if (TERMINAL_SEEN(r) && r.completedBeforeKill === undefined) r.completedBeforeKill = r.events.some((e) => e.event === 'thread.run.completed');
        continue;
      }
      const reqs = this.upstreamOf(r.tag).filter((q) => q.receivedAt <= atMs);
      r.interruptedAt = at;
      r.upstreamOpenAtKill = reqs.some((q) => q.finishedAt === undefined || q.finishedAt > atMs);
      r.notStartedAtKill = reqs.length === 0;
    }
    await Promise.all(this.active);
    this.active = [];
  }

  /**
   * A fault the server lives through (PostgreSQL restarted) hits at `at`: every run not known to
   * have ended by now may fail for it (call before the fault; streams end afterwards).
   */
  faultAt(at: number): void {
    for (const r of this.runs) if (r.interruptedAt === undefined && !TERMINAL_SEEN(r)) r.interruptedAt = at;
  }

  /** Waits for every started activity (when nothing was broken). */
  async settle(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.active);
    this.active = [];
  }

  /**
   * After a restart: finishes what the client had left (tool outputs, interrupted Uploads), waits
   * for runs and ingestion to end (up to `timeoutMs`), and returns every problem found.
   */
  async verify(base: string, timeoutMs: number): Promise<{ problems: string[]; figures: Record<string, number> }> {
    const problems: string[] = [];
    const deadline = Date.now() + timeoutMs;

    // Uploads the kill interrupted: carry on with the acknowledged parts
    for (const u of this.uploads) if (u.id && !u.fileId) await this.driveUpload(base, u);

    // runs whose create was never answered (the server died): found through their thread, if made
    for (const r of this.runs.filter((x) => !x.runId)) {
      const list = await ok(base, 'GET', `/threads/${r.threadId}/runs`);
      if (list.data.length > 1) problems.push(`thread of ${r.tag} has ${list.data.length} runs`);
      if (list.data[0]) r.runId = list.data[0].id;
    }
    // runs: wait for every one to end (submitting tool outputs on the way)
    const pending = new Set(this.runs.filter((r) => r.runId));
    const final = new Map<RunRec, any>();
    while (pending.size && Date.now() < deadline) {
      await pool([...pending], 8, async (r) => {
        const run = await ok(base, 'GET', `/threads/${r.threadId}/runs/${r.runId}`);
        if (run.status === 'requires_action') {
          const call = run.required_action.submit_tool_outputs.tool_calls[0];
          const res = await api(base, 'POST', `/threads/${r.threadId}/runs/${r.runId}/submit_tool_outputs`, {
            tool_outputs: [{ tool_call_id: call.id, output: 'found' }],
          });
          if (res.status !== 200) problems.push(`tool outputs for ${r.tag}: ${res.status} ${res.text}`);
          return;
        }
        if (TERMINAL.has(run.status)) {
          final.set(r, run);
          pending.delete(r);
        }
      });
      if (pending.size) await sleep(100);
    }
    for (const r of pending) problems.push(`run ${r.tag} (${r.kind}) did not end within ${timeoutMs} ms`);
    const outcome: Record<string, number> = {};
    await pool([...final], 8, async ([r, run]) => {
      const key = `${r.kind}:${run.status}`;
      outcome[key] = (outcome[key] ?? 0) + 1;
      const messages = (await ok(base, 'GET', `/threads/${r.threadId}/messages?order=asc&limit=100`)).data;
      const answers = messages.filter((m: any) => m.role === 'assistant');
      const steps = (await ok(base, 'GET', `/threads/${r.threadId}/runs/${r.runId}/steps?limit=100`)).data;
      const where = `run ${r.tag} (${r.kind}, cycle ${r.cycle})`;
      if (messages[0] && textOf(messages[0]) !== `Question ${r.tag}`) problems.push(`${where}: the question is gone`);
      if (run.status === 'completed') {
        if (r.upstreamOpenAtKill) problems.push(`${where}: completed although its upstream request was cut by the kill`);
        if (answers.length !== 1 || textOf(answers[0]) !== runText(r.tag) || answers[0].status !== 'completed') {
          problems.push(`${where}: completed with answers ${JSON.stringify(answers.map((m: any) => [m.status, textOf(m).slice(0, 40)]))}`);
        }
      } else if (run.status === 'failed') {
        if (r.completedBeforeKill) problems.push(`${where}: completed before the kill, failed after it`);
        if (run.last_error?.code !== 'server_error') problems.push(`${where}: failed with ${JSON.stringify(run.last_error)}`);
        if (r.interruptedAt === undefined) problems.push(`${where}: failed without a fault: ${JSON.stringify(run.last_error)}`);
        if (answers.length > 1) problems.push(`${where}: ${answers.length} answers`);
        for (const m of answers) {
          if (m.status !== 'incomplete' || m.incomplete_details?.reason !== 'run_failed') problems.push(`${where}: failed run's message is ${m.status}`);
          if (!runText(r.tag).startsWith(textOf(m))) problems.push(`${where}: failed run's message has foreign text`);
        }
      } else if (run.status === 'cancelled') {
        if (!r.cancelSent) problems.push(`${where}: cancelled, never asked to`);
        if (answers.length > 1) problems.push(`${where}: ${answers.length} answers`);
        for (const m of answers) {
          if (m.status !== 'incomplete' || m.incomplete_details?.reason !== 'run_cancelled') problems.push(`${where}: cancelled run's message is ${m.status} ${JSON.stringify(m.incomplete_details)}`);
          if (!runText(r.tag).startsWith(textOf(m))) problems.push(`${where}: cancelled run's message has foreign text`);
        }
        if (steps.some((s: any) => s.status !== 'cancelled')) problems.push(`${where}: cancelled run with steps ${steps.map((s: any) => s.status).join(',')}`);
      } else problems.push(`${where}: ended ${run.status}`);
      if (r.cancelAcked && run.status !== 'cancelled') problems.push(`${where}: cancel answered 200, run ended ${run.status}`);
      if (steps.some((s: any) => s.status === 'in_progress')) problems.push(`${where}: a step is still in_progress`);
      if (run.status === 'failed' && steps.some((s: any) => s.type === 'message_creation' && s.status !== 'failed')) {
        problems.push(`${where}: failed run with a message step ${steps.map((s: any) => s.status).join(',')}`);
      }
      // the stream: complete and right, or (cut by the kill) a right prefix
      if (r.kind === 'stream') {
        const how = !r.streamEnded ? 'cut' : run.status === 'failed' ? 'failed' : 'completed';
        const judged = judgeTextStream(r.events, { deltas: RUN_DELTAS, text: runText(r.tag) }, how);
        if (judged.length) problems.push(`${where}: stream ${judged.join('; ')}`);
      }
    });

    // the ledger thread: acknowledged messages once each, in order; the rest whole
    const listed = await listAll(base, `/threads/${this.ledgerThread}/messages`, 100, 'asc');
    const ackIds = new Map(this.ledger.map((m, i) => [m.id, i]));
    let lastAck = -1;
    const seen = new Set<string>();
    for (const m of listed) {
      if (seen.has(m.id)) problems.push(`ledger: ${m.id} listed twice`);
      seen.add(m.id);
      const i = ackIds.get(m.id);
      if (i !== undefined) {
        if (i < lastAck) problems.push(`ledger: ${m.id} out of order`);
        lastAck = i;
        if (textOf(m) !== this.ledger[i].content) problems.push(`ledger: ${m.id} content changed`);
      } else if (!this.maybeLedger.has(textOf(m))) problems.push(`ledger: unknown or partial message ${JSON.stringify(textOf(m).slice(0, 60))}`);
    }
    for (const m of this.ledger) if (!seen.has(m.id)) problems.push(`ledger: acknowledged message ${m.id} lost`);

    // files: every acknowledged one there; every listed one whole; no name twice
    const files = (await ok(base, 'GET', '/files?limit=10000')).data as any[];
    const expectedBytes = new Map<string, Buffer>();
    for (const f of this.files) expectedBytes.set(f.name, contentFor(f.name, f.size));
    for (const u of this.uploads) expectedBytes.set(u.filename, Buffer.concat(u.parts.map((p) => contentFor(p.seed, p.size))));
    for (const d of this.docsSent) expectedBytes.set(d.name, documentFor(d.index, d.words).text);
    const byName = new Map<string, any[]>();
    for (const f of files) byName.set(f.filename, [...(byName.get(f.filename) ?? []), f]);
    for (const [name, list] of byName) if (list.length > 1) problems.push(`file ${name} is there ${list.length} times`);
    await pool(files, 8, async (f) => {
      const want = expectedBytes.get(f.filename);
      if (!want) return void problems.push(`file ${f.id} ${f.filename}: never uploaded`);
      if (f.bytes !== want.length) problems.push(`file ${f.filename}: bytes ${f.bytes}, sent ${want.length}`);
      const res = await fetch(`${base}/files/${f.id}/content`, { headers: { authorization: 'Bearer x' } });
      const got = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200 || !got.equals(want)) problems.push(`file ${f.filename}: content ${res.status}, ${got.length} bytes, differs`);
    });
    const listedIds = new Set(files.map((f) => f.id));
    for (const f of this.files) if (f.id && !listedIds.has(f.id)) problems.push(`acknowledged file ${f.name} (${f.id}) lost`);
    for (const u of this.uploads) {
      if (u.fileId && !listedIds.has(u.fileId)) problems.push(`completed upload ${u.filename} lost its file ${u.fileId}`);
      if (u.id && u.parts.every((p) => p.id) && !byName.has(u.filename)) problems.push(`upload ${u.filename}: all parts acknowledged, no file after completing`);
    }

    // vector stores: every attached document completed, whole, counted right, findable
    const ingestDeadline = Date.now() + Math.max(0, deadline - Date.now());
    let vsFiles = 0;
    for (const vsId of this.vectorStores) {
      let store: any;
      for (;;) {
        store = await ok(base, 'GET', `/vector_stores/${vsId}`);
        if (store.file_counts.in_progress === 0 || Date.now() > ingestDeadline) break;
        await sleep(100);
      }
      const listedFiles = await listAll(base, `/vector_stores/${vsId}/files`, 100, 'asc');
      const tally = { in_progress: 0, completed: 0, failed: 0, cancelled: 0, total: 0 };
      for (const f of listedFiles) {
        tally[f.status as keyof typeof tally]++;
        tally.total++;
      }
      if (JSON.stringify(tally) !== JSON.stringify(store.file_counts)) problems.push(`store ${vsId}: file_counts ${JSON.stringify(store.file_counts)}, files listed ${JSON.stringify(tally)}`);
      const docs = this.docs.filter((d) => d.vectorStoreId === vsId);
      let usage = 0;
      for (const f of listedFiles) {
        vsFiles++;
        const d = docs.find((x) => x.fileId === f.id);
        if (!d) {
          problems.push(`store ${vsId}: holds ${f.id}, never attached there`);
          continue;
        }
        if (f.status !== 'completed') {
          problems.push(`store ${vsId}: ${d.name} ended ${f.status} ${JSON.stringify(f.last_error)}`);
          continue;
        }
        d.usage ??= await expectedUsageBytes(documentFor(d.index, d.words).text, d.name);
        if (f.usage_bytes !== d.usage) problems.push(`store ${vsId}: ${d.name} usage_bytes ${f.usage_bytes}, its chunks make ${d.usage}`);
        usage += f.usage_bytes;
        for (const marker of [d.start, d.end]) {
          const hits = (await ok(base, 'POST', `/vector_stores/${vsId}/search`, { query: marker, max_num_results: 50 })).data as any[];
          if (!hits.some((h) => h.file_id === d.fileId)) problems.push(`store ${vsId}: ${d.name} not found by ${marker}`);
          if (hits.some((h) => h.file_id !== d.fileId)) problems.push(`store ${vsId}: ${marker} found in other files`);
        }
      }
      if (store.usage_bytes !== usage) problems.push(`store ${vsId}: usage_bytes ${store.usage_bytes}, its files make ${usage}`);
      for (const d of docs) if (d.attached && !listedFiles.some((f) => f.id === d.fileId)) problems.push(`store ${vsId}: attached ${d.name} lost`);
    }

    return {
      problems,
      figures: {
        runs: final.size,
        ...Object.fromEntries(Object.entries(outcome).map(([k, v]) => [`runs_${k}`, v])),
        ledger_messages: this.ledger.length,
        files_acknowledged: this.files.filter((f) => f.id).length,
        files_listed: files.length,
        uploads_completed: this.uploads.filter((u) => u.fileId).length,
        vector_store_files: vsFiles,
      },
    };
  }

  /** Temporary blob files left by interrupted writes, and their bytes (garbage, never visible). */
  static leftovers(dataDir: string): { tmpFiles: number; tmpBytes: number } {
    let tmpFiles = 0;
    let tmpBytes = 0;
    const walk = (dir: string): void => {
      let entries: string[] = [];
      try {
        entries = readdirSync(dir);
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(dir, e);
        const st = statSync(p);
        if (st.isDirectory()) walk(p);
        else if (e.includes('.tmp-')) {
          tmpFiles++;
          tmpBytes += st.size;
        }
      }
    };
    walk(join(dataDir, 'blobs'));
    return { tmpFiles, tmpBytes };
  }
}

function TERMINAL_SEEN(r: RunRec): boolean {
  return r.streamEnded || r.events.some((e) => /^thread\.run\.(completed|failed|cancelled|expired|incomplete)$/.test(e.event));
}
