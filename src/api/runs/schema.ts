import { Errors } from '../../core/errors.js';
import { arr, bool, describeType, int, isPlainObject, literal, nullable, obj, oneOf, str, tagged, type Validator } from '../../core/validate.js';
import type { ToolChoice, TruncationStrategy } from '../../core/wire.js';
import {
  metadata,
  reasoningEffort,
  responseFormat,
  temperature,
  toolResourcesIds,
  tools,
  topP,
} from '../common-schema.js';
import { messageList } from '../messages/schema.js';
import { createThreadBody } from '../threads/schema.js';

const toolChoiceObject = tagged({
  function: obj({ type: literal('function'), function: obj({ name: str({ min: 1 }) }, { required: ['name'] }) }, { required: ['function'] }),
  code_interpreter: obj({ type: literal('code_interpreter') }),
  file_search: obj({ type: literal('file_search') }),
});

export const toolChoice: Validator<ToolChoice> = (v, path) => {
  if (typeof v === 'string') return oneOf(['none', 'auto', 'required'])(v, path);
  if (!isPlainObject(v)) throw Errors.invalidType(path, 'a string or an object', describeType(v));
  return toolChoiceObject(v, path) as ToolChoice;
};

export const truncationStrategy: Validator<TruncationStrategy> = (v, path) => {
  const t = obj({ type: oneOf(['auto', 'last_messages']), last_messages: nullable(int({ min: 1 })) }, { required: ['type'] })(v, path);
  return { type: t.type, last_messages: t.last_messages ?? null };
};

const runFields = {
  assistant_id: str({ min: 1 }),
  model: nullable(str({ min: 1, max: 256 })),
  instructions: nullable(str({ max: 256_000 })),
  tools: nullable(tools(20)),
  metadata: nullable(metadata),
  temperature,
  top_p: topP,
  stream: nullable(bool),
  max_prompt_tokens: nullable(int({ min: 256 })),
  max_completion_tokens: nullable(int({ min: 256 })),
  truncation_strategy: nullable(truncationStrategy),
  tool_choice: nullable(toolChoice),
  parallel_tool_calls: bool,
  response_format: nullable(responseFormat),
};

export const createRunBody = obj(
  {
    ...runFields,
    reasoning_effort: reasoningEffort,
    additional_instructions: nullable(str({ max: 256_000 })),
    additional_messages: nullable(messageList),
  },
  { required: ['assistant_id'] },
);

export const createThreadAndRunBody = obj(
  {
    ...runFields,
    thread: createThreadBody,
    tool_resources: toolResourcesIds,
  },
  { required: ['assistant_id'] },
);

export type RunInput = ReturnType<typeof createRunBody> & Partial<ReturnType<typeof createThreadAndRunBody>>;

export const modifyRunBody = obj({ metadata: nullable(metadata) });

export const submitToolOutputsBody = obj(
  {
    tool_outputs: arr(obj({ tool_call_id: str({ min: 1 }), output: str() }, { required: ['tool_call_id'] })),
    stream: nullable(bool),
  },
  { required: ['tool_outputs'] },
);

export const INCLUDE_VALUES = ['step_details.tool_calls[*].file_search.results[*].content'] as const;

/** `include[]` from a query string (the SDKs send `include%5B%5D=…`). */
export function parseInclude(query: unknown): string[] {
  const q = (query ?? {}) as Record<string, unknown>;
  const raw = q['include[]'] ?? q.include;
  if (raw === undefined) return [];
  const values = (Array.isArray(raw) ? raw : [raw]).map(String);
  for (const v of values) {
    if (!(INCLUDE_VALUES as readonly string[]).includes(v)) throw Errors.invalidValue('include', v, INCLUDE_VALUES);
  }
  return values;
}
