/**
 * Upstream faults injected at random: many runs at once, each with its own model whose upstream
 * answers every attempt with a fault drawn from a seeded mix (500, 503 with retry-after-ms, 429
 * with retry-after, 400, a silent hang, a stall after some text, a stream cut before or after
 * text, a malformed chunk, an in-stream error event) or a good answer. Some runs call a function
 * tool first and meet their faults on the turn after the tool outputs. Half the runs stream.
 *
 * An oracle replays the engine's rules (src/engine/run-executor.ts, src/model/ai-sdk/ai-sdk-model.ts):
 * a fault before any output is retried up to UPSTREAM_MAX_RETRIES times (429/5xx/timeouts/cuts/
 * error events), a client error fails at once with `invalid_prompt`, a turn that already streamed
 * text fails with `server_error` instead of retrying, exhausted retries fail with
 * `rate_limit_exceeded` (429) or `server_error`. Every run must end in the oracle's status with
 * the oracle's `last_error`, after exactly the oracle's number of upstream requests, with the
 * partial text kept once in an incomplete message (or no message at all), its step failed with the
 * same code; a streaming client sees the events that say so, in order, and `retry-after` is
 * honoured between attempts.
 *
 * Seeded: OA_ROBUSTNESS_SEED=<n> replays a schedule (the seed is printed with the figures).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startScriptedUpstream, type ScriptedUpstream, type Turn } from '../fixtures/scripted-upstream.js';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.js';
import { scale } from './mode.js';
import { TERMINAL, api, ok, streamRun, textOf, type SseEvent } from './support/http.js';
import { SEED, pct, pool, prng, report, round, sleep } from './support/report.js';

const RUNS = scale(80, 600);
const MAX_RETRIES = 2;
/** Long enough that a good answer never times out on a loaded CI machine; hangs still do. */
const TIMEOUT_MS = 1500;
const RETRY_BASE_MS = 20;
/** Text the faults that stream something before failing use: word-sized pieces. */
const PARTIAL = 'Alpha beta gamma delta epsilon zeta eta theta';
const partialPieces = (n: number): string => (PARTIAL.match(/\s*\S+\s*/gy) ?? []).slice(0, n).join('');

type Kind =
  | 'ok'
  | 'e500'
  | 'e503'
  | 'e429'
  | 'e429-1s'
  | 'e400'
  | 'hang'
  | 'stall'
  | 'cut-early'
  | 'cut-late'
  | 'malformed'
  | 'stream-error-early'
  | 'stream-error-late';

/** The mix: kind and weight. Retryable faults are common so retry chains (and exhaustion) happen. */
const MIX: Array<[Kind, number]> = [
  ['ok', 30],
  ['e500', 10],
  ['e503', 8],
  ['e429', 10],
  ['e429-1s', 2],
  ['e400', 4],
  ['hang', 4],
  ['stall', 4],
  ['cut-early', 8],
  ['cut-late', 5],
  ['malformed', 4],
  ['stream-error-early', 6],
  ['stream-error-late', 5],
];

interface Effect {
  /** What the engine does after this attempt. */
  next: 'complete' | 'retry' | 'fail';
  /** For `retry` (once retries are exhausted) and `fail`. */
  code?: 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt';
  /** Text streamed before the failure (kept in an incomplete message). */
  partial?: string;
  /** What `last_error.message` must match. */
  message?: RegExp;
  /** The least wait before the next attempt (retry-after). */
  waitMs?: number;
}

