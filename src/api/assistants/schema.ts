import { nullable, obj, str } from '../../core/validate.js';
import {
  metadata,
  reasoningEffort,
  responseFormat,
  temperature,
  toolResourcesCreate,
  toolResourcesIds,
  tools,
  topP,
} from '../common-schema.js';

const fields = {
  model: str({ min: 1, max: 256 }),
  name: nullable(str({ max: 256 })),
  description: nullable(str({ max: 512 })),
  instructions: nullable(str({ max: 256_000 })),
  reasoning_effort: reasoningEffort,
  tools: tools(128),
  metadata: nullable(metadata),
  temperature,
  top_p: topP,
  response_format: nullable(responseFormat),
};

export const createAssistantBody = obj({ ...fields, tool_resources: toolResourcesCreate }, { required: ['model'] });
export const modifyAssistantBody = obj({ ...fields, tool_resources: toolResourcesIds });
