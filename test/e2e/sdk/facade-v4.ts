/**
 * The facade over `openai@4`: positional path parameters (`messages.retrieve(threadId, messageId)`)
 * and `del` instead of `delete`. Casts only bridge the 4.x declarations to the 6.x wire types.
 */
import OpenAI4, { toFile } from 'openai4';
import {
  pageBody,
  type Assistant,
  type BinaryResponse,
  type Facade,
  type FileObject,
  type Message,
  type Upload,
} from './facade.js';

type Params<T extends (...args: never[]) => unknown, I extends number> = Parameters<T>[I];

export function makeV4Facade(baseURL: string, apiKey: string): Facade {
  const client = new OpenAI4({ baseURL, apiKey, maxRetries: 0 });
  const { assistants, threads } = client.beta;
  const { messages } = threads;

  return {
    name: 'openai@4',
    raw: client,
    errors: OpenAI4,
    requestIdOf: (result) => (result as { _request_id?: string | null })._request_id,
    errorFields(err) {
      if (!(err instanceof OpenAI4.APIError)) return undefined;
      const { status, type, param, code, error, message, request_id } = err;
      return { status, type, param, code, error, message, requestId: request_id };
    },
    async toFile(source, name, type) {
      const value = typeof source === 'string' ? Buffer.from(source) : source;
      return toFile(value, name, type ? { type } : undefined);
    },

    assistants: {
      create: async (body) => (await assistants.create(body as Params<typeof assistants.create, 0>)) as Assistant,
      retrieve: async (id) => (await assistants.retrieve(id)) as Assistant,
      update: async (id, body) => (await assistants.update(id, body as Params<typeof assistants.update, 1>)) as Assistant,
      delete: (id) => assistants.del(id),
      list: async (query = {}) => pageBody<Assistant>(await assistants.list(query)),
      iterate: (query = {}) => assistants.list(query) as AsyncIterable<Assistant>,
    },
    threads: {
      create: (body) => (body === undefined ? threads.create() : threads.create(body as Params<typeof threads.create, 0>)),
      retrieve: (id) => threads.retrieve(id),
      update: (id, body) => threads.update(id, body),
      delete: (id) => threads.del(id),
    },
    messages: {
      create: async (threadId, body) =>
        (await messages.create(threadId, body as Params<typeof messages.create, 1>)) as Message,
      retrieve: async (threadId, messageId) => (await messages.retrieve(threadId, messageId)) as Message,
      update: async (threadId, messageId, body) => (await messages.update(threadId, messageId, body)) as Message,
      delete: (threadId, messageId) => messages.del(threadId, messageId),
      list: async (threadId, query = {}) => pageBody<Message>(await messages.list(threadId, query)),
      iterate: (threadId, query = {}) => messages.list(threadId, query) as AsyncIterable<Message>,
    },
    files: {
      // 4.x types know neither `evals`/`user_data` nor `expires_after`; it still sends them.
      create: async (body) => (await client.files.create(body as Params<typeof client.files.create, 0>)) as FileObject,
      retrieve: async (id) => (await client.files.retrieve(id)) as FileObject,
      list: async (query = {}) => pageBody<FileObject>(await client.files.list(query)),
      iterate: (query = {}) => client.files.list(query) as AsyncIterable<FileObject>,
      content: async (id) => (await client.files.content(id)) as unknown as BinaryResponse,
      delete: (id) => client.files.del(id),
    },
    uploads: {
      create: async (body) =>
        (await client.uploads.create(body as Params<typeof client.uploads.create, 0>)) as Upload,
      addPart: (uploadId, data) =>
        client.uploads.parts.create(uploadId, { data } as Params<typeof client.uploads.parts.create, 1>),
      complete: async (uploadId, body) => (await client.uploads.complete(uploadId, body)) as Upload,
      cancel: async (uploadId) => (await client.uploads.cancel(uploadId)) as Upload,
    },
  };
}
