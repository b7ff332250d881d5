import type { FastifyInstance } from 'fastify';
import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import { parseBody } from '../../core/validate.js';
import type { Message, Thread } from '../../core/wire.js';
import type { Deps } from '../deps.js';
import { sendJsonText } from '../json-text.js';
import { attachFilesToThread } from '../messages/attachments.js';
import { buildMessage } from '../messages/build.js';
import { resolveToolResources } from '../tool-resources.js';
import { createThreadBody, modifyThreadBody } from './schema.js';

type IdParams = { Params: { thread_id: string } };

export function threadRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, clock, ids } = deps;

  async function load(projectId: string, id: string): Promise<Thread> {
    const t = await store.threads.get(projectId, id);
    if (!t) throw Errors.notFound('thread', id);
    return t;
  }

  app.post('/threads', async (request) => {
    const body = parseBody(createThreadBody, request.body);
    const ctx = { store, clock, ids, projectId: request.projectId };
    const thread: Thread = {
      id: ids.next('thread'),
      object: 'thread',
      created_at: unixSeconds(clock),
      tool_resources: await resolveToolResources(body.tool_resources, deps, request.projectId, 'thread'),
      metadata: body.metadata ?? {},
    };
    const messages: Message[] = [];
    for (const [i, m] of (body.messages ?? []).entries()) {
      messages.push(await buildMessage(m, thread.id, ctx, `messages[${i}]`));
    }
    await store.threads.insert(request.projectId, thread, messages);
    return attachFilesToThread(deps, request.projectId, thread, messages.flatMap((m) => m.attachments));
  });

  // The hot read: the stored row goes out as wire JSON without becoming an object in between.
  app.get<IdParams>('/threads/:thread_id', async (request, reply) => {
    const id = request.params.thread_id;
    const json = await store.threads.getJson(request.projectId, id);
    if (json === undefined) throw Errors.notFound('thread', id);
    return sendJsonText(reply, json);
  });

  app.post<IdParams>('/threads/:thread_id', async (request) => {
    const body = parseBody(modifyThreadBody, request.body);
    const current = await load(request.projectId, request.params.thread_id);
    const next: Thread = {
      ...current,
      ...(body.metadata !== undefined && { metadata: body.metadata ?? {} }),
      ...(body.tool_resources !== undefined && {
        tool_resources: await resolveToolResources(body.tool_resources, deps, request.projectId, 'thread'),
      }),
    };
    if (!(await store.threads.update(request.projectId, next))) throw Errors.notFound('thread', current.id);
    return next;
  });

  app.delete<IdParams>('/threads/:thread_id', async (request) => {
    const id = request.params.thread_id;
    const active = await store.runs.active(request.projectId, id);
    if (!(await store.threads.delete(request.projectId, id))) throw Errors.notFound('thread', id);
    // a run executing here stops now instead of streaming on for a deleted thread (elsewhere: at the worker's heartbeat)
    if (active) deps.runControl.abort(active.id);
    return { id, object: 'thread.deleted', deleted: true };
  });
}
