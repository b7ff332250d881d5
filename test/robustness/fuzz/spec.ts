/**
 * The official OpenAPI description of the Assistants v2 surface, read at run time from the
 * workspace's `../shared/openai-spec/` (never copied into the repo), and its 48 operations.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type Schema = Record<string, unknown>;

export interface OpenApi {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, Schema> };
}

export interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  operationId: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** The spec's template, e.g. `/threads/{thread_id}/runs`. */
  path: string;
  pathParams: Param[];
  queryParams: Param[];
  body?: { contentType: 'application/json' | 'multipart/form-data'; schema: Schema; required: boolean };
}

export const SPEC_PATH = fileURLToPath(new URL('../../../../shared/openai-spec/assistants-v2.openapi.json', import.meta.url));

export function loadSpec(path = SPEC_PATH): OpenApi {
  return JSON.parse(readFileSync(path, 'utf8')) as OpenApi;
}

/** Resolves a `#/components/schemas/X` reference. */
export function resolveRef(spec: OpenApi, ref: string): Schema {
  const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
  if (!m) throw new Error(`unsupported $ref ${ref}`);
  const s = spec.components.schemas[m[1]];
  if (!s) throw new Error(`unknown schema ${ref}`);
  return s;
}

function toParam(spec: OpenApi, raw: unknown): Param {
  let p = raw as Record<string, unknown>;
  if (typeof p.$ref === 'string') {
    const m = /^#\/components\/parameters\/(.+)$/.exec(p.$ref);
    const params = (spec.components as unknown as { parameters?: Record<string, Record<string, unknown>> }).parameters;
    if (!m || !params?.[m[1]]) throw new Error(`unsupported parameter ref ${p.$ref}`);
    p = params[m[1]];
  }
  return {
    name: String(p.name),
    in: p.in as 'path' | 'query',
    required: p.required === true,
    schema: (p.schema as Schema | undefined) ?? { type: 'string' },
  };
}

export function operations(spec: OpenApi): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    const shared = ((item.parameters as unknown[] | undefined) ?? []).map((p) => toParam(spec, p));
    for (const method of ['get', 'post', 'delete'] as const) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const params = [...shared, ...((op.parameters as unknown[] | undefined) ?? []).map((p) => toParam(spec, p))];
      const rb = op.requestBody as { content?: Record<string, { schema: Schema }>; required?: boolean } | undefined;
      let body: Operation['body'];
      if (rb?.content) {
        const [contentType, media] = Object.entries(rb.content)[0];
        if (contentType !== 'application/json' && contentType !== 'multipart/form-data') {
          throw new Error(`${String(op.operationId)}: unexpected request content type ${contentType}`);
        }
        body = { contentType, schema: media.schema, required: rb.required === true };
      }
      out.push({
        operationId: String(op.operationId),
        method: method.toUpperCase() as Operation['method'],
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        queryParams: params.filter((p) => p.in === 'query'),
        ...(body && { body }),
      });
    }
  }
  return out;
}
