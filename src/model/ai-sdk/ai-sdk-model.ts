import { APICallError, type LanguageModelV3, type LanguageModelV3CallOptions, type LanguageModelV3Prompt } from '@ai-sdk/provider';
import {
  ModelError,
  type ChatMessage,
  type FinishReason,
  type LanguageModel,
  type ModelRequest,
  type ModelStreamPart,
} from '../language-model.js';

export interface AiSdkModelOptions {
  /** Provider name, used as the providerOptions key for pass-through body fields. */
  providerName: string;
  /** Builds the provider's model object for a model id. */
  resolve(modelId: string): LanguageModelV3;
  /** Abort the request when no byte arrives for this long (first byte included). */
  idleTimeoutMs: number;
}

/** A LanguageModel over any AI SDK (v6) provider: OpenAI-compatible servers, Anthropic, … */
export function createAiSdkModel(options: AiSdkModelOptions): LanguageModel {
  return {
    async *stream(request) {
      yield* streamTurn(options, request);
    },
  };
}

function toPrompt(messages: ChatMessage[]): LanguageModelV3Prompt {
  return messages.map((m) => {
    switch (m.role) {
      case 'system':
        return { role: 'system', content: m.content };
      case 'user':
        return {
          role: 'user',
          content: m.content.map((p) =>
            p.type === 'text'
              ? { type: 'text' as const, text: p.text }
              : 'url' in p
                ? { type: 'file' as const, data: new URL(p.url), mediaType: 'image/*' }
                : { type: 'file' as const, data: p.data, mediaType: p.mediaType },
          ),
        };
      case 'assistant':
        return {
          role: 'assistant',
          content: [
            ...(m.content ? [{ type: 'text' as const, text: m.content }] : []),
            ...(m.toolCalls ?? []).map((c) => ({
              type: 'tool-call' as const,
              toolCallId: c.id,
              toolName: c.name,
              input: parseArguments(c.arguments),
            })),
          ],
        };
      case 'tool':
        return {
          role: 'tool',
          content: [
            { type: 'tool-result' as const, toolCallId: m.toolCallId, toolName: m.toolName, output: { type: 'text' as const, value: m.content } },
          ],
        };
    }
  });
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function callOptions(options: AiSdkModelOptions, request: ModelRequest, signal: AbortSignal): LanguageModelV3CallOptions {
  const tc = request.toolChoice;
  return {
    prompt: toPrompt(request.messages),
    abortSignal: signal,
    ...(request.temperature !== undefined && { temperature: request.temperature }),
    ...(request.topP !== undefined && { topP: request.topP }),
    ...(request.maxOutputTokens !== undefined && { maxOutputTokens: request.maxOutputTokens }),
    ...(request.tools?.length && {
      tools: request.tools.map((t) => ({
        type: 'function' as const,
        name: t.name,
        description: t.description,
        inputSchema: t.parameters,
        ...(t.strict !== undefined && { strict: t.strict }),
      })),
      toolChoice: tc === undefined || typeof tc === 'string' ? { type: tc ?? 'auto' } : { type: 'tool', toolName: tc.name },
    }),
    ...(request.responseFormat && { responseFormat: request.responseFormat }),
    providerOptions: {
      [options.providerName]: {
        ...(request.parallelToolCalls === false && request.tools?.length && { parallel_tool_calls: false }),
        ...(request.reasoningEffort && { reasoningEffort: request.reasoningEffort }),
        // json_schema strictness as the client asked (the provider would default to strict)
        ...(request.responseFormat?.type === 'json' && request.responseFormat.schema && { strictJsonSchema: request.responseFormat.strict === true }),
      },
    },
  } as LanguageModelV3CallOptions;
}

async function* streamTurn(options: AiSdkModelOptions, request: ModelRequest): AsyncGenerator<ModelStreamPart> {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(request.signal.reason);
  if (request.signal.aborted) throw new ModelError('aborted', 'The request was aborted.');
  request.signal.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  // one timer per request, pushed back on every chunk (refresh() re-arms it without a new one)
  const arm = () => {
    if (timer) return void timer.refresh();
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('upstream idle timeout'));
    }, options.idleTimeoutMs);
  };
  const started = new Set<string>();
  try {
    arm();
    const model = options.resolve(request.model);
    const { stream } = await model.doStream(callOptions(options, request, controller.signal));
    const reader = stream.getReader();
    let finished = false;
    for (;;) {
      const { value: part, done } = await reader.read();
      if (done) break;
      arm();
      switch (part.type) {
        case 'text-delta':
          if (part.delta) yield { type: 'text-delta', text: part.delta };
          break;
        case 'tool-input-start':
          started.add(part.id);
          yield { type: 'tool-call-start', id: part.id, name: part.toolName };
          break;
        case 'tool-input-delta':
          if (part.delta) yield { type: 'tool-call-delta', id: part.id, argumentsDelta: part.delta };
          break;
        case 'tool-input-end':
          yield { type: 'tool-call-end', id: part.id };
          break;
        case 'tool-call':
          // Providers that do not stream arguments send the whole call at once.
          if (!started.has(part.toolCallId)) {
            started.add(part.toolCallId);
            yield { type: 'tool-call-start', id: part.toolCallId, name: part.toolName };
            yield { type: 'tool-call-delta', id: part.toolCallId, argumentsDelta: part.input };
            yield { type: 'tool-call-end', id: part.toolCallId };
          }
          break;
        case 'finish':
          finished = true;
          yield {
            type: 'finish',
            reason: mapFinishReason(part.finishReason.unified),
            usage: { inputTokens: part.usage.inputTokens.total ?? 0, outputTokens: part.usage.outputTokens.total ?? 0 },
          };
          break;
        case 'error':
          throw classify(part.error, timedOut, request.signal);
        default:
          break;
      }
    }
    if (!finished) throw new ModelError('server', 'The upstream stream ended before the model finished.');
  } catch (err) {
    throw classify(err, timedOut, request.signal);
  } finally {
    clearTimeout(timer);
    request.signal.removeEventListener('abort', onAbort);
  }
}

