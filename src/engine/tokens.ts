import { countTokens as countBpe } from 'gpt-tokenizer/encoding/o200k_base';
import { bpePieces } from '../ingest/bpe-pieces.js';
import type { ChatMessage } from '../model/language-model.js';

/** Per-message framing overhead in chat formats (role markers, separators). */
const MESSAGE_OVERHEAD = 4;
/** What an image costs in the prompt, roughly (a low-detail tile). */
const IMAGE_TOKENS = 85;

/** Tokens of `text` by o200k, long unbroken runs counted in pieces (see ingest/bpe-pieces.ts). */
function countTokens(text: string): number {
  let n = 0;
  for (const piece of bpePieces(text)) n += countBpe(piece);
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

export function textTokens(text: string): number {
  return countTokens(text);
}
