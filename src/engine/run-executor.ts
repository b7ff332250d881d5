import { unixSeconds } from '../core/clock.js';
import { Errors } from '../core/errors.js';
import type { AssistantStreamEvent, MessageEventName, RunEventName, StepEventName } from '../core/events.js';
import {
  toWireStep,
  type FileSearchToolCall,
  type FunctionToolCall,
  type MessageContent,
  type Message,
  type Run,
  type RunStatus,
  type RunStep,
  type RunUsage,
  type StepToolCall,
  type TextAnnotation,
} from '../core/wire.js';
import { citationAnnotations, FILE_SEARCH_TOOL, fileSearchModelTool } from '../tools/file-search-tool.js';
import { CODE_INTERPRETER_TOOL, codeInterpreterModelTool, filePathAnnotations } from '../tools/code-interpreter-tool.js';
import { CodeInterpreterCalls, SandboxUnavailable } from './code-interpreter-calls.js';
import { FileSearchCalls } from './file-search-calls.js';
import type { PendingCall, ToolRunContext } from './server-tools.js';
import { ModelError, type ModelRequest, type ModelStreamPart, type ModelTool, type ModelToolChoice } from '../model/language-model.js';
import type { ResolvedModel } from '../model/router.js';
import type { EngineDeps } from './deps.js';
import { buildPrompt } from './prompt.js';
import { textTokens } from './tokens.js';
import {
  addUsage,
  completeMessage,
  finishStep,
  incompleteMessage,
  newAssistantMessage,
  newStep,
  usageOf,
} from './run-records.js';
import { sourcesOf } from './transitions.js';
import { isTransientStoreError } from '../store/transient-errors.js';

/** Raised inside a run when its stored status moved under it (cancelled, deleted). */
class RunMoved extends Error {}

const REQUIRES_ACTION_TTL_SECONDS = 600;
const DEFAULT_OUTPUT_RESERVE = 4096;
/** Tries at writing a run's failure while the database is unreachable, and the wait between them (about 10 s). */
const FAIL_WRITE_ATTEMPTS = 20;
const FAIL_WRITE_RETRY_MS = 500;
/** How often the text of a message being streamed is saved. */
const TEXT_SAVE_MS = 1000;

interface OpenMessage {
  step: RunStep;
  message: Message;
  text: string;
  /** Images the run's code made before this message, shown above its text. */
  images: string[];
  /** The message's writes: its insert (with its step), then periodic saves of the text; each waits for the last. */
  persisted: Promise<void>;
  /** Set when the insert failed: nothing of the message exists and nobody heard of it. */
  lost?: { err: unknown };
  /** A save of the text due within a second of the first unsaved delta, so a crash loses at most that. */
  saveTimer?: NodeJS.Timeout;
}

interface OpenToolStep {
  step: RunStep;
  calls: StepToolCall[];
  /** upstream call id → index in `calls` */
  byUpstreamId: Map<string, number>;
  /** Arguments of server-side calls (file_search, code_interpreter), by index in `calls`. */
  serverArgs: Map<number, string>;
  modelIo: NonNullable<RunStep['model_io']>;
}

/**
 * Executes a claimed run until it pauses (requires_action) or ends. One instance per claim; the
 * worker owns the lease and the AbortSignal (cancel, shutdown).
 */
export class RunExecution {
  private run: Run;
  private openMessage: OpenMessage | undefined;
  private openTools: OpenToolStep | undefined;
  /** The run has no steps yet (it never ran before this execution, which has written none so far). */
  private noSteps: boolean;
  /** Whether file_search results in this run's events carry their content. */
  private readonly includeContent: boolean;
  private history: Promise<Message[]> | undefined;
  /** Events kept back, in order, until the rows they name are written (see openNewMessage). */
  private held: AssistantStreamEvent[] | undefined;

  private readonly fileSearch: FileSearchCalls;
  private readonly code: CodeInterpreterCalls;

