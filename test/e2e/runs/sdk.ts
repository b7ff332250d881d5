/**
 * The run-engine tests' own facade over `openai` 4.x, 5.x and 6.x: one interface whose methods
 * call each SDK's real resource methods with that SDK's own signatures (4.x positional path
 * parameters, 5.x+ named ones; sdk-versions.md §2). The wire shapes are typed with the 6.x
 * declarations; the casts only bridge the 4.x/5.x declarations to them.
 */
import OpenAI4 from 'openai4';
import OpenAI5 from 'openai5';
import OpenAI6 from 'openai6';
import type { AssistantStream } from 'openai6/lib/AssistantStream';
import type { Assistant, AssistantCreateParams } from 'openai6/resources/beta/assistants';
import type { AssistantStreamEvent } from 'openai6/resources/beta/assistants';
import type { Message, MessageCreateParams } from 'openai6/resources/beta/threads/messages';
import type {
  Run,
  RunCreateParamsNonStreaming,
  RunSubmitToolOutputsParams,
} from 'openai6/resources/beta/threads/runs/runs';
import type { RunStep, RunStepInclude } from 'openai6/resources/beta/threads/runs/steps';
import type { Thread, ThreadCreateAndRunParamsNonStreaming, ThreadCreateParams } from 'openai6/resources/beta/threads/threads';

export type { AssistantStream, AssistantStreamEvent, Message, Run, RunStep, Thread };

export type RunSdkName = 'openai@4' | 'openai@5' | 'openai@6';
export type RunBody = Omit<RunCreateParamsNonStreaming, 'stream'>;
export type ThreadRunBody = Omit<ThreadCreateAndRunParamsNonStreaming, 'stream'>;
export type ToolOutput = RunSubmitToolOutputsParams.ToolOutput;

export interface ListQuery {
  limit?: number;
  order?: 'asc' | 'desc';
  after?: string;
  before?: string;
}

export interface StepQuery extends ListQuery {
  include?: RunStepInclude[];
}

export interface ListBody<T> {
  object: string;
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** What an SDK's APIError exposes. */
export interface ApiErrorFields {
  status: number | undefined;
  message: string;
  error: { message?: string; type?: string; param?: string | null; code?: string | null } | undefined;
}

export interface RunFacade {
  name: RunSdkName;
  /** The SDK's APIError class (4.x/5.x/6.x each have their own). */
  errorFields(err: unknown): ApiErrorFields | undefined;

  assistants: { create(body: AssistantCreateParams): Promise<Assistant> };
  threads: {
    create(body?: ThreadCreateParams): Promise<Thread>;
    delete(id: string): Promise<unknown>;
  };
  messages: {
    create(threadId: string, body: MessageCreateParams): Promise<Message>;
    /** Every message, oldest first (auto-paginated). */
    all(threadId: string): Promise<Message[]>;
  };
  runs: {
    create(threadId: string, body: RunBody & { include?: RunStepInclude[] }): Promise<Run>;
    /** `runs.create(thread, {…, stream: true})`: the SDK's raw `Stream` of events. */
    createStreaming(threadId: string, body: RunBody): Promise<AsyncIterable<AssistantStreamEvent>>;
    /** `pollIntervalMs` defaults to 25; `null` leaves the SDK default (the `openai-poll-after-ms` header). */
    createAndPoll(threadId: string, body: RunBody, pollIntervalMs?: number | null): Promise<Run>;
    stream(threadId: string, body: RunBody): AssistantStream;
    retrieve(threadId: string, runId: string): Promise<Run>;
    update(threadId: string, runId: string, metadata: Record<string, string> | null): Promise<Run>;
    list(threadId: string, query?: ListQuery): Promise<ListBody<Run>>;
    cancel(threadId: string, runId: string): Promise<Run>;
    poll(threadId: string, runId: string, pollIntervalMs?: number | null): Promise<Run>;
    submitToolOutputs(threadId: string, runId: string, outputs: ToolOutput[]): Promise<Run>;
    submitToolOutputsAndPoll(threadId: string, runId: string, outputs: ToolOutput[]): Promise<Run>;
    submitToolOutputsStream(threadId: string, runId: string, outputs: ToolOutput[]): AssistantStream;
    createAndRun(body: ThreadRunBody): Promise<Run>;
    createAndRunPoll(body: ThreadRunBody): Promise<Run>;
    createAndRunStream(body: ThreadRunBody): AssistantStream;
  };
  steps: {
    list(threadId: string, runId: string, query?: StepQuery): Promise<ListBody<RunStep>>;
    retrieve(threadId: string, runId: string, stepId: string, include?: RunStepInclude[]): Promise<RunStep>;
  };
}

export interface RunSdk {
  name: RunSdkName;
  make(baseURL: string, apiKey?: string): RunFacade;
}

const API_KEY = 'sk-e2e-runs';
/** The poll helpers' interval unless a test asks for the SDK default. */
const POLL_MS = 25;
const pollOptions = (ms: number | null = POLL_MS) => (ms === null ? undefined : { pollIntervalMs: ms });

/** The list body a page was built from (every SDK's CursorPage keeps it as `body`). */
function bodyOf<T>(page: object): ListBody<T> {
  const body = (page as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { data?: unknown }).data)) {
    throw new Error('the SDK page carries no list body');
  }
  return body as ListBody<T>;
}

