/**
 * What the model is offered and told: code_interpreter as a function taking `code`; after each
 * cell a `tool` message carrying its stdout, its stderr and the traceback of an exception. A cell
 * that raises does not end the run: the run completes, the step's logs carry the traceback. Once
 * per backend, through the newest SDK.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { upstreamMessages } from '../runs/support.js';
import { describeCi, logsOf, newestSdk, runCodeCalls, scriptCells, setupThread, toolMessages, unique } from './support.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const FAILING = [
  "print('to stdout')",
  'import sys',
  "print('to stderr', file=sys.stderr)",
  'def ratio(n):',
  '    return 10 / n',
  'ratio(0)',
].join('\n');

describeCi('code interpreter: what the model is told', {}, (ctx) => {
  it('stdout, stderr and the traceback go to the model; an exception does not end the run; quiet cells and expressions too', async () => {
    const client = newestSdk().make(ctx.baseURL);
    const model = unique('ci-told');
    scriptCells(ctx.upstream, model, [FAILING, '21 * 2', 'quiet = 1'], 'The division failed; 21 times 2 is 42.');
    const { assistantId, threadId } = await setupThread(client, model);
    const run = await client.runApi.runs.createAndPoll(threadId, { assistant_id: assistantId });
    assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
    assert.equal(run.last_error, null);

    // the tool as offered
    const [firstRequest] = ctx.upstream.requests(model);
    assert.deepEqual(
      (firstRequest.body.tools ?? []).map((t) => [t.type, t.function.name, t.function.parameters]),
      [['function', 'code_interpreter', { type: 'object', properties: { code: { type: 'string', description: 'The Python code to run.' } }, required: ['code'] }]],
    );
    assert.match(String(firstRequest.body.tools![0].function.description), /Python/);

    // the steps: three completed tool steps (one cell each), then the answer
    const steps = await client.runApi.steps.list(threadId, run.id, { order: 'asc' });
    assert.deepEqual(
      steps.data.map((s) => [s.type, s.status, s.last_error]),
      [...Array(3).fill(['tool_calls', 'completed', null]), ['message_creation', 'completed', null]],
    );
    const calls = await runCodeCalls(client, threadId, run.id);
    assert.equal(calls.length, 3);
    const failing = logsOf(calls[0]);
    assert.match(failing, /^to stdout\nto stderr\nTraceback \(most recent call last\):\n/);
    assert.match(failing, /line 5, in ratio\n/);
    assert.match(failing, /ZeroDivisionError: division by zero$/);
    assert.deepEqual(calls[1].code_interpreter.outputs, [{ type: 'logs', logs: '42' }]);
    assert.deepEqual(calls[2].code_interpreter.outputs, [], 'a cell that printed nothing has no logs output');

    // what the model was told, call by call
    const told = toolMessages(ctx.upstream, model);
    assert.deepEqual(told.map((m) => m.tool_call_id).length, 3);
    assert.match(told[0].content, /^to stdout\n\n\[stderr\]\nto stderr\n\nTraceback \(most recent call last\):\n/);
    assert.match(told[0].content, /line 5, in ratio\n/);
    assert.match(told[0].content, /ZeroDivisionError: division by zero\s*$/);
    assert.equal(told[1].content, '42');
    assert.equal(told[2].content, '[The code ran and printed nothing.]');

    // each tool message answers the call the model made, with the code it sent
    const last = upstreamMessages(ctx.upstream.requests(model).at(-1)!.body);
    const assistantCalls = last.filter((m) => m.role === 'assistant' && m.tool_calls).flatMap((m) => m.tool_calls as Any[]);
    assert.deepEqual(
      assistantCalls.map((c) => JSON.parse(c.function.arguments).code),
      [FAILING, '21 * 2', 'quiet = 1'],
    );
    assert.deepEqual(assistantCalls.map((c) => c.id), told.map((m) => m.tool_call_id));

    const messages = await client.runApi.messages.all(threadId);
    assert.equal((messages.at(-1)!.content[0] as Any).text.value, 'The division failed; 21 times 2 is 42.');
  });
});
