/**
 * Query strings, path ids and headers: valid ones from the spec's parameters and the real
 * objects, and hostile ones (bad cursors and limits, unknown and wrong-kind ids, percent-encoding
 * junk, overlong ids, odd content types and methods, bad API keys).
 */
import type { Rng } from './prng.js';
import type { Operation, Param } from './spec.js';
import type { World } from './world.js';

export type Query = Array<[string, string]>;

/** Object-id prefixes per path parameter (the checklist §1.3). */
export const ID_PREFIX: Record<string, string> = {
  assistant_id: 'asst_',
  thread_id: 'thread_',
  message_id: 'msg_',
  run_id: 'run_',
  step_id: 'step_',
  file_id: 'file-',
  vector_store_id: 'vs_',
  batch_id: 'vsfb_',
  upload_id: 'upload_',
};

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function fakeId(rng: Rng, prefix: string): string {
  return prefix + Array.from({ length: 24 }, () => rng.pick([...ALNUM])).join('');
}

/** Real ids of the kind a list operation lists (for valid cursors). */
function listedIds(op: Operation, world: World, pathIds: Record<string, string>): string[] {
  switch (op.operationId) {
    case 'listAssistants':
      return world.assistants;
    case 'listFiles':
      return world.files;
    case 'listMessages':
      return world.messages.filter((m) => m.thread_id === pathIds.thread_id).map((m) => m.message_id);
    case 'listRuns':
      return world.runs.filter((r) => r.thread_id === pathIds.thread_id).map((r) => r.run_id);
    case 'listRunSteps':
      return world.steps.filter((s) => s.run_id === pathIds.run_id).map((s) => s.step_id);
    case 'listVectorStores':
      return world.vectorStores;
    case 'listVectorStoreFiles':
    case 'listFilesInVectorStoreBatch':
      return world.vsFiles.filter((f) => f.vector_store_id === pathIds.vector_store_id).map((f) => f.file_id);
    default:
      return [];
  }
}

/** A valid query string for `op`: each optional parameter now and then, with a valid value. */
export function validQuery(rng: Rng, op: Operation, world: World, pathIds: Record<string, string>): Query {
  const q: Query = [];
  for (const p of op.queryParams) {
    if (!p.required && !rng.chance(0.4)) continue;
    const v = validParamValue(rng, op, p, world, pathIds);
    if (v !== undefined) q.push([p.name, v]);
  }
  return q;
}

function validParamValue(rng: Rng, op: Operation, p: Param, world: World, pathIds: Record<string, string>): string | undefined {
  const schema = p.schema as { enum?: string[]; items?: { enum?: string[] } };
  switch (p.name) {
    case 'limit':
      return String(rng.int(1, op.operationId === 'listFiles' ? 10_000 : 100));
    case 'after':
    case 'before': {
      const ids = listedIds(op, world, pathIds);
      return ids.length ? rng.pick(ids) : undefined;
    }
    case 'run_id': {
      const runs = world.runs.filter((r) => r.thread_id === pathIds.thread_id);
      return runs.length ? rng.pick(runs).run_id : undefined;
    }
    case 'purpose':
      return rng.pick(['assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals', 'assistants_output']);
    default:
      if (schema.enum) return rng.pick(schema.enum);
      if (schema.items?.enum) return rng.pick(schema.items.enum);
      return undefined;
  }
}

const BAD_LIMITS = ['0', '-1', '101', '10001', '1.5', 'abc', '', ' ', '1e2', '0x10', '1e400', '100000000000000000000000', 'NaN', 'Infinity', '-0', '١٠', '+5', ' 5', '5 '];
const BAD_CURSORS = (rng: Rng) => [
  fakeId(rng, rng.pick(Object.values(ID_PREFIX))),
  'garbage',
  '',
  '\u0000',
  'a\u0000b',
  'x'.repeat(rng.pick([300, 5000])),
  '🙂',
  '\u202eevil',
  "' OR 1=1 --",
  '%',
  '\ud800',
  'null',
  '../../etc/passwd',
];