  constructor(
    private readonly deps: EngineDeps,
    private readonly projectId: string,
    run: Run,
    private readonly signal: AbortSignal,
    options: {
      includeContent?: boolean;
      /** The run never ran before: it has no steps (default: it was never started). */
      fresh?: boolean;
      /** The thread's messages, already being read (for the first turn only). */
      history?: Promise<Message[]>;
    } = {},
  ) {
    this.run = run;
    this.includeContent = options.includeContent ?? false;
    this.noSteps = options.fresh ?? run.started_at === null;
    this.history = options.history;
    const self = this;
    const ctx: ToolRunContext = {
      deps,
      projectId,
      get run() {
        return self.run;
      },
      signal,
      includeContent: this.includeContent,
      now: () => this.now(),
      emitToolDelta: (call) => this.emitToolDelta(call),
      emit: (event) => this.emit(event),
    };
    this.fileSearch = new FileSearchCalls(ctx);
    this.code = new CodeInterpreterCalls(ctx);
  }

  private now(): number {
    return unixSeconds(this.deps.clock);
  }

  private emit(event: AssistantStreamEvent): void {
    if (this.held) this.held.push(event);
    else this.deps.bus.publish(this.run.id, event);
  }

  private emitRun(name: RunEventName): void {
    this.emit({ event: name, data: this.run });
  }

  private emitStep(name: StepEventName, step: RunStep): void {
    this.emit({ event: name, data: toWireStep(step, this.includeContent) });
  }

  private emitMessage(name: MessageEventName, message: Message): void {
    this.emit({ event: name, data: message });
  }

  /** Saves the run in `next` status if the stored one still allows it; otherwise the run moved. */
  private async transition(next: Run, allowed: readonly RunStatus[] = sourcesOf(next.status)): Promise<void> {
    if (!(await this.deps.store.runs.save(this.projectId, next, allowed))) throw new RunMoved();
    this.run = next;
  }

  async execute(): Promise<void> {
    try {
      if (this.run.started_at === null) {
        await this.transition({ ...this.run, started_at: this.now() }, ['in_progress']);
      }
      this.emitRun('thread.run.in_progress');
      if (this.run.tools.some((t) => t.type === 'file_search')) await this.fileSearch.touchVectorStores();
      // A resumed run's server-side tool calls so far (their sources and files) carry on.
      const earlier = this.noSteps ? [] : await this.deps.store.steps.forRun(this.projectId, this.run.id);
      for (const st of earlier) {
        this.fileSearch.restore(st.model_io ?? {});
        this.code.restore(st.model_io ?? {});
      }
      const resolved = this.deps.router.resolve(this.run.model);
      if ('error' in resolved) return await this.fail('server_error', resolved.error);
      for (;;) {
        const outcome = await this.turn(resolved);
        if (outcome === 'continue') continue;
        return;
      }
    } catch (err) {
      await this.handleFailure(err);
    }
  }

  private async handleFailure(err: unknown): Promise<void> {
    if (this.signal.aborted || err instanceof RunMoved) {
      const stored = await this.deps.store.runs.get(this.projectId, this.run.thread_id, this.run.id);
      if (!stored) {
        // thread deleted under the run: end the streams of anyone still listening
        this.emit({ event: 'error', data: Errors.notFound('thread', this.run.thread_id).toWire().error });
        return;
      }
      if (stored.status === 'cancelling' || (this.signal.reason === 'cancel' && stored.status === 'in_progress')) {
        return this.finishCancelled();
      }
      if (this.signal.aborted && this.signal.reason === 'shutdown') {
        return this.fail('server_error', 'The server shut down while this run was in progress.');
      }
      return; // someone else finished it
    }
    if (err instanceof SandboxUnavailable) return this.fail('server_error', err.message);
    if (err instanceof ModelError) {
      const code = err.kind === 'rate_limit' ? 'rate_limit_exceeded' : err.kind === 'client' ? 'invalid_prompt' : 'server_error';
      return this.fail(code, upstreamMessage(err));
    }
    this.deps.logger.error({ err, runId: this.run.id }, 'run failed unexpectedly');
    return this.fail('server_error', 'The server had an error while processing this run.');
  }

