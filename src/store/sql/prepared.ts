import { CompiledQuery, type Compilable, type Kysely } from 'kysely';

/**
 * Runs a read statement on the spot, synchronously, when the backend can do so safely, and gives
 * its first row as the column values in select order (`null`: no row). `undefined` means it
 * cannot run now and the query goes through Kysely. The SQLite store provides one: a single
 * statement on its one connection, skipped while a transaction is open there (a read then would
 * see that transaction's uncommitted writes).
 */
export type ReadNow = (sql: string, parameters: readonly unknown[]) => unknown[] | null | undefined;

interface Compiled {
  sql: string;
  slots: Array<number | { value: unknown }>;
}

/** Compiles `build` once with stand-ins for its arguments, to learn where each one lands. */
function compileOnce<A extends unknown[]>(build: (...args: A) => Compilable<unknown>, args: A): Compiled {
  const markers = args.map((_, i) => `\u0000arg${i}\u0000`);
  const compiled = build(...(markers as A)).compile();
  return {
    sql: compiled.sql,
    slots: compiled.parameters.map((p) => {
      const i = typeof p === 'string' ? markers.indexOf(p) : -1;
      return i >= 0 ? i : { value: p };
    }),
  };
}

function parameters(compiled: Compiled, args: unknown[]): unknown[] {
  return compiled.slots.map((s) => (typeof s === 'number' ? args[s] : s.value));
}

/**
 * A read of at most one row (a look-up by key) built with Kysely once and then run with new
 * arguments, skipping the per-call build and compile (about a third of a small indexed read).
 * `build` must use each argument as a plain value parameter, in any order; it is called once with
 * stand-ins to learn where they land. With `readNow` the statement runs directly on the
 * connection when it can, which skips Kysely's connection queue and driver, and the row comes as
 * bare values: `fromValues` turns them into the row object, and must expect the columns in the
 * order `build` selects them.
 */
export function preparedFirst<A extends unknown[], R>(
  db: Kysely<any>,
  build: (...args: A) => Compilable<R>,
  fromValues: (values: unknown[]) => R,
  readNow?: ReadNow,
): (...args: A) => Promise<R | undefined> {
  let compiled: Compiled | undefined;
  const first = (result: { rows: R[] }) => result.rows[0];
  // Not an async function: a row read on the spot settles one promise, not a chain of them.
  return (...args: A) => {
    try {
      compiled ??= compileOnce(build, args);
      const params = parameters(compiled, args);
      const now = readNow?.(compiled.sql, params);
      if (now !== undefined) return Promise.resolve(now === null ? undefined : fromValues(now));
      return db.executeQuery<R>(CompiledQuery.raw(compiled.sql, params)).then(first);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}
