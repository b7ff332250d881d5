import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/** Host paths opened for a sandbox, to be inherited by its process as fds 3, 4, … */
export interface SandboxFds {
  /** The child's fd number for the data directory. */
  dataFd: number;
  readOnlyData: Array<{ fd: number; sandbox: string }>;
  /** The child's fd number for the seccomp program, if any. */
  seccompFd: number | null;
  /** The host fds, in child fd order from 3 (for spawn's `stdio`). */
  inherit: number[];
  /** Closes the host side; call once the child is spawned (it has its own copies). */
  close(): Promise<void>;
}

/**
 * Opens the data directory and the read-only files here, as the server, so bubblewrap running as
 * an unprivileged uid needs no access to their paths (the session root may be 0700 root).
 */
export async function openSandboxFds(
  dataDir: string,
  files: ReadonlyArray<{ host: string; sandbox: string }>,
  seccompFile: string | null,
): Promise<SandboxFds> {
  const handles: FileHandle[] = [];
  const close = async () => {
    await Promise.all(handles.map((h) => h.close().catch(() => undefined)));
  };
  try {
    handles.push(await open(dataDir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
    for (const file of files) handles.push(await open(file.host, constants.O_RDONLY));
    if (seccompFile) handles.push(await open(seccompFile, constants.O_RDONLY));
  } catch (error) {
    await close();
    throw error;
  }
  return {
    dataFd: 3,
    readOnlyData: files.map((file, i) => ({ fd: 4 + i, sandbox: file.sandbox })),
    seccompFd: seccompFile ? 4 + files.length : null,
    inherit: handles.map((h) => h.fd),
    close,
  };
}
