import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Errors } from '../core/errors.js';
import { assistantRoutes } from './assistants/routes.js';
import { callerKey, RequestRateLimiter } from './rate-limits.js';
import type { Deps } from './deps.js';
import { onCheckExpectation, onClientError, sendError, sendFrameworkError, toApiError } from './error-handler.js';
import { fileRoutes } from './files/routes.js';
import { parseJsonBody } from './json-body.js';
import { rejectNulInUrl } from './nul-guard.js';
import { messageRoutes } from './messages/routes.js';
import { runRoutes } from './runs/routes.js';
import { threadRoutes } from './threads/routes.js';
import { drainUnreadBody } from './unread-body.js';
import { uploadRoutes } from './uploads/routes.js';
import { vectorStoreRoutes } from './vector-stores/routes.js';

const PUBLIC_PATHS = new Set(['/health', '/v1/health']);

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** Builds the HTTP application: every route under `/v1`, OpenAI-shaped errors, request ids, auth. */
/**
 * Request ids: a random per-process prefix and a counter, unique without drawing random bytes on
 * every request (which showed up in profiles).
 */
function requestIds(): () => string {
  const prefix = randomBytes(10).toString('hex');
  let n = 0;
  return () => `req_${prefix}${(n++).toString(16).padStart(12, '0')}`;
}

export async function createApp(deps: Deps): Promise<FastifyInstance> {
  const nextRequestId = requestIds();
  const app = Fastify({
    logger: deps.logLevel === 'silent' ? false : { level: deps.logLevel },
    // per-request log lines cost more than the request itself; errors are still logged
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.limits.bodyBytes,
    genReqId: nextRequestId,
    requestIdHeader: false,
    return503OnClosing: false,
    forceCloseConnections: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    // requests that fail below the routes still answer in the OpenAI error shape
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: onClientError,
  });
  app.server.on('checkExpectation', onCheckExpectation(nextRequestId));

  // Route patterns by path, to answer a known path with the wrong method as 405, not 404.
  const routes: Array<{ source: string; pattern: RegExp; methods: Set<string> }> = [];
  app.addHook('onRoute', (route) => {
    const source = `^${route.url.replace(/:[A-Za-z_]+/g, '[^/]+').replace(/\/$/, '')}/?$`;
    let entry = routes.find((r) => r.source === source);
    if (!entry) routes.push((entry = { source, pattern: new RegExp(source), methods: new Set() }));
    for (const m of [route.method].flat()) if (m !== 'HEAD') entry.methods.add(m);
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    let value: unknown;
    try {
      value = parseJsonBody(body as string);
    } catch (err) {
      return done(err as Error, undefined);
    }
    done(null, value);
  });
  const rate = deps.limits.requestsPerMinute > 0 ? new RequestRateLimiter(deps.limits.requestsPerMinute, deps.clock) : null;
  // Who limits count against, worked out only when something asks (rate limits, stream slots).
  app.decorateRequest('callerKey', {
    getter(this: FastifyRequest) {
      return callerKey(this.headers.authorization);
    },
  });
  const admit = (request: FastifyRequest, projectId: string): void => {
    request.projectId = projectId;
    rate?.take(request.callerKey);
    rejectNulInUrl(request);
  };
  // A callback hook, not an async one: a request whose key is already known (nearly all of them)
  // passes without a promise.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (PUBLIC_PATHS.has(pathOf(request.url))) return done();
    let projectId: string | Promise<string>;
    try {
      projectId = deps.auth.authenticate(request.headers.authorization);
      if (typeof projectId === 'string') {
        admit(request, projectId);
        return done();
      }
    } catch (err) {
      return done(err as Error);
    }
    projectId.then((p) => admit(request, p)).then(() => done(), done);
  });

  app.addHook('onSend', drainUnreadBody(deps.limits.bodyBytes, 5_000));

  app.setErrorHandler((err, request, reply) => sendError(reply, toApiError(err, request, deps.limits)));
  app.setNotFoundHandler((request, reply) => {
    const path = pathOf(request.url);
    const allowed = routes.find((r) => r.pattern.test(path))?.methods;
    if (allowed && allowed.size > 0) {
      return sendError(reply, Errors.methodNotAllowed(request.method, path, [...allowed].sort()));
    }
    return sendError(reply, Errors.invalidUrl(request.method, path));
  });

  const health = async () => ({ status: 'ok', store: deps.store.dialect, tools: await deps.toolHealth() });
  app.get('/health', health);
  await app.register(
    async (v1) => {
      v1.get('/health', health);
      assistantRoutes(v1, deps);
      threadRoutes(v1, deps);
      messageRoutes(v1, deps);
      runRoutes(v1, deps);
      vectorStoreRoutes(v1, deps);
      // Multipart bodies only where files arrive: the plugin adds hooks to every request in its
      // scope (temporary-file clean-up), which other routes need not pay for. Elsewhere a
      // multipart body is an unsupported content type like any other.
      await v1.register(async (withFiles) => {
        await withFiles.register(multipart, {
          limits: { fileSize: deps.limits.fileBytes, files: 1, fields: 16, parts: 20, fieldSize: 64 * 1024 },
        });
        fileRoutes(withFiles, deps);
        uploadRoutes(withFiles, deps);
      });
    },
    { prefix: '/v1' },
  );
  return app;
}
