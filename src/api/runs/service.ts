import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import { toWireStep, type Assistant, type Message, type Run, type RunStep, type Thread } from '../../core/wire.js';
import { closeLeftovers, expireRun } from '../../engine/worker.js';
import { finishStep } from '../../engine/run-records.js';
import { ActiveRunConflict, type RunHold } from '../../store/store.js';
import type { Deps } from '../deps.js';
import { attachFilesToThread } from '../messages/attachments.js';
import { buildMessage } from '../messages/build.js';
import { resolveToolResources } from '../tool-resources.js';
import type { RunInput } from './schema.js';

const RUN_TTL_SECONDS = 600;
/** How long a run just queued stays unclaimable if its writer dies before publishing its events. */
const QUEUE_HOLD_MS = 10_000;

export function activeRunError(threadId: string, runId: string | undefined): Error {
  return Errors.conflict(runId ? `Thread ${threadId} already has an active run ${runId}.` : `Thread ${threadId} already has an active run.`);
}

export function createRunService(deps: Deps) {
  const { store, clock, ids, bus, runControl } = deps;

  async function loadAssistant(projectId: string, id: string): Promise<Assistant> {
    const a = await store.assistants.get(projectId, id);
    if (!a) throw Errors.notFound('assistant', id);
    return a;
  }

  function newRun(input: RunInput, assistant: Assistant, threadId: string): Run {
    const now = unixSeconds(clock);
    const base = input.instructions ?? assistant.instructions ?? '';
    const instructions = input.additional_instructions ? (base ? `${base}\n\n${input.additional_instructions}` : input.additional_instructions) : base;
    const tools = input.tools ?? assistant.tools;
    const tc = input.tool_choice ?? 'auto';
    if (typeof tc === 'object' && tc.type === 'function' && !tools.some((t) => t.type === 'function' && t.function.name === tc.function.name)) {
      throw Errors.invalidRequest(`Invalid 'tool_choice': no function named '${tc.function.name}' in the run's tools.`, 'tool_choice.function.name', 'invalid_value');
    }
    return {
      id: ids.next('run'),
      object: 'thread.run',
      created_at: now,
      assistant_id: assistant.id,
      thread_id: threadId,
      status: 'queued',
      started_at: null,
      expires_at: now + RUN_TTL_SECONDS,
      cancelled_at: null,
      failed_at: null,
      completed_at: null,
      required_action: null,
      last_error: null,
      model: input.model ?? assistant.model,
      instructions,
      tools,
      metadata: input.metadata ?? {},
      incomplete_details: null,
      usage: null,
      temperature: input.temperature ?? assistant.temperature ?? 1,
      top_p: input.top_p ?? assistant.top_p ?? 1,
      max_prompt_tokens: input.max_prompt_tokens ?? null,
      max_completion_tokens: input.max_completion_tokens ?? null,
      truncation_strategy: input.truncation_strategy ?? { type: 'auto', last_messages: null },
      response_format: input.response_format ?? assistant.response_format ?? 'auto',
      tool_choice: tc,
      parallel_tool_calls: input.parallel_tool_calls ?? true,
      reasoning_effort: input.reasoning_effort ?? assistant.reasoning_effort ?? null,
    };
  }

  /** A hold on a run being queued, so its events go out before any worker's (see RunHold). */
  function hold(runId: string): RunHold {
    return { by: `api:${runId}`, untilMs: clock.nowMs() + QUEUE_HOLD_MS };
  }

  /**
   * Writes the run and publishes its first events (`created`, `queued`). When this process has
   * room, the run is written already claimed by its worker and started there as soon as they are
   * out; otherwise it is written `queued`, held until they are out, and a worker (this process's
   * or another's) claims it.
   */
  async function enqueue(projectId: string, run: Run, with_: { thread?: Thread; messages: Message[]; includeContent?: boolean }): Promise<void> {
    const slot = runControl.reserve();
    const stored = slot ? slot.claim(run) : run;
    const h = slot?.lease ?? hold(run.id);
    // A run started here with nothing written alongside it will prompt with the thread's messages
    // as they are: they are read while the run is inserted (one round trip fewer before the model).
    const history = slot && !with_.thread && !with_.messages.length ? store.messages.all(projectId, run.thread_id) : undefined;
    history?.catch(() => undefined);
    try {
      await store.runs.insert(projectId, stored, { ...with_, hold: h });
    } catch (err) {
      slot?.cancel();
      if (err instanceof ActiveRunConflict) throw activeRunError(err.threadId, err.activeRunId);
      throw err;
    }
    try {
      bus.publish(run.id, { event: 'thread.run.created', data: run });
      bus.publish(run.id, { event: 'thread.run.queued', data: run });
    } finally {
      // written claimed by this process: nobody else would start it
      slot?.start(projectId, stored, with_.includeContent ?? false, history);
    }
    if (slot) return;
    await store.runs.release(h.by, run.id);
    runControl.notify();
  }

  return {
    async create(projectId: string, threadId: string, input: RunInput, includeContent = false): Promise<Run> {
      const [assistant, thread] = await Promise.all([loadAssistant(projectId, input.assistant_id), store.threads.get(projectId, threadId)]);
      if (!thread) throw Errors.notFound('thread', threadId);
      const run = newRun(input, assistant, threadId);
      const ctx = { store, clock, ids, projectId };
      const messages: Message[] = [];
      for (const [i, m] of (input.additional_messages ?? []).entries()) {
        messages.push(await buildMessage(m, threadId, ctx, `additional_messages[${i}]`));
      }
      await attachFilesToThread(deps, projectId, thread, messages.flatMap((m) => m.attachments));
      await enqueue(projectId, run, { messages, includeContent });
      return run;
    },

    async createThreadAndRun(projectId: string, input: RunInput): Promise<{ run: Run; thread: Thread }> {
      const assistant = await loadAssistant(projectId, input.assistant_id);
      const ctx = { store, clock, ids, projectId };
      const t = input.thread ?? {};
      const toolResources = input.tool_resources !== undefined ? input.tool_resources : t.tool_resources;
      const thread: Thread = {
        id: ids.next('thread'),
        object: 'thread',
        created_at: unixSeconds(clock),
        tool_resources: await resolveToolResources(toolResources, deps, projectId, 'thread'),
        metadata: t.metadata ?? {},
      };
      const messages: Message[] = [];
      for (const [i, m] of (t.messages ?? []).entries()) messages.push(await buildMessage(m, thread.id, ctx, `thread.messages[${i}]`));
      const run = newRun(input, assistant, thread.id);
      const attached = messages.flatMap((m) => m.attachments);
      // The thread must exist before its vector store is set on it, so a thread with file_search
      // attachments is written first; the run then follows on its own.
      if (attached.length) {
        await store.threads.insert(projectId, thread, messages);
        const withStore = await attachFilesToThread(deps, projectId, thread, attached);
        await enqueue(projectId, run, { messages: [] });
        return { run, thread: withStore };
      }
      await enqueue(projectId, run, { thread, messages });
      return { run, thread };
    },

    /** A run, expiring it on the way if it waited too long for tool outputs. */
    async get(projectId: string, threadId: string, runId: string): Promise<Run> {
      const run = await store.runs.get(projectId, threadId, runId);
      if (!run) {
        if (!(await store.threads.get(projectId, threadId))) throw Errors.notFound('thread', threadId);
        throw Errors.notFound('run', runId);
      }
      const expired = await expireRun(deps, projectId, run);
      if (expired) return expired;
      if (run.status === 'requires_action' && run.expires_at !== null && run.expires_at <= unixSeconds(clock)) {
        // due, yet not ours to expire: the worker's sweep got there first, so what we read is stale
        return (await store.runs.get(projectId, threadId, runId)) ?? run;
      }
      return run;
    },

    async cancel(projectId: string, threadId: string, runId: string): Promise<Run> {
      for (let attempt = 0; attempt < 5; attempt++) {
        const run = await this.get(projectId, threadId, runId);
        const now = unixSeconds(clock);
        switch (run.status) {
          case 'in_progress': {
            const next: Run = { ...run, status: 'cancelling' };
            if (!(await store.runs.save(projectId, next, ['in_progress']))) continue;
            bus.publish(run.id, { event: 'thread.run.cancelling', data: next });
            runControl.abort(run.id);
            return next;
          }
          case 'queued':
          case 'requires_action': {
            const next: Run = { ...run, status: 'cancelled', cancelled_at: now, expires_at: null, required_action: null };
            if (!(await store.runs.save(projectId, next, [run.status]))) continue;
            await closeLeftovers(deps, projectId, run, 'cancelled');
            bus.publish(run.id, { event: 'thread.run.cancelled', data: next });
            return next;
          }
          case 'cancelling':
            return run;
          default:
            throw Errors.conflict(`Cannot cancel run with status '${run.status}'.`);
        }
      }
      throw Errors.conflict(`Run ${runId} changed status while it was being cancelled; try again.`);
    },

    /**
     * Records the outputs on the waiting tool-call step and queues the run again. Every pending
     * call must get exactly one output, in one request.
     */
    async submitToolOutputs(
      projectId: string,
      threadId: string,
      runId: string,
      outputs: Array<{ tool_call_id: string; output?: string }>,
    ): Promise<Run> {
      const run = await this.get(projectId, threadId, runId);
      if (run.status !== 'requires_action' || !run.required_action) {
        throw Errors.conflict(`Runs in status "${run.status}" do not accept tool outputs.`);
      }
      const pending = run.required_action.submit_tool_outputs.tool_calls.map((c) => c.id);
      const given = new Map<string, string>();
      for (const [i, o] of outputs.entries()) {
        if (!pending.includes(o.tool_call_id)) {
          throw Errors.invalidRequest(`No tool call found with id '${o.tool_call_id}' in this run's required action.`, `tool_outputs[${i}].tool_call_id`, 'invalid_value');
        }
        if (given.has(o.tool_call_id)) {
          throw Errors.invalidRequest(`Tool output for '${o.tool_call_id}' was given more than once.`, `tool_outputs[${i}].tool_call_id`, 'invalid_value');
        }
        given.set(o.tool_call_id, o.output ?? '');
      }
      const missing = pending.filter((id) => !given.has(id));
      if (missing.length) {
        throw Errors.invalidRequest(`Expected tool outputs for call_ids ${JSON.stringify(pending)}, got ${JSON.stringify([...given.keys()])}; missing ${missing.join(', ')}.`, 'tool_outputs', 'invalid_value');
      }
      const next: Run = { ...run, status: 'queued', required_action: null };
      const steps = await store.steps.forRun(projectId, runId);
      const step = steps.find((s) => s.status === 'in_progress' && s.step_details.type === 'tool_calls');
      let done: RunStep | undefined;
      if (step && step.step_details.type === 'tool_calls') {
        done = finishStep(
          {
            ...step,
            step_details: {
              type: 'tool_calls',
              tool_calls: step.step_details.tool_calls.map((c) =>
                c.type === 'function' ? { ...c, function: { ...c.function, output: given.get(c.id) ?? c.function.output } } : c,
              ),
            },
          },
          'completed',
          unixSeconds(clock),
        );
      }
      // The outputs are written with the run, in one transaction: a worker may claim the queued run
      // at once, and must find them there.
      const h = hold(run.id);
      if (!(await store.runs.save(projectId, next, ['requires_action'], done ? [done] : [], [], h))) {
        throw Errors.conflict(`Run ${runId} is no longer waiting for tool outputs.`);
      }
      if (done) bus.publish(run.id, { event: 'thread.run.step.completed', data: toWireStep(done) });
      bus.publish(run.id, { event: 'thread.run.queued', data: next });
      await store.runs.release(h.by, run.id);
      runControl.notify();
      return next;
    },
  };
}

export type RunService = ReturnType<typeof createRunService>;
