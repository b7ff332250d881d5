/**
 * The README's SDK example, run as written (only the package alias and the port differ) against
 * a listening server, so the documentation cannot drift from what works.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startScriptedUpstream, type ScriptedUpstream } from '../fixtures/scripted-upstream.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8');
const HANDBOOK = join(here, '..', '..', '..', 'shared', 'data', 'docs', 'faa-amt-general-handbook-sample.pdf');
const MARKER = /【\d+:\d+†[^】]+】/;

function firstJsBlockContaining(marker: string): string {
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes(marker));
  assert.ok(block, `README has a js block containing ${marker}`);
  return block;
}

async function runScript(script: string): Promise<string> {
  const file = join(here, `readme-example.${process.pid}.${Math.random().toString(36).slice(2)}.tmp.mjs`);
  writeFileSync(file, script);
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 60_000 });
    return stdout;
  } finally {
    rmSync(file, { force: true });
  }
}

describe('README', () => {
  let server: TestServer;
  let upstream: ScriptedUpstream;
  before(async () => {
    upstream = await startScriptedUpstream();
    server = await startTestServer('sqlite', { env: { UPSTREAM_BASE_URL: upstream.baseURL, RUN_POLL_MS: '50' } });
  });
  after(async () => {
    await server?.close();
    await upstream?.close();
  });

  it('runs the SDK example unchanged against the server', async () => {
    const example = firstJsBlockContaining("from 'openai'");
    const script = example
      .replace("from 'openai'", "from 'openai6'")
      .replace('http://127.0.0.1:8080/v1', server.baseURL);
    assert.notEqual(script, example);
    const stdout = await runScript(script);
    assert.match(stdout, /user/);
    assert.match(stdout, /asst_/);
    assert.match(stdout, /text\/csv/);
  });

  it('runs the file-search example unchanged: the handbook is found and the answer cites it', async () => {
    const example = firstJsBlockContaining('vectorStores.create');
    // the model: first a file_search call, then an answer that copies the first result's marker
    upstream.script('gpt-4o', { toolCalls: [{ name: 'file_search', arguments: { query: 'who may inspect aircraft' } }] });
    upstream.scriptFn('gpt-4o', (req) => {
      const tool = (req.body.messages ?? []).find((m) => m.role === 'tool');
      const marker = typeof tool?.content === 'string' ? MARKER.exec(tool.content)?.[0] : undefined;
      return { text: marker ? `Certificated mechanics with an inspection authorization ${marker}.` : 'No results.' };
    });
    const script =
      `import OpenAI from 'openai6';\nconst client = new OpenAI({ baseURL: ${JSON.stringify(server.baseURL)}, apiKey: 'any-key' });\n` +
      example.replace("'handbook.pdf'", JSON.stringify(HANDBOOK));
    assert.ok(script.includes(HANDBOOK), 'the example reads handbook.pdf');
    const stdout = await runScript(script);
    assert.match(stdout, /^faa-amt-general-handbook-sample\.pdf \d/m, 'search names the uploaded file with a score');
    assert.match(stdout, /inspection authorization 【\d+:\d+†faa-amt-general-handbook-sample\.pdf】/);
    assert.match(stdout, /type: 'file_citation'/);
    assert.match(stdout, /file_id: 'file-/);
  });
});
