import { spawn } from 'node:child_process';
import { access, chown, constants, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedOptions, RunAs } from './options.js';
import { sandboxCommand } from './sandbox-command.js';
import { openSandboxFds } from './sandbox-fds.js';

export type ProbeResult = { ok: true; fontlist: string | null } | { ok: false; reason: string };

const REQUIRED_MODULES: Record<string, string> = { numpy: 'python3-numpy', pandas: 'python3-pandas', matplotlib: 'python3-matplotlib' };

// Runs inside a sandbox like a session's, with `cacheDir` bound writable at /mnt/data: reports the
// modules it can import and leaves matplotlib's font cache there, built against the sandbox's view
// of the fonts, for every session to reuse.
const PROBE = `
import json, os
os.environ["MPLCONFIGDIR"] = "/mnt/data"
found = {}
for name in ${JSON.stringify(Object.keys(REQUIRED_MODULES))}:
    try:
        found[name] = __import__(name).__version__
    except Exception as e:
        found[name] = None
if found.get("matplotlib"):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.font_manager
    except Exception:
        pass
print(json.dumps({"modules": found}))
`;

/**
 * Whether sandboxes can run here: the binaries exist, bubblewrap can create its namespaces, and
 * Debian's Python imports numpy, pandas and matplotlib inside one. Builds the font cache as it goes.
 */
export async function probeSandbox(
  options: ResolvedOptions,
  cacheDir: string,
  runAs: RunAs,
  seccompFile: string | null,
  signal?: AbortSignal,
): Promise<ProbeResult> {
  const binaries: Array<[string, string]> = [
    [options.bwrapPath, 'bubblewrap (apt-get install bubblewrap)'],
    [options.pythonPath, 'Python 3 (apt-get install python3)'],
    [options.prlimitPath, 'prlimit (util-linux)'],
    [options.setprivPath, 'setpriv (util-linux)'],
    ['/bin/sh', 'a POSIX shell'],
  ];
  for (const [path, what] of binaries) {
    try {
      await access(path, constants.X_OK);
    } catch {
      return { ok: false, reason: `${what} not found at ${path}` };
    }
  }
  await chown(cacheDir, runAs?.uid ?? process.getuid?.() ?? 0, runAs?.gid ?? process.getgid?.() ?? 0);
  const fds = await openSandboxFds(cacheDir, [], seccompFile);
  const argv = sandboxCommand(
    options,
    { dataFd: fds.dataFd, dataMount: '/mnt/data', readOnlyData: [], seccompFd: fds.seccompFd, cgroupProcs: [], rlimitMemory: false, rlimitProcesses: false, runAs },
    [options.pythonPath, '-I', '-B', '-c', PROBE],
  );
  const run = await runCaptured(argv, fds.inherit, Math.max(60_000, options.startTimeoutMs), signal).finally(() => fds.close());
  const line = run.stdout.trim().split('\n').pop() ?? '';
  let modules: Record<string, string | null> | null = null;
  try {
    modules = (JSON.parse(line) as { modules: Record<string, string | null> }).modules;
  } catch {
    // fall through to the diagnostics below
  }
  if (!modules) {
    const diagnostics = (run.stderr || run.stdout || run.error || `exit ${run.code}`).trim().slice(-2000);
    if (/namespace|uid map|setting up uid|Operation not permitted|No permissions/i.test(diagnostics)) {
      return { ok: false, reason: `bubblewrap cannot create its namespaces (are unprivileged user namespaces disabled? see sysctl kernel.unprivileged_userns_clone and user.max_user_namespaces): ${diagnostics}` };
    }
    return { ok: false, reason: `the sandbox probe failed: ${diagnostics}` };
  }
  const missing = missingPackages(modules, options.pythonPath);
  if (missing) return { ok: false, reason: missing };
  const fontlist = (await readdir(cacheDir).catch(() => [])).find((name) => /^fontlist-v\d+\.json$/.test(name)) ?? null;
  return { ok: true, fontlist: fontlist ? join(cacheDir, fontlist) : null };
}

/** Why the modules found are not enough, or null when they are. */
export function missingPackages(modules: Record<string, string | null>, pythonPath: string): string | null {
  const missing = Object.keys(REQUIRED_MODULES).filter((name) => !modules[name]);
  if (missing.length === 0) return null;
  return `Python packages missing for ${pythonPath}: ${missing.join(', ')} (apt-get install ${missing.map((m) => REQUIRED_MODULES[m]).join(' ')})`;
}

async function runCaptured(argv: string[], inherit: number[], timeoutMs: number, signal?: AbortSignal): Promise<{ code: number | null; stdout: string; stderr: string; error: string }> {
  const [command, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', ...inherit], env: {}, timeout: timeoutMs, killSignal: 'SIGKILL', signal });
    let stdout = '';
    let stderr = '';
    let error = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout = (stdout + chunk.toString('utf8')).slice(-65536)));
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-65536)));
    child.on('error', (e) => (error = e.message));
    child.on('close', (code) => resolve({ code, stdout, stderr, error }));
  });
}
