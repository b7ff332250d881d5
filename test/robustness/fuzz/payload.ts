/**
 * JSON payloads with holes: a JSON value is serialized with marker strings where raw text or raw
 * bytes go (`1e309`, a lone `\ud800` escape, a duplicate key, overlong UTF-8, 10,000 levels of
 * nesting), which `JSON.stringify` alone cannot produce.
 */
export type Raw = string | Buffer;

export class Template {
  private readonly raws: Raw[] = [];

  /** A marker for `raw`, to put anywhere in a value (as a value, or as an object key). */
  hole(raw: Raw): string {
    this.raws.push(raw);
    return `\u0007HOLE${this.raws.length - 1}\u0007`;
  }

  /** `value` as JSON bytes, each marker (with its quotes) replaced by its raw text. */
  render(value: unknown): Buffer {
    const text = JSON.stringify(value) ?? '';
    const parts: Buffer[] = [];
    const re = /"\\u0007HOLE(\d+)\\u0007"/g;
    let at = 0;
    for (const m of text.matchAll(re)) {
      parts.push(Buffer.from(text.slice(at, m.index), 'utf8'));
      const raw = this.raws[Number(m[1])];
      parts.push(typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw);
      at = m.index + m[0].length;
    }
    parts.push(Buffer.from(text.slice(at), 'utf8'));
    return Buffer.concat(parts);
  }
}

export type Path = Array<string | number>;

/** Every location inside a JSON value (the root is `[]`). */
export function locations(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) value.forEach((v, i) => locations(v, [...path, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) locations(v, [...path, k], out);
  return out;
}

export function getAt(value: unknown, path: Path): unknown {
  let cur = value;
  for (const seg of path) cur = (cur as Record<string | number, unknown>)?.[seg];
  return cur;
}

/** A copy of `root` with the value at `path` replaced (or removed, with `remove`). */
export function setAt(root: unknown, path: Path, next: unknown, remove = false): unknown {
  if (path.length === 0) return next;
  const clone = structuredClone(root) as Record<string | number, unknown>;
  let cur = clone;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (remove) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = next;
  return clone;
}

/** `a.b[0].c`, the way the server names parameters. */
export function paramName(path: Path): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s ? `.${seg}` : seg;
  return s;
}