function mapFinishReason(reason: string): FinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'tool-calls':
    case 'content-filter':
    case 'error':
      return reason;
    default:
      return 'other';
  }
}

/** Sorts an upstream failure into the few kinds the engine acts on. */
export function classify(err: unknown, timedOut: boolean, callerSignal: AbortSignal): ModelError {
  if (err instanceof ModelError) return err;
  if (callerSignal.aborted) return new ModelError('aborted', 'The request was aborted.', { cause: err });
  if (timedOut) return new ModelError('timeout', 'The upstream model did not answer in time.', { cause: err });
  if (APICallError.isInstance(err)) {
    const status = err.statusCode;
    const retryAfterMs = parseRetryAfter(err.responseHeaders);
    const message = err.message || `upstream answered ${status}`;
    if (status === 429) return new ModelError('rate_limit', message, { status, retryAfterMs, cause: err });
    if (status === 408) return new ModelError('timeout', message, { status, cause: err });
    if (status !== undefined && status >= 500) return new ModelError('server', message, { status, retryAfterMs, cause: err });
    if (status !== undefined && status >= 400) return new ModelError('client', message, { status, cause: err });
    return new ModelError('server', message, { status, cause: err });
  }
  const message =
    err instanceof Error
      ? err.message
      : typeof err === 'object' && err !== null && 'message' in err
        ? String((err as { message: unknown }).message)
        : String(err);
  return new ModelError('server', `The upstream request failed: ${message}`, { cause: err });
}

function parseRetryAfter(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = headers['retry-after-ms'];
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const s = headers['retry-after'];
  if (!s) return undefined;
  if (Number.isFinite(Number(s))) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
