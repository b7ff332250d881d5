/**
 * The OpenAI Assistants v2 wire objects, exactly as the official SDKs read them.
 * Field order follows the API's own responses.
 */
import type { Metadata } from './validate.js';

export type { Metadata };

export interface FunctionDefinition {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
  strict?: boolean | null;
}

export interface FileSearchRankingOptions {
  ranker?: 'auto' | 'default_2024_08_21';
  score_threshold: number;
}

export type AssistantTool =
  | { type: 'code_interpreter' }
  | { type: 'file_search'; file_search?: { max_num_results?: number; ranking_options?: FileSearchRankingOptions } }
  | { type: 'function'; function: FunctionDefinition };

export interface ToolResources {
  code_interpreter?: { file_ids: string[] };
  file_search?: { vector_store_ids: string[] };
}

export type ResponseFormat =
  | 'auto'
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null };
    };

export interface Assistant {
  id: string;
  object: 'assistant';
  created_at: number;
  name: string | null;
  description: string | null;
  model: string;
  instructions: string | null;
  tools: AssistantTool[];
  tool_resources: ToolResources | null;
  metadata: Metadata;
  temperature: number | null;
  top_p: number | null;
  response_format: ResponseFormat | null;
  reasoning_effort: string | null;
}

export interface Thread {
  id: string;
  object: 'thread';
  created_at: number;
  tool_resources: ToolResources | null;
  metadata: Metadata;
}

export type ImageDetail = 'auto' | 'low' | 'high';

export type TextAnnotation =
  | { type: 'file_citation'; text: string; file_citation: { file_id: string }; start_index: number; end_index: number }
  | { type: 'file_path'; text: string; file_path: { file_id: string }; start_index: number; end_index: number };

export type MessageContent =
  | { type: 'text'; text: { value: string; annotations: TextAnnotation[] } }
  | { type: 'image_file'; image_file: { file_id: string; detail?: ImageDetail } }
  | { type: 'image_url'; image_url: { url: string; detail?: ImageDetail } }
  | { type: 'refusal'; refusal: string };

export type AttachmentTool = { type: 'code_interpreter' } | { type: 'file_search' };

export interface Attachment {
  file_id: string;
  tools: AttachmentTool[];
}

export type MessageStatus = 'in_progress' | 'incomplete' | 'completed';
export type MessageIncompleteReason = 'content_filter' | 'max_tokens' | 'run_cancelled' | 'run_expired' | 'run_failed';

export interface Message {
  id: string;
  object: 'thread.message';
  created_at: number;
  assistant_id: string | null;
  thread_id: string;
  run_id: string | null;
  role: 'user' | 'assistant';
  content: MessageContent[];
  attachments: Attachment[];
  metadata: Metadata;
  status: MessageStatus;
  incomplete_details: { reason: MessageIncompleteReason } | null;
  completed_at: number | null;
  incomplete_at: number | null;
}

export const FILE_PURPOSES = [
  'assistants',
  'assistants_output',
  'batch',
  'batch_output',
  'fine-tune',
  'fine-tune-results',
  'vision',
  'user_data',
  'evals',
] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

export interface OpenAIFile {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  expires_at: number | null;
  filename: string;
  purpose: FilePurpose;
  status: 'uploaded' | 'processed' | 'error';
  status_details: string | null;
}

export interface Upload {
  id: string;
  object: 'upload';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'pending' | 'completed' | 'cancelled' | 'expired';
  expires_at: number;
  file: OpenAIFile | null;
}

export interface UploadPart {
  id: string;
  object: 'upload.part';
  created_at: number;
  upload_id: string;
}

export interface ListResponse<T> {
  object: 'list';
  data: T[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface DeletedObject<O extends string> {
  id: string;
  object: O;
  deleted: boolean;
}

export type RunStatus =
  | 'queued'
  | 'in_progress'
  | 'requires_action'
  | 'cancelling'
  | 'cancelled'
  | 'failed'
  | 'completed'
  | 'incomplete'
  | 'expired';

export interface RunToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'code_interpreter' }
  | { type: 'file_search' };

export interface TruncationStrategy {
  type: 'auto' | 'last_messages';
  last_messages: number | null;
}

export interface RunUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface Run {
  id: string;
  object: 'thread.run';
  created_at: number;
  assistant_id: string;
  thread_id: string;
  status: RunStatus;
  started_at: number | null;
  expires_at: number | null;
  cancelled_at: number | null;
  failed_at: number | null;
  completed_at: number | null;
  required_action: { type: 'submit_tool_outputs'; submit_tool_outputs: { tool_calls: RunToolCall[] } } | null;
  last_error: { code: 'server_error' | 'rate_limit_exceeded' | 'invalid_prompt'; message: string } | null;
  model: string;
  instructions: string;
  tools: AssistantTool[];
  metadata: Metadata;
  incomplete_details: { reason: 'max_completion_tokens' | 'max_prompt_tokens' } | null;
  usage: RunUsage | null;
  temperature: number | null;
  top_p: number | null;
  max_prompt_tokens: number | null;
  max_completion_tokens: number | null;
  truncation_strategy: TruncationStrategy;
  response_format: ResponseFormat;
  tool_choice: ToolChoice;
  parallel_tool_calls: boolean;
  reasoning_effort: string | null;
}

export type StepStatus = 'in_progress' | 'cancelled' | 'failed' | 'completed' | 'expired';

export interface FunctionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string; output: string | null };
}

