import { unixSeconds } from '../core/clock.js';
import { Errors } from '../core/errors.js';
import type { ToolResources } from '../core/wire.js';
import type { ToolResourcesInput } from './common-schema.js';
import type { Deps } from './deps.js';
import { createVectorStoreService } from './vector-stores/service.js';

/**
 * Vector stores the thread helpers create (`vector_stores` on a thread, file_search attachments)
 * expire 7 days after they were last active, as OpenAI's do; the assistant helper's do not.
 */
export const THREAD_HELPER_EXPIRES_AFTER = { anchor: 'last_active_at', days: 7 } as const;

/**
 * Turns a validated `tool_resources` request value into the stored object: every code-interpreter
 * file and vector store must exist in the caller's project, and a `vector_stores` entry creates a
 * new vector store from its files on the spot (for a thread, with the 7-day expiry).
 */
export async function resolveToolResources(
  input: ToolResourcesInput | null | undefined,
  deps: Deps,
  projectId: string,
  owner: 'assistant' | 'thread',
  param = 'tool_resources',
): Promise<ToolResources | null> {
  if (input === null) return null;
  if (input === undefined) return {};
  const { store, clock } = deps;
  const out: ToolResources = {};
  if (input.code_interpreter) {
    const fileIds = input.code_interpreter.file_ids ?? [];
    const now = unixSeconds(clock);
    for (const [i, id] of fileIds.entries()) {
      if (!(await store.files.get(projectId, id, now))) {
        throw Errors.invalidRequest(`No file found with id '${id}'.`, `${param}.code_interpreter.file_ids[${i}]`, 'invalid_file');
      }
    }
    out.code_interpreter = { file_ids: [...new Set(fileIds)] };
  }
  if (input.file_search) {
    const fs = input.file_search as {
      vector_store_ids?: string[];
      vector_stores?: Array<{ file_ids?: string[]; chunking_strategy?: { type: 'auto' } | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } }; metadata?: Record<string, string> | null }>;
    };
    const ids = fs.vector_store_ids ?? [];
    for (const [i, id] of ids.entries()) {
      if (!(await store.vectorStores.get(projectId, id))) {
        throw Errors.invalidRequest(`No vector store found with id '${id}'.`, `${param}.file_search.vector_store_ids[${i}]`, 'invalid_value');
      }
    }
    if (fs.vector_stores?.length) {
      const created = await createVectorStoreService(deps).create(
        projectId,
        { ...fs.vector_stores[0], ...(owner === 'thread' && { expires_after: THREAD_HELPER_EXPIRES_AFTER }) },
        `${param}.file_search.vector_stores[0]`,
      );
      ids.push(created.id);
    }
    out.file_search = { vector_store_ids: ids };
  }
  return out;
}
