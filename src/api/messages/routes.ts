import type { FastifyInstance } from 'fastify';
import { Errors } from '../../core/errors.js';
import { toListResponse } from '../../core/page.js';
import { parseBody } from '../../core/validate.js';
import type { Message } from '../../core/wire.js';
import type { Deps } from '../deps.js';
import { parseListQuery, queryString } from '../pagination.js';
import { attachFilesToThread } from './attachments.js';
import { buildMessage } from './build.js';
import { createMessageBody, modifyMessageBody } from './schema.js';

type ThreadParams = { Params: { thread_id: string } };
type MessageParams = { Params: { thread_id: string; message_id: string } };

export function messageRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, clock, ids } = deps;

  async function requireThread(projectId: string, threadId: string): Promise<void> {
    if (!(await store.threads.get(projectId, threadId))) throw Errors.notFound('thread', threadId);
  }

  async function load(projectId: string, threadId: string, id: string): Promise<Message> {
    const m = await store.messages.get(projectId, threadId, id);
    if (m) return m;
    await requireThread(projectId, threadId);
    throw Errors.notFound('message', id);
  }

  app.post<ThreadParams>('/threads/:thread_id/messages', async (request) => {
    const body = parseBody(createMessageBody, request.body);
    const { thread_id } = request.params;
    const thread = await store.threads.get(request.projectId, thread_id);
    if (!thread) throw Errors.notFound('thread', thread_id);
    const active = await store.runs.active(request.projectId, thread_id);
    if (active) throw Errors.conflict(`Can't add messages to ${thread_id} while a run ${active.id} is active.`);
    const message = await buildMessage(body, thread_id, { store, clock, ids, projectId: request.projectId });
    await store.messages.insert(request.projectId, message);
    await attachFilesToThread(deps, request.projectId, thread, message.attachments);
    return message;
  });

  app.get<ThreadParams>('/threads/:thread_id/messages', async (request) => {
    const query = { ...parseListQuery(request.query), runId: queryString(request.query, 'run_id') };
    await requireThread(request.projectId, request.params.thread_id);
    return toListResponse(await store.messages.list(request.projectId, request.params.thread_id, query));
  });

  app.get<MessageParams>('/threads/:thread_id/messages/:message_id', async (request) =>
    load(request.projectId, request.params.thread_id, request.params.message_id),
  );

  app.post<MessageParams>('/threads/:thread_id/messages/:message_id', async (request) => {
    const body = parseBody(modifyMessageBody, request.body);
    const current = await load(request.projectId, request.params.thread_id, request.params.message_id);
    const next: Message = { ...current, ...(body.metadata !== undefined && { metadata: body.metadata ?? {} }) };
    if (!(await store.messages.update(request.projectId, next))) throw Errors.notFound('message', current.id);
    return next;
  });

  app.delete<MessageParams>('/threads/:thread_id/messages/:message_id', async (request) => {
    const { thread_id, message_id } = request.params;
    if (!(await store.messages.delete(request.projectId, thread_id, message_id))) {
      await requireThread(request.projectId, thread_id);
      throw Errors.notFound('message', message_id);
    }
    return { id: message_id, object: 'thread.message.deleted', deleted: true };
  });
}
