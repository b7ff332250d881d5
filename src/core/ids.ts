import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.js';

/** The id prefixes of the OpenAI wire objects. Files use a hyphen, everything else an underscore. */
export const ID_PREFIX = {
  assistant: 'asst_',
  thread: 'thread_',
  message: 'msg_',
  run: 'run_',
  step: 'step_',
  call: 'call_',
  vectorStore: 'vs_',
  fileBatch: 'vsfb_',
  file: 'file-',
  upload: 'upload_',
  part: 'part_',
  apiKey: 'key_',
  request: 'req_',
} as const;

export type IdKind = keyof typeof ID_PREFIX;

export interface IdGenerator {
  next(kind: IdKind): string;
}

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TIME_CHARS = 8; // 62^8 ms ≈ 6,900 years
const RANDOM_CHARS = 16;

function encodeTime(ms: number): string {
  let out = '';
  let n = ms;
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

function randomChars(count: number): number[] {
  const bytes = randomBytes(count * 2);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(((bytes[2 * i] << 8) | bytes[2 * i + 1]) % 62);
  return out;
}

/**
 * Ids that sort (byte-wise, in every store) in creation order: 8 base62 characters of milliseconds,
 * then 16 random ones, incremented instead of redrawn within the same millisecond. Because an id
 * encodes its position, list cursors stay exact when many objects share a `created_at` second and
 * keep working after the object they name was deleted.
 */
export class SortableIdGenerator implements IdGenerator {
  private lastMs = -1;
  private lastRandom: number[] = [];

  constructor(private readonly clock: Clock) {}

  next(kind: IdKind): string {
    let ms = this.clock.nowMs();
    if (ms <= this.lastMs) {
      ms = this.lastMs;
      this.increment();
    } else {
      this.lastMs = ms;
      this.lastRandom = randomChars(RANDOM_CHARS);
      this.lastRandom[0] %= 31; // leave headroom so increments never overflow
    }
    let rand = '';
    for (const d of this.lastRandom) rand += ALPHABET[d];
    return ID_PREFIX[kind] + encodeTime(ms) + rand;
  }

  private increment(): void {
    for (let i = this.lastRandom.length - 1; i >= 0; i--) {
      if (this.lastRandom[i] < 61) {
        this.lastRandom[i]++;
        return;
      }
      this.lastRandom[i] = 0;
    }
  }
}

/**
 * The creation time (Unix ms) a sortable id carries, or undefined for an id this server did not
 * make (wrong prefix, length or alphabet).
 */
export function idTimeMs(id: string): number | undefined {
  const prefix = Object.values(ID_PREFIX).find((p) => id.startsWith(p));
  if (!prefix || id.length !== prefix.length + TIME_CHARS + RANDOM_CHARS) return undefined;
  let ms = 0;
  for (const ch of id.slice(prefix.length, prefix.length + TIME_CHARS)) {
    const d = ALPHABET.indexOf(ch);
    if (d < 0) return undefined;
    ms = ms * 62 + d;
  }
  return ms;
}
