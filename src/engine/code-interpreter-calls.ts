import { unixSeconds } from '../core/clock.js';
import type { CodeInterpreterToolCall } from '../core/wire.js';
import type { SandboxSession, SessionFile } from '../sandbox/sandbox.js';
import type { StoredFile } from '../store/store.js';
import {
  CODE_INTERPRETER_TOOL,
  CodeArgumentStream,
  describeExec,
  execLogs,
  type SandboxFileLink,
} from '../tools/code-interpreter-tool.js';
import type { ModelIo, PendingCall, ToolRunContext } from './server-tools.js';

/** Why a run that needs the sandbox cannot have it; the run fails with this message. */
export class SandboxUnavailable extends Error {}

const MIME_BY_EXT: Record<string, string> = { csv: 'text/csv', json: 'application/json', txt: 'text/plain', png: 'image/png' };

/**
 * The code_interpreter tool inside a run: streams the model's code into the step's `input`, runs
 * it in the thread's sandbox session (one Python process per thread, files at /mnt/data), and turns
 * what it produced into step outputs, Files (`assistants_output`), images for the next message and
 * `sandbox:/mnt/data/…` links for `file_path` annotations.
 */
export class CodeInterpreterCalls {
  /** Files the run's code made, by sandbox path (for `file_path` annotations). */
  readonly links: SandboxFileLink[] = [];
  /** Images made since the last message, shown at the top of the next one. */
  pendingImages: string[] = [];
  private readonly streams = new Map<number, CodeArgumentStream>();

  constructor(private readonly ctx: ToolRunContext) {}

  restore(modelIo: ModelIo): void {
    for (const io of Object.values(modelIo)) if (io.name === CODE_INTERPRETER_TOOL) this.links.push(...(io.files ?? []));
  }

  start(index: number, id: string): CodeInterpreterToolCall {
    this.streams.set(index, new CodeArgumentStream());
    const call: CodeInterpreterToolCall = { id, type: 'code_interpreter', code_interpreter: { input: '', outputs: [] } };
    this.ctx.emitToolDelta({ index, id, type: 'code_interpreter', code_interpreter: { input: '', outputs: [] } });
    return call;
  }

  /** More of the model's arguments: the code decoded so far streams into `input`. */
  argumentDelta(index: number, call: CodeInterpreterToolCall, delta: string): void {
    const more = this.streams.get(index)?.push(delta) ?? '';
    if (!more) return;
    call.code_interpreter.input += more;
    this.ctx.emitToolDelta({ index, type: 'code_interpreter', code_interpreter: { input: more } });
  }

  async run(calls: PendingCall[], modelIo: ModelIo): Promise<void> {
    if (!calls.length) return;
    const session = await this.session();
    for (const { index, call: c, args } of calls) {
      const call = c as CodeInterpreterToolCall;
      const { code, rest } = this.streams.get(index)?.finalCode() ?? { code: args, rest: args };
      if (rest) this.ctx.emitToolDelta({ index, type: 'code_interpreter', code_interpreter: { input: rest } });
      call.code_interpreter.input = code;
      const result = await session.exec(code, this.ctx.signal);
      this.ctx.signal.throwIfAborted();
      const outputs: CodeInterpreterToolCall['code_interpreter']['outputs'] = [];
      const logs = execLogs(result);
      if (logs) outputs.push({ type: 'logs', logs });
      const imageLinks: SandboxFileLink[] = [];
      for (const image of result.images) {
        const file = await this.saveFile(image.name, image.bytes, image.mime);
        outputs.push({ type: 'image', image: { file_id: file.id } });
        this.pendingImages.push(file.id);
        imageLinks.push({ path: image.path ? `/mnt/data/${image.path}` : `(figure) ${image.name}`, fileId: file.id });
        if (image.path) this.links.push({ path: `/mnt/data/${image.path}`, fileId: file.id });
      }
      const fileLinks: SandboxFileLink[] = [];
      for (const f of result.files) {
        const name = f.path.split('/').pop() || f.path;
        const ext = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
        const file = await this.saveFile(name, f.bytes, MIME_BY_EXT[ext] ?? 'application/octet-stream');
        const link = { path: `/mnt/data/${f.path}`, fileId: file.id };
        fileLinks.push(link);
        this.links.push(link);
      }
      call.code_interpreter.outputs = outputs;
      modelIo[call.id] = {
        name: CODE_INTERPRETER_TOOL,
        arguments: args,
        output: describeExec(result, imageLinks, fileLinks),
        files: [...imageLinks.filter((l) => l.path.startsWith('/mnt/data/')), ...fileLinks],
      };
      this.ctx.emitToolDelta({
        index,
        type: 'code_interpreter',
        code_interpreter: { outputs: outputs.map((o, i) => ({ index: i, ...o })) },
      });
    }
  }

  /** The thread's session, with the assistant's, the thread's and the attached files in /mnt/data. */
  private async session(): Promise<SandboxSession> {
    const { deps, projectId, run } = this.ctx;
    if (!deps.sandbox) throw new SandboxUnavailable('The code_interpreter tool is not configured on this server.');
    const availability = await deps.sandbox.available();
    if (!availability.ok) throw new SandboxUnavailable(`The code_interpreter tool is not available on this server: ${availability.reason}`);
    const [assistant, thread, messages] = await Promise.all([
      deps.store.assistants.get(projectId, run.assistant_id),
      deps.store.threads.get(projectId, run.thread_id),
      deps.store.messages.all(projectId, run.thread_id),
    ]);
    const ids = new Set([
      ...(assistant?.tool_resources?.code_interpreter?.file_ids ?? []),
      ...(thread?.tool_resources?.code_interpreter?.file_ids ?? []),
      ...messages.flatMap((m) => m.attachments.filter((a) => a.tools.some((t) => t.type === 'code_interpreter')).map((a) => a.file_id)),
    ]);
    const files: SessionFile[] = [];
    const now = unixSeconds(deps.clock);
    for (const id of ids) {
      const f = await deps.store.files.get(projectId, id, now);
      if (f) files.push({ id: f.id, name: f.filename, read: () => deps.blobs.get(f.blob_key) });
    }
    return deps.sandbox.session(`${projectId}:${run.thread_id}`, files, this.ctx.signal);
  }

  private async saveFile(filename: string, bytes: Uint8Array, mime: string): Promise<StoredFile> {
    const { deps, projectId } = this.ctx;
    const id = deps.ids.next('file');
    const put = await deps.blobs.put(`files/${id}`, [bytes]);
    const file: StoredFile = {
      id,
      object: 'file',
      bytes: put.bytes,
      created_at: unixSeconds(deps.clock),
      expires_at: null,
      filename,
      purpose: 'assistants_output',
      status: 'processed',
      status_details: null,
      blob_key: `files/${id}`,
      mime_type: mime,
    };
    await deps.store.files.insert(projectId, file);
    return file;
  }
}
