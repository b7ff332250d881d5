/**
 * The file-search tests' facade over `openai` 4.x, 5.x and 6.x: vector stores, their files and
 * file batches, search and file content, each through that SDK's own resource and helper methods
 * with its own signatures (sdk-versions.md §2: 4.x positional `(vsId, fileId)`, 5.x+ named
 * `(fileId, { vector_store_id })`; `client.vectorStores` in all three). The shared facade
 * (`../sdks.ts`: files, assistants, threads, messages) and the runs facade (`../runs/sdk.ts`)
 * come along on the same server and key. Wire shapes are typed with the 6.x declarations; the
 * casts only bridge the 4.x/5.x declarations (and 6.7's, which know neither per-file batch
 * `files` nor `in`/`nin` filters) to them.
 */
import OpenAI4, { toFile as toFile4 } from 'openai4';
import OpenAI5, { toFile as toFile5 } from 'openai5';
import OpenAI6, { toFile as toFile6 } from 'openai6';
import type {
  VectorStore,
  VectorStoreDeleted,
  VectorStoreSearchResponse,
} from 'openai6/resources/vector-stores/vector-stores';
import type { FileContentResponse, VectorStoreFile, VectorStoreFileDeleted } from 'openai6/resources/vector-stores/files';
import type { VectorStoreFileBatch } from 'openai6/resources/vector-stores/file-batches';
import { SDKS, type ErrorFields, type Facade, type ListPage, type SdkName, type Uploadable } from '../sdks.js';
import { RUN_SDKS, type RunFacade } from '../runs/sdk.js';

export type { VectorStore, VectorStoreDeleted, VectorStoreFile, VectorStoreFileBatch, VectorStoreFileDeleted, VectorStoreSearchResponse, FileContentResponse };

export type ChunkingParam =
  | { type: 'auto' }
  | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } };
export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;
export type ComparisonFilter = {
  type: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin';
  key: string;
  value: AttributeValue | Array<string | number>;
};
export type CompoundFilter = { type: 'and' | 'or'; filters: Array<ComparisonFilter | CompoundFilter> };
export type SearchFilter = ComparisonFilter | CompoundFilter;

export interface VectorStoreCreateBody {
  name?: string;
  description?: string;
  file_ids?: string[];
  chunking_strategy?: ChunkingParam;
  expires_after?: { anchor: 'last_active_at'; days: number };
  metadata?: Record<string, string> | null;
}

export interface VectorStoreUpdateBody {
  name?: string | null;
  expires_after?: { anchor: 'last_active_at'; days: number } | null;
  metadata?: Record<string, string> | null;
}

export interface VsFileCreateBody {
  file_id: string;
  chunking_strategy?: ChunkingParam;
  attributes?: Attributes | null;
}

export interface BatchCreateBody {
  file_ids?: string[];
  files?: VsFileCreateBody[];
  chunking_strategy?: ChunkingParam;
  attributes?: Attributes | null;
}

export interface SearchBody {
  query: string | string[];
  max_num_results?: number;
  filters?: SearchFilter;
  ranking_options?: { ranker?: 'none' | 'auto' | 'default-2024-11-15'; score_threshold?: number };
  rewrite_query?: boolean;
}

export interface ListQuery {
  limit?: number;
  order?: 'asc' | 'desc';
  after?: string;
  before?: string;
}

export type FileStatusFilter = 'in_progress' | 'completed' | 'failed' | 'cancelled';

/** The non-cursor pages (search, file content) as the server sent them. */
export interface SearchPage {
  object: string;
  search_query: string[];
  data: VectorStoreSearchResponse[];
  has_more: boolean;
  next_page: string | null;
}

export interface ContentPage {
  object: string;
  data: FileContentResponse[];
  has_more: boolean;
  next_page: string | null;
}

export interface VsFacade {
  name: SdkName;
  /** Files, assistants, threads and messages through the shared facade (same key). */
  base: Facade;
  /** Runs, steps and messages through the runs facade (same key). */
  runApi: RunFacade;
  errorFields(err: unknown): ErrorFields | undefined;
  toFile(source: string | Uint8Array, name: string): Promise<Uploadable>;

