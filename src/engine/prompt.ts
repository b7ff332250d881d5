import type { Message, Run, RunStep } from '../core/wire.js';
import type { ChatMessage, UserPart } from '../model/language-model.js';
import { messageTokens, messageTokensAtMost } from './tokens.js';

export interface PromptInput {
  run: Run;
  /** The thread's messages in creation order (those this run wrote included). */
  messages: Message[];
  /** This run's steps in creation order. */
  steps: RunStep[];
  /** Bytes of an image file attached to a message, when it still exists. */
  loadImage(fileId: string): Promise<{ data: Uint8Array; mediaType: string } | undefined>;
}

export interface PromptBudget {
  /** The model's context window in tokens. */
  contextWindow: number;
  /** Tokens kept free for the answer. */
  reserveForOutput: number;
  /** What is left of the run's `max_prompt_tokens`, if it has one. */
  promptTokensLeft: number | null;
}

export type BuiltPrompt =
  /** `tokens` is exact, or an upper bound when the prompt fits without counting them. */
  | { ok: true; messages: ChatMessage[]; tokens: number; dropped: number }
  | { ok: false; reason: 'max_prompt_tokens'; tokens: number };

async function toChat(m: Message, input: PromptInput): Promise<ChatMessage | undefined> {
  if (m.role === 'assistant') {
    const text = m.content.map((c) => (c.type === 'text' ? c.text.value : c.type === 'refusal' ? c.refusal : '')).join('');
    return text ? { role: 'assistant', content: text } : undefined;
  }
  const parts: UserPart[] = [];
  for (const c of m.content) {
    if (c.type === 'text') parts.push({ type: 'text', text: c.text.value });
    else if (c.type === 'image_url') parts.push({ type: 'image', url: c.image_url.url });
    else if (c.type === 'image_file') {
      const img = await input.loadImage(c.image_file.file_id);
      if (img) parts.push({ type: 'image', data: img.data, mediaType: img.mediaType });
    }
  }
  return parts.length ? { role: 'user', content: parts } : undefined;
}

/** This run's own work so far (answers and tool calls with their outputs), in order. */
async function runTurns(input: PromptInput): Promise<ChatMessage[]> {
  const byId = new Map(input.messages.map((m) => [m.id, m]));
  const out: ChatMessage[] = [];
  for (const step of input.steps) {
    if (step.step_details.type === 'message_creation') {
      const m = byId.get(step.step_details.message_creation.message_id);
      const chat = m && (await toChat(m, input));
      if (chat) out.push(chat);
    } else {
      // Function calls carry their own arguments and output; server-side tools keep what the
      // model saw in the step's hidden `model_io`.
      const calls = step.step_details.tool_calls.flatMap((c) => {
        if (c.type === 'function') return [{ id: c.id, name: c.function.name, arguments: c.function.arguments, output: c.function.output ?? '' }];
        const io = step.model_io?.[c.id];
        return io ? [{ id: c.id, ...io }] : [];
      });
      if (!calls.length) continue;
      out.push({
        role: 'assistant',
        content: '',
        toolCalls: calls.map((c) => ({ id: c.id, name: c.name, arguments: c.arguments })),
      });
      for (const c of calls) out.push({ role: 'tool', toolCallId: c.id, toolName: c.name, content: c.output });
    }
  }
  return out;
}

/**
 * The prompt for the next model turn: instructions, the thread's earlier messages (truncated per
 * `truncation_strategy`), then what this run has done so far. `auto` truncation drops the oldest
 * messages until the prompt fits both the context window and what is left of `max_prompt_tokens`.
 */
export async function buildPrompt(input: PromptInput, budget: PromptBudget): Promise<BuiltPrompt> {
  const { run } = input;
  const system: ChatMessage[] = run.instructions ? [{ role: 'system', content: run.instructions }] : [];
  let history: ChatMessage[] = [];
  for (const m of input.messages) {
    if (m.run_id === run.id) continue;
    const chat = await toChat(m, input);
    if (chat) history.push(chat);
  }
  const current = await runTurns(input);

  const strategy = run.truncation_strategy;
  let dropped = 0;
  if (strategy.type === 'last_messages' && strategy.last_messages !== null && history.length > strategy.last_messages) {
    dropped = history.length - strategy.last_messages;
    history = history.slice(dropped);
  }

  const limit = Math.min(
    budget.contextWindow - budget.reserveForOutput,
    budget.promptTokensLeft ?? Number.POSITIVE_INFINITY,
  );
  // Tokenizing is the costly part of building a prompt (milliseconds for a long thread, paid
  // before the model is called): when even an upper bound fits, nothing would be dropped.
  const atMost = [...system, ...history, ...current].reduce((n, m) => n + messageTokensAtMost(m), 0);
  if (atMost <= limit) return { ok: true, messages: [...system, ...history, ...current], tokens: atMost, dropped };

  const fixed = [...system, ...current].reduce((n, m) => n + messageTokens(m), 0);
  const historyTokens = history.map(messageTokens);
  let total = fixed + historyTokens.reduce((a, b) => a + b, 0);
  if (strategy.type === 'auto') {
    let start = 0;
    // keep at least the newest message of the thread when the run has not answered yet
    const keep = current.length ? 0 : 1;
    while (total > limit && start < history.length - keep) total -= historyTokens[start++];
    dropped += start;
    history = history.slice(start);
  }
  if (budget.promptTokensLeft !== null && total > budget.promptTokensLeft) {
    return { ok: false, reason: 'max_prompt_tokens', tokens: total };
  }
  return { ok: true, messages: [...system, ...history, ...current], tokens: total, dropped };
}