export interface CodeInterpreterToolCall {
  id: string;
  type: 'code_interpreter';
  code_interpreter: {
    input: string;
    outputs: Array<{ type: 'logs'; logs: string } | { type: 'image'; image: { file_id: string } }>;
  };
}

export type StepToolCall = FunctionToolCall | FileSearchToolCall | CodeInterpreterToolCall;

export type StepDetails =
  | { type: 'message_creation'; message_creation: { message_id: string } }
  | { type: 'tool_calls'; tool_calls: StepToolCall[] };

export interface RunStep {
  /**
   * What the model saw of server-side tool calls (arguments and output per call id). Stored, never
   * sent: `toWireStep` drops it.
   */
  model_io?: Record<
    string,
    {
      name: string;
      arguments: string;
      output: string;
      sources?: Array<{ marker: string; fileId: string }>;
      files?: Array<{ path: string; fileId: string }>;
    }
  >;
  id: string;
  object: 'thread.run.step';
  created_at: number;
  run_id: string;
  assistant_id: string;
  thread_id: string;
  type: 'message_creation' | 'tool_calls';
  status: StepStatus;
  cancelled_at: number | null;
  completed_at: number | null;
  expired_at: number | null;
  failed_at: number | null;
  last_error: { code: 'server_error' | 'rate_limit_exceeded'; message: string } | null;
  step_details: StepDetails;
  usage: RunUsage | null;
  metadata: Metadata;
}

/**
 * A step as clients see it: without `model_io`, and with file_search result `content` only when
 * the client asked for it (`include[]=step_details.tool_calls[*].file_search.results[*].content`).
 */
export function toWireStep(step: RunStep, includeContent = false): RunStep {
  const { model_io: _hidden, ...wire } = step;
  if (includeContent || wire.step_details.type !== 'tool_calls') return wire;
  return {
    ...wire,
    step_details: {
      type: 'tool_calls',
      tool_calls: wire.step_details.tool_calls.map((c) =>
        c.type === 'file_search' && c.file_search.results
          ? { ...c, file_search: { ...c.file_search, results: c.file_search.results.map(({ content: _c, ...r }) => r) } }
          : c,
      ),
    },
  };
}

export const ACTIVE_RUN_STATUSES = ['queued', 'in_progress', 'requires_action', 'cancelling'] as const;
export const TERMINAL_RUN_STATUSES = ['cancelled', 'failed', 'completed', 'incomplete', 'expired'] as const;

export type AttributeValue = string | number | boolean;
export type Attributes = Record<string, AttributeValue>;

export type ChunkingStrategy =
  | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } }
  | { type: 'other' };

export interface FileCounts {
  in_progress: number;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
}

export interface VectorStore {
  id: string;
  object: 'vector_store';
  created_at: number;
  name: string;
  usage_bytes: number;
  file_counts: FileCounts;
  status: 'expired' | 'in_progress' | 'completed';
  expires_after: { anchor: 'last_active_at'; days: number } | null;
  expires_at: number | null;
  last_active_at: number | null;
  metadata: Metadata;
}

export type VectorStoreFileStatus = 'in_progress' | 'completed' | 'cancelled' | 'failed';

export interface VectorStoreFile {
  id: string;
  object: 'vector_store.file';
  usage_bytes: number;
  created_at: number;
  vector_store_id: string;
  status: VectorStoreFileStatus;
  last_error: { code: 'server_error' | 'unsupported_file' | 'invalid_file'; message: string } | null;
  chunking_strategy: ChunkingStrategy;
  attributes: Attributes | null;
}

export interface VectorStoreFileBatch {
  id: string;
  object: 'vector_store.files_batch';
  created_at: number;
  vector_store_id: string;
  status: 'in_progress' | 'completed' | 'cancelled' | 'failed';
  file_counts: FileCounts;
}

export interface FileSearchResult {
  file_id: string;
  file_name: string;
  score: number;
  content?: Array<{ type: 'text'; text: string }>;
}

export interface FileSearchToolCall {
  id: string;
  type: 'file_search';
  file_search: {
    ranking_options?: { ranker: string; score_threshold: number };
    results?: FileSearchResult[];
  };
}