  /** One model call and what follows from it. */
  private async turn(resolved: ResolvedModel): Promise<'continue' | 'done'> {
    const { store } = this.deps;
    const run = this.run;
    const history = this.history ?? store.messages.all(this.projectId, run.thread_id);
    this.history = undefined;
    const [messages, steps] = await Promise.all([
      history,
      this.noSteps ? [] : store.steps.forRun(this.projectId, run.id),
    ]);
    const used = run.usage ?? usageOf(0, 0);
    const completionLeft = run.max_completion_tokens === null ? null : run.max_completion_tokens - used.completion_tokens;
    if (completionLeft !== null && completionLeft <= 0) return this.finishIncomplete('max_completion_tokens');
    const prompt = await buildPrompt(
      { run, messages, steps, loadImage: (id) => this.loadImage(id) },
      {
        contextWindow: resolved.contextWindow,
        reserveForOutput: Math.min(completionLeft ?? DEFAULT_OUTPUT_RESERVE, Math.floor(resolved.contextWindow / 4)),
        promptTokensLeft: run.max_prompt_tokens === null ? null : run.max_prompt_tokens - used.prompt_tokens,
      },
    );
    if (!prompt.ok) return this.finishIncomplete('max_prompt_tokens');

    const request: ModelRequest = {
      model: resolved.providerModelId,
      messages: prompt.messages,
      signal: this.signal,
      ...modelTools(run),
      ...(run.temperature !== null && { temperature: run.temperature }),
      ...(run.top_p !== null && { topP: run.top_p }),
      ...(completionLeft !== null && { maxOutputTokens: completionLeft }),
      ...(run.reasoning_effort && { reasoningEffort: run.reasoning_effort }),
      ...responseFormat(run),
    };

    let finish: Extract<ModelStreamPart, { type: 'finish' }> | undefined;
    let produced = false;
    for (let attempt = 0; ; attempt++) {
      try {
        for await (const part of resolved.model.stream(request)) {
          if (part.type === 'finish') finish = part;
          else {
            produced = true;
            await this.onPart(part);
          }
        }
        break;
      } catch (err) {
        // A turn that already streamed output to clients cannot be replayed without duplicating it.
        if (!(err instanceof ModelError) || !err.retryable || produced || attempt >= this.deps.retry.maxRetries) throw err;
        await this.backoff(attempt, err.options.retryAfterMs);
      }
    }
    if (!finish) throw new ModelError('server', 'The upstream stream ended before the model finished.');
    const usage = usageOf(finish.usage.inputTokens, finish.usage.outputTokens);
    this.run = { ...this.run, usage: addUsage(this.run.usage, usage) };

    if (this.openTools && this.openTools.calls.length) {
      if (this.openMessage) await this.closeMessage('completed', usage);
      await this.runServerTools(this.openTools);
      if (this.openTools.calls.some((c) => c.type === 'function')) return this.requireAction(usage);
      const tools = this.openTools;
      this.openTools = undefined;
      const step = finishStep(
        { ...tools.step, step_details: { type: 'tool_calls', tool_calls: tools.calls }, model_io: tools.modelIo },
        'completed',
        this.now(),
        { usage },
      );
      await this.deps.store.steps.save(this.projectId, step);
      this.emitStep('thread.run.step.completed', step);
      return 'continue';
    }
    if (!this.openMessage) this.openNewMessage();
    // The answer's message and step are finished in the same write as the run, so a crash (or a
    // failed write) cannot leave a finished answer on a run that never finished.
    if (finish.reason === 'length') {
      await this.closeMessage('max_tokens', usage, this.incompleteRun('max_completion_tokens'));
      this.emitRun('thread.run.incomplete');
      return 'done';
    }
    const how = finish.reason === 'content-filter' ? 'content_filter' : 'completed';
    const total = this.run.usage!;
    if (run.max_prompt_tokens !== null && total.prompt_tokens > run.max_prompt_tokens) {
      await this.closeMessage(how, usage, this.incompleteRun('max_prompt_tokens'));
      this.emitRun('thread.run.incomplete');
      return 'done';
    }
    await this.closeMessage(how, usage, { ...this.run, status: 'completed', completed_at: this.now(), expires_at: null });
    this.emitRun('thread.run.completed');
    return 'done';
  }

