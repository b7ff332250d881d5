/**
 * Aims every operation of one project (the actor) at another's objects (the victim's) and judges
 * each answer against its twin: the same request with the victim's ids replaced by random
 * well-formed ids of the same kinds. A twin pair must agree in status, content type, header names
 * and body (ids aside), and the status must be a refusal: an unknown id and another project's id
 * are indistinguishable.
 */
import { describeReq, pool, type Req, type Res } from './http.js';
import { PARAM_KIND, randomId } from './ids.js';
import { fillPath, OPERATIONS, pathParams, type Chain } from './operations.js';
import type { World } from './world.js';

export type Expect = 'notFound' | 'refused' | 'empty';

export interface Probe {
  op: string;
  kind: 'path' | 'ref' | 'fresh';
  label: string;
  /** For path probes: which position holds a victim (A), own (B) or unknown (R) id. */
  mix?: string;
  req: Req;
  twin: Req;
  /** [victim id, its random stand-in] */
  pairs: Array<[string, string]>;
  expect: Expect;
}

export interface Tally {
  /** Probes (each a request and its twin) per operation and kind. */
  perOp: Map<string, { path: number; ref: number; list: number; fresh: number }>;
  /** The other project's ids each operation was aimed at. */
  targets: Map<string, Set<string>>;
  requests: number;
  failures: string[];
}

export function newTally(): Tally {
  return { perOp: new Map(), targets: new Map(), requests: 0, failures: [] };
}

export function count(t: Tally, op: string, kind: 'path' | 'ref' | 'list' | 'fresh', n = 1): void {
  let c = t.perOp.get(op);
  if (!c) t.perOp.set(op, (c = { path: 0, ref: 0, list: 0, fresh: 0 }));
  c[kind] += n;
}

/** Every mix of victim (A), actor (B) and unknown (R) ids over the path, with at least one A. */
function combos(n: number): Array<Array<'A' | 'B' | 'R'>> {
  let out: Array<Array<'A' | 'B' | 'R'>> = [[]];
  for (let i = 0; i < n; i++) out = out.flatMap((c) => (['A', 'B', 'R'] as const).map((x) => [...c, x]));
  return out.filter((c) => c.includes('A'));
}

export function pathProbes(op: string, actor: World, victim: World): Probe[] {
  const def = OPERATIONS[op];
  if (!def.chains) return [];
  const [method, path] = op.split(' ') as [Req['method'], string];
  const params = pathParams(path);
  const own = def.chains(actor)[0];
  const variants = def.variants?.(actor) ?? [{ label: 'plain' }];
  const out: Probe[] = [];
  for (const chain of def.chains(victim)) {
    for (const mix of combos(params.length)) {
      const real: Chain = {};
      const twin: Chain = {};
      const pairs: Array<[string, string]> = [];
      params.forEach((p, i) => {
        const kind = PARAM_KIND[p];
        if (mix[i] === 'A') {
          const r = randomId(kind, chain[p]);
          real[p] = chain[p];
          twin[p] = r;
          pairs.push([chain[p], r]);
        } else {
          const v = mix[i] === 'B' ? own[p] : randomId(kind);
          real[p] = v;
          twin[p] = v;
        }
      });
      for (const v of variants) {
        const base = { method, ...(v.json !== undefined && { json: v.json }), ...(v.query && { query: v.query }), ...(v.multipart && { multipart: v.multipart }), timeoutMs: 15_000 };
        out.push({
          op,
          kind: 'path',
          label: `${mix.join('')} ${v.label}`,
          mix: mix.join(''),
          req: { ...base, path: fillPath(path, real) },
          twin: { ...base, path: fillPath(path, twin) },
          pairs,
          expect: 'notFound',
        });
      }
    }
  }
  return out;
}

export function refProbes(op: string, actor: World, victim: World): Probe[] {
  return (OPERATIONS[op].refs ?? []).map((ref) => {
    const id = ref.pick(victim);
    const stand = randomId(ref.kind, id);
    return {
      op,
      kind: 'ref',
      label: ref.label,
      req: { timeoutMs: 15_000, ...ref.build(actor, id) },
      twin: { timeoutMs: 15_000, ...ref.build(actor, stand) },
      pairs: [[id, stand]],
      expect: ref.expect ?? 'refused',
    };
  });
}