function turnFor(kind: Kind, tag: string, answer: string, rnd: () => number): { turn: Turn; effect: Effect } {
  const k = 1 + Math.floor(rnd() * 4);
  switch (kind) {
    case 'ok':
      return { turn: { text: answer, delayMs: Math.floor(rnd() * 4), firstByteDelayMs: Math.floor(rnd() * 20) }, effect: { next: 'complete' } };
    case 'e500':
      return { turn: { error: { status: 500, message: `Boom ${tag}` } }, effect: { next: 'retry', code: 'server_error', message: new RegExp(`Boom ${tag}`) } };
    case 'e503':
      return {
        turn: { error: { status: 503, message: `Unavailable ${tag}`, headers: { 'retry-after-ms': '30' } } },
        effect: { next: 'retry', code: 'server_error', message: new RegExp(`Unavailable ${tag}`), waitMs: 30 },
      };
    case 'e429':
      return {
        turn: { error: { status: 429, message: `Slow down ${tag}`, headers: { 'retry-after': '0' } } },
        effect: { next: 'retry', code: 'rate_limit_exceeded', message: new RegExp(`Slow down ${tag}`) },
      };
    case 'e429-1s':
      return {
        turn: { error: { status: 429, message: `Slow down ${tag}`, headers: { 'retry-after': '1' } } },
        effect: { next: 'retry', code: 'rate_limit_exceeded', message: new RegExp(`Slow down ${tag}`), waitMs: 1000 },
      };
    case 'e400':
      return {
        turn: { error: { status: 400, message: `Bad prompt ${tag}`, code: 'context_length_exceeded' } },
        effect: { next: 'fail', code: 'invalid_prompt', message: new RegExp(`Bad prompt ${tag}`) },
      };
    case 'hang':
      return { turn: { hang: true }, effect: { next: 'retry', code: 'server_error', message: /time/i } };
    case 'stall':
      return { turn: { hang: { afterChunks: k, text: PARTIAL } }, effect: { next: 'fail', code: 'server_error', partial: partialPieces(k), message: /time/i } };
    case 'cut-early':
      return { turn: { cut: { afterChunks: 0 } }, effect: { next: 'retry', code: 'server_error' } };
    case 'cut-late':
      return { turn: { cut: { afterChunks: k, text: PARTIAL } }, effect: { next: 'fail', code: 'server_error', partial: partialPieces(k) } };
    case 'malformed':
      return { turn: { malformed: { text: `Garbled ${tag} ` } }, effect: { next: 'fail', code: 'server_error', partial: `Garbled ${tag} ` } };
    case 'stream-error-early':
      return {
        turn: { streamError: { message: `Overloaded ${tag}`, afterChunks: 0 } },
        effect: { next: 'retry', code: 'server_error', message: new RegExp(`Overloaded ${tag}`) },
      };
    case 'stream-error-late':
      return {
        turn: { streamError: { message: `Overloaded ${tag}`, afterChunks: k, text: PARTIAL } },
        effect: { next: 'fail', code: 'server_error', partial: partialPieces(k), message: new RegExp(`Overloaded ${tag}`) },
      };
  }
}

interface Expected {
  status: 'completed' | 'failed';
  code?: string;
  message?: RegExp;
  /** Text of the assistant message of the faulted turn; undefined: no message from it. */
  text?: string;
  messageStatus?: 'completed' | 'incomplete';
  /** Upstream requests of the faulted turn. */
  requests: number;
  waits: number[];
}

interface Plan {
  index: number;
  model: string;
  stream: boolean;
  /** Calls a function tool first; the faults meet the turn after the outputs. */
  tool: boolean;
  /** Retryable faults before the tool call turn (it then streams the call). */
  toolTurnFaults: Kind[];
  kinds: Kind[];
  turns: Turn[];
  expected: Expected;
}

function draw(rnd: () => number): Kind {
  const total = MIX.reduce((n, [, w]) => n + w, 0);
  let x = rnd() * total;
  for (const [kind, w] of MIX) if ((x -= w) < 0) return kind;
  return 'ok';
}

function makePlan(index: number, backend: string, rnd: () => number): Plan {
  const model = `uf-${backend}-${index}-${SEED}`;
  const answer = `Answer number ${index} is here.`;
  const kinds: Kind[] = [];
  const turns: Turn[] = [];
  const waits: number[] = [];
  let expected: Expected | undefined;
  for (let attempt = 0; !expected; attempt++) {
    const kind = draw(rnd);
    const { turn, effect } = turnFor(kind, `${index}-${attempt}`, answer, rnd);
    kinds.push(kind);
    turns.push(turn);
    const requests = attempt + 1;
    if (effect.next === 'complete') expected = { status: 'completed', text: answer, messageStatus: 'completed', requests, waits };
    else if (effect.next === 'fail') {
      expected = {
        status: 'failed',
        code: effect.code,
        message: effect.message,
        ...(effect.partial !== undefined && { text: effect.partial, messageStatus: 'incomplete' as const }),
        requests,
        waits,
      };
    } else if (attempt >= MAX_RETRIES) expected = { status: 'failed', code: effect.code, message: effect.message, requests, waits };
    else waits.push(effect.waitMs ?? 0);
  }
  const tool = rnd() < 0.25;
  const toolTurnFaults: Kind[] = [];
  if (tool) {
    // retryable faults before the tool-call turn, never exhausting the retries
    const n = Math.floor(rnd() * (MAX_RETRIES + 1));
    for (let i = 0; i < n; i++) toolTurnFaults.push((['e500', 'e429', 'cut-early', 'stream-error-early'] as const)[Math.floor(rnd() * 4)]);
  }
  return { index, model, stream: rnd() < 0.5, tool, toolTurnFaults, kinds, turns, expected: expected! };
}

