import type { Attachment, Thread } from '../../core/wire.js';
import type { Deps } from '../deps.js';
import { THREAD_HELPER_EXPIRES_AFTER } from '../tool-resources.js';
import { AUTO_CHUNKING, createVectorStoreService } from '../vector-stores/service.js';

/**
 * Message attachments meant for file_search go into the thread's vector store, which is created
 * (and set on the thread's tool_resources, expiring 7 days after its last activity) the first time
 * one is needed. Returns the thread as it is now.
 */
export async function attachFilesToThread(deps: Deps, projectId: string, thread: Thread, attachments: Attachment[]): Promise<Thread> {
  const fileIds = [...new Set(attachments.filter((a) => a.tools.some((t) => t.type === 'file_search')).map((a) => a.file_id))];
  if (!fileIds.length) return thread;
  const service = createVectorStoreService(deps);
  let storeId = thread.tool_resources?.file_search?.vector_store_ids?.[0];
  if (!storeId || !(await deps.store.vectorStores.get(projectId, storeId))) {
    const created = await service.create(projectId, { name: `Files attached to ${thread.id}`, expires_after: THREAD_HELPER_EXPIRES_AFTER });
    storeId = created.id;
    thread = {
      ...thread,
      tool_resources: { ...(thread.tool_resources ?? {}), file_search: { vector_store_ids: [storeId] } },
    };
    await deps.store.threads.update(projectId, thread);
  }
  const existing = new Set((await deps.store.vectorStoreFiles.all(projectId, storeId)).map((f) => f.id));
  await service.addFiles(
    projectId,
    storeId,
    fileIds.filter((id) => !existing.has(id)).map((fileId) => ({ fileId, chunking: AUTO_CHUNKING, attributes: null, param: 'attachments' })),
    null,
  );
  return thread;
}
