import { countTokens as countBpe } from 'gpt-tokenizer/encoding/o200k_base';
import { bpePieces } from '../ingest/bpe-pieces.js';
import type { ChatMessage } from '../model/language-model.js';

/** Per-message framing overhead in chat formats (role markers, separators). */
const MESSAGE_OVERHEAD = 4;
/** What an image costs in the prompt, roughly (a low-detail tile). */
const IMAGE_TOKENS = 85;

/** Text that spells a special token (`<|endoftext|>`) is counted as the plain text it is. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** Tokens of `text` by o200k, long unbroken runs counted in pieces (see ingest/bpe-pieces.ts). */
function countTokens(text: string): number {
  let n = 0;
  for (const piece of bpePieces(text)) n += countBpe(piece, AS_TEXT);
  return n;
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

/**
 * An upper bound on `messageTokens(m)` without tokenizing: an o200k token covers at least one
 * UTF-8 byte, so a text takes at most as many tokens as it has bytes (per piece, so also with the
 * pieces of bpePieces).
 */
export function messageTokensAtMost(m: ChatMessage): number {
  const bytes = (text: string) => Buffer.byteLength(text, 'utf8');
  switch (m.role) {
    case 'system':
    case 'tool':
      return MESSAGE_OVERHEAD + bytes(m.content);
    case 'user':
      return MESSAGE_OVERHEAD + m.content.reduce((n, p) => n + (p.type === 'text' ? bytes(p.text) : IMAGE_TOKENS), 0);
    case 'assistant':
      return MESSAGE_OVERHEAD + bytes(m.content) + (m.toolCalls ?? []).reduce((n, c) => n + bytes(c.name) + bytes(c.arguments) + 3, 0);
  }
}

export function textTokens(text: string): number {
  return countTokens(text);
}
