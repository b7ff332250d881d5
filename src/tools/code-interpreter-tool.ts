import type { ModelTool } from '../model/language-model.js';
import type { ExecResult } from '../sandbox/sandbox.js';
import type { TextAnnotation } from '../core/wire.js';

export const CODE_INTERPRETER_TOOL = 'code_interpreter';

/** How the model sees code_interpreter: a function taking Python source. */
export function codeInterpreterModelTool(): ModelTool {
  return {
    name: CODE_INTERPRETER_TOOL,
    description:
      'Run Python 3 in a stateful, Jupyter-like sandbox (variables persist between calls in this conversation). ' +
      'numpy, pandas and matplotlib are installed; there is no internet access. The user\'s files are in /mnt/data. ' +
      'Charts shown with plt.show() are displayed to the user. To give the user a file, save it under /mnt/data and ' +
      'link it in your answer as sandbox:/mnt/data/<name>. The value of the last expression is printed.',
    parameters: {
      type: 'object',
      properties: { code: { type: 'string', description: 'The Python code to run.' } },
      required: ['code'],
    },
  };
}

/**
 * Follows the model's arguments (`{"code": "…"}`) as they stream and yields the code decoded so
 * far, so the step's `input` can be streamed while the model is still writing it. Arguments that
 * are not that JSON shape (some models send bare code) are handled by `finalCode`.
 */
export class CodeArgumentStream {
  private text = '';
  private start = -1;
  private pos = 0;
  private done = false;
  private emitted = '';

  /** Feeds more argument text; returns code characters not returned before. */
  push(delta: string): string {
    this.text += delta;
    if (this.done) return '';
    if (this.start < 0) {
      const m = /"code"\s*:\s*"/.exec(this.text);
      if (!m) return '';
      this.start = m.index + m[0].length;
      this.pos = this.start;
    }
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos];
      if (ch === '"') {
        this.done = true;
        break;
      }
      if (ch !== '\\') {
        out += ch;
        this.pos++;
        continue;
      }
      const next = this.text[this.pos + 1];
      if (next === undefined) break; // wait for the rest of the escape
      if (next === 'u') {
        const hex = this.text.slice(this.pos + 2, this.pos + 6);
        if (hex.length < 4) break;
        out += String.fromCharCode(parseInt(hex, 16));
        this.pos += 6;
        continue;
      }
      out += ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', '/': '/', '\\': '\\', '"': '"' } as Record<string, string>)[next] ?? next;
      this.pos += 2;
    }
    this.emitted += out;
    return out;
  }

  /** The whole code once the arguments are complete, and what of it was not yet returned. */
  finalCode(): { code: string; rest: string } {
    let code: string;
    try {
      const v = JSON.parse(this.text) as unknown;
      code = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as { code?: unknown }).code === 'string' ? (v as { code: string }).code : this.text;
    } catch {
      code = this.emitted || this.text;
    }
    const rest = code.startsWith(this.emitted) ? code.slice(this.emitted.length) : code;
    return { code, rest };
  }
}

export interface SandboxFileLink {
  /** `/mnt/data/...` */
  path: string;
  fileId: string;
}

/** What the model is told a cell did. */
export function describeExec(result: ExecResult, images: SandboxFileLink[], files: SandboxFileLink[]): string {
  const parts: string[] = [];
  if (result.restarted) parts.push('[The Python session was restarted; earlier variables are gone.]');
  if (result.stdout) parts.push(clipForModel(result.stdout.trimEnd()));
  if (result.stderr) parts.push(`[stderr]\n${clipForModel(result.stderr.trimEnd())}`);
  if (result.error) parts.push(clipForModel(errorText(result.error)));
  if (result.limit) parts.push(`[Execution stopped: ${LIMIT_TEXT[result.limit]}]`);
  for (const i of images) parts.push(`[Image shown to the user: ${i.path}]`);
  for (const f of files) parts.push(`[File saved: ${f.path} — link it as sandbox:${f.path}]`);
  return parts.join('\n\n') || '[The code ran and printed nothing.]';
}

/**
 * Characters of a cell's stdout, of its stderr and of its traceback the model is shown. The sandbox
 * keeps up to a megabyte of each (the step's logs show it), about 250k tokens: more than a model's
 * whole context, so the upstream would refuse the next turn and the run would fail instead of
 * going on.
 */
export const MODEL_OUTPUT_CHARS = 20_000;

/** `text`, or its head and tail around a note of how much was cut. */
function clipForModel(text: string): string {
  if (text.length <= MODEL_OUTPUT_CHARS) return text;
  let head = Math.floor(MODEL_OUTPUT_CHARS * 0.75);
  let tail = text.length - (MODEL_OUTPUT_CHARS - head);
  // never split a surrogate pair
  if (/[\udc00-\udfff]/.test(text[head] ?? '')) head--;
  if (/[\udc00-\udfff]/.test(text[tail] ?? '')) tail++;
  return `${text.slice(0, head)}\n[… ${tail - head} characters not shown …]\n${text.slice(tail)}`;
}

/** The traceback, or what the sandbox said about a process that died without one. */
function errorText(error: NonNullable<ExecResult['error']>): string {
  return error.traceback || `${error.name}: ${error.value}`;
}

const LIMIT_TEXT: Record<NonNullable<ExecResult['limit']>, string> = {
  timeout: 'the time limit was reached',
  memory: 'the memory limit was reached',
  output: 'the output was too long and was cut',
  processes: 'the process limit was reached',
  file_size: 'a file grew past the size limit',
  killed: 'the Python process was stopped',
};

/** The logs output of a cell, as the run step shows it: what it printed as a console shows it, then the traceback. */
export function execLogs(result: ExecResult): string {
  const parts = [result.stdout, result.stderr, result.error ? errorText(result.error) : '', result.limit ? `Execution stopped: ${LIMIT_TEXT[result.limit]}` : ''];
  // each part starts on a line of its own, without the blank line a plain join('\n') left after printed lines
  return parts
    .filter(Boolean)
    .reduce((logs, part) => (logs === '' || logs.endsWith('\n') ? logs + part : `${logs}\n${part}`), '')
    .trimEnd();
}

/** `sandbox:/mnt/data/…` links in the answer become `file_path` annotations of the files made. */
export function filePathAnnotations(text: string, links: SandboxFileLink[]): TextAnnotation[] {
  if (!links.length) return [];
  const byPath = new Map(links.map((l) => [l.path, l.fileId]));
  const out: TextAnnotation[] = [];
  for (const m of text.matchAll(/sandbox:(\/mnt\/data\/[^\s)\]"'`<>]+)/g)) {
    const path = m[1].replace(/[.,;:!?]+$/, '');
    const fileId = byPath.get(path);
    if (!fileId || m.index === undefined) continue;
    const full = `sandbox:${path}`;
    out.push({ type: 'file_path', text: full, file_path: { file_id: fileId }, start_index: m.index, end_index: m.index + full.length });
  }
  return out;
}
