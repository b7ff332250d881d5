import type { FastifyInstance } from 'fastify';
import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import { toListResponse } from '../../core/page.js';
import { parseBody } from '../../core/validate.js';
import type { Assistant } from '../../core/wire.js';
import type { Deps } from '../deps.js';
import { sendJsonText } from '../json-text.js';
import { parseListQuery } from '../pagination.js';
import { resolveToolResources } from '../tool-resources.js';
import { createAssistantBody, modifyAssistantBody } from './schema.js';

type IdParams = { Params: { assistant_id: string } };

export function assistantRoutes(app: FastifyInstance, deps: Deps): void {
  const { store, clock, ids } = deps;

  async function load(projectId: string, id: string): Promise<Assistant> {
    const a = await store.assistants.get(projectId, id);
    if (!a) throw Errors.notFound('assistant', id);
    return a;
  }

  app.post('/assistants', async (request) => {
    const body = parseBody(createAssistantBody, request.body);
    const assistant: Assistant = {
      id: ids.next('assistant'),
      object: 'assistant',
      created_at: unixSeconds(clock),
      name: body.name ?? null,
      description: body.description ?? null,
      model: body.model,
      instructions: body.instructions ?? null,
      tools: body.tools ?? [],
      tool_resources: await resolveToolResources(body.tool_resources, deps, request.projectId, 'assistant'),
      metadata: body.metadata ?? {},
      temperature: body.temperature ?? 1,
      top_p: body.top_p ?? 1,
      response_format: body.response_format ?? 'auto',
      reasoning_effort: body.reasoning_effort ?? null,
    };
    await store.assistants.insert(request.projectId, assistant);
    return assistant;
  });

  app.get('/assistants', async (request) => {
    const page = await store.assistants.list(request.projectId, parseListQuery(request.query));
    return toListResponse(page);
  });

  // The hot read: the stored row goes out as wire JSON without becoming an object in between.
  app.get<IdParams>('/assistants/:assistant_id', async (request, reply) => {
    const id = request.params.assistant_id;
    const json = await store.assistants.getJson(request.projectId, id);
    if (json === undefined) throw Errors.notFound('assistant', id);
    return sendJsonText(reply, json);
  });

  app.post<IdParams>('/assistants/:assistant_id', async (request) => {
    const body = parseBody(modifyAssistantBody, request.body);
    const current = await load(request.projectId, request.params.assistant_id);
    const next: Assistant = {
      ...current,
      ...(body.model !== undefined && { model: body.model }),
      ...(body.name !== undefined && { name: body.name }),
      ...(body.description !== undefined && { description: body.description }),
      ...(body.instructions !== undefined && { instructions: body.instructions }),
      ...(body.reasoning_effort !== undefined && { reasoning_effort: body.reasoning_effort }),
      ...(body.tools !== undefined && { tools: body.tools }),
      ...(body.metadata !== undefined && { metadata: body.metadata ?? {} }),
      ...(body.temperature !== undefined && { temperature: body.temperature ?? 1 }),
      ...(body.top_p !== undefined && { top_p: body.top_p ?? 1 }),
      ...(body.response_format !== undefined && { response_format: body.response_format ?? 'auto' }),
      ...(body.tool_resources !== undefined && {
        tool_resources: await resolveToolResources(body.tool_resources, deps, request.projectId, 'assistant'),
      }),
    };
    if (!(await store.assistants.update(request.projectId, next))) throw Errors.notFound('assistant', current.id);
    return next;
  });

  app.delete<IdParams>('/assistants/:assistant_id', async (request) => {
    const id = request.params.assistant_id;
    if (!(await store.assistants.delete(request.projectId, id))) throw Errors.notFound('assistant', id);
    return { id, object: 'assistant.deleted', deleted: true };
  });
}
