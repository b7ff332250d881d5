import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';
import { toListResponse } from '../../core/page.js';
import { parseBody } from '../../core/validate.js';
import { toWireStep } from '../../core/wire.js';
import type { Deps } from '../deps.js';
import { parseListQuery } from '../pagination.js';
import { StreamLimiter } from '../rate-limits.js';
import { streamRun } from '../sse.js';
import { createRunBody, createThreadAndRunBody, modifyRunBody, parseInclude, submitToolOutputsBody } from './schema.js';
import { createRunService } from './service.js';

type ThreadParams = { Params: { thread_id: string } };
type RunParams = { Params: { thread_id: string; run_id: string } };
type StepParams = { Params: { thread_id: string; run_id: string; step_id: string } };

/** How soon SDK poll helpers should ask again (they default to 5 s without this header). */
const POLL_AFTER_MS = '200';

export function runRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, bus } = deps;
  const runs = createRunService(deps);
  const streams = deps.limits.streamsPerKey > 0 ? new StreamLimiter(deps.limits.streamsPerKey) : null;

  /** Runs `start` holding one of the caller's stream slots, given back if it fails or by the stream. */
  async function withStreamSlot<T>(key: string, start: (release: () => void) => Promise<T>): Promise<T> {
    const release = streams?.acquire(key) ?? (() => undefined);
    try {
      return await start(release);
    } catch (err) {
      release();
      throw err;
    }
  }

  app.post('/threads/runs', async (request, reply) => {
    const body = parseBody(createThreadAndRunBody, request.body);
    if (!body.stream) return (await runs.createThreadAndRun(request.projectId, body)).run;
    return withStreamSlot(request.callerKey, async (release) => {
      const { run, thread } = await runs.createThreadAndRun(request.projectId, body);
      return streamRun(request, reply, bus, run.id, 0, [{ event: 'thread.created', data: thread }], release);
    });
  });

  app.post<ThreadParams>('/threads/:thread_id/runs', async (request, reply) => {
    const include = parseInclude(request.query);
    const body = parseBody(createRunBody, request.body);
    const create = () => runs.create(request.projectId, request.params.thread_id, body, include.length > 0);
    if (!body.stream) return create();
    return withStreamSlot(request.callerKey, async (release) => streamRun(request, reply, bus, (await create()).id, 0, [], release));
  });

  app.get<ThreadParams>('/threads/:thread_id/runs', async (request) => {
    const query = parseListQuery(request.query);
    if (!(await store.threads.get(request.projectId, request.params.thread_id))) {
      throw Errors.notFound('thread', request.params.thread_id);
    }
    return toListResponse(await store.runs.list(request.projectId, request.params.thread_id, query));
  });

  app.get<RunParams>('/threads/:thread_id/runs/:run_id', async (request, reply) => {
    const run = await runs.get(request.projectId, request.params.thread_id, request.params.run_id);
    reply.header('openai-poll-after-ms', POLL_AFTER_MS);
    return run;
  });

  app.post<RunParams>('/threads/:thread_id/runs/:run_id', async (request) => {
    const body = parseBody(modifyRunBody, request.body);
    const { thread_id, run_id } = request.params;
    const run = await runs.get(request.projectId, thread_id, run_id);
    if (body.metadata !== undefined) {
      await store.runs.updateMetadata(request.projectId, thread_id, run_id, body.metadata ?? {});
      return { ...run, metadata: body.metadata ?? {} };
    }
    return run;
  });

  app.post<RunParams>('/threads/:thread_id/runs/:run_id/cancel', async (request) =>
    runs.cancel(request.projectId, request.params.thread_id, request.params.run_id),
  );

  app.post<RunParams>('/threads/:thread_id/runs/:run_id/submit_tool_outputs', async (request, reply) => {
    const body = parseBody(submitToolOutputsBody, request.body);
    const { thread_id, run_id } = request.params;
    const submit = () => runs.submitToolOutputs(request.projectId, thread_id, run_id, body.tool_outputs);
    if (!body.stream) return submit();
    return withStreamSlot(request.callerKey, async (release) => {
      const from = bus.nextSeq(run_id);
      return streamRun(request, reply, bus, (await submit()).id, from, [], release);
    });
  });

  app.get<RunParams>('/threads/:thread_id/runs/:run_id/steps', async (request) => {
    const includeContent = parseInclude(request.query).length > 0;
    const query = parseListQuery(request.query);
    await runs.get(request.projectId, request.params.thread_id, request.params.run_id);
    const page = await store.steps.list(request.projectId, request.params.thread_id, request.params.run_id, query);
    return toListResponse({ data: page.data.map((s) => toWireStep(s, includeContent)), hasMore: page.hasMore });
  });

  app.get<StepParams>('/threads/:thread_id/runs/:run_id/steps/:step_id', async (request) => {
    const includeContent = parseInclude(request.query).length > 0;
    const { thread_id, run_id, step_id } = request.params;
    const step = await store.steps.get(request.projectId, thread_id, run_id, step_id);
    if (step) return toWireStep(step, includeContent);
    await runs.get(request.projectId, thread_id, run_id);
    throw Errors.notFound('run step', step_id);
  });
}
