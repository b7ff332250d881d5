import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** What tells one version of a file from another. */
export interface FileStamp {
  size: number;
  mtimeNs: bigint;
  ino: bigint;
}

/** Regular files under a directory by '/'-separated relative path. */
export type DirSnapshot = Map<string, FileStamp>;

export interface ChangedFile {
  path: string;
  size: number;
  created: boolean;
}

export const MAX_ENTRIES = 10_000;
const MAX_DEPTH = 16;
/** Temporary names of files being placed by the host (see place-file.ts). */
const HOST_TEMP = '.oa-upload-';

/**
 * The regular files under `root`, without following symlinks (the sandbox can plant them). Bounded
 * in entries and depth; a directory swapped for a symlink mid-walk can only add names here, whose
 * reading is refused later by `readDataFile`.
 */
export async function scanDataDir(root: string, usage?: DirUsage): Promise<DirSnapshot> {
  const files: DirSnapshot = new Map();
  let entries = 0;
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    const dirents = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const dirent of dirents) {
      if (++entries > MAX_ENTRIES) {
        if (usage) usage.complete = false;
        return;
      }
      const rel = prefix + dirent.name;
      if (dirent.isDirectory()) {
        if (depth < MAX_DEPTH) await walk(join(dir, dirent.name), `${rel}/`, depth + 1);
      } else if (dirent.isFile() && !dirent.name.startsWith(HOST_TEMP)) {
        const stats = await lstat(join(dir, dirent.name), { bigint: true }).catch(() => null);
        if (stats?.isFile()) files.set(rel, { size: Number(stats.size), mtimeNs: stats.mtimeNs, ino: stats.ino });
      }
    }
  };
  await walk(root, '', 0);
  if (usage) {
    usage.entries = Math.min(entries, MAX_ENTRIES);
    usage.bytes = 0;
    for (const stamp of files.values()) usage.bytes += stamp.size;
  }
  return files;
}

/** Filled in by `scanDataDir`: what the directory holds, and whether the walk saw all of it. */
export interface DirUsage {
  bytes: number;
  entries: number;
  complete: boolean;
}

/** Files of `after` that are not in `before` or differ from it, in path order. */
export function changedFiles(before: DirSnapshot, after: DirSnapshot): ChangedFile[] {
  const changed: ChangedFile[] = [];
  for (const [path, stamp] of after) {
    const old = before.get(path);
    if (!old) changed.push({ path, size: stamp.size, created: true });
    else if (old.size !== stamp.size || old.mtimeNs !== stamp.mtimeNs || old.ino !== stamp.ino) changed.push({ path, size: stamp.size, created: false });
  }
  return changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