/** Replaces each id of `pairs` (side 0 or 1) with a placeholder. */
function normalize(text: string, pairs: Array<[string, string]>, side: 0 | 1): string {
  let out = text;
  pairs.forEach((p, i) => {
    out = out.split(p[side]).join(`<id${i}>`);
  });
  return out;
}

const VOLATILE_HEADERS = new Set(['date', 'x-request-id', 'content-length', 'connection', 'keep-alive', 'transfer-encoding']);

/** Why a twin pair is not acceptable, or undefined. */
export function judge(p: Probe, res: Res, twin: Res): string | undefined {
  const where = `${p.op} [${p.kind} ${p.label}] ${describeReq(p.req)}`;
  const ok =
    p.expect === 'notFound'
      ? res.status === 404
      : p.expect === 'refused'
        ? res.status === 400 || res.status === 404
        : res.status === 200 && Array.isArray(res.json?.data) && res.json.data.length === 0;
  if (!ok) return `${where}: expected ${p.expect}, got ${res.status} ${res.text.slice(0, 300)}`;
  if (res.status !== twin.status) return `${where}: status ${res.status} for the other project's id, ${twin.status} for an unknown one`;
  const a = normalize(res.text, p.pairs, 0);
  const b = normalize(twin.text, p.pairs, 1);
  if (a !== b) return `${where}: bodies differ\n  other project's id: ${a.slice(0, 400)}\n  unknown id:         ${b.slice(0, 400)}`;
  const names = (r: Res) =>
    Object.keys(r.headers)
      .filter((h) => !VOLATILE_HEADERS.has(h))
      .sort()
      .map((h) => `${h}: ${h === 'content-type' ? r.headers[h] : ''}`)
      .join('\n');
  if (names(res) !== names(twin)) return `${where}: headers differ\n${names(res)}\n---\n${names(twin)}`;
  return undefined;
}

/** Sends each probe and its twin as `actor`; failures go into the tally. */
export async function runProbes(actor: World, probes: Probe[], tally: Tally, concurrency: number): Promise<void> {
  await pool(
    concurrency,
    probes.map((p) => async () => {
      // the twin first: were the real one to succeed by mistake, the twin still saw the state before
      const twin = await actor.client.send(p.twin);
      const res = await actor.client.send(p.req);
      tally.requests += 2;
      count(tally, p.op, p.kind);
      let t = tally.targets.get(p.op);
      if (!t) tally.targets.set(p.op, (t = new Set()));
      for (const [id] of p.pairs) t.add(id);
      const why = judge(p, res, twin);
      if (why) tally.failures.push(`${actor.label}→victim: ${why}`);
    }),
  );
}

/**
 * Lists of the actor's own: 200, and never an object of another project (`others`: every id the
 * other projects made). Before the actor made anything unseen (`strict`), nothing but ids it saw
 * made at set-up or in `alsoOwned`.
 */
export async function runLists(
  actor: World,
  victim: World,
  tally: Tally,
  concurrency: number,
  alsoOwned: Set<string>,
  others: Set<string>,
  strict: boolean,
): Promise<void> {
  const tasks: Array<() => Promise<void>> = [];
  for (const [op, def] of Object.entries(OPERATIONS)) {
    for (const req of def.lists?.(actor, victim) ?? []) {
      tasks.push(async () => {
        const res = await actor.client.send(req);
        tally.requests += 1;
        count(tally, op, 'list');
        const where = `${actor.label}: ${op} [list] ${describeReq(req)}`;
        if (res.status !== 200 || !Array.isArray(res.json?.data)) {
          tally.failures.push(`${where}: ${res.status} ${res.text.slice(0, 300)}`);
          return;
        }
        for (const item of res.json.data as Array<{ id: string }>) {
          if (strict && !actor.owned.has(item.id) && !alsoOwned.has(item.id)) tally.failures.push(`${where}: lists ${item.id}, which is not the caller's`);
          if (victim.owned.has(item.id) || others.has(item.id)) tally.failures.push(`${where}: lists another project's ${item.id}`);
        }
      });
    }
  }
  await pool(concurrency, tasks);
}
