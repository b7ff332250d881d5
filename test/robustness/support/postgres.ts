/**
 * Restarting the machine's PostgreSQL cluster under a running server.
 *
 * The cluster is shared: other test files may be using it at the same moment, and a restart
 * breaks their connections too. So in the bounded mode (`npm test`) the restart fault runs only
 * with OA_ROBUSTNESS_PG_RESTART=1; `npm run robustness` (FULL) always runs it. It needs root (or
 * the postgres user) and `pg_ctlcluster`; the cluster is given back running: `restartPostgres`
 * waits until it accepts connections again and throws if it does not within a minute.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { FULL } from '../mode.js';
import { adminQuery } from './child-server.js';

const run = promisify(execFile);

export const PG_RESTART_ENABLED = FULL || process.env.OA_ROBUSTNESS_PG_RESTART === '1';
const VERSION = process.env.OA_ROBUSTNESS_PG_VERSION ?? '15';
const CLUSTER = process.env.OA_ROBUSTNESS_PG_CLUSTER ?? 'main';

/** Restarts the cluster (fast shutdown: open connections are terminated) and waits until it answers. Returns ms down. */
export async function restartPostgres(): Promise<{ restartMs: number; readyMs: number }> {
  const t0 = performance.now();
  try {
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, CLUSTER, 'restart'], { timeout: 60_000 });
  } catch (err) {
    // whatever happened, leave the cluster running
    await run('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, CLUSTER, 'start'], { timeout: 60_000 }).catch(() => undefined);
    await adminQuery('SELECT 1', 60_000);
    throw err;
  }
  const restartMs = performance.now() - t0;
  await adminQuery('SELECT 1', 60_000);
  return { restartMs, readyMs: performance.now() - t0 };
}
