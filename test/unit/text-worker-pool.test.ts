import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ExtractError } from '../../src/ingest/extract-types.js';
import { prepareTextInline, type PrepareTextInput } from '../../src/ingest/prepare-text.js';
import { TextWorkerPool } from '../../src/ingest/text-worker-pool.js';

const DOCS = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data/docs');
const never = new AbortController().signal;

function doc(name: string, mimeType = 'application/octet-stream'): PrepareTextInput {
  return { bytes: new Uint8Array(readFileSync(join(DOCS, name))), filename: name, mimeType, maxTokens: 800, overlapTokens: 400 };
}

/** Long plain text: tens of thousands of chunks' worth of tokenizing, seconds on one thread. */
function bigText(mb: number): PrepareTextInput {
  const line = 'The quick brown fox jumps over the lazy dog; zebras graze near 42 quiet lakes. ';
  const text = line.repeat(Math.ceil((mb * 1024 * 1024) / line.length));
  return { bytes: new TextEncoder().encode(text), filename: 'big.txt', mimeType: 'text/plain', maxTokens: 100, overlapTokens: 50 };
}

describe('TextWorkerPool', () => {
  const pool = new TextWorkerPool(2);
  after(() => pool.close());

  it('prepares real documents exactly as the inline path does', async () => {
    for (const name of ['docling-word-sample.docx', 'faa-amt-general-handbook-sample.pdf', 'wikipedia-duck.html', 'docling-powerpoint-sample.pptx']) {
      const inline = await prepareTextInline(doc(name), never);
      const threaded = await pool.prepare(doc(name), never);
      assert.equal(threaded.text, inline.text, name);
      assert.deepEqual(threaded.pieces, inline.pieces, name);
      assert.ok(threaded.pieces.length > 0, name);
    }
  });

  it('fails an unreadable file with the same ExtractError as inline, across the thread boundary', async () => {
    for (const input of [doc('password-protected.pdf'), { ...doc('wikipedia-duck.html'), bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]), filename: 'x.png' }]) {
      const inline = await prepareTextInline(input, never).then(() => undefined, (e: unknown) => e);
      assert.ok(inline instanceof ExtractError, input.filename);
      await assert.rejects(pool.prepare(input, never), (err: unknown) => {
        assert.ok(err instanceof ExtractError, `${input.filename}: ${String(err)}`);
        assert.equal(err.code, inline.code);
        assert.equal(err.message, inline.message);
        return true;
      });
    }
  });

  it('keeps the calling thread free while a large file is prepared', async () => {
    let ticks = 0;
    let running = true;
    const tick = () => {
      ticks++;
      if (running) setImmediate(tick);
    };
    setImmediate(tick);
    const { pieces } = await pool.prepare(bigText(4), never);
    running = false;
    assert.ok(pieces.length > 1000);
    assert.ok(ticks > 20, `the event loop turned ${ticks} times during the work`);
  });

  it('abandons an aborted file at once and goes on with the next', async () => {
    const controller = new AbortController();
    const big = pool.prepare(bigText(32), controller.signal);
    setTimeout(() => controller.abort(new Error('removed from the store')), 50);
    await assert.rejects(big, /removed from the store/);
    const next = await pool.prepare(doc('fastify-routes.md', 'text/markdown'), never);
    assert.ok(next.text.includes('route'));
  });

  it('runs more files than threads, each answered with its own result', async () => {
    const names = ['fastify-routes.md', 'wikipedia-duck.html', 'seattle-weather.csv', 'docx-tables.docx', 'stanley-cups.xlsx'];
    const results = await Promise.all(names.map((n) => pool.prepare(doc(n), never)));
    for (const [i, r] of results.entries()) assert.equal(r.text, (await prepareTextInline(doc(names[i]), never)).text, names[i]);
    assert.equal(pool.threads, 2);
  });

  it('refuses work after close', async () => {
    const closed = new TextWorkerPool(1);
    await closed.close();
    await assert.rejects(closed.prepare(doc('fastify-routes.md'), never), /closed/);
  });
});