  private async backoff(attempt: number, retryAfterMs: number | undefined): Promise<void> {
    const delay = Math.min(retryAfterMs ?? this.deps.retry.baseMs * 2 ** attempt, 30_000);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, delay);
      this.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(t);
          reject(new ModelError('aborted', 'aborted'));
        },
        { once: true },
      );
    });
  }

  private async onPart(part: Exclude<ModelStreamPart, { type: 'finish' }>): Promise<void> {
    switch (part.type) {
      case 'text-delta': {
        if (this.openTools) return; // text after tool calls in one turn is dropped, as the API does
        const first = !this.openMessage;
        if (first) this.openNewMessage();
        const open = this.openMessage!;
        if (open.lost) throw open.lost.err;
        open.text += part.text;
        this.emitText(open, first ? { value: part.text, annotations: [] } : { value: part.text });
        open.saveTimer ??= setTimeout(() => this.saveText(open), TEXT_SAVE_MS);
        return;
      }
      case 'tool-call-start': {
        if (this.openMessage) await this.closeMessage('completed', null);
        if (!this.openTools) await this.openToolStep();
        const tools = this.openTools!;
        const index = tools.calls.length;
        tools.byUpstreamId.set(part.id, index);
        if (part.name === CODE_INTERPRETER_TOOL && this.run.tools.some((t) => t.type === 'code_interpreter')) {
          tools.calls.push(this.code.start(index, this.deps.ids.next('call')));
          tools.serverArgs.set(index, '');
          return;
        }
        if (part.name === FILE_SEARCH_TOOL && this.run.tools.some((t) => t.type === 'file_search')) {
          const call: FileSearchToolCall = { id: this.deps.ids.next('call'), type: 'file_search', file_search: {} };
          tools.calls.push(call);
          tools.serverArgs.set(index, '');
          this.emitToolDelta({ index, id: call.id, type: 'file_search', file_search: {} });
          return;
        }
        const call: FunctionToolCall = {
          id: this.deps.ids.next('call'),
          type: 'function',
          function: { name: part.name, arguments: '', output: null },
        };
        tools.calls.push(call);
        this.emitToolDelta({ index, id: call.id, type: 'function', function: { ...call.function } });
        return;
      }
      case 'tool-call-delta': {
        const tools = this.openTools;
        const index = tools?.byUpstreamId.get(part.id);
        if (!tools || index === undefined) return;
        const call = tools.calls[index];
        if (call.type !== 'function') {
          tools.serverArgs.set(index, (tools.serverArgs.get(index) ?? '') + part.argumentsDelta);
          if (call.type === 'code_interpreter') this.code.argumentDelta(index, call, part.argumentsDelta);
          return;
        }
        call.function.arguments += part.argumentsDelta;
        this.emitToolDelta({ index, type: 'function', function: { arguments: part.argumentsDelta } });
        return;
      }
      case 'tool-call-end':
        return;
    }
  }

  /** Saves the text streamed so far (in the background, in order with the message's other writes). */
  private saveText(open: OpenMessage): void {
    open.saveTimer = undefined;
    if (this.openMessage !== open) return;
    const snapshot: Message = { ...open.message, content: this.contentOf(open, []) };
    open.persisted = open.persisted.then(() => this.deps.store.messages.update(this.projectId, snapshot)).then(() => undefined);
    open.persisted.catch(() => undefined);
  }

  /** A delta of the open message's text part (after its images). */
  private emitText(open: OpenMessage, text: Record<string, unknown>): void {
    this.emitContent(open.message.id, [{ index: open.images.length, type: 'text', text }]);
  }

  private emitContent(messageId: string, content: Array<Record<string, unknown> & { index: number; type: string }>): void {
    this.emit({ event: 'thread.message.delta', data: { id: messageId, object: 'thread.message.delta', delta: { content } } });
  }

  private emitToolDelta(call: Record<string, unknown> & { index: number; type: string }): void {
    this.emit({
      event: 'thread.run.step.delta',
      data: {
        id: this.openTools!.step.id,
        object: 'thread.run.step.delta',
        delta: { step_details: { type: 'tool_calls', tool_calls: [call] } },
      },
    });
  }

  /**
   * Opens the answer's message: its row and its message_creation step's are inserted together,
   * and its events (and every event after them) are kept back until they are written, so whoever
   * hears of the message can read it. The turn meanwhile goes on reading the model's stream, so
   * text that arrives before an upstream failure is not left unread in its buffers.
   */
  private openNewMessage(): void {
    const { ids, clock, store } = this.deps;
    const message = newAssistantMessage(this.run, ids, clock);
    const step = newStep(this.run, { type: 'message_creation', message_creation: { message_id: message.id } }, ids, clock);
    this.noSteps = false;
    const images = this.code.pendingImages;
    this.code.pendingImages = [];
    const open: OpenMessage = { step, message, text: '', images, persisted: Promise.resolve() };
    this.held ??= [];
    open.persisted = store.steps.insert(this.projectId, step, message).then(
      () => this.release(),
      (err: unknown) => {
        // nothing was written: what names the message is dropped, and the run fails on its next part
        open.lost = { err };
        this.held = undefined;
        throw err;
      },
    );
    open.persisted.catch(() => undefined);
    this.openMessage = open;
    this.emitStep('thread.run.step.created', step);
    this.emitStep('thread.run.step.in_progress', step);
    this.emitMessage('thread.message.created', message);
    this.emitMessage('thread.message.in_progress', message);
    if (images.length) this.emitContent(message.id, images.map((file_id, index) => ({ index, type: 'image_file', image_file: { file_id } })));
  }

  /** Publishes the events kept back, in order. */
  private release(): void {
    const events = this.held ?? [];
    this.held = undefined;
    for (const e of events) this.deps.bus.publish(this.run.id, e);
  }

  /**
   * Ends the open message: `completed`, or incomplete for a reason; then completes its step. With
   * `final` (the run's next and last state, from in_progress) the message, its step and the run
   * are written in one transaction. If a write fails the message stays open, so whoever ends the
   * run (fail, cancel) closes it as that.
   */
  private async closeMessage(
    how: 'completed' | 'max_tokens' | 'content_filter',
    usage: RunUsage | null,
    final?: Run,
  ): Promise<void> {
    const open = this.openMessage!;
    this.openMessage = undefined;
    clearTimeout(open.saveTimer);
    let message: Message;
    let step: RunStep;
    try {
      await open.persisted;
      const now = this.now();
      const annotations = this.annotate(open);
      const withText: Message = { ...open.message, content: this.contentOf(open, annotations) };
      message = how === 'completed' ? completeMessage(withText, now) : incompleteMessage(withText, how, now);
      const stepUsage = usage ?? usageOf(0, textTokens(open.text));
      step = finishStep(open.step, 'completed', now, { usage: stepUsage });
      if (final) {
        if (!(await this.deps.store.runs.save(this.projectId, final, ['in_progress'], [step], [message]))) throw new RunMoved();
        this.run = final;
      } else {
        await this.deps.store.messages.update(this.projectId, message);
        await this.deps.store.steps.save(this.projectId, step);
      }
    } catch (err) {
      this.openMessage = open;
      throw err;
    }
    this.emitMessage(how === 'completed' ? 'thread.message.completed' : 'thread.message.incomplete', message);
    this.emitStep('thread.run.step.completed', step);
  }

  /** The run ended `incomplete` for `reason`. */
  private incompleteRun(reason: 'max_completion_tokens' | 'max_prompt_tokens'): Run {
    return { ...this.run, status: 'incomplete', incomplete_details: { reason }, expires_at: null, usage: this.run.usage ?? usageOf(0, 0) };
  }

  private contentOf(open: OpenMessage, annotations: TextAnnotation[]): MessageContent[] {
    return [
      ...open.images.map((file_id): MessageContent => ({ type: 'image_file', image_file: { file_id } })),
      { type: 'text', text: { value: open.text, annotations } },
    ];
  }

  /**
   * Citation markers and `sandbox:/mnt/data/…` links in the open message become annotations,
   * streamed as one annotations delta, in text order.
   */
  private annotate(open: OpenMessage): TextAnnotation[] {
    const annotations = [
      ...citationAnnotations(open.text, this.fileSearch.sources),
      ...filePathAnnotations(open.text, this.code.links),
    ].sort((a, b) => a.start_index - b.start_index);
    if (annotations.length) this.emitText(open, { annotations: annotations.map((a, i) => ({ index: i, ...a })) });
    return annotations;
  }

  /** Executes the turn's server-side calls (file_search, code_interpreter) in the order made. */
  private async runServerTools(tools: OpenToolStep): Promise<void> {
    const pending = (type: string): PendingCall[] =>
      [...tools.serverArgs].filter(([i]) => tools.calls[i].type === type).map(([index, args]) => ({ index, call: tools.calls[index], args }));
    await this.fileSearch.run(pending('file_search'), tools.modelIo);
    await this.code.run(pending('code_interpreter'), tools.modelIo);
  }

  private async openToolStep(): Promise<void> {
    const step = newStep(this.run, { type: 'tool_calls', tool_calls: [] }, this.deps.ids, this.deps.clock);
    this.noSteps = false;
    await this.deps.store.steps.insert(this.projectId, step);
    this.openTools = { step, calls: [], byUpstreamId: new Map(), serverArgs: new Map(), modelIo: {} };
    this.emitStep('thread.run.step.created', step);
    this.emitStep('thread.run.step.in_progress', step);
  }

  private async requireAction(usage: RunUsage): Promise<'done'> {
    const tools = this.openTools!;
    this.openTools = undefined;
    const step: RunStep = {
      ...tools.step,
      step_details: { type: 'tool_calls', tool_calls: tools.calls },
      usage,
      ...(Object.keys(tools.modelIo).length && { model_io: tools.modelIo }),
    };
    await this.deps.store.steps.save(this.projectId, step);
    const now = this.now();
    await this.transition(
      {
        ...this.run,
        status: 'requires_action',
        expires_at: now + REQUIRES_ACTION_TTL_SECONDS,
        required_action: {
          type: 'submit_tool_outputs',
          submit_tool_outputs: {
            tool_calls: tools.calls.flatMap((c) =>
              c.type === 'function' ? [{ id: c.id, type: 'function' as const, function: { name: c.function.name, arguments: c.function.arguments } }] : [],
            ),
          },
        },
      },
      ['in_progress'],
    );
    this.emitRun('thread.run.requires_action');
    return 'done';
  }

  private async finishIncomplete(reason: 'max_completion_tokens' | 'max_prompt_tokens'): Promise<'done'> {
    await this.closeOpen('incomplete');
    await this.transition(this.incompleteRun(reason), ['in_progress']);
    this.emitRun('thread.run.incomplete');
    return 'done';
  }

  /**
   * Ends whatever step or message is open when a run stops early. Writes first, events after, and
   * what is open stays open until its writes are done: a failed write (the database gone for a
   * moment) can be tried again without losing or repeating an event.
   */
  private async closeOpen(how: 'incomplete' | 'cancelled' | 'failed', error?: RunStep['last_error']): Promise<void> {
    const now = this.now();
    const stepStatus = how === 'incomplete' ? 'completed' : how;
    if (this.openMessage) {
      const open = this.openMessage;
      clearTimeout(open.saveTimer);
      // A failed text save is no reason to leave open what the clients were shown: the updates
      // below write the text there is.
      await open.persisted.catch(() => undefined);
    }
    if (this.openMessage?.lost) this.openMessage = undefined; // never written, never announced
    if (this.openMessage) {
      const open = this.openMessage;
      const reason = how === 'cancelled' ? 'run_cancelled' : how === 'failed' ? 'run_failed' : 'max_tokens';
      const message = incompleteMessage(
        { ...open.message, content: open.text || open.images.length ? this.contentOf(open, []) : [] },
        reason,
        now,
      );
      const step = finishStep(open.step, stepStatus, now, { error });
      await this.deps.store.messages.update(this.projectId, message);
      await this.deps.store.steps.save(this.projectId, step);
      this.openMessage = undefined;
      this.emitMessage('thread.message.incomplete', message);
      this.emitStep(`thread.run.step.${stepStatus}`, step);
    }
    if (this.openTools) {
      const tools = this.openTools;
      const step = finishStep({ ...tools.step, step_details: { type: 'tool_calls', tool_calls: tools.calls } }, stepStatus, now, {
        error,
      });
      await this.deps.store.steps.save(this.projectId, step);
      this.openTools = undefined;
      this.emitStep(`thread.run.step.${stepStatus}`, step);
    }
  }

  private async finishCancelled(): Promise<void> {
    await this.closeOpen('cancelled');
    const next: Run = { ...this.run, status: 'cancelled', cancelled_at: this.now(), expires_at: null, required_action: null };
    if (await this.deps.store.runs.save(this.projectId, next, ['cancelling', 'in_progress'])) {
      this.run = next;
      this.emitRun('thread.run.cancelled');
    }
  }

  /**
   * Fails the run. A write that fails because the database went away for a moment (PostgreSQL
   * restarting) is tried again for a while, this process still holding the run: it ends failed
   * with its own last_error and every event in order, not later by the orphan sweep with "the
   * server stopped" and the message's events missing.
   */
  private async fail(code: NonNullable<Run['last_error']>['code'], message: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.failOnce(code, message);
      } catch (err) {
        if (!isTransientStoreError(err) || attempt >= FAIL_WRITE_ATTEMPTS) throw err;
        await new Promise((resolve) => setTimeout(resolve, FAIL_WRITE_RETRY_MS));
      }
    }
  }

  private async failOnce(code: NonNullable<Run['last_error']>['code'], message: string): Promise<void> {
    const stepCode = code === 'rate_limit_exceeded' ? 'rate_limit_exceeded' : 'server_error';
    await this.closeOpen('failed', { code: stepCode, message });
    const next: Run = {
      ...this.run,
      status: 'failed',
      failed_at: this.now(),
      expires_at: null,
      required_action: null,
      last_error: { code, message },
    };
    if (await this.deps.store.runs.save(this.projectId, next, ['in_progress', 'cancelling'])) {
      this.run = next;
      this.emitRun('thread.run.failed');
    }
  }

  private async loadImage(fileId: string): Promise<{ data: Uint8Array; mediaType: string } | undefined> {
    const file = await this.deps.store.files.get(this.projectId, fileId, this.now());
    if (!file) return undefined;
    const chunks: Buffer[] = [];
    for await (const c of this.deps.blobs.get(file.blob_key)) chunks.push(c as Buffer);
    return { data: new Uint8Array(Buffer.concat(chunks)), mediaType: file.mime_type };
  }
}

