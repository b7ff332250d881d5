/**
 * The model seam: what the run engine needs from any chat model, free of any provider library.
 * Adapters (`ai-sdk/`) translate to and from a concrete provider; tests use a scripted upstream.
 */
export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: UserPart[] }
  | { role: 'assistant'; content: string; toolCalls?: ToolCallRequest[] }
  | { role: 'tool'; toolCallId: string; toolName: string; content: string };

export type UserPart =
  | { type: 'text'; text: string }
  | { type: 'image'; url: string }
  | { type: 'image'; data: Uint8Array; mediaType: string };

export interface ToolCallRequest {
  id: string;
  name: string;
  /** JSON text, as the model produced it. */
  arguments: string;
}

export interface ModelTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
  strict?: boolean;
}

export type ModelToolChoice = 'auto' | 'none' | 'required' | { name: string };

export type ModelResponseFormat =
  | { type: 'text' }
  | { type: 'json'; schema?: Record<string, unknown>; name?: string; description?: string; strict?: boolean };

export interface ModelRequest {
  /** The provider's own model id (after alias resolution). */
  model: string;
  messages: ChatMessage[];
  tools?: ModelTool[];
  toolChoice?: ModelToolChoice;
  parallelToolCalls?: boolean;
  temperature?: number;
  topP?: number;
  maxOutputTokens?: number;
  responseFormat?: ModelResponseFormat;
  reasoningEffort?: string;
  signal: AbortSignal;
}

export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type ModelStreamPart =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call-start'; id: string; name: string }
  | { type: 'tool-call-delta'; id: string; argumentsDelta: string }
  | { type: 'tool-call-end'; id: string }
  | { type: 'finish'; reason: FinishReason; usage: Usage };

export interface LanguageModel {
  /**
   * Streams one model turn. Ends with exactly one `finish` part, or throws a ModelError (before or
   * during the stream). Aborting `request.signal` stops the upstream request.
   */
  stream(request: ModelRequest): AsyncIterable<ModelStreamPart>;
}

export type ModelErrorKind = 'rate_limit' | 'server' | 'timeout' | 'client' | 'no_provider' | 'aborted';

/** A classified upstream failure: the engine retries the retryable ones with back-off. */
export class ModelError extends Error {
  constructor(
    readonly kind: ModelErrorKind,
    message: string,
    readonly options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'ModelError';
  }

  get retryable(): boolean {
    return this.kind === 'rate_limit' || this.kind === 'server' || this.kind === 'timeout';
  }
}
