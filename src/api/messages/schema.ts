import { Errors } from '../../core/errors.js';
import { arr, describeType, either, isPlainObject, literal, nullable, obj, oneOf, str, tagged } from '../../core/validate.js';
import { metadata } from '../common-schema.js';

const detail = oneOf(['auto', 'low', 'high']);

const imageUrl = str({
  min: 1,
  pattern: /^(https?:\/\/\S+|data:image\/[a-z0-9.+-]+;base64,[A-Za-z0-9+/=\s]+)$/i,
  patternRule: 'expected an http(s) URL or a base64 data URL of an image.',
});

export const contentPart = tagged({
  text: obj({ type: literal('text'), text: str() }, { required: ['text'] }),
  image_file: obj(
    { type: literal('image_file'), image_file: obj({ file_id: str({ min: 1 }), detail }, { required: ['file_id'] }) },
    { required: ['image_file'] },
  ),
  image_url: obj(
    { type: literal('image_url'), image_url: obj({ url: imageUrl, detail }, { required: ['url'] }) },
    { required: ['image_url'] },
  ),
});

export const messageContent = either(
  { is: (v) => typeof v === 'string', check: str({ max: 256_000 }) },
  { is: Array.isArray, check: arr(contentPart, { min: 1 }) },
  'a string or an array of content parts',
);

export const attachment = obj(
  {
    file_id: str({ min: 1 }),
    tools: arr(tagged({ code_interpreter: obj({ type: literal('code_interpreter') }), file_search: obj({ type: literal('file_search') }) })),
  },
  { required: ['file_id'] },
);

export const createMessageBody = obj(
  {
    role: oneOf(['user', 'assistant']),
    content: messageContent,
    attachments: nullable(arr(attachment)),
    metadata: nullable(metadata),
  },
  { required: ['role', 'content'] },
);

export type CreateMessageInput = ReturnType<typeof createMessageBody>;

export const modifyMessageBody = obj({ metadata: nullable(metadata) });

/** Validates an array of messages (thread create, run `additional_messages`). */
export function messageList(v: unknown, path: string): CreateMessageInput[] {
  if (!Array.isArray(v)) throw Errors.invalidType(path, 'an array', describeType(v));
  return v.map((m, i) => {
    if (!isPlainObject(m)) throw Errors.invalidType(`${path}[${i}]`, 'an object', describeType(m));
    return createMessageBody(m, `${path}[${i}]`);
  });
}
