/**
 * Entry of a text-preparation worker thread (see text-worker-pool.ts): one request at a time,
 * answered with the text and the chunks' offsets (the chunk texts are slices of it, rebuilt on
 * the other side instead of being copied twice), or with the error's code and message.
 */
import { parentPort } from 'node:worker_threads';
import { ExtractError } from './extract-types.js';
import { prepareTextInline, type PrepareTextInput } from './prepare-text.js';

export interface TextWorkerRequest extends PrepareTextInput {
  id: number;
}

export type TextWorkerResponse =
  | { id: number; ok: true; text: string; pieces: Array<{ index: number; tokens: number; start: number; end: number }> }
  | { id: number; ok: false; extract: boolean; code: ExtractError['code'] | null; message: string };

const port = parentPort;
if (!port) throw new Error('text-worker.ts runs as a worker thread');

port.on('message', (req: TextWorkerRequest) => {
  prepareTextInline(req, new AbortController().signal).then(
    ({ text, pieces }) => {
      const offsets = pieces.map(({ index, tokens, start, end }) => ({ index, tokens, start, end }));
      port.postMessage({ id: req.id, ok: true, text, pieces: offsets } satisfies TextWorkerResponse);
    },
    (err: unknown) => {
      const extract = err instanceof ExtractError;
      const message = err instanceof Error ? err.message : String(err);
      port.postMessage({ id: req.id, ok: false, extract, code: extract ? err.code : null, message } satisfies TextWorkerResponse);
    },
  );
});
