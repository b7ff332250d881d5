/**
 * Id kinds as the isolation suite names them, well-formed random ids of each kind (what "an
 * unknown id" looks like), and a pattern that finds server-made ids in any text.
 */
import { randomBytes } from 'node:crypto';

export type Kind = 'assistant' | 'thread' | 'message' | 'run' | 'step' | 'file' | 'upload' | 'part' | 'vector_store' | 'batch' | 'call';

export const PREFIX: Record<Kind, string> = {
  assistant: 'asst_',
  thread: 'thread_',
  message: 'msg_',
  run: 'run_',
  step: 'step_',
  file: 'file-',
  upload: 'upload_',
  part: 'part_',
  vector_store: 'vs_',
  batch: 'vsfb_',
  call: 'call_',
};

/** The kind a path parameter of the spec names. */
export const PARAM_KIND: Record<string, Kind> = {
  assistant_id: 'assistant',
  thread_id: 'thread',
  message_id: 'message',
  run_id: 'run',
  step_id: 'step',
  file_id: 'file',
  upload_id: 'upload',
  vector_store_id: 'vector_store',
  batch_id: 'batch',
};

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function base62(n: number, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/**
 * A well-formed id of `kind` that names nothing: the server's shape (8 base62 characters of
 * milliseconds, 16 random), with the current time, so it sorts among real ones. With `like`,
 * the same length as that id (a tool call id may have another shape).
 */
export function randomId(kind: Kind, like?: string): string {
  const bytes = randomBytes(16);
  let rand = '';
  for (const b of bytes) rand += ALPHABET[b % 62];
  const id = PREFIX[kind] + base62(Date.now(), 8) + rand;
  if (!like || like.length === id.length) return id;
  const body = (rand + rand + rand + rand).slice(0, Math.max(1, like.length - PREFIX[kind].length));
  return PREFIX[kind] + body;
}

/** Server-made ids anywhere in a text. */
export const ID_PATTERN = /\b(?:asst|thread|msg|run|step|call|vs|vsfb|upload|part)_[0-9A-Za-z_]{8,}|\bfile-[0-9A-Za-z]{8,}/g;

export function idsIn(text: string): string[] {
  return [...new Set(text.match(ID_PATTERN) ?? [])];
}
