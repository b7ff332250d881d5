/**
 * The bubblewrap sandbox against hostile code: each attack must fail, be reported, and leave the
 * host (this test process) and the session usable. Skips only when `available()` says the sandbox
 * cannot run here (CI installs bubblewrap python3-numpy python3-pandas python3-matplotlib).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ExecResult, SandboxSession } from '../../src/sandbox/sandbox.js';
import { BwrapSandbox } from '../../src/sandbox/bwrap/bwrap-sandbox.js';

/** For the tests of the time limit; the others get a generous one (CI machines can be slow). */
const EXEC_TIMEOUT_MS = 4000;
const MEMORY_BYTES = 512 * 1024 * 1024;

const work = await mkdtemp(join(tmpdir(), 'oa-sandbox-sec-'));
await chmod(work, 0o711); // lets the sandbox run as nobody when the tests run as root (see BwrapSandboxOptions.runAs)
// A stand-in for the server's DATA_DIR: the sandbox root lives inside it, next to secrets.
const dataDir = join(work, 'data');
const SECRET = `secret-${Math.random().toString(36).slice(2)}`;
await mkdir(join(dataDir, 'sandbox'), { recursive: true });
await writeFile(join(dataDir, 'secret.txt'), SECRET);
await writeFile(join(dataDir, 'sandbox', 'secret.txt'), SECRET);
const hostTmpMarker = join(tmpdir(), `oa-host-tmp-${Math.random().toString(36).slice(2)}`);
await writeFile(hostTmpMarker, SECRET);
process.env.OA_SANDBOX_TEST_SECRET = SECRET; // must not reach the sandbox's environment

const limits = { memoryBytes: MEMORY_BYTES, maxProcesses: 32, maxOutputBytes: 1024 * 1024 };
const sandbox = new BwrapSandbox({ root: join(dataDir, 'sandbox'), execTimeoutMs: 30_000, ...limits });
const strict = new BwrapSandbox({ root: join(dataDir, 'sandbox'), execTimeoutMs: EXEC_TIMEOUT_MS, spare: false, ...limits });
const availability = await sandbox.available();
const skip = availability.ok ? false : `sandbox not available here: ${availability.reason}`;

after(async () => {
  await Promise.all([sandbox.close(), strict.close()]);
  await rm(work, { recursive: true, force: true });
  await rm(hostTmpMarker, { force: true });
  delete process.env.OA_SANDBOX_TEST_SECRET;
});

async function py(session: SandboxSession, code: string): Promise<ExecResult> {
  return session.exec(code);
}

/** The session still works and keeps (or, after a restart, rebuilds) a usable state. */
async function assertUsable(session: SandboxSession): Promise<void> {
  const result = await session.exec('21 * 2');
  assert.equal(result.error, null, JSON.stringify(result.error));
  assert.equal(result.stdout, '42\n');
}

