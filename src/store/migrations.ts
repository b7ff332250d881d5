import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Reads `NNNN_name.sql` files from a dialect's migrations folder, in version order. */
export function readMigrations(dir: URL): Migration[] {
  const path = fileURLToPath(dir);
  return readdirSync(path)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 4)),
      name: f.slice(5, -4),
      sql: readFileSync(`${path}/${f}`, 'utf8'),
    }));
}