const TOOL = {
  type: 'function' as const,
  function: { name: 'lookup', description: 'Looks a thing up', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
};

/** The event names a streaming client must see for the faulted turn, after its head events. */
function expectedTail(e: Expected): string[] {
  if (e.status === 'completed') {
    return ['thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created', 'thread.message.in_progress', 'delta*', 'thread.message.completed', 'thread.run.step.completed', 'thread.run.completed', 'done'];
  }
  if (e.text !== undefined) {
    return ['thread.run.step.created', 'thread.run.step.in_progress', 'thread.message.created', 'thread.message.in_progress', 'delta*', 'thread.message.incomplete', 'thread.run.step.failed', 'thread.run.failed', 'done'];
  }
  return ['thread.run.failed', 'done'];
}

function shape(events: readonly SseEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const name = e.event === 'thread.message.delta' ? 'delta*' : e.event;
    if (name === 'delta*' && out.at(-1) === 'delta*') continue;
    out.push(name);
  }
  return out;
}

function deltaText(events: readonly SseEvent[]): string {
  let text = '';
  for (const e of events) {
    if (e.event !== 'thread.message.delta') continue;
    for (const c of JSON.parse(e.data).delta?.content ?? []) if (c.type === 'text') text += c.text?.value ?? '';
  }
  return text;
}