/** A hostile query string: bad values for the operation's parameters, or unknown parameters. */
export function mutateQuery(rng: Rng, op: Operation, valid: Query): { name: string; query: Query } {
  const names = op.queryParams.map((p) => p.name);
  const pick = names.length ? rng.pick(names) : undefined;
  const q = valid.filter(([k]) => k !== pick);
  const choice = pick && rng.chance(0.75) ? pick : 'unknown';
  switch (choice) {
    case 'limit': {
      const v = rng.pick(BAD_LIMITS);
      return rng.chance(0.15) ? { name: 'limit twice', query: [...q, ['limit', '1'], ['limit', '2']] } : { name: `limit=${JSON.stringify(v)}`, query: [...q, ['limit', v]] };
    }
    case 'order': {
      const v = rng.pick(['ASC', 'sideways', '', 'desc ', 'asc\u0000']);
      return rng.chance(0.15) ? { name: 'order twice', query: [...q, ['order', 'asc'], ['order', 'desc']] } : { name: `order=${JSON.stringify(v)}`, query: [...q, ['order', v]] };
    }
    case 'after':
    case 'before': {
      const v = rng.pick(BAD_CURSORS(rng));
      if (rng.chance(0.1)) return { name: `${choice} twice`, query: [...q, [choice, v], [choice, 'x']] };
      const extra: Query = rng.chance(0.2) ? [[choice === 'after' ? 'before' : 'after', rng.pick(BAD_CURSORS(rng))]] : [];
      return { name: `${choice}=${JSON.stringify(v.slice(0, 40))}${extra.length ? ' (+other cursor)' : ''}`, query: [...q, [choice, v], ...extra] };
    }
    case 'include[]': {
      const v = rng.pick(['bogus', '', 'step_details.tool_calls[*].file_search.results[*].content ', 'STEP_DETAILS']);
      return rng.chance(0.3)
        ? { name: 'include[] 50 times', query: [...q, ...Array.from({ length: 50 }, (): [string, string] => ['include[]', 'step_details.tool_calls[*].file_search.results[*].content'])] }
        : { name: `include[]=${JSON.stringify(v)}`, query: [...q, ['include[]', v]] };
    }
    case 'filter':
    case 'purpose':
    case 'run_id': {
      const v = rng.pick(['bogus', '', '\u0000', 'x'.repeat(2000), 'COMPLETED', '🙂', fakeId(rng, 'run_')]);
      return { name: `${choice}=${JSON.stringify(v.slice(0, 30))}`, query: [...q, [choice, v]] };
    }
    default: {
      const unknown: Array<[string, string]> = [
        ['foo', 'bar'],
        ['__proto__', '1'],
        ['constructor[prototype][x]', '1'],
        ['a[b][c]', '1'],
        ['limit[]', '1'],
        ['limit[a]', '1'],
        ['', ''],
        ['\u0000', '\u0000'],
        ['x'.repeat(1000), 'y'],
        ['stream', 'true'],
        ['api-version', '2024-01-01'],
      ];
      if (rng.chance(0.1)) {
        const n = rng.pick([100, 1000]);
        return { name: `${n} unknown query parameters`, query: [...valid, ...Array.from({ length: n }, (_, i): [string, string] => [`p${i}`, String(i)])] };
      }
      const [k, v] = rng.pick(unknown);
      return { name: `unknown query ${JSON.stringify(k.slice(0, 30))}`, query: [...valid, [k, v]] };
    }
  }
}

/** encodeURIComponent, except that a lone surrogate becomes its (invalid) 3-byte UTF-8 form instead of throwing. */
export function pctEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
    if (pair) {
      out += encodeURIComponent(s.slice(i, i + 2));
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(s[i]);
  }
  return out;
}

export function encodeQuery(q: Query): string {
  if (!q.length) return '';
  return `?${q.map(([k, v]) => `${pctEncode(k)}=${pctEncode(v)}`).join('&')}`;
}

/** Replacements for one path id, already percent-encoded for the URL. */
export function hostileId(rng: Rng, param: string, world: World): { name: string; encoded: string } {
  const own = ID_PREFIX[param] ?? '';
  const wrongKind = rng.pick([world.assistants[0], world.threads[0], world.files[0], world.vectorStores[0], world.runs[0]?.run_id ?? 'run_x'].filter((id) => !own || !id.startsWith(own)));
  const options: Array<[string, string]> = [
    ['unknown id', encodeURIComponent(fakeId(rng, ID_PREFIX[param] ?? 'x_'))],
    ['wrong-kind id', encodeURIComponent(wrongKind)],
    ['garbage id', 'garbage'],
    ['NUL', `${ID_PREFIX[param] ?? ''}%00`],
    ['bad percent-encoding', rng.pick(['%ff%fe', '%', '%zz', '%C0%AF', '%ED%A0%80', '%E2%82'])],
    ['encoded slash', 'a%2Fb'],
    ['dot-dot', rng.pick(['..', '%2e%2e', '.'])],
    ['unicode id', encodeURIComponent(rng.pick(['🙂', 'ümlaut', '\u202eevil', 'مرحبا', '\ufeff']))],
    ['long id 101', 'a'.repeat(101)],
    ['long id 5000', 'b'.repeat(5000)],
    ['space', 'a%20b'],
    ['sql', encodeURIComponent("' OR 1=1 --")],
    ['percent literal', '%25'],
    ['semicolon', 'a;b=c'],
    ['asterisk', '*'],
    ['empty', ''],
  ];
  const [name, encoded] = rng.pick(options);
  return { name: `${param}: ${name}`, encoded };
}

/** Fills the operation's path template with encoded ids. */
export function fillPath(op: Operation, ids: Record<string, string>, encoded: Record<string, string> = {}): string {
  return op.path.replace(/\{([a-z_]+)\}/g, (_, name: string) => encoded[name] ?? encodeURIComponent(ids[name] ?? 'missing'));
}

export const ODD_CONTENT_TYPES = [
  null,
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/json; charset=iso-8859-1',
  'APPLICATION/JSON',
  'application/json;',
  'application/jsonx',
  'application/vnd.api+json',
  'application/json-patch+json',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'image/png',
  ';;;',
  'a/b/c',
  'application/json; boundary=x; charset=utf-8; foo="bar"',
  `application/json; x=${'y'.repeat(4000)}`,
  'text/json',
  'application/octet-stream',
  '*/*',
  'application/json, text/plain',
  'application/json; charset="utf-8"',
  ' application/json',
];