describe('sandbox security', { skip }, () => {
  let session: SandboxSession;
  let timed: SandboxSession; // in the sandbox with the short time limit
  before(async () => {
    session = await sandbox.session('attacker');
    timed = await strict.session('attacker-timed');
  });

  it('runs unprivileged: uid 1000, no capabilities, no new privileges, no nested namespaces', async () => {
    const r = await py(
      session,
      `import os, re, subprocess
status = open('/proc/self/status').read()
print(os.getuid(), os.geteuid(), re.search(r'CapEff:\\s+(\\w+)', status).group(1), re.search(r'NoNewPrivs:\\s+(\\d)', status).group(1))
print(subprocess.run(['unshare', '-r', 'true'], capture_output=True).returncode != 0)
try:
    os.setuid(0)
    print('setuid ok')
except OSError:
    print('setuid denied')`,
    );
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.stdout, '1000 1000 0000000000000000 1\nTrue\nsetuid denied\n');
  });

  it('blocks risky system calls with seccomp (io_uring, bpf, userfaultfd, perf, keyrings, mount, unshare, ptrace)', { skip: !['x64', 'arm64'].includes(process.arch) && 'no table for this architecture' }, async () => {
    assert.ok(availability.ok && availability.limits.seccomp);
    const numbers = process.arch === 'x64'
      ? { io_uring_setup: 425, bpf: 321, userfaultfd: 323, perf_event_open: 298, keyctl: 250, mount: 165, unshare: 272, ptrace: 101, getpid: 39 }
      : { io_uring_setup: 425, bpf: 280, userfaultfd: 282, perf_event_open: 241, keyctl: 219, mount: 40, unshare: 97, ptrace: 117, getpid: 172 };
    const r = await py(
      session,
      `import ctypes, errno, os
libc = ctypes.CDLL(None, use_errno=True)
out = {}
for name, nr in ${JSON.stringify(numbers)}.items():
    ctypes.set_errno(0)
    ret = libc.syscall(nr, 0, 0, 0, 0, 0)
    out[name] = 'ok' if ret >= 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))
print(out)`,
    );
    assert.equal(r.error, null, JSON.stringify(r.error));
    const out = JSON.parse(r.stdout.trim().replace(/'/g, '"')) as Record<string, string>;
    assert.equal(out.getpid, 'ok');
    for (const name of ['io_uring_setup', 'bpf', 'userfaultfd', 'perf_event_open', 'keyctl', 'mount', 'unshare', 'ptrace']) assert.equal(out[name], 'EPERM', name);
    await assertUsable(session);
  });

  it('runs as an unprivileged host uid when the server is root', { skip: process.getuid?.() !== 0 && 'not running as root' }, async () => {
    assert.ok(availability.ok);
    assert.equal(availability.limits.sandboxUid, 65534);
    await py(session, "open('/mnt/data/owner.txt', 'w').write('x')");
    const owners: number[] = [];
    for (const instance of (await readdir(join(dataDir, 'sandbox'))).filter((n) => /^\d+-/.test(n))) {
      for (const dir of (await readdir(join(dataDir, 'sandbox', instance))).filter((n) => /^s-attacker-[0-9a-f]{12}$/.test(n))) {
        owners.push(statSync(join(dataDir, 'sandbox', instance, dir, 'owner.txt')).uid);
      }
    }
    assert.deepEqual(owners, [65534]);
  });

  it('has no network: 127.0.0.1 (PostgreSQL, a server of this test) refuses, the outside is unreachable', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.end('HTTP/1.0 200 OK\r\n\r\nleak');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await py(
        session,
        `import socket
def attempt(host, port):
    s = socket.socket(); s.settimeout(2)
    try:
        s.connect((host, port)); return 'connected'
    except OSError as e:
        return type(e).__name__
    finally:
        s.close()
print(attempt('127.0.0.1', ${port}), attempt('127.0.0.1', 5432), attempt('1.1.1.1', 53), attempt('10.0.2.2', 80))
print(sorted(name for _, name in socket.if_nameindex()))
try:
    socket.getaddrinfo('example.com', 80); print('resolved')
except OSError as e:
    print('no dns')`,
      );
      assert.equal(r.error, null, JSON.stringify(r.error));
      const [attempts, interfaces, dns] = r.stdout.trim().split('\n');
      assert.ok(!attempts!.includes('connected'), attempts);
      assert.equal(interfaces, "['lo']");
      assert.equal(dns, 'no dns');
      assert.equal(connections, 0);
    } finally {
      server.close();
    }
    await assertUsable(session);
  });

  it('sees no host files: not /etc/shadow, the data directory, /root, /home, the host /tmp, nor the server environment', async () => {
    const r = await py(
      session,
      `import os
probes = ['/etc/shadow', ${JSON.stringify(join(dataDir, 'secret.txt'))}, ${JSON.stringify(join(dataDir, 'sandbox', 'secret.txt'))},
          ${JSON.stringify(hostTmpMarker)}, '/root', '/home', ${JSON.stringify(work)}, '/var', '/srv', '/opt/sandbox/../../etc/shadow']
print([p for p in probes if os.path.exists(p)])
print(sorted(os.listdir('/')))
print(sorted(os.listdir('/mnt')), sorted(os.listdir('/tmp')))
print(any(${JSON.stringify(SECRET)} in v for v in os.environ.values()), sorted(os.environ))
found = []
for top in ['/etc', '/tmp', '/mnt', '/opt']:
    for d, dirs, files in os.walk(top):
        for f in files:
            try:
                if ${JSON.stringify(SECRET)}.encode() in open(os.path.join(d, f), 'rb').read(1 << 20):
                    found.append(os.path.join(d, f))
            except OSError:
                pass
print(found)`,
    );
    assert.equal(r.error, null, JSON.stringify(r.error));
    const [existing, root, mntTmp, env, found] = r.stdout.trim().split('\n');
    assert.equal(existing, '[]');
    assert.equal(root, "['bin', 'dev', 'etc', 'lib', 'lib64', 'mnt', 'opt', 'proc', 'sbin', 'tmp', 'usr']");
    assert.match(mntTmp!, /^\['data'\] \['\.matplotlib'\]$/);
    assert.match(env!, /^False \[/);
    assert.ok(!env!.includes('OA_SANDBOX_TEST_SECRET'), env);
    assert.equal(found, '[]');
  });

  it('sees no host processes', async () => {
    const r = await py(session, `import os\nsorted(int(p) for p in os.listdir('/proc') if p.isdigit())`);
    const pids = JSON.parse(r.stdout) as number[];
    assert.ok(pids.length <= 4, r.stdout); // bwrap's init, the kernel, maybe a short-lived child
    assert.ok(!pids.includes(process.pid) || process.pid <= 4);
  });

  it('cannot write outside /mnt/data, and what it writes in its /tmp stays there', async () => {
    const name = `oa-escape-${Math.random().toString(36).slice(2)}`;
    const r = await py(
      session,
      `results = {}
for path in ['/usr/${name}', '/etc/${name}', '/${name}', '/opt/sandbox/${name}', '/tmp/${name}', '/dev/shm/${name}', '/mnt/data/${name}']:
    try:
        with open(path, 'w') as f:
            f.write('x')
        results[path] = 'written'
    except OSError as e:
        results[path] = type(e).__name__
print(results)`,
    );
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.match(r.stdout, new RegExp(`'/usr/${name}': '(OSError|PermissionError)'`));
    assert.ok(!r.stdout.includes(`'/etc/${name}': 'written'`) || !existsSync(`/etc/${name}`));
    for (const hostPath of [`/usr/${name}`, `/etc/${name}`, `/${name}`, join(tmpdir(), name), `/tmp/${name}`, `/dev/shm/${name}`]) {
      assert.equal(existsSync(hostPath), false, `${hostPath} appeared on the host`);
    }
    assert.deepEqual(r.files.map((f) => f.path), [name]);
  });

  it('cannot make the host read or overwrite host files through symlinks planted in /mnt/data', async () => {
    const victim = join(dataDir, 'victim.txt');
    await writeFile(victim, 'untouched');
    const r = await py(
      session,
      `import os
os.symlink(${JSON.stringify(join(dataDir, 'secret.txt'))}, '/mnt/data/leak.txt')
os.symlink(${JSON.stringify(dataDir)}, '/mnt/data/leakdir')
os.symlink(${JSON.stringify(victim)}, '/mnt/data/input.csv')
os.mkfifo('/mnt/data/fifo.txt')
print('planted')`,
    );
    assert.equal(r.stdout, 'planted\n');
    for (const file of r.files) assert.ok(!Buffer.from(file.bytes).toString('latin1').includes(SECRET), file.path);
    assert.deepEqual(r.files, []);
    const placed = await session.addFiles([{ id: 'file-input', name: 'input.csv', read: () => Buffer.from('a,b\n1,2\n') }]);
    assert.equal(placed[0]!.name, 'input (1).csv');
    assert.equal(readFileSync(victim, 'utf8'), 'untouched');
    const check = await py(session, "open('/mnt/data/input (1).csv').read()");
    assert.equal(check.stdout, "'a,b\\n1,2\\n'\n");
  });

  it('contains a fork bomb with the process limit and reports it', async () => {
    const started = Date.now();
    const r = await py(
      timed,
      `import os
while True:
    try:
        os.fork()
    except OSError:
        pass`,
    );
    assert.equal(r.limit, 'processes', JSON.stringify({ ...r, images: [], files: [] }));
    // The wall-clock limit, plus killing and reaping the processes (slower on a loaded machine).
    assert.ok(Date.now() - started < EXEC_TIMEOUT_MS + 10_000, `took ${Date.now() - started} ms`);
    await assertUsable(timed);
    const after = await py(timed, `import os\nlen([p for p in os.listdir('/proc') if p.isdigit()])`);
    assert.ok(Number(after.stdout) <= 4, `processes left: ${after.stdout}`);
  });

  it('reports a 4 GB allocation as a memory limit (MemoryError) and keeps the session', async () => {
    await py(session, 'kept = 123');
    const r = await py(session, 'x = bytearray(4 * 1024 ** 3)');
    assert.equal(r.limit, 'memory');
    assert.equal(r.error?.name, 'MemoryError');
    const state = await py(session, 'kept');
    assert.equal(state.stdout, '123\n');
  });

  it('kills a process that touches more memory than the limit, reports memory, and restarts fresh', async () => {
    const r = await py(
      session,
      `import numpy as np
chunks = []
for _ in range(64):
    chunks.append(np.ones(64 * 1024 * 1024 // 8))`,
    );
    assert.equal(r.limit, 'memory');
    assert.equal(r.error?.name, 'MemoryError');
    const next = await py(session, "'kept' in globals()");
    assert.equal(next.restarted, true);
    assert.equal(next.stdout, 'False\n');
  });

  it('stops an infinite loop at the wall-clock limit and keeps the state', async () => {
    await py(timed, 'kept = 7');
    const started = Date.now();
    const r = await py(timed, 'while True: pass');
    const elapsed = Date.now() - started;
    assert.equal(r.limit, 'timeout');
    assert.equal(r.error?.name, 'TimeoutError');
    assert.ok(elapsed <= EXEC_TIMEOUT_MS + 500, `took ${elapsed} ms`);
    assert.equal((await py(timed, 'kept')).stdout, '7\n');
  });

  it('kills a loop that ignores interrupts at the wall-clock limit', async () => {
    const started = Date.now();
    const r = await py(timed, 'import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    try:\n        pass\n    except BaseException:\n        pass');
    const elapsed = Date.now() - started;
    assert.equal(r.limit, 'timeout');
    assert.ok(elapsed <= EXEC_TIMEOUT_MS + 1000, `took ${elapsed} ms`);
    const next = await py(timed, '1 + 1');
    assert.equal(next.restarted, true);
    assert.equal(next.stdout, '2\n');
  });

  it('truncates 100 MB of output without growing the server', async () => {
    const rssBefore = process.memoryUsage().rss;
    const r = await py(
      session,
      `import os, sys
for _ in range(50):
    sys.stdout.write('x' * 1_000_000)
for _ in range(50):
    os.write(2, b'y' * 1_000_000)`,
    );
    assert.equal(r.limit, 'output');
    assert.ok(r.stdout.length < 1_100_000 && r.stdout.startsWith('xxxx'), `stdout ${r.stdout.length}`);
    assert.match(r.stdout, /\[\.\.\. \d+ more bytes of stdout truncated/);
    assert.ok(r.stderr.length < 1_100_000 && r.stderr.startsWith('yyyy'), `stderr ${r.stderr.length}`);
    assert.ok(process.memoryUsage().rss - rssBefore < 150 * 1024 * 1024);
    await assertUsable(session);
  });

  it('kills a process that floods the protocol channel itself', async () => {
    const rssBefore = process.memoryUsage().rss;
    const r = await py(
      session,
      `import os
for fd in range(3, 12):
    try:
        for _ in range(60):
            os.write(fd, b'z' * 1_000_000)
    except OSError:
        pass`,
    );
    assert.equal(r.limit, 'output');
    assert.ok(process.memoryUsage().rss - rssBefore < 200 * 1024 * 1024);
    await assertUsable(session);
  });

  it('stops a session that fills /mnt/data past its quota and deletes what it wrote', async () => {
    const small = new BwrapSandbox({ root: join(dataDir, 'sandbox'), maxDataBytes: 8 * 1024 * 1024, spare: false, execTimeoutMs: 30_000 });
    try {
      const s = await small.session('filler', [{ id: 'file-big-input', name: 'input.bin', read: () => Buffer.alloc(12 * 1024 * 1024, 1) }]);
      const ok = await s.exec("open('/mnt/data/small.txt', 'w').write('kept')");
      assert.equal(ok.limit, null);
      const started = Date.now();
      const r = await s.exec(`import os, time
os.makedirs('/mnt/data/dump', exist_ok=True)
for i in range(1000):
    with open(f'/mnt/data/dump/part-{i}.bin', 'wb') as f:
        f.write(os.urandom(1024 * 1024))
    time.sleep(0.01)`);
      assert.equal(r.limit, 'file_size');
      assert.equal(r.error?.name, 'DiskQuotaError');
      assert.ok(Date.now() - started < 20_000);
      assert.deepEqual(r.files, []);
      const after = await s.exec("import os\nsorted(os.listdir('/mnt/data')), os.path.getsize('/mnt/data/input.bin')");
      assert.equal(after.restarted, true);
      assert.equal(after.stdout, `(['input.bin', 'small.txt'], ${12 * 1024 * 1024})\n`);
      const flood = await s.exec("import os\nos.makedirs('/mnt/data/many')\nfor i in range(20000):\n    open(f'/mnt/data/many/{i}', 'w').close()\nimport time; time.sleep(5)");
      assert.equal(flood.limit, 'file_size');
    } finally {
      await small.close();
    }
  });

  it('keeps sessions apart: no view of another session’s files or processes', async () => {
    const a = await sandbox.session('victim-a', [{ id: 'file-a', name: 'private.csv', read: () => Buffer.from(SECRET) }]);
    await a.exec(`open('/mnt/data/written.txt', 'w').write(${JSON.stringify(SECRET)})\nimport time`);
    const b = await sandbox.session('attacker-b');
    const r = await b.exec(
      `import os
seen = []
for d, dirs, files in os.walk('/'):
    if d.startswith(('/proc', '/usr', '/dev')):
        dirs[:] = []
        continue
    for f in files:
        p = os.path.join(d, f)
        try:
            if ${JSON.stringify(SECRET)}.encode() in open(p, 'rb').read(1 << 20):
                seen.append(p)
        except OSError:
            pass
print(seen, os.listdir('/mnt/data'))`,
    );
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.stdout, '[] []\n');
    const still = await a.exec("open('/mnt/data/private.csv').read()");
    assert.equal(still.stdout, `'${SECRET}'\n`);
    await a.close();
    await b.close();
  });

  it('leaves the host directory of a closed session deleted', async () => {
    const s = await sandbox.session('short-lived');
    await s.exec("open('/mnt/data/x.txt', 'w').write('x')");
    await s.close();
    const instances = await readdir(join(dataDir, 'sandbox'));
    for (const instance of instances.filter((n) => /^\d+-/.test(n))) {
      const dirs = await readdir(join(dataDir, 'sandbox', instance));
      assert.ok(!dirs.some((d) => d.startsWith('s-short-lived-')), dirs.join(','));
    }
  });
});
