/**
 * The code interpreter as users meet it, through each SDK major on each backend: a CSV attached
 * to a message is analysed and plotted. Streamed (`runs.stream`), the step's `input` arrives in
 * pieces while the model writes the code, then its `logs` and `image` outputs; the next message
 * starts with the chart as `image_file` and its `sandbox:/mnt/data/summary.csv` link becomes a
 * `file_path` annotation whose text and indices match the text exactly; the PNG and the CSV the
 * code wrote download through `files.content`. Polled (`createAndPoll` + `steps.list`), with the
 * input files coming from the assistant's and the thread's `tool_resources.code_interpreter`.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { record } from '../runs/support.js';
import type { AssistantStreamEvent } from '../runs/sdk.js';
import {
  CI_SDKS,
  PNG_SIGNATURE,
  assertOutputFile,
  codeCalls,
  describeCi,
  docBytes,
  download,
  imagesOf,
  logsOf,
  toolMessages,
  unique,
  type CiClient,
  type Message,
} from './support.js';
import { describe } from 'node:test';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

const CSV_NAME = 'seattle-weather.csv';

/** Reads the CSV, writes a per-weather summary with exact values, plots a chart. */
const ANALYSIS = [
  'import pandas as pd',
  'import matplotlib.pyplot as plt',
  `df = pd.read_csv('/mnt/data/${CSV_NAME}')`,
  "print(f'rows={len(df)} columns={\",\".join(df.columns)}')",
  "by = df.groupby('weather').agg(days=('date', 'count'), hottest=('temp_max', 'max'))",
  "with open('/mnt/data/summary.csv', 'w') as f:",
  "    f.write('weather,days,hottest\\n')",
  '    for w, r in by.iterrows():',
  "        f.write(f'{w},{int(r.days)},{r.hottest:.1f}\\n')",
  'print(by.to_string())',
  'ax = df.groupby("weather")["temp_max"].mean().plot.bar(title="Mean daily high by weather")',
  "ax.set_ylabel('°C')",
  'plt.show()',
].join('\n');

const ANSWER = 'Rain is the most common weather. The chart is above; here is the [summary table](sandbox:/mnt/data/summary.csv).';
const LINK = 'sandbox:/mnt/data/summary.csv';

/** What the code above must write, computed here from the same CSV. */
function expectedSummary(): string {
  const lines = docBytes(CSV_NAME).toString('utf8').trim().split(/\r?\n/);
  const header = lines[0].split(',');
  const wi = header.indexOf('weather');
  const ti = header.indexOf('temp_max');
  const groups = new Map<string, { days: number; hottest: number }>();
  for (const line of lines.slice(1)) {
    const cells = line.split(',');
    const g = groups.get(cells[wi]) ?? { days: 0, hottest: -Infinity };
    g.days++;
    g.hottest = Math.max(g.hottest, Number(cells[ti]));
    groups.set(cells[wi], g);
  }
  const keys = [...groups.keys()].sort();
  return ['weather,days,hottest', ...keys.map((k) => `${k},${groups.get(k)!.days},${groups.get(k)!.hottest.toFixed(1)}`)].join('\n') + '\n';
}

const ROWS = docBytes(CSV_NAME).toString('utf8').trim().split(/\r?\n/).length - 1;

async function uploadCsv(client: CiClient): Promise<string> {
  const file = await client.base.files.create({ file: await client.base.toFile(docBytes(CSV_NAME), CSV_NAME), purpose: 'assistants' });
  return file.id;
}

/** Drops the `index` the SDK's snapshots keep from delta parts, to compare with stored objects. */
function withoutIndex<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (k, v) => (k === 'index' ? undefined : v))) as T;
}

/**
 * The reply: the chart as `image_file` first, then the text whose one `file_path` annotation cuts
 * exactly the link out of the value and points at the CSV the code wrote.
 */
function assertReply(message: Message, imageId: string, csvId: string): void {
  assert.equal(message.role, 'assistant');
  assert.deepEqual(withoutIndex(message.content), [
    { type: 'image_file', image_file: { file_id: imageId } },
    {
      type: 'text',
      text: {
        value: ANSWER,
        annotations: [
          { type: 'file_path', text: LINK, start_index: ANSWER.indexOf(LINK), end_index: ANSWER.indexOf(LINK) + LINK.length, file_path: { file_id: csvId } },
        ],
      },
    },
  ]);
  const text = message.content[1] as Any;
  const a = text.text.annotations[0];
  assert.equal(ANSWER.slice(a.start_index, a.end_index), a.text);
}

