import type { Clock } from '../core/clock.js';
import { unixSeconds } from '../core/clock.js';
import { Errors } from '../core/errors.js';
import type { ToolResources } from '../core/wire.js';
import type { Store } from '../store/store.js';
import type { ToolResourcesInput } from './common-schema.js';

/**
 * Turns a validated `tool_resources` request value into the stored object, checking that every
 * code-interpreter file exists in the caller's project.
 */
export async function resolveToolResources(
  input: ToolResourcesInput | null | undefined,
  ctx: { store: Store; clock: Clock; projectId: string },
  param = 'tool_resources',
): Promise<ToolResources | null> {
  if (input === null) return null;
  if (input === undefined) return {};
  const out: ToolResources = {};
  if (input.code_interpreter) {
    const fileIds = input.code_interpreter.file_ids ?? [];
    const now = unixSeconds(ctx.clock);
    for (const [i, id] of fileIds.entries()) {
      if (!(await ctx.store.files.get(ctx.projectId, id, now))) {
        throw Errors.invalidRequest(`No file found with id '${id}'.`, `${param}.code_interpreter.file_ids[${i}]`, 'invalid_file');
      }
    }
    out.code_interpreter = { file_ids: [...new Set(fileIds)] };
  }
  if (input.file_search) {
    const fs = input.file_search as { vector_store_ids?: string[]; vector_stores?: unknown[] };
    if (fs.vector_stores !== undefined) {
      throw Errors.invalidRequest(
        `'${param}.file_search.vector_stores' is not supported by this server yet: pass 'vector_store_ids' instead.`,
        `${param}.file_search.vector_stores`,
        'unsupported_parameter',
      );
    }
    out.file_search = { vector_store_ids: fs.vector_store_ids ?? [] };
  }
  return out;
}