function makeErrorFields(Sdk: { APIError: abstract new (...args: never[]) => Error }) {
  return (err: unknown): ApiErrorFields | undefined => {
    if (!(err instanceof Sdk.APIError)) return undefined;
    const e = err as unknown as { status: number | undefined; message: string; error: ApiErrorFields['error'] };
    return { status: e.status, message: e.message, error: e.error };
  };
}

function makeV4(baseURL: string, apiKey: string): RunFacade {
  const client = new OpenAI4({ baseURL, apiKey, maxRetries: 0 });
  const { threads } = client.beta;
  const { runs, messages } = threads;
  const run = (p: Promise<unknown>) => p as Promise<Run>;
  const stream = (s: unknown) => s as AssistantStream;
  type Any = never;
  return {
    name: 'openai@4',
    errorFields: makeErrorFields(OpenAI4),
    assistants: { create: async (body) => (await client.beta.assistants.create(body as Any)) as unknown as Assistant },
    threads: {
      create: async (body) => (await threads.create((body ?? {}) as Any)) as unknown as Thread,
      delete: (id) => threads.del(id),
    },
    messages: {
      create: async (threadId, body) => (await messages.create(threadId, body as Any)) as unknown as Message,
      async all(threadId) {
        const out: Message[] = [];
        for await (const m of messages.list(threadId, { order: 'asc', limit: 100 })) out.push(m as unknown as Message);
        return out;
      },
    },
    runs: {
      create: (threadId, body) => run(runs.create(threadId, body as Any)),
      createStreaming: async (threadId, body) =>
        (await runs.create(threadId, { ...(body as object), stream: true } as Any)) as unknown as AsyncIterable<AssistantStreamEvent>,
      createAndPoll: (threadId, body, pollIntervalMs) =>
        run(runs.createAndPoll(threadId, body as Any, pollOptions(pollIntervalMs))),
      stream: (threadId, body) => stream(runs.stream(threadId, body as Any)),
      retrieve: (threadId, runId) => run(runs.retrieve(threadId, runId)),
      update: (threadId, runId, metadata) => run(runs.update(threadId, runId, { metadata })),
      list: async (threadId, query = {}) => bodyOf<Run>(await runs.list(threadId, query)),
      cancel: (threadId, runId) => run(runs.cancel(threadId, runId)),
      poll: (threadId, runId, pollIntervalMs) => run(runs.poll(threadId, runId, pollOptions(pollIntervalMs))),
      submitToolOutputs: (threadId, runId, outputs) => run(runs.submitToolOutputs(threadId, runId, { tool_outputs: outputs })),
      submitToolOutputsAndPoll: (threadId, runId, outputs) =>
        run(runs.submitToolOutputsAndPoll(threadId, runId, { tool_outputs: outputs }, pollOptions())),
      submitToolOutputsStream: (threadId, runId, outputs) =>
        stream(runs.submitToolOutputsStream(threadId, runId, { tool_outputs: outputs })),
      createAndRun: (body) => run(threads.createAndRun(body as Any)),
      createAndRunPoll: (body) => run(threads.createAndRunPoll(body as Any, pollOptions())),
      createAndRunStream: (body) => stream(threads.createAndRunStream(body as Any)),
    },
    steps: {
      list: async (threadId, runId, query = {}) =>
        bodyOf<RunStep>(await runs.steps.list(threadId, runId, query as Any)),
      retrieve: async (threadId, runId, stepId, include) =>
        (await runs.steps.retrieve(threadId, runId, stepId, include ? ({ include } as Any) : {})) as unknown as RunStep,
    },
  };
}

