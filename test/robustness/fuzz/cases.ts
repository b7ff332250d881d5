/**
 * Builds one fuzz case for an operation: a valid request from the spec (real path ids, a body
 * from the schema walker, a valid query), or that request with one hostile mutation of its body,
 * multipart form, query, path ids, headers or HTTP framing.
 */
import type { FuzzRequest, RawRequest } from './client.js';
import { fixValidBody, validHints, type Overrides } from './hints.js';
import { encodeQuery, fillPath, hostileId, mutateQuery, ODD_CONTENT_TYPES, validQuery } from './http-mutators.js';
import { mutateBody, wholeBody } from './json-mutators.js';
import { boundaryFor, multipartVariants, mutateMultipart, renderMultipart, validParts } from './multipart.js';
import type { Rng } from './prng.js';
import { rawCase, rawVariants } from './raw-framing.js';
import { createWalker } from './schema-walker.js';
import type { OpenApi, Operation } from './spec.js';
import type { Tuple, World } from './world.js';

export type Category = 'valid' | 'body' | 'multipart' | 'query' | 'path' | 'headers' | 'raw';

export interface FuzzCase {
  op: string;
  category: Category;
  /** What was done to the valid request. */
  mutation: string;
  http?: FuzzRequest;
  raw?: RawRequest;
}

export interface CaseEnv {
  spec: OpenApi;
  world: World;
  /** The key every request carries (`Bearer …`). */
  auth: string;
  limits: { bodyBytes: number; fileBytes: number };
}

/** Operations that use up their target; they get a fresh one whenever the path is real. */
async function freshTarget(op: Operation, world: World): Promise<(Tuple & { tool_call_id?: string; part_id?: string }) | undefined> {
  switch (op.operationId) {
    case 'deleteAssistant':
      return { assistant_id: (await world.api<{ id: string }>('POST', '/assistants', { model: 'fuzz-text' })).id };
    case 'deleteThread':
      return { thread_id: await world.freshThread() };
    case 'deleteMessage': {
      // a fresh thread too: a `..` in the message id would reach the thread itself
      const thread_id = await world.freshThread();
      return { thread_id, message_id: (await world.api<{ id: string }>('POST', `/threads/${thread_id}/messages`, { role: 'user', content: 'victim' })).id };
    }
    case 'deleteFile':
      return { file_id: await world.uploadFile('victim.txt') };
    case 'deleteVectorStore':
      return { vector_store_id: (await world.api<{ id: string }>('POST', '/vector_stores', { name: 'victim' })).id };
    case 'deleteVectorStoreFile':
      return world.freshVsFile();
    case 'cancelRun':
      return world.activeRun();
    case 'submitToolOuputsToRun':
      return world.requiresActionRun();
    case 'completeUpload':
      return world.uploadWithPart();
    case 'cancelUpload':
      return { upload_id: await world.freshUpload() };
    case 'cancelVectorStoreFileBatch':
      return world.freshBatch();
    case 'createRun':
      return { thread_id: await world.freshThread() };
    default:
      return undefined;
  }
}

/** Coherent real ids for every path parameter of `op`, from the shared objects. */
function poolTarget(rng: Rng, op: Operation, world: World): Tuple {
  const names = new Set(op.pathParams.map((p) => p.name));
  if (names.has('step_id')) return { ...rng.pick(world.steps) };
  if (names.has('run_id')) return { ...rng.pick(world.runs) };
  if (names.has('message_id')) return { ...rng.pick(world.messages) };
  if (names.has('batch_id')) return { ...rng.pick(world.batches) };
  if (names.has('vector_store_id') && names.has('file_id')) return { ...rng.pick(world.vsFiles) };
  const out: Tuple = {};
  if (names.has('assistant_id')) out.assistant_id = rng.pick(world.assistants);
  if (names.has('thread_id')) out.thread_id = rng.pick(world.threads);
  if (names.has('file_id')) out.file_id = rng.pick(world.files);
  if (names.has('vector_store_id')) out.vector_store_id = rng.pick(world.vectorStores);
  if (names.has('upload_id')) out.upload_id = rng.pick(world.uploads);
  return out;
}

