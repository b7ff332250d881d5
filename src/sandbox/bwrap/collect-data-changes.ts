import { basename } from 'node:path';
import type { OutputFile, OutputImage } from '../sandbox.js';
import { imageMime } from './image-mime.js';
import { readDataFile } from './read-data-file.js';
import { type DirSnapshot, changedFiles } from './scan-data-dir.js';

export interface DataChanges {
  images: OutputImage[];
  files: OutputFile[];
  /** Why some changed files are not returned. */
  notes: string[];
}

/**
 * The files new or changed between two snapshots of a session directory, read (safely, see
 * `readDataFile`) within a byte and a count budget; image files become images.
 */
export async function collectDataChanges(
  root: string,
  before: DirSnapshot,
  after: DirSnapshot,
  budget: { maxBytes: number; maxFiles: number },
): Promise<DataChanges> {
  const changes: DataChanges = { images: [], files: [], notes: [] };
  let bytesLeft = budget.maxBytes;
  let count = 0;
  for (const file of changedFiles(before, after)) {
    if (count >= budget.maxFiles) {
      changes.notes.push(`/mnt/data/${file.path} not returned: at most ${budget.maxFiles} files are returned per execution`);
      continue;
    }
    if (file.size > bytesLeft) {
      changes.notes.push(`/mnt/data/${file.path} not returned: ${file.size} bytes is over the ${budget.maxBytes} bytes returned per execution`);
      continue;
    }
    const bytes = await readDataFile(root, file.path, bytesLeft);
    if (bytes === null) continue; // gone, replaced by something that is not a regular file inside the directory, or grown too big
    bytesLeft -= bytes.length;
    count++;
    const mime = imageMime(file.path, bytes);
    if (mime) changes.images.push({ name: basename(file.path), path: file.path, mime, bytes });
    else changes.files.push({ path: file.path, bytes, created: file.created });
  }
  return changes;
}
