import { nullable, obj } from '../../core/validate.js';
import { metadata, toolResourcesCreate, toolResourcesIds } from '../common-schema.js';
import { messageList } from '../messages/schema.js';

export const createThreadBody = obj({
  messages: messageList,
  tool_resources: toolResourcesCreate,
  metadata: nullable(metadata),
});

export const modifyThreadBody = obj({ tool_resources: toolResourcesIds, metadata: nullable(metadata) });