for (const backend of BACKENDS) {
  describe(`robustness: upstream faults · ${backend}`, { timeout: scale(180_000, 900_000) }, () => {
    let upstream: ScriptedUpstream;
    let server: TestServer;

    before(async () => {
      upstream = await startScriptedUpstream();
      server = await startTestServer(backend, {
        env: {
          UPSTREAM_BASE_URL: upstream.baseURL,
          UPSTREAM_API_KEY: 'sk-upstream',
          UPSTREAM_MAX_RETRIES: String(MAX_RETRIES),
          UPSTREAM_RETRY_BASE_MS: String(RETRY_BASE_MS),
          UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
          RUN_POLL_MS: '50',
          RUN_CONCURRENCY: '1000',
          CODE_INTERPRETER: 'off',
        },
      });
    });
    after(async () => {
      await server?.close();
      await upstream?.close();
    });

    it(`${RUNS} runs at once, each meeting random upstream faults, end in the right state with the right last_error`, async () => {
      const base = server.baseURL;
      const rnd = prng(SEED ^ (backend === 'sqlite' ? 0x5117e : 0x9057));
      const plans = Array.from({ length: RUNS }, (_, i) => makePlan(i, backend, rnd));
      for (const p of plans) {
        if (p.tool) {
          const faults = p.toolTurnFaults.map((k, j) => turnFor(k, `${p.index}-tool-${j}`, '', rnd).turn);
          upstream.script(p.model, ...faults, { toolCalls: [{ name: 'lookup', arguments: { q: `thing ${p.index}` } }] });
        }
        upstream.script(p.model, ...p.turns);
      }
      const t0 = performance.now();
      const outcomes = await pool(plans, RUNS, async (p) => {
        const problems: string[] = [];
        const assistant = await ok(base, 'POST', '/assistants', { model: p.model, ...(p.tool && { tools: [TOOL] }) });
        const thread = await ok(base, 'POST', '/threads', { messages: [{ role: 'user', content: `Question ${p.index}` }] });
        let run: any;
        let events: SseEvent[] = [];
        const started = performance.now();
        if (p.stream) {
          const s = await streamRun(base, `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
          if (s.status !== 200 || s.broken) problems.push(`stream: ${s.status} ${String(s.broken ?? s.body)}`);
          events = s.events;
          run = JSON.parse(events.find((e) => e.event === 'thread.run.created')?.data ?? '{}');
        } else {
          run = await ok(base, 'POST', `/threads/${thread.id}/runs`, { assistant_id: assistant.id });
        }
        const poll = async (until: (r: any) => boolean): Promise<any> => {
          const deadline = Date.now() + 30_000;
          for (;;) {
            const r = await ok(base, 'GET', `/threads/${thread.id}/runs/${run.id}`);
            if (until(r)) return r;
            if (Date.now() > deadline) throw new Error(`run ${p.index} stuck in ${r.status}`);
            await sleep(25);
          }
        };
        let turnEvents = events;
        if (p.tool) {
          const waiting = await poll((r) => r.status !== 'queued' && r.status !== 'in_progress');
          if (waiting.status !== 'requires_action') {
            problems.push(`tool turn ended ${waiting.status} ${JSON.stringify(waiting.last_error)}`);
            return { p, problems, ms: performance.now() - started };
          }
          const call = waiting.required_action.submit_tool_outputs.tool_calls[0];
          const body = { tool_outputs: [{ tool_call_id: call.id, output: `found ${p.index}` }] };
          if (p.stream) {
            const s = await streamRun(base, `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, body);
            if (s.status !== 200 || s.broken) problems.push(`submit stream: ${s.status} ${String(s.broken ?? s.body)}`);
            turnEvents = s.events;
          } else {
            await ok(base, 'POST', `/threads/${thread.id}/runs/${run.id}/submit_tool_outputs`, body);
          }
        }
        const final = await poll((r) => TERMINAL.has(r.status));
        const ms = performance.now() - started;
        const e = p.expected;
        if (final.status !== e.status) problems.push(`status ${final.status} ${JSON.stringify(final.last_error)}, expected ${e.status} ${e.code ?? ''}`);
        if (e.status === 'completed' && final.last_error !== null) problems.push(`completed with last_error ${JSON.stringify(final.last_error)}`);
        if (e.status === 'failed') {
          if (final.last_error?.code !== e.code) problems.push(`last_error ${JSON.stringify(final.last_error)}, expected code ${e.code}`);
          if (e.message && !e.message.test(final.last_error?.message ?? '')) problems.push(`last_error.message ${JSON.stringify(final.last_error?.message)} !~ ${e.message}`);
          if (final.failed_at === null) problems.push('failed_at is null');
        }
        // upstream requests of the faulted turn, and the waits between them
        const requests = upstream.requests(p.model);
        const turnRequests = p.tool ? requests.slice(p.toolTurnFaults.length + 1) : requests;
        if (turnRequests.length !== e.requests) problems.push(`${turnRequests.length} upstream requests for the faulted turn, expected ${e.requests} (${p.kinds.join(',')})`);
        for (const [j, wait] of e.waits.entries()) {
          const gap = (turnRequests[j + 1]?.receivedAt ?? Infinity) - turnRequests[j].receivedAt;
          if (wait > 0 && gap < wait - 20) problems.push(`retry ${j + 1} came ${gap} ms after the previous attempt; retry-after asked ${wait} ms`);
        }
        // messages: the question, the tool turn makes none, then the faulted turn's answer once (or none)
        const messages = (await ok(base, 'GET', `/threads/${thread.id}/messages?order=asc`)).data;
        const answers = messages.filter((m: any) => m.role === 'assistant');
        if (e.text === undefined) {
          if (answers.length !== 0) problems.push(`${answers.length} assistant messages, expected none: ${JSON.stringify(answers.map(textOf))}`);
        } else if (answers.length !== 1) problems.push(`${answers.length} assistant messages, expected 1`);
        else {
          if (textOf(answers[0]) !== e.text) problems.push(`message text ${JSON.stringify(textOf(answers[0]))}, expected ${JSON.stringify(e.text)}`);
          if (answers[0].status !== e.messageStatus) problems.push(`message ${answers[0].status}, expected ${e.messageStatus}`);
          if (e.messageStatus === 'incomplete' && answers[0].incomplete_details?.reason !== 'run_failed') {
            problems.push(`incomplete_details ${JSON.stringify(answers[0].incomplete_details)}`);
          }
        }
        // steps: the faulted turn's message_creation step (if any) with the run's outcome
        const steps = (await ok(base, 'GET', `/threads/${thread.id}/runs/${run.id}/steps?order=asc`)).data;
        const messageSteps = steps.filter((s: any) => s.type === 'message_creation');
        if (e.text === undefined ? messageSteps.length !== 0 : messageSteps.length !== 1) problems.push(`${messageSteps.length} message steps`);
        for (const s of messageSteps) {
          const want = e.status === 'completed' ? 'completed' : 'failed';
          if (s.status !== want) problems.push(`message step ${s.status}, expected ${want}`);
          if (want === 'failed' && s.last_error?.code !== (e.code === 'rate_limit_exceeded' ? 'rate_limit_exceeded' : 'server_error')) {
            problems.push(`step last_error ${JSON.stringify(s.last_error)}`);
          }
        }
        if (steps.some((s: any) => s.status === 'in_progress')) problems.push('a step left in_progress');
        // the stream of the faulted turn
        if (p.stream) {
          const names = shape(turnEvents);
          const head = p.tool ? [] : ['thread.run.created', 'thread.run.queued', 'thread.run.in_progress'];
          const want = p.tool ? ['thread.run.step.completed', 'thread.run.queued', 'thread.run.in_progress', ...expectedTail(e)] : [...head, ...expectedTail(e)];
          if (JSON.stringify(names) !== JSON.stringify(want)) problems.push(`stream ${names.join(' ')}; expected ${want.join(' ')}`);
          const streamed = deltaText(turnEvents);
          if (streamed !== (e.text ?? '')) problems.push(`streamed text ${JSON.stringify(streamed)}, expected ${JSON.stringify(e.text ?? '')}`);
          const last = [...turnEvents].reverse().find((x) => x.event.startsWith('thread.run.') && !x.event.startsWith('thread.run.step.'));
          if (last && JSON.parse(last.data).status !== final.status) problems.push(`stream's last run event says ${JSON.parse(last.data).status}`);
        }
        return { p, problems, ms, final };
      });
      const wallMs = performance.now() - t0;

      const wrong = outcomes.filter((o) => o.problems.length);
      const mix: Record<string, number> = {};
      for (const p of plans) for (const k of [...p.toolTurnFaults, ...p.kinds]) mix[k] = (mix[k] ?? 0) + 1;
      const outcomeCounts: Record<string, number> = {};
      for (const o of outcomes) {
        const key = o.final ? `${o.final.status}${o.final.last_error ? `:${o.final.last_error.code}` : ''}` : 'no-final';
        outcomeCounts[key] = (outcomeCounts[key] ?? 0) + 1;
      }
      const expectedCounts: Record<string, number> = {};
      for (const p of plans) {
        const key = `${p.expected.status}${p.expected.code ? `:${p.expected.code}` : ''}`;
        expectedCounts[key] = (expectedCounts[key] ?? 0) + 1;
      }
      report(`upstream-faults-${backend}`, {
        backend,
        seed: SEED,
        runs: RUNS,
        streaming: plans.filter((p) => p.stream).length,
        with_tool_turn_first: plans.filter((p) => p.tool).length,
        max_retries: MAX_RETRIES,
        upstream_timeout_ms: TIMEOUT_MS,
        attempts_by_kind: mix,
        upstream_requests: upstream.requests().length,
        expected_outcomes: expectedCounts,
        outcomes: outcomeCounts,
        wrong_outcomes: wrong.length,
        run_ms: { p50: round(pct(outcomes.map((o) => o.ms), 50)), p99: round(pct(outcomes.map((o) => o.ms), 99)) },
        wall_s: round(wallMs / 1000, 1),
        first_wrong: wrong[0] ? { index: wrong[0].p.index, kinds: wrong[0].p.kinds, tool: wrong[0].p.tool, problems: wrong[0].problems } : null,
      });
      assert.deepEqual(
        wrong.slice(0, 5).map((o) => ({ run: o.p.index, kinds: o.p.kinds, tool: o.p.tool && o.p.toolTurnFaults, stream: o.p.stream, problems: o.problems })),
        [],
        `${wrong.length} of ${RUNS} runs ended wrong (seed ${SEED})`,
      );
      assert.deepEqual(upstream.unscripted.map((r) => r.model), [], 'no request beyond the scripted turns');
      const res = await api(base, 'GET', '/assistants?limit=1');
      assert.equal(res.status, 200, 'the server still answers');
    });
  });
}
