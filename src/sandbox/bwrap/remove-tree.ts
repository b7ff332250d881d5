import { chmod, lstat, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * rm -rf that also copes with directories the sandbox made unreadable (it owns them, and a server
 * not running as root needs the permission bits back first). Never follows symlinks.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
    return;
  } catch {
    await restorePermissions(dir);
  }
  await rm(dir, { recursive: true, force: true, maxRetries: 2 }).catch(() => undefined);
}

// Called only once the session's processes are dead, so nothing swaps a directory for a symlink
// between the lstat and the chmod (which would follow it).
async function restorePermissions(dir: string): Promise<void> {
  const stats = await lstat(dir).catch(() => null);
  if (!stats?.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) if (entry.isDirectory()) await restorePermissions(join(dir, entry.name));
}