  vectorStores: {
    create(body: VectorStoreCreateBody): Promise<VectorStore>;
    retrieve(id: string): Promise<VectorStore>;
    update(id: string, body: VectorStoreUpdateBody): Promise<VectorStore>;
    delete(id: string): Promise<VectorStoreDeleted>;
    list(query?: ListQuery): Promise<ListPage<VectorStore>>;
    /** `for await` over the SDK's auto-paginating list. */
    iterate(query?: ListQuery): AsyncIterable<VectorStore>;
    search(id: string, body: SearchBody): Promise<SearchPage>;
  };
  files: {
    create(vsId: string, body: VsFileCreateBody): Promise<VectorStoreFile>;
    createAndPoll(vsId: string, body: VsFileCreateBody): Promise<VectorStoreFile>;
    upload(vsId: string, file: Uploadable): Promise<VectorStoreFile>;
    uploadAndPoll(vsId: string, file: Uploadable): Promise<VectorStoreFile>;
    poll(vsId: string, fileId: string): Promise<VectorStoreFile>;
    retrieve(vsId: string, fileId: string): Promise<VectorStoreFile>;
    update(vsId: string, fileId: string, attributes: Attributes | null): Promise<VectorStoreFile>;
    delete(vsId: string, fileId: string): Promise<VectorStoreFileDeleted>;
    list(vsId: string, query?: ListQuery & { filter?: FileStatusFilter }): Promise<ListPage<VectorStoreFile>>;
    iterate(vsId: string, query?: ListQuery & { filter?: FileStatusFilter }): AsyncIterable<VectorStoreFile>;
    content(vsId: string, fileId: string): Promise<ContentPage>;
  };
  fileBatches: {
    create(vsId: string, body: BatchCreateBody): Promise<VectorStoreFileBatch>;
    createAndPoll(vsId: string, body: BatchCreateBody): Promise<VectorStoreFileBatch>;
    uploadAndPoll(vsId: string, files: Uploadable[], fileIds?: string[]): Promise<VectorStoreFileBatch>;
    poll(vsId: string, batchId: string): Promise<VectorStoreFileBatch>;
    retrieve(vsId: string, batchId: string): Promise<VectorStoreFileBatch>;
    cancel(vsId: string, batchId: string): Promise<VectorStoreFileBatch>;
    listFiles(vsId: string, batchId: string, query?: ListQuery & { filter?: FileStatusFilter }): Promise<ListPage<VectorStoreFile>>;
  };
}

/** The body an SDK page object was built from (kept as `body` by every major, cursor or not). */
function bodyOf<T>(page: object): T {
  const body = (page as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null) throw new Error('the SDK page carries no body');
  return body as T;
}

type Any = never;

function makeV4(base: Facade, runs: RunFacade, baseURL: string, apiKey: string): VsFacade {
  const client = new OpenAI4({ baseURL, apiKey, maxRetries: 0 });
  const { vectorStores } = client;
  const { files, fileBatches } = vectorStores;
  const vs = (p: Promise<unknown>) => p as Promise<VectorStore>;
  const vf = (p: Promise<unknown>) => p as Promise<VectorStoreFile>;
  const vb = (p: Promise<unknown>) => p as Promise<VectorStoreFileBatch>;
  return {
    name: 'openai@4',
    base,
    runApi: runs,
    errorFields: (err) => base.errorFields(err),
    toFile: (source, name) => toFile4(typeof source === 'string' ? Buffer.from(source) : source, name) as Promise<Uploadable>,
    vectorStores: {
      create: (body) => vs(vectorStores.create(body as Any)),
      retrieve: (id) => vs(vectorStores.retrieve(id)),
      update: (id, body) => vs(vectorStores.update(id, body as Any)),
      delete: (id) => vectorStores.del(id) as Promise<VectorStoreDeleted>,
      list: async (query = {}) => bodyOf<ListPage<VectorStore>>(await vectorStores.list(query)),
      iterate: (query = {}) => vectorStores.list(query) as unknown as AsyncIterable<VectorStore>,
      search: async (id, body) => bodyOf<SearchPage>(await vectorStores.search(id, body as Any)),
    },
    files: {
      create: (vsId, body) => vf(files.create(vsId, body as Any)),
      createAndPoll: (vsId, body) => vf(files.createAndPoll(vsId, body as Any)),
      upload: (vsId, file) => vf(files.upload(vsId, file as Any)),
      uploadAndPoll: (vsId, file) => vf(files.uploadAndPoll(vsId, file as Any)),
      poll: (vsId, fileId) => vf(files.poll(vsId, fileId)),
      retrieve: (vsId, fileId) => vf(files.retrieve(vsId, fileId)),
      update: (vsId, fileId, attributes) => vf(files.update(vsId, fileId, { attributes })),
      delete: (vsId, fileId) => files.del(vsId, fileId) as Promise<VectorStoreFileDeleted>,
      list: async (vsId, query = {}) => bodyOf<ListPage<VectorStoreFile>>(await files.list(vsId, query)),
      iterate: (vsId, query = {}) => files.list(vsId, query) as unknown as AsyncIterable<VectorStoreFile>,
      content: async (vsId, fileId) => bodyOf<ContentPage>(await files.content(vsId, fileId)),
    },
    fileBatches: {
      create: (vsId, body) => vb(fileBatches.create(vsId, body as Any)),
      createAndPoll: (vsId, body) => vb(fileBatches.createAndPoll(vsId, body as Any)),
      uploadAndPoll: (vsId, list, fileIds) => vb(fileBatches.uploadAndPoll(vsId, { files: list as Any[], ...(fileIds && { fileIds }) })),
      poll: (vsId, batchId) => vb(fileBatches.poll(vsId, batchId)),
      retrieve: (vsId, batchId) => vb(fileBatches.retrieve(vsId, batchId)),
      cancel: (vsId, batchId) => vb(fileBatches.cancel(vsId, batchId)),
      listFiles: async (vsId, batchId, query = {}) =>
        bodyOf<ListPage<VectorStoreFile>>(await fileBatches.listFiles(vsId, batchId, query)),
    },
  };
}

