/**
 * The facade over `openai@5` and `openai@6`: only the last path parameter is positional, the rest
 * are named (`messages.retrieve(messageId, { thread_id })`), and `delete` replaces `del`.
 * 5.23.2 and 6.7.0 share these signatures for every resource used here (sdk-versions.md §2), so
 * one body serves both; the 5.x client is typed through the 6.x declarations.
 */
import OpenAI5, { toFile as toFile5 } from 'openai5';
import OpenAI6, { toFile as toFile6 } from 'openai6';
import { pageBody, type Assistant, type BinaryResponse, type Facade, type FileObject, type Message } from './facade.js';

type Major = 5 | 6;

export function makeV5PlusFacade(major: Major, baseURL: string, apiKey: string): Facade {
  const Sdk = major === 5 ? OpenAI5 : OpenAI6;
  const toFile = major === 5 ? toFile5 : toFile6;
  const client = new Sdk({ baseURL, apiKey, maxRetries: 0 }) as OpenAI6;
  const { assistants, threads } = client.beta;
  const { messages } = threads;

  return {
    name: major === 5 ? 'openai@5' : 'openai@6',
    raw: client,
    errors: Sdk,
    requestIdOf: (result) => (result as { _request_id?: string | null })._request_id,
    errorFields(err) {
      if (!(err instanceof Sdk.APIError)) return undefined;
      const { status, type, param, code, error, message, requestID } = err;
      return { status, type, param, code, error, message, requestId: requestID };
    },
    toFile: (source, name, type) =>
      toFile(typeof source === 'string' ? Buffer.from(source) : source, name, type ? { type } : undefined),

    assistants: {
      create: (body) => assistants.create(body),
      retrieve: (id) => assistants.retrieve(id),
      update: (id, body) => assistants.update(id, body),
      delete: (id) => assistants.delete(id),
      list: async (query = {}) => pageBody<Assistant>(await assistants.list(query)),
      iterate: (query = {}) => assistants.list(query),
    },
    threads: {
      create: (body) => (body === undefined ? threads.create() : threads.create(body)),
      retrieve: (id) => threads.retrieve(id),
      update: (id, body) => threads.update(id, body),
      delete: (id) => threads.delete(id),
    },
    messages: {
      create: (threadId, body) => messages.create(threadId, body),
      retrieve: (threadId, messageId) => messages.retrieve(messageId, { thread_id: threadId }),
      update: (threadId, messageId, body) => messages.update(messageId, { thread_id: threadId, ...body }),
      delete: (threadId, messageId) => messages.delete(messageId, { thread_id: threadId }),
      list: async (threadId, query = {}) => pageBody<Message>(await messages.list(threadId, query)),
      iterate: (threadId, query = {}) => messages.list(threadId, query),
    },
    files: {
      // 5.x types lack the `evals` purpose; the 6.x ones have it and `expires_after`.
      create: (body) => client.files.create(body as Parameters<typeof client.files.create>[0]),
      retrieve: (id) => client.files.retrieve(id),
      list: async (query = {}) => pageBody<FileObject>(await client.files.list(query)),
      iterate: (query = {}) => client.files.list(query),
      content: async (id) => (await client.files.content(id)) as BinaryResponse,
      delete: (id) => client.files.delete(id),
    },
    uploads: {
      create: (body) => client.uploads.create(body),
      addPart: (uploadId, data) =>
        client.uploads.parts.create(uploadId, { data } as Parameters<typeof client.uploads.parts.create>[1]),
      complete: (uploadId, body) => client.uploads.complete(uploadId, body),
      cancel: (uploadId) => client.uploads.cancel(uploadId),
    },
  };
}