const CONSUMERS = new Set([
  'deleteAssistant', 'deleteThread', 'deleteMessage', 'deleteFile', 'deleteVectorStore', 'deleteVectorStoreFile', 'cancelRun',
  'submitToolOuputsToRun', 'completeUpload', 'cancelUpload', 'cancelVectorStoreFileBatch', 'createRun',
]);

function pickCategory(rng: Rng, op: Operation, validRate: number): Category {
  if (rng.chance(validRate)) return 'valid';
  const options: Array<[number, Category]> = [[2, 'headers'], [1, 'query'], [0.35, 'raw']];
  if (op.body?.contentType === 'application/json') options.push([8, 'body']);
  if (op.body?.contentType === 'multipart/form-data') options.push([8, 'multipart']);
  if (op.queryParams.length) options.push([3, 'query']);
  if (op.pathParams.length) options.push([3, 'path']);
  return rng.weighted(options);
}

export async function buildCase(rng: Rng, op: Operation, env: CaseEnv, validRate = 0.35): Promise<FuzzCase> {
  const { world } = env;
  const category = pickCategory(rng, op, validRate);
  const baseHeaders: Record<string, string> = { authorization: env.auth, 'openai-beta': 'assistants=v2' };

  // path ids: fresh for operations that consume their target (unless the path gets mutated)
  let ids: Tuple & { tool_call_id?: string; part_id?: string } = poolTarget(rng, op, world);
  let encodedIds: Record<string, string> = {};
  let mutation = 'valid';
  // consumers always get fresh targets: even a mutated path can reach a real parent (`..` segments)
  if (CONSUMERS.has(op.operationId)) ids = (await freshTarget(op, world)) ?? ids;
  if (category === 'path') {
    const p = rng.pick(op.pathParams);
    const h = hostileId(rng, p.name, world);
    encodedIds = { [p.name]: h.encoded };
    mutation = h.name;
  }

  // a valid body and query
  const overrides: Overrides = {};
  if (op.operationId === 'submitToolOuputsToRun' && ids.tool_call_id) overrides.tool_outputs = [{ tool_call_id: ids.tool_call_id, output: 'fuzz output' }];
  if (op.operationId === 'completeUpload' && ids.part_id) overrides.part_ids = [ids.part_id];
  const walker = createWalker({ spec: env.spec, rng, hint: validHints(world, rng, overrides) });
  const validBody = op.body?.contentType === 'application/json' ? fixValidBody(op.operationId, walker.generate(op.body.schema), rng) : undefined;
  let query = validQuery(rng, op, world, ids);
  const pathOf = () => fillPath(op, ids, encodedIds);

  let method: string = op.method;
  const headers = { ...baseHeaders };
  let body: Buffer | undefined;
  let viaNodeHttp = false;

  if (op.body?.contentType === 'application/json') {
    headers['content-type'] = 'application/json';
    body = Buffer.from(JSON.stringify(validBody));
  } else if (op.body?.contentType === 'multipart/form-data') {
    const b = boundaryFor(rng);
    headers['content-type'] = `multipart/form-data; boundary=${b}`;
    body = renderMultipart(validParts(rng, op.path.endsWith('/parts') ? 'parts' : 'files'), b);
  }

  switch (category) {
    case 'valid':
    case 'path':
      break;
    case 'body': {
      const m = mutateBody(rng, walker, op.body!.schema, validBody, env.limits.bodyBytes + 1024);
      mutation = m.name;
      body = m.bytes;
      break;
    }
    case 'multipart': {
      const m = mutateMultipart(rng, op.path.endsWith('/parts') ? 'parts' : 'files', env.limits.fileBytes);
      mutation = `multipart: ${m.name}`;
      body = m.body.bytes;
      if (m.body.contentType === null) delete headers['content-type'];
      else headers['content-type'] = m.body.contentType;
      break;
    }
    case 'query': {
      const m = mutateQuery(rng, op, query);
      mutation = m.name;
      query = m.query;
      break;
    }
    case 'headers': {
      const kind = rng.pick(['content-type', 'method', 'auth', 'body-on-bodiless', 'accept', 'no-beta'] as const);
      if (kind === 'content-type') {
        const ct = rng.pick(ODD_CONTENT_TYPES);
        mutation = `content-type ${JSON.stringify(ct?.slice(0, 60) ?? null)}`;
        if (ct === null) delete headers['content-type'];
        else headers['content-type'] = ct;
        if (!body) body = Buffer.from('{}');
        viaNodeHttp = op.method !== 'POST';
      } else if (kind === 'method') {
        // DELETE only where the target is a fresh object: the shared ones must survive
        const methods = ['PUT', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', op.method === 'GET' ? 'POST' : 'GET'];
        if (CONSUMERS.has(op.operationId) && op.method !== 'DELETE') methods.push('DELETE');
        method = rng.pick(methods);
        mutation = `method ${method}`;
        if (method === 'GET' || method === 'HEAD' || method === 'TRACE') {
          viaNodeHttp = body !== undefined;
          if (method !== 'GET') body = undefined;
        }
        if (method === 'TRACE') viaNodeHttp = true;
      } else if (kind === 'auth') {
        const a = rng.pick([null, 'Bearer', 'Bearer ', 'Bearer sk-wrong', 'Basic c2stZnV6ejo=', `Bearer ${'k'.repeat(8000)}`, 'bearer sk-fuzz', 'Bearer sk-fuzz extra', 'Token sk-fuzz']);
        mutation = `authorization ${JSON.stringify(a?.slice(0, 40) ?? null)}`;
        if (a === null) delete headers.authorization;
        else headers.authorization = a;
      } else if (kind === 'body-on-bodiless' && !op.body) {
        const m = wholeBody(rng, Buffer.from('{"unexpected":true}'));
        mutation = `body on a bodiless ${op.method} (${m.name})`;
        body = m.bytes;
        headers['content-type'] = rng.pick(['application/json', 'text/plain', 'multipart/form-data; boundary=x']);
        viaNodeHttp = op.method !== 'POST';
      } else if (kind === 'accept') {
        headers.accept = rng.pick(['application/xml', 'text/event-stream', '*/*;q=0', 'garbage']);
        mutation = `accept ${headers.accept}`;
      } else {
        delete headers['openai-beta'];
        if (rng.chance(0.5)) headers['openai-beta'] = rng.pick(['assistants=v1', 'garbage', '']);
        mutation = `openai-beta ${JSON.stringify(headers['openai-beta'] ?? null)}`;
      }
      break;
    }
    case 'raw': {
      const jsonOp = op.body?.contentType === 'application/json';
      const jsonPath = jsonOp ? `/v1${pathOf()}` : '/v1/assistants';
      const jsonBody = jsonOp ? Buffer.from(JSON.stringify(validBody)) : Buffer.from('{"model":"fuzz-text"}');
      const r = rawCase(rng, env.auth, jsonPath, jsonBody, '/v1/files');
      return { op: op.operationId, category, mutation: `raw: ${r.name}`, raw: r.request };
    }
  }

  return {
    op: op.operationId,
    category,
    mutation,
    http: { method, path: `/v1${pathOf()}${encodeQuery(query)}`, headers, ...(body !== undefined && { body }), viaNodeHttp },
  };
}

/**
 * Every raw-framing variant and every multipart variant once (for `POST /files` and for an upload
 * part), so that each is tried on every run however few random cases there are.
 */
export async function exhaustiveCases(rng: Rng, env: CaseEnv): Promise<FuzzCase[]> {
  const { world } = env;
  const out: FuzzCase[] = [];
  const body = Buffer.from(JSON.stringify({ model: 'fuzz-text', name: 'framing' }));
  for (const make of rawVariants(rng, env.auth, '/v1/assistants', body, '/v1/files')) {
    const r = make();
    out.push({ op: r.name.startsWith('multipart') ? 'createFile' : 'createAssistant', category: 'raw', mutation: `raw: ${r.name}`, raw: r.request });
  }
  for (const route of ['files', 'parts'] as const) {
    for (const make of multipartVariants(rng, route, env.limits.fileBytes)) {
      const m = make();
      const headers: Record<string, string> = { authorization: env.auth };
      if (m.body.contentType !== null) headers['content-type'] = m.body.contentType;
      out.push({
        op: route === 'files' ? 'createFile' : 'addUploadPart',
        category: 'multipart',
        mutation: `multipart: ${m.name}`,
        http: { method: 'POST', path: route === 'files' ? '/v1/files' : `/v1/uploads/${world.uploads[0]}/parts`, headers, body: m.body.bytes },
      });
    }
  }
  return out;
}