function makeV5Plus(major: 5 | 6, base: Facade, runs: RunFacade, baseURL: string, apiKey: string): VsFacade {
  const Sdk = major === 5 ? OpenAI5 : OpenAI6;
  const client = new Sdk({ baseURL, apiKey, maxRetries: 0 }) as OpenAI6;
  const toFile = major === 5 ? toFile5 : toFile6;
  const { vectorStores } = client;
  const { files, fileBatches } = vectorStores;
  return {
    name: major === 5 ? 'openai@5' : 'openai@6',
    base,
    runApi: runs,
    errorFields: (err) => base.errorFields(err),
    toFile: (source, name) => toFile(typeof source === 'string' ? Buffer.from(source) : source, name) as Promise<Uploadable>,
    vectorStores: {
      create: (body) => vectorStores.create(body as Any),
      retrieve: (id) => vectorStores.retrieve(id),
      update: (id, body) => vectorStores.update(id, body as Any),
      delete: (id) => vectorStores.delete(id),
      list: async (query = {}) => bodyOf<ListPage<VectorStore>>(await vectorStores.list(query)),
      iterate: (query = {}) => vectorStores.list(query),
      search: async (id, body) => bodyOf<SearchPage>(await vectorStores.search(id, body as Any)),
    },
    files: {
      create: (vsId, body) => files.create(vsId, body as Any),
      createAndPoll: (vsId, body) => files.createAndPoll(vsId, body as Any),
      upload: (vsId, file) => files.upload(vsId, file as Any),
      uploadAndPoll: (vsId, file) => files.uploadAndPoll(vsId, file as Any),
      poll: (vsId, fileId) => files.poll(vsId, fileId),
      retrieve: (vsId, fileId) => files.retrieve(fileId, { vector_store_id: vsId }),
      update: (vsId, fileId, attributes) => files.update(fileId, { vector_store_id: vsId, attributes }),
      delete: (vsId, fileId) => files.delete(fileId, { vector_store_id: vsId }),
      list: async (vsId, query = {}) => bodyOf<ListPage<VectorStoreFile>>(await files.list(vsId, query)),
      iterate: (vsId, query = {}) => files.list(vsId, query),
      content: async (vsId, fileId) => bodyOf<ContentPage>(await files.content(fileId, { vector_store_id: vsId })),
    },
    fileBatches: {
      create: (vsId, body) => fileBatches.create(vsId, body as Any),
      createAndPoll: (vsId, body) => fileBatches.createAndPoll(vsId, body as Any),
      uploadAndPoll: (vsId, list, fileIds) => fileBatches.uploadAndPoll(vsId, { files: list as Any[], ...(fileIds && { fileIds }) }),
      poll: (vsId, batchId) => fileBatches.poll(vsId, batchId),
      retrieve: (vsId, batchId) => fileBatches.retrieve(batchId, { vector_store_id: vsId }),
      cancel: (vsId, batchId) => fileBatches.cancel(batchId, { vector_store_id: vsId }),
      listFiles: async (vsId, batchId, query = {}) =>
        bodyOf<ListPage<VectorStoreFile>>(await fileBatches.listFiles(batchId, { vector_store_id: vsId, ...query })),
    },
  };
}

export interface VsSdk {
  name: SdkName;
  make(baseURL: string, apiKey?: string): VsFacade;
}

export const VS_API_KEY = 'sk-e2e-vector-stores';

/** `OA_TEST_SDKS=openai@6` narrows the run (the default is all three). */
export const VS_SDKS: VsSdk[] = SDKS.map((sdk) => ({
  name: sdk.name,
  make(baseURL: string, apiKey = VS_API_KEY): VsFacade {
    const base = sdk.make(baseURL, apiKey);
    const runs = RUN_SDKS.find((r) => r.name === sdk.name)!.make(baseURL, apiKey);
    if (sdk.name === 'openai@4') return makeV4(base, runs, baseURL, apiKey);
    return makeV5PlusFor(sdk.name, base, runs, baseURL, apiKey);
  },
}));

function makeV5PlusFor(name: SdkName, base: Facade, runs: RunFacade, baseURL: string, apiKey: string): VsFacade {
  return makeV5Plus(name === 'openai@5' ? 5 : 6, base, runs, baseURL, apiKey);
}
