import type { Clock } from '../../core/clock.js';
import { unixSeconds } from '../../core/clock.js';
import { Errors } from '../../core/errors.js';
import type { IdGenerator } from '../../core/ids.js';
import type { Message, MessageContent } from '../../core/wire.js';
import type { Store } from '../../store/store.js';
import type { CreateMessageInput } from './schema.js';

export interface BuildContext {
  store: Store;
  clock: Clock;
  ids: IdGenerator;
  projectId: string;
}

/**
 * A message as the API stores it from a create request: string content becomes one text part,
 * and every referenced file must exist in the caller's project.
 */
export async function buildMessage(
  input: CreateMessageInput,
  threadId: string,
  ctx: BuildContext,
  param = '',
): Promise<Message> {
  const at = (p: string) => (param ? `${param}.${p}` : p);
  const now = unixSeconds(ctx.clock);
  const fileExists = async (id: string) => !!(await ctx.store.files.get(ctx.projectId, id, now));

  let content: MessageContent[];
  if (typeof input.content === 'string') {
    content = [{ type: 'text', text: { value: input.content, annotations: [] } }];
  } else {
    content = [];
    for (const [i, part] of input.content.entries()) {
      if (part.type === 'text') {
        content.push({ type: 'text', text: { value: part.text, annotations: [] } });
      } else if (part.type === 'image_file') {
        if (!(await fileExists(part.image_file.file_id))) {
          throw Errors.invalidRequest(
            `No file found with id '${part.image_file.file_id}'.`,
            at(`content[${i}].image_file.file_id`),
            'invalid_file',
          );
        }
        content.push({ type: 'image_file', image_file: { file_id: part.image_file.file_id, detail: part.image_file.detail ?? 'auto' } });
      } else {
        content.push({ type: 'image_url', image_url: { url: part.image_url.url, detail: part.image_url.detail ?? 'auto' } });
      }
    }
  }

  const attachments = [];
  for (const [i, a] of (input.attachments ?? []).entries()) {
    if (!(await fileExists(a.file_id))) {
      throw Errors.invalidRequest(`No file found with id '${a.file_id}'.`, at(`attachments[${i}].file_id`), 'invalid_file');
    }
    attachments.push({ file_id: a.file_id, tools: a.tools ?? [] });
  }

  return {
    id: ctx.ids.next('message'),
    object: 'thread.message',
    created_at: now,
    assistant_id: null,
    thread_id: threadId,
    run_id: null,
    role: input.role,
    content,
    attachments,
    metadata: input.metadata ?? {},
    status: 'completed',
    incomplete_details: null,
    completed_at: now,
    incomplete_at: null,
  };
}