/** The logs show the analysis ran on the whole CSV. */
function assertAnalysisLogs(logs: string): void {
  assert.match(logs, new RegExp(`^rows=${ROWS} columns=date,precipitation,temp_max,temp_min,wind,weather$`, 'm'));
  for (const line of expectedSummary().trim().split('\n').slice(1)) {
    const [weather, days] = line.split(',');
    assert.match(logs, new RegExp(`^${weather}\\s+${days}\\s`, 'm'), `the summary printed ${weather}`);
  }
}

/** The chart downloads as a PNG; the CSV downloads with what the code wrote. */
async function assertDownloads(client: CiClient, imageId: string, csvId: string): Promise<void> {
  const imageFile = await assertOutputFile(client, imageId, /\.png$/);
  const png = await download(client, imageId);
  assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), 'the image starts with the PNG signature');
  assert.equal(png.length, imageFile.bytes);
  assert.ok(png.length > 1000, 'a real chart, not an empty image');
  const csvFile = await assertOutputFile(client, csvId, 'summary.csv');
  const csv = await download(client, csvId);
  assert.equal(csv.toString('utf8'), expectedSummary());
  assert.equal(csv.length, csvFile.bytes);
}

/**
 * The stream as the SDKs need it (checklist §8.3) with code_interpreter parts: objects created
 * before their other events, one open step or message at a time, the tool step done before the
 * message showing its chart, the images at content indices 0..n-1 and the text after them, the
 * first text delta with `annotations: []`, and the run's terminal event last.
 */
function assertCodeStream(events: AssistantStreamEvent[]): void {
  const created = new Set<string>();
  let openStep: string | undefined;
  let openMessage: string | undefined;
  const images = new Map<string, number>();
  const sawText = new Set<string>();
  const calls = new Map<string, number>();
  /** The message each open message_creation step is for. */
  const stepMessage = new Map<string, string>();
  for (const [i, e] of events.entries()) {
    const data = e.data as Any;
    const where = `event ${i} (${e.event})`;
    if (e.event === 'thread.run.step.created') {
      assert.equal(openStep, undefined, `${where}: a step is open`);
      assert.equal(openMessage, undefined, `${where}: a message is open`);
      created.add(data.id);
      openStep = data.id;
      calls.set(data.id, 0);
      if (data.type === 'message_creation') stepMessage.set(data.id, data.step_details.message_creation.message_id);
    } else if (e.event === 'thread.run.step.delta') {
      assert.equal(openStep, data.id, `${where}: not the open step`);
      assert.equal(data.delta.id, undefined);
      for (const call of data.delta.step_details.tool_calls ?? []) {
        const n = calls.get(data.id)!;
        assert.equal(call.type, 'code_interpreter');
        assert.ok(call.index === n - 1 || call.index === n, `${where}: tool call index ${call.index} not dense`);
        if (call.index === n) {
          assert.match(call.id, /^call_/);
          calls.set(data.id, n + 1);
        } else assert.equal(call.id, undefined, `${where}: only the first delta of a call carries its id`);
        for (const [j, out] of (call.code_interpreter?.outputs ?? []).entries()) assert.equal(out.index, j, `${where}: outputs carry their index`);
      }
    } else if (e.event === 'thread.run.step.completed') {
      assert.equal(openStep, data.id);
      openStep = undefined;
    } else if (e.event === 'thread.message.created') {
      // only its own message_creation step is open: the tool step that made the chart is done
      assert.ok(openStep !== undefined && stepMessage.get(openStep) === data.id, `${where}: the message opens while step ${openStep} is open`);
      assert.equal(openMessage, undefined);
      created.add(data.id);
      openMessage = data.id;
    } else if (e.event === 'thread.message.delta') {
      assert.equal(openMessage, data.id, `${where}: not the open message`);
      for (const part of data.delta.content) {
        if (part.type === 'image_file') {
          assert.ok(!sawText.has(data.id), `${where}: images come before the text`);
          assert.equal(part.index, images.get(data.id) ?? 0, `${where}: image parts are dense`);
          images.set(data.id, part.index + 1);
          continue;
        }
        assert.equal(part.type, 'text');
        assert.equal(part.index, images.get(data.id) ?? 0, `${where}: the text follows the images`);
        if (!sawText.has(data.id) && part.text.value !== undefined) assert.deepEqual(part.text.annotations, [], `${where}: first text delta`);
        sawText.add(data.id);
      }
    } else if (e.event === 'thread.message.completed') {
      assert.equal(openMessage, data.id);
      openMessage = undefined;
    } else if (e.event === 'thread.message.in_progress' || e.event === 'thread.run.step.in_progress') {
      assert.ok(created.has(data.id), `${where}: not created`);
    }
  }
  assert.equal(events.at(-1)?.event, 'thread.run.completed');
  assert.equal(openStep, undefined);
  assert.equal(openMessage, undefined);
}

