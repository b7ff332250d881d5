/**
 * One interface over the `openai` SDK majors 4, 5 and 6, so a single test body runs on each of
 * them. Every method calls that SDK's real resource method with that SDK's own signature
 * (`facade-v4.ts`, `facade-v5plus.ts`); the wire shapes are typed with the 6.x declarations.
 */
import type { ReadStream } from 'node:fs';
import type OpenAI4 from 'openai4';
import type OpenAI5 from 'openai5';
import type OpenAI6 from 'openai6';
import type {
  Assistant,
  AssistantCreateParams,
  AssistantDeleted,
  AssistantUpdateParams,
} from 'openai6/resources/beta/assistants';
import type { Thread, ThreadCreateParams, ThreadDeleted, ThreadUpdateParams } from 'openai6/resources/beta/threads/threads';
import type { Message, MessageCreateParams, MessageDeleted } from 'openai6/resources/beta/threads/messages';
import type { FileCreateParams, FileDeleted, FileObject, FilePurpose } from 'openai6/resources/files';
import type { Upload, UploadCompleteParams, UploadCreateParams } from 'openai6/resources/uploads/uploads';
import type { UploadPart } from 'openai6/resources/uploads/parts';

export type {
  Assistant,
  AssistantCreateParams,
  AssistantDeleted,
  AssistantUpdateParams,
  FileDeleted,
  FileObject,
  FilePurpose,
  Message,
  MessageCreateParams,
  MessageDeleted,
  Thread,
  ThreadCreateParams,
  ThreadDeleted,
  ThreadUpdateParams,
  Upload,
  UploadCompleteParams,
  UploadCreateParams,
  UploadPart,
};

export type SdkName = 'openai@4' | 'openai@5' | 'openai@6';
export type RawClient = OpenAI4 | OpenAI5 | OpenAI6;

/** Query parameters of the cursor lists. */
export interface ListQuery {
  limit?: number;
  order?: 'asc' | 'desc';
  after?: string;
  before?: string;
}

/** One list page as the server sent it (the SDK page objects keep the body they were built from). */
export interface ListPage<T> {
  object: string;
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** A file the SDK can upload: what its own `toFile` made, or a `fs.ReadStream`. */
export type Uploadable = ReadStream | { readonly name: string; readonly size: number };
export type FileSource = string | Uint8Array | ArrayBuffer | Blob;

export interface FileCreateInput {
  file: Uploadable;
  purpose: FilePurpose;
  expires_after?: FileCreateParams.ExpiresAfter;
}

export interface FileListQuery extends Omit<ListQuery, 'before'> {
  purpose?: string;
}

/** The raw download the SDK hands back from `files.content` (a fetch `Response`). */
export interface BinaryResponse {
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The SDK's error class of each status, to assert `instanceof` against. */
export type ErrorClass = abstract new (...args: never[]) => Error;
export interface SdkErrors {
  APIError: ErrorClass;
  BadRequestError: ErrorClass;
  AuthenticationError: ErrorClass;
  NotFoundError: ErrorClass;
}

/** What an SDK error exposes, read through the properties that SDK major names. */
export interface ErrorFields {
  status: number | undefined;
  type: string | undefined;
  param: string | null | undefined;
  code: string | null | undefined;
  /** `error` as the SDK parsed it from the body: the inner `{message,type,param,code}` object. */
  error: unknown;
  message: string;
  requestId: string | null | undefined;
}

export interface Facade {
  name: SdkName;
  raw: RawClient;
  errors: SdkErrors;
  /** The `x-request-id` the SDK attached to a parsed result (`_request_id`). */
  requestIdOf(result: object): string | null | undefined;
  /** Reads an SDK error, or returns undefined when `err` is not this SDK's `APIError`. */
  errorFields(err: unknown): ErrorFields | undefined;
  /** The SDK's own `toFile`. */
  toFile(source: FileSource, name: string, type?: string): Promise<Uploadable>;

  assistants: {
    create(body: AssistantCreateParams): Promise<Assistant>;
    retrieve(assistantId: string): Promise<Assistant>;
    update(assistantId: string, body: AssistantUpdateParams): Promise<Assistant>;
    delete(assistantId: string): Promise<AssistantDeleted>;
    list(query?: ListQuery): Promise<ListPage<Assistant>>;
    /** `for await` over the SDK's auto-paginating list. */
    iterate(query?: ListQuery): AsyncIterable<Assistant>;
  };
  threads: {
    /** Called with no argument at all when `body` is undefined. */
    create(body?: ThreadCreateParams): Promise<Thread>;
    retrieve(threadId: string): Promise<Thread>;
    update(threadId: string, body: ThreadUpdateParams): Promise<Thread>;
    delete(threadId: string): Promise<ThreadDeleted>;
  };
  messages: {
    create(threadId: string, body: MessageCreateParams): Promise<Message>;
    retrieve(threadId: string, messageId: string): Promise<Message>;
    update(threadId: string, messageId: string, body: { metadata: Record<string, string> | null }): Promise<Message>;
    delete(threadId: string, messageId: string): Promise<MessageDeleted>;
    list(threadId: string, query?: ListQuery & { run_id?: string }): Promise<ListPage<Message>>;
    iterate(threadId: string, query?: ListQuery): AsyncIterable<Message>;
  };
  files: {
    create(body: FileCreateInput): Promise<FileObject>;
    retrieve(fileId: string): Promise<FileObject>;
    list(query?: FileListQuery): Promise<ListPage<FileObject>>;
    iterate(query?: FileListQuery): AsyncIterable<FileObject>;
    content(fileId: string): Promise<BinaryResponse>;
    delete(fileId: string): Promise<FileDeleted>;
  };
  uploads: {
    create(body: UploadCreateParams): Promise<Upload>;
    addPart(uploadId: string, data: Uploadable): Promise<UploadPart>;
    complete(uploadId: string, body: UploadCompleteParams): Promise<Upload>;
    cancel(uploadId: string): Promise<Upload>;
  };
}

/** The list body an SDK page object was built from (a protected field in every major). */
export function pageBody<T>(page: object): ListPage<T> {
  const body = (page as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { data?: unknown }).data)) {
    throw new Error('the SDK page carries no list body');
  }
  return body as ListPage<T>;
}
