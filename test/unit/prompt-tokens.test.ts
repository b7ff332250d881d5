import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message, Run } from '../../src/core/wire.js';
import { buildPrompt, type PromptBudget } from '../../src/engine/prompt.js';
import { messageTokens, messageTokensAtMost } from '../../src/engine/tokens.js';
import type { ChatMessage } from '../../src/model/language-model.js';

const TEXTS = [
  '',
  'hi',
  'The duck swims across a quiet lake while rain falls.',
  '日本語の文章です 鸭子在湖里游泳 오리가 호수에서 헤엄친다',
  '🦆🦆🦆 👩‍👩‍👧‍👦 🏳️‍🌈 🇩🇪 𝔘𝔫𝔦𝔠𝔬𝔡𝔢',
  'lone \ud800 surrogate \udfff here',
  'A'.repeat(5000),
  ' '.repeat(300) + 'x'.repeat(300),
  '<|endoftext|> and <|im_start|>',
  'function quack(n) { return "quack".repeat(n); } // TODO',
];

function chatMessages(text: string): ChatMessage[] {
  return [
    { role: 'system', content: text },
    { role: 'user', content: [{ type: 'text', text }, { type: 'image', url: 'https://example.com/a.png' }] },
    { role: 'assistant', content: text, toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: `{"q":${JSON.stringify(text)}}` }] },
    { role: 'tool', toolCallId: 'call_1', toolName: 'get_weather', content: text },
  ];
}

function message(i: number, text: string): Message {
  return {
    id: `msg_${String(i).padStart(4, '0')}`,
    object: 'thread.message',
    created_at: 1,
    assistant_id: null,
    thread_id: 'thread_1',
    run_id: null,
    role: i % 2 ? 'assistant' : 'user',
    content: [{ type: 'text', text: { value: text, annotations: [] } }],
    attachments: [],
    metadata: {},
    status: 'completed',
    incomplete_details: null,
    completed_at: 1,
    incomplete_at: null,
  };
}

function run(overrides: Partial<Run> = {}): Run {
  return {
    id: 'run_1',
    thread_id: 'thread_1',
    instructions: 'Answer briefly.',
    truncation_strategy: { type: 'auto', last_messages: null },
    ...overrides,
  } as Run;
}

const noImages = async () => undefined;

describe('prompt tokens', () => {
  it('the cheap bound is never below the exact count', () => {
    for (const text of TEXTS) {
      for (const m of chatMessages(text)) {
        assert.ok(messageTokensAtMost(m) >= messageTokens(m), `${m.role}: ${JSON.stringify(text.slice(0, 40))}`);
      }
    }
  });

  it('a prompt that fits by the bound is the one exact counting would build', async () => {
    const messages = TEXTS.map((t, i) => message(i, t || 'x'));
    const roomy: PromptBudget = { contextWindow: 1_000_000, reserveForOutput: 4096, promptTokensLeft: null };
    const fast = await buildPrompt({ run: run(), messages, steps: [], loadImage: noImages }, roomy);
    assert.ok(fast.ok);
    assert.equal(fast.dropped, 0);
    assert.equal(fast.messages.length, messages.length + 1);
    const exact = fast.messages.reduce((n, m) => n + messageTokens(m), 0);
    assert.ok(fast.tokens >= exact);
  });

  it('a prompt the bound does not fit is truncated by exact counts, oldest first', async () => {
    const messages = Array.from({ length: 40 }, (_, i) => message(i, `message ${i}: ${'the duck swims across a quiet lake '.repeat(20)}`));
    const perMessage = messageTokens({ role: 'user', content: [{ type: 'text', text: messages[0].content[0].type === 'text' ? messages[0].content[0].text.value : '' }] });
    const budget: PromptBudget = { contextWindow: 10 * perMessage + 200, reserveForOutput: 100, promptTokensLeft: null };
    const built = await buildPrompt({ run: run(), messages, steps: [], loadImage: noImages }, budget);
    assert.ok(built.ok);
    assert.ok(built.dropped > 0 && built.dropped < 40);
    assert.equal(built.messages.length, 1 + 40 - built.dropped);
    assert.ok(built.tokens <= budget.contextWindow - budget.reserveForOutput);
    // the newest messages are the ones kept
    const last = built.messages.at(-1)!;
    assert.equal(last.role, 'assistant');
    assert.ok(last.role === 'assistant' && last.content.startsWith('message 39:'));
  });

  it('max_prompt_tokens below even the newest message: not ok', async () => {
    const messages = [message(0, 'the duck swims across a quiet lake '.repeat(50))];
    const built = await buildPrompt(
      { run: run(), messages, steps: [], loadImage: noImages },
      { contextWindow: 128_000, reserveForOutput: 4096, promptTokensLeft: 20 },
    );
    assert.equal(built.ok, false);
  });
});