function modelTools(run: Run): Pick<ModelRequest, 'tools' | 'toolChoice' | 'parallelToolCalls'> {
  const tools: ModelTool[] = [];
  for (const t of run.tools) {
    if (t.type === 'file_search') tools.push(fileSearchModelTool());
    if (t.type === 'code_interpreter') tools.push(codeInterpreterModelTool());
    if (t.type !== 'function') continue;
    tools.push({
      name: t.function.name,
      ...(t.function.description !== undefined && { description: t.function.description }),
      parameters: t.function.parameters ?? { type: 'object', properties: {} },
      ...(t.function.strict != null && { strict: t.function.strict }),
    });
  }
  if (!tools.length) return {};
  const tc = run.tool_choice;
  let toolChoice: ModelToolChoice = 'auto';
  if (tc === 'none' || tc === 'required' || tc === 'auto') toolChoice = tc;
  else if (typeof tc === 'object' && tc.type === 'function') toolChoice = { name: tc.function.name };
  else if (typeof tc === 'object' && tc.type === 'file_search' && tools.some((t) => t.name === FILE_SEARCH_TOOL)) {
    toolChoice = { name: FILE_SEARCH_TOOL };
  } else if (typeof tc === 'object' && tc.type === 'code_interpreter' && tools.some((t) => t.name === CODE_INTERPRETER_TOOL)) {
    toolChoice = { name: CODE_INTERPRETER_TOOL };
  }
  return { tools, toolChoice, parallelToolCalls: run.parallel_tool_calls };
}

function responseFormat(run: Run): Pick<ModelRequest, 'responseFormat'> {
  const rf = run.response_format;
  if (typeof rf !== 'object') return {};
  if (rf.type === 'json_object') return { responseFormat: { type: 'json' } };
  if (rf.type === 'json_schema') {
    return {
      responseFormat: {
        type: 'json',
        ...(rf.json_schema.schema && { schema: rf.json_schema.schema }),
        name: rf.json_schema.name,
        ...(rf.json_schema.description && { description: rf.json_schema.description }),
        strict: rf.json_schema.strict === true,
      },
    };
  }
  return {};
}

function upstreamMessage(err: ModelError): string {
  const status = err.options.status ? ` (HTTP ${err.options.status})` : '';
  switch (err.kind) {
    case 'rate_limit':
      return `The upstream model provider rate-limited the request and retries were exhausted${status}: ${err.message}`;
    case 'timeout':
      return `The upstream model provider did not respond in time: ${err.message}`;
    case 'client':
      return `The upstream model provider rejected the request${status}: ${err.message}`;
    default:
      return `The upstream model provider failed${status}: ${err.message}`;
  }
}
