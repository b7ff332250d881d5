import { Errors } from '../core/errors.js';
import type { AssistantTool, ResponseFormat } from '../core/wire.js';
import {
  arr,
  bool,
  describeType,
  int,
  isPlainObject,
  literal,
  metadata,
  nullable,
  num,
  obj,
  oneOf,
  str,
  tagged,
  type Validator,
} from '../core/validate.js';

export { metadata };

/** Any JSON object (a JSON Schema, say), kept as given. */
export const jsonObject: Validator<Record<string, unknown>> = (v, path) => {
  if (!isPlainObject(v)) throw Errors.invalidType(path, 'an object', describeType(v));
  return v;
};

const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;

export const functionDefinition = obj(
  {
    name: str({ min: 1, max: 64, pattern: NAME_PATTERN, patternRule: "must be a-z, A-Z, 0-9, or contain underscores and dashes." }),
    description: str(),
    parameters: jsonObject,
    strict: nullable(bool),
  },
  { required: ['name'] },
);

export const tool: Validator<AssistantTool> = tagged({
  code_interpreter: obj({ type: literal('code_interpreter') }),
  file_search: obj({
    type: literal('file_search'),
    file_search: obj({
      max_num_results: int({ min: 1, max: 50 }),
      ranking_options: obj(
        { ranker: oneOf(['auto', 'default_2024_08_21']), score_threshold: num({ min: 0, max: 1 }) },
        { required: ['score_threshold'] },
      ),
    }),
  }),
  function: obj({ type: literal('function'), function: functionDefinition }, { required: ['function'] }),
}) as Validator<AssistantTool>;

const responseFormatObject = tagged({
  text: obj({ type: literal('text') }),
  json_object: obj({ type: literal('json_object') }),
  json_schema: obj(
    {
      type: literal('json_schema'),
      json_schema: obj(
        {
          name: str({ min: 1, max: 64, pattern: NAME_PATTERN, patternRule: 'must be a-z, A-Z, 0-9, or contain underscores and dashes.' }),
          description: str(),
          schema: jsonObject,
          strict: nullable(bool),
        },
        { required: ['name'] },
      ),
    },
    { required: ['json_schema'] },
  ),
});

export const responseFormat: Validator<ResponseFormat> = (v, path) => {
  if (typeof v === 'string') {
    if (v !== 'auto') throw Errors.invalidValue(path, v, ['auto']);
    return 'auto';
  }
  return responseFormatObject(v, path) as ResponseFormat;
};

export const REASONING_EFFORTS = ['none', 'minimal', 'low', 'medium', 'high', 'xhigh', 'max'] as const;
export const reasoningEffort = nullable(oneOf(REASONING_EFFORTS));

export const chunkingStrategy = tagged({
  auto: obj({ type: literal('auto') }),
  static: obj(
    {
      type: literal('static'),
      static: obj(
        { max_chunk_size_tokens: int({ min: 100, max: 4096 }), chunk_overlap_tokens: int({ min: 0 }) },
        { required: ['max_chunk_size_tokens', 'chunk_overlap_tokens'] },
      ),
    },
    { required: ['static'] },
  ),
});


/** `tool_resources` on modify (and on runs): plain id lists only. */
export const toolResourcesIds = nullable(
  obj({
    code_interpreter: obj({ file_ids: arr(str(), { max: 20 }) }),
    file_search: obj({ vector_store_ids: arr(str(), { max: 1 }) }),
  }),
);

/** `tool_resources` on create: the file_search part may instead ask for a new vector store. */
export const toolResourcesCreate = nullable(
  obj({
    code_interpreter: obj({ file_ids: arr(str(), { max: 20 }) }),
    file_search: (v: unknown, path: string) => {
      const fs = obj({
        vector_store_ids: arr(str(), { max: 1 }),
        vector_stores: arr(
          obj({ file_ids: arr(str(), { max: 100_000_000 }), chunking_strategy: chunkingStrategy, metadata: nullable(metadata) }),
          { max: 1 },
        ),
      })(v, path);
      if (fs.vector_store_ids !== undefined && fs.vector_stores !== undefined) {
        throw Errors.invalidRequest(
          `Invalid '${path}': set either 'vector_store_ids' or 'vector_stores', not both.`,
          path,
          'invalid_value',
        );
      }
      return fs;
    },
  }),
);

export type ToolResourcesInput = NonNullable<ReturnType<typeof toolResourcesCreate>>;

export const temperature = nullable(num({ min: 0, max: 2 }));
export const topP = nullable(num({ min: 0, max: 1 }));
export const tools = (max: number) => arr(tool, { max });