function makeV5Plus(major: 5 | 6, baseURL: string, apiKey: string): RunFacade {
  const Sdk = major === 5 ? OpenAI5 : OpenAI6;
  const client = new Sdk({ baseURL, apiKey, maxRetries: 0 }) as OpenAI6;
  const { threads } = client.beta;
  const { runs, messages } = threads;
  return {
    name: major === 5 ? 'openai@5' : 'openai@6',
    errorFields: makeErrorFields(Sdk),
    assistants: { create: (body) => client.beta.assistants.create(body) },
    threads: {
      create: (body) => threads.create(body ?? {}),
      delete: (id) => threads.delete(id),
    },
    messages: {
      create: (threadId, body) => messages.create(threadId, body),
      async all(threadId) {
        const out: Message[] = [];
        for await (const m of messages.list(threadId, { order: 'asc', limit: 100 })) out.push(m);
        return out;
      },
    },
    runs: {
      create: (threadId, body) => runs.create(threadId, body),
      createStreaming: (threadId, body) => runs.create(threadId, { ...body, stream: true }),
      createAndPoll: (threadId, body, pollIntervalMs) =>
        runs.createAndPoll(threadId, body, pollOptions(pollIntervalMs)),
      stream: (threadId, body) => runs.stream(threadId, body),
      retrieve: (threadId, runId) => runs.retrieve(runId, { thread_id: threadId }),
      update: (threadId, runId, metadata) => runs.update(runId, { thread_id: threadId, metadata }),
      list: async (threadId, query = {}) => bodyOf<Run>(await runs.list(threadId, query)),
      cancel: (threadId, runId) => runs.cancel(runId, { thread_id: threadId }),
      poll: (threadId, runId, pollIntervalMs) =>
        runs.poll(runId, { thread_id: threadId }, pollOptions(pollIntervalMs)),
      submitToolOutputs: (threadId, runId, outputs) => runs.submitToolOutputs(runId, { thread_id: threadId, tool_outputs: outputs }),
      submitToolOutputsAndPoll: (threadId, runId, outputs) =>
        runs.submitToolOutputsAndPoll(runId, { thread_id: threadId, tool_outputs: outputs }, pollOptions()),
      submitToolOutputsStream: (threadId, runId, outputs) =>
        runs.submitToolOutputsStream(runId, { thread_id: threadId, tool_outputs: outputs }),
      createAndRun: (body) => threads.createAndRun(body),
      createAndRunPoll: (body) => threads.createAndRunPoll(body, pollOptions()),
      createAndRunStream: (body) => threads.createAndRunStream(body),
    },
    steps: {
      list: async (threadId, runId, query = {}) => bodyOf<RunStep>(await runs.steps.list(runId, { thread_id: threadId, ...query })),
      retrieve: (threadId, runId, stepId, include) =>
        runs.steps.retrieve(stepId, { thread_id: threadId, run_id: runId, ...(include && { include }) }),
    },
  };
}

const ALL: RunSdk[] = [
  { name: 'openai@4', make: (baseURL, apiKey = API_KEY) => makeV4(baseURL, apiKey) },
  { name: 'openai@5', make: (baseURL, apiKey = API_KEY) => makeV5Plus(5, baseURL, apiKey) },
  { name: 'openai@6', make: (baseURL, apiKey = API_KEY) => makeV5Plus(6, baseURL, apiKey) },
];

/** `OA_TEST_SDKS=openai@6` narrows the run (the default is all three). */
export const RUN_SDKS: RunSdk[] = process.env.OA_TEST_SDKS
  ? ALL.filter((s) => process.env.OA_TEST_SDKS!.split(',').map((n) => n.trim()).includes(s.name))
  : ALL;
