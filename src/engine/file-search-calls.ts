import type { FileSearchToolCall } from '../core/wire.js';
import { ModelError } from '../model/language-model.js';
import { DEFAULT_MAX_RESULTS, FILE_SEARCH_TOOL, parseQuery, runFileSearch, type Source } from '../tools/file-search-tool.js';
import { abortableSleep, type ModelIo, type PendingCall, type ToolRunContext } from './server-tools.js';

/** How long file_search waits for the thread's vector store to finish ingesting, and how often it looks. */
const THREAD_STORE_WAIT_MS = 60_000;
const THREAD_STORE_POLL_MS = 100;

/**
 * The file_search tool inside a run: it searches the assistant's and the thread's vector stores
 * and hands the model results with citation markers (`sources`, kept for the answer's annotations).
 */
export class FileSearchCalls {
  /** Citation sources of this run's searches so far. */
  readonly sources: Source[] = [];
  private searches = 0;

  constructor(private readonly ctx: ToolRunContext) {}

  /** Restores the run's earlier searches (their markers stay valid across turns). */
  restore(modelIo: ModelIo): void {
    for (const io of Object.values(modelIo)) {
      if (io.name !== FILE_SEARCH_TOOL) continue;
      this.searches++;
      this.sources.push(...(io.sources ?? []));
    }
  }

  /** Executes the turn's file_search calls and records their results on the calls and in `modelIo`. */
  async run(calls: PendingCall[], modelIo: ModelIo): Promise<void> {
    if (!calls.length) return;
    const { deps, projectId } = this.ctx;
    await this.waitForThreadStores();
    const storeIds = await this.vectorStoreIds();
    const tool = this.ctx.run.tools.find((t) => t.type === 'file_search');
    const options = tool?.type === 'file_search' ? tool.file_search : undefined;
    const maxResults = options?.max_num_results ?? DEFAULT_MAX_RESULTS;
    const scoreThreshold = options?.ranking_options?.score_threshold ?? 0;
    const names = new Map<string, string>();
    for (const { index, call: c, args } of calls) {
      const call = c as FileSearchToolCall;
      const outcome = await runFileSearch(
        deps,
        {
          vectorStoreIds: storeIds,
          query: parseQuery(args),
          maxResults,
          scoreThreshold,
          callNo: this.searches++,
          fileName: async (id) => {
            if (!names.has(id)) names.set(id, (await deps.store.files.get(projectId, id, this.ctx.now()))?.filename ?? id);
            return names.get(id)!;
          },
        },
        this.ctx.signal,
      );
      call.file_search = { ranking_options: outcome.rankingOptions, results: outcome.results };
      modelIo[call.id] = { name: FILE_SEARCH_TOOL, arguments: args, output: outcome.output, sources: outcome.sources };
      this.sources.push(...outcome.sources);
      const results = this.ctx.includeContent ? outcome.results : outcome.results.map(({ content: _c, ...r }) => r);
      this.ctx.emitToolDelta({ index, type: 'file_search', file_search: { ranking_options: outcome.rankingOptions, results } });
    }
  }

  /**
   * OpenAI's fallback for files attached just before a run: file_search waits (at most 60 s, in
   * real time) while files of the thread's vector store are still being ingested. The assistant's
   * stores are not waited for.
   */
  private async waitForThreadStores(): Promise<void> {
    const { deps, projectId, run, signal } = this.ctx;
    const thread = await deps.store.threads.get(projectId, run.thread_id);
    const ids = thread?.tool_resources?.file_search?.vector_store_ids ?? [];
    if (!ids.length) return;
    const deadline = Date.now() + THREAD_STORE_WAIT_MS;
    while (Date.now() < deadline) {
      const stats = await deps.store.vectorStores.stats(ids);
      if (![...stats.values()].some((s) => s.file_counts.in_progress > 0)) return;
      await abortableSleep(THREAD_STORE_POLL_MS, signal, () => new ModelError('aborted', 'aborted'));
    }
  }

  /**
   * A vector store is active while it is part of a run: a run with file_search moves the
   * last_active_at of the live stores it can search to now, and their expiry with it.
   */
  async touchVectorStores(): Promise<void> {
    const { deps, projectId } = this.ctx;
    const now = this.ctx.now();
    for (const id of await this.vectorStoreIds()) {
      const vs = await deps.store.vectorStores.get(projectId, id);
      if (!vs || vs.last_active_at === now) continue;
      const expires_at = vs.expires_after ? now + vs.expires_after.days * 86_400 : null;
      await deps.store.vectorStores.update(projectId, { ...vs, last_active_at: now, expires_at });
    }
  }

  /** The vector stores file_search reads: the assistant's and the thread's. */
  private async vectorStoreIds(): Promise<string[]> {
    const { deps, projectId, run } = this.ctx;
    const [assistant, thread] = await Promise.all([
      deps.store.assistants.get(projectId, run.assistant_id),
      deps.store.threads.get(projectId, run.thread_id),
    ]);
    const ids = [
      ...(assistant?.tool_resources?.file_search?.vector_store_ids ?? []),
      ...(thread?.tool_resources?.file_search?.vector_store_ids ?? []),
    ];
    const now = this.ctx.now();
    const live: string[] = [];
    for (const id of new Set(ids)) {
      const vs = await deps.store.vectorStores.get(projectId, id);
      if (vs && (vs.expires_at === null || vs.expires_at > now)) live.push(id);
    }
    return live;
  }
}