describeCi('code interpreter: CSV analysed and plotted', {}, (ctx) => {
  for (const sdk of CI_SDKS) {
    describe(sdk.name, () => {
      it('runs.stream: the input streams in pieces, then logs and image; the reply has image_file and an exact file_path annotation', async () => {
        const client = sdk.make(ctx.baseURL);
        const model = unique('ci-stream');
        ctx.upstream.script(model, { toolCalls: [{ name: 'code_interpreter', arguments: { code: ANALYSIS } }], argumentChunks: 8 }, { text: ANSWER });
        const csvId = await uploadCsv(client);
        const assistant = await client.base.assistants.create({ model, tools: [{ type: 'code_interpreter' }] });
        const thread = await client.base.threads.create({
          messages: [
            {
              role: 'user',
              content: 'How does the weather split up, and can I have a chart and the summary as a CSV?',
              attachments: [{ file_id: csvId, tools: [{ type: 'code_interpreter' }] }],
            },
          ],
        });

        const stream = client.runApi.runs.stream(thread.id, { assistant_id: assistant.id });
        const created: Any[] = [];
        const deltas: Any[] = [];
        stream.on('toolCallCreated', (call) => created.push(structuredClone(call)));
        stream.on('toolCallDelta', (delta) => deltas.push(structuredClone(delta)));
        const events = await record(stream);
        const run = await stream.finalRun();
        assert.equal(run.status, 'completed', JSON.stringify(run.last_error));
        assertCodeStream(events);

        // the call: created once, its code in several input pieces, then the outputs
        assert.equal(created.length, 1);
        assert.equal(created[0].type, 'code_interpreter');
        assert.match(created[0].id, /^call_/);
        const inputs = deltas.filter((d) => typeof d.code_interpreter?.input === 'string' && d.code_interpreter.input !== '');
        assert.ok(inputs.length >= 2, `the input streamed in pieces (${inputs.length})`);
        assert.equal(inputs.map((d) => d.code_interpreter.input).join(''), ANALYSIS);
        const outputDeltas = deltas.filter((d) => d.code_interpreter?.outputs?.length);
        assert.equal(outputDeltas.length, 1, 'the outputs arrive once, after the code ran');
        assert.ok(deltas.indexOf(outputDeltas[0]) > deltas.indexOf(inputs.at(-1)), 'outputs after the whole input');
        for (const d of deltas) assert.equal(d.index, 0);
        const outputs = outputDeltas[0].code_interpreter.outputs;
        assert.deepEqual(outputs.map((o: Any) => [o.index, o.type]), [[0, 'logs'], [1, 'image']]);
        assertAnalysisLogs(outputs[0].logs);
        const imageId: string = outputs[1].image.file_id;
        assert.deepEqual(Object.keys(outputs[1]).sort(), ['image', 'index', 'type']);
        assert.deepEqual(Object.keys(outputs[1].image), ['file_id']);

        // the reply, as the stream accumulated it and as stored
        const finals = await stream.finalMessages();
        assert.equal(finals.length, 1);
        const csvOut = (finals[0].content[1] as Any).text.annotations[0].file_path.file_id as string;
        assertReply(finals[0], imageId, csvOut);
        const stored = (await client.runApi.messages.all(thread.id)).at(-1)!;
        assert.equal(stored.id, finals[0].id);
        assertReply(stored, imageId, csvOut);
        assert.notEqual(csvOut, csvId, 'the CSV the code wrote is a new File');

        // the step as stored agrees with what streamed
        const steps = await client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
        assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['tool_calls', 'completed'], ['message_creation', 'completed']]);
        const [call] = codeCalls(steps.data[0]);
        assert.equal(call.id, created[0].id);
        assert.equal(call.code_interpreter.input, ANALYSIS);
        assert.equal(logsOf(call), outputs[0].logs);
        assert.deepEqual(imagesOf(call), [imageId]);

        // what the model was told about the cell
        const told = toolMessages(ctx.upstream, model);
        assert.equal(told.length, 1);
        assert.ok(told[0].content.includes(`rows=${ROWS}`), told[0].content);
        assert.match(told[0].content, /\[Image shown to the user: [^\]]+\]/);
        assert.ok(told[0].content.includes('[File saved: /mnt/data/summary.csv — link it as sandbox:/mnt/data/summary.csv]'), told[0].content);

        await assertDownloads(client, imageId, csvOut);
      });

      it('createAndPoll + steps.list: the assistant\'s and the thread\'s code_interpreter files are in /mnt/data by their names', async () => {
        const client = sdk.make(ctx.baseURL);
        const model = unique('ci-poll');
        const csvId = await uploadCsv(client);
        const units = await client.base.files.create({
          file: await client.base.toFile('{"temp_max": "degrees Celsius"}', 'units.json'),
          purpose: 'assistants',
        });
        const code = [
          'import os, json',
          "print('files=' + json.dumps(sorted(os.listdir('/mnt/data'))))",
          "print('units=' + json.load(open('/mnt/data/units.json'))['temp_max'])",
          ANALYSIS,
        ].join('\n');
        ctx.upstream.script(model, { toolCalls: [{ name: 'code_interpreter', arguments: { code } }] }, { text: ANSWER });
        const assistant = await client.base.assistants.create({
          model,
          tools: [{ type: 'code_interpreter' }],
          tool_resources: { code_interpreter: { file_ids: [csvId] } },
        });
        const thread = await client.base.threads.create({
          messages: [{ role: 'user', content: 'Summarise the weather, with a chart.' }],
          tool_resources: { code_interpreter: { file_ids: [units.id] } },
        });
        const run = await client.runApi.runs.createAndPoll(thread.id, { assistant_id: assistant.id });
        assert.equal(run.status, 'completed', JSON.stringify(run.last_error));

        const steps = await client.runApi.steps.list(thread.id, run.id, { order: 'asc' });
        assert.deepEqual(steps.data.map((s) => [s.type, s.status]), [['tool_calls', 'completed'], ['message_creation', 'completed']]);
        const details = steps.data[0].step_details as Any;
        assert.equal(details.tool_calls.length, 1);
        const call = details.tool_calls[0];
        assert.deepEqual(Object.keys(call).sort(), ['code_interpreter', 'id', 'type']);
        assert.equal(call.type, 'code_interpreter');
        assert.deepEqual(Object.keys(call.code_interpreter).sort(), ['input', 'outputs']);
        assert.equal(call.code_interpreter.input, code);
        const [logs, image] = call.code_interpreter.outputs;
        assert.equal(call.code_interpreter.outputs.length, 2);
        assert.deepEqual(Object.keys(logs).sort(), ['logs', 'type']);
        assert.equal(logs.type, 'logs');
        assert.deepEqual(Object.keys(image).sort(), ['image', 'type']);
        assert.equal(image.type, 'image');
        assert.deepEqual(Object.keys(image.image), ['file_id']);
        assert.match(logs.logs, /^files=\["seattle-weather\.csv", "units\.json"\]$/m);
        assert.match(logs.logs, /^units=degrees Celsius$/m);
        assertAnalysisLogs(logs.logs);
        const retrieved = await client.runApi.steps.retrieve(thread.id, run.id, steps.data[0].id);
        assert.deepEqual(retrieved, steps.data[0]);

        const messages = await client.runApi.messages.all(thread.id);
        assert.equal(messages.length, 2);
        const reply = messages[1];
        assert.equal(reply.run_id, run.id);
        assert.equal((steps.data[1].step_details as Any).message_creation.message_id, reply.id);
        const csvOut = (reply.content[1] as Any)?.text?.annotations?.[0]?.file_path?.file_id as string;
        assertReply(reply, image.image.file_id, csvOut);
        await assertDownloads(client, image.image.file_id, csvOut);
      });
    });
  }
});
