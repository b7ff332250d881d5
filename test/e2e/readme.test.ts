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
import { startTestServer, type TestServer } from '../helpers/server.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const readme = readFileSync(join(here, '..', '..', 'README.md'), 'utf8');

function firstJsBlockContaining(marker: string): string {
  const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const block = blocks.find((b) => b.includes(marker));
  assert.ok(block, `README has a js block containing ${marker}`);
  return block;
}

describe('README', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer('sqlite');
  });
  after(async () => {
    await server?.close();
  });

  it('runs the SDK example unchanged against the server', async () => {
    const example = firstJsBlockContaining("from 'openai'");
    const script = example
      .replace("from 'openai'", "from 'openai6'")
      .replace('http://127.0.0.1:8080/v1', server.baseURL);
    assert.notEqual(script, example);
    const file = join(here, `readme-example.${process.pid}.tmp.mjs`);
    writeFileSync(file, script);
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [file], { timeout: 30_000 });
      assert.match(stdout, /user/);
      assert.match(stdout, /asst_/);
      assert.match(stdout, /text\/csv/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
