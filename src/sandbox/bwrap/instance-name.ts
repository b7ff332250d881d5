import { randomBytes } from 'node:crypto';

/**
 * `<pid>-<8 hex>`: the name of one sandbox instance's directories (session root, cgroups). The pid
 * lets a later process tell leftovers of a crashed server from the directories of a live one.
 */
export function newInstanceName(): string {
  return `${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Instances of this process not closed yet (registered by the sandbox for its lifetime). */
export const liveInstances = new Set<string>();

export const INSTANCE_NAME = /^\d+-[0-9a-f]{8}$/;

/** Whether the owner of `name` may still be using it; `live` lists this process's open instances. */
export function instanceAlive(name: string, live: ReadonlySet<string>): boolean {
  const pid = Number(name.split('-')[0]);
  if (!INSTANCE_NAME.test(name) || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return live.has(name);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
