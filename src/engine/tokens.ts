import { countTokens as countBpe } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatMessage } from '../model/language-model.js';

/** Per-message framing overhead in chat formats (role markers, separators). */
const MESSAGE_OVERHEAD = 4;
/** What an image costs in the prompt, roughly (a low-detail tile). */
const IMAGE_TOKENS = 85;

/** Runs of this many characters or more are counted in pieces of this size. */
const RUN_PIECE = 64;
const LONG_RUN = new RegExp(`\\S{${RUN_PIECE},}|\\s{${RUN_PIECE},}`, 'g');

/**
 * Tokens of `text` by o200k. The tokenizer's byte-pair merging is quadratic in the length of one
 * unbroken run (a 1 MB line of `AAAA…`, which a code_interpreter cell can print, takes minutes of
 * CPU and blocks the whole server), so long runs of non-space or of space characters are counted
 * in 64-character pieces: at most one token more per piece than the exact count.
 */
function countTokens(text: string): number {
  let n = 0;
  let last = 0;
  for (const m of text.matchAll(LONG_RUN)) {
    if (m.index > last) n += countBpe(text.slice(last, m.index));
    const run = m[0];
    for (let i = 0; i < run.length; i += RUN_PIECE) n += countBpe(run.slice(i, i + RUN_PIECE));
    last = m.index + run.length;
  }
  return last === 0 ? countBpe(text) : last < text.length ? n + countBpe(text.slice(last)) : n;
}

/** Tokens a chat message takes in a prompt, counted with the o200k tokenizer. */
export function messageTokens(m: ChatMessage): number {
  switch (m.role) {
    case 'system':
      return MESSAGE_OVERHEAD + countTokens(m.content);
    case 'user':
      return MESSAGE_OVERHEAD + m.content.reduce((n, p) => n + (p.type === 'text' ? countTokens(p.text) : IMAGE_TOKENS), 0);
    case 'assistant':
      return (
        MESSAGE_OVERHEAD +
        countTokens(m.content) +
        (m.toolCalls ?? []).reduce((n, c) => n + countTokens(c.name) + countTokens(c.arguments) + 3, 0)
      );
    case 'tool':
      return MESSAGE_OVERHEAD + countTokens(m.content);
  }
}

export function textTokens(text: string): number {
  return countTokens(text);
}
