/**
 * The bubblewrap sandbox doing its job: a notebook-like Python session with input files in and
 * charts and files out. Skips only when `available()` says the sandbox cannot run here.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { SandboxError, type SandboxSession, type SessionFile } from '../../src/sandbox/sandbox.js';
import { BwrapSandbox } from '../../src/sandbox/bwrap/bwrap-sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'oa-sandbox-fn-'));
await chmod(work, 0o711); // lets the sandbox run as nobody when the tests run as root (see BwrapSandboxOptions.runAs)
const sandbox = new BwrapSandbox({ root: join(work, 'sandbox'), execTimeoutMs: 10_000, maxFileBytes: 8 * 1024 * 1024 });
const availability = await sandbox.available();
const skip = availability.ok ? false : `sandbox not available here: ${availability.reason}`;
const others: BwrapSandbox[] = [];

after(async () => {
  await Promise.all([sandbox.close(), ...others.map((s) => s.close())]);
  await rm(work, { recursive: true, force: true });
});

function file(id: string, name: string, text: string): SessionFile {
  return { id, name, read: () => Buffer.from(text) };
}

async function* chunks(text: string): AsyncIterable<Uint8Array> {
  for (let i = 0; i < text.length; i += 7) yield Buffer.from(text.slice(i, i + 7));
}

const SALES = 'region,amount\nnorth,10\nsouth,32\nnorth,5\n';

describe('sandbox sessions', { skip }, () => {
  let session: SandboxSession;
  before(async () => {
    session = await sandbox.session('thread_functional', [
      file('file-sales', 'sales.csv', SALES),
      { id: 'file-stream', name: 'notes.txt', read: () => chunks('streamed in small chunks\n') },
    ]);
  });

  it('reports the limits in force', () => {
    assert.ok(availability.ok);
    assert.equal(availability.limits.execTimeoutMs, 10_000);
    assert.ok(['cgroup', 'rlimit'].includes(availability.limits.memoryEnforcedBy));
  });

  it('keeps state between execs and prints a trailing expression like a notebook', async () => {
    const first = await session.exec('x = 20\ny = x + 1');
    assert.equal(first.stdout, '');
    assert.equal(first.error, null);
    assert.equal(first.limit, null);
    assert.equal(first.restarted, false);
    assert.equal((await session.exec('x * 2 + y - 19')).stdout, '42\n');
    assert.equal((await session.exec("{'a': [1, 2]}")).stdout, "{'a': [1, 2]}\n");
    assert.equal((await session.exec('None')).stdout, '');
    assert.equal((await session.exec('print("a")\n"b"')).stdout, "a\n'b'\n");
    assert.equal((await session.exec('def f(n):\n    return n * 3\nf(x)')).stdout, '60\n');
  });

  it('captures stdout and stderr, of subprocesses too, in order', async () => {
    const r = await session.exec(`import sys, os, subprocess
print('one')
os.system('echo two')
print('three')
print('oops', file=sys.stderr)
subprocess.run(['sh', '-c', 'echo four; echo bad >&2'])
import warnings; warnings.warn('careful')`);
    assert.equal(r.stdout, 'one\ntwo\nthree\nfour\n');
    assert.match(r.stderr, /^oops\nbad\n.*UserWarning: careful/s);
    assert.equal(r.error, null);
  });

  it('reports an exception with its traceback limited to the cell, and keeps going', async () => {
    const r = await session.exec('def g():\n    return 1 / 0\nprint("before")\ng()');
    assert.equal(r.stdout, 'before\n');
    assert.equal(r.error?.name, 'ZeroDivisionError');
    assert.equal(r.error?.value, 'division by zero');
    assert.match(r.error!.traceback, /File "<cell \d+>", line 4, in <module>\n {4}g\(\)/);
    assert.match(r.error!.traceback, /line 2, in g\n {4}return 1 \/ 0/);
    assert.ok(!r.error!.traceback.includes('kernel.py'), r.error!.traceback);
    assert.equal(r.limit, null);
    const syntax = await session.exec('def broken(:\n    pass');
    assert.equal(syntax.error?.name, 'SyntaxError');
    assert.match(syntax.error!.traceback, /SyntaxError/);
    const exit = await session.exec('import sys\nsys.exit(3)');
    assert.equal(exit.error?.name, 'SystemExit');
    assert.equal((await session.exec('x')).stdout, '20\n');
  });

  it('places input files by sanitized name and reads a CSV with pandas', async () => {
    assert.deepEqual(session.files().map((f) => f.path), ['/mnt/data/sales.csv', '/mnt/data/notes.txt']);
    const r = await session.exec(`import pandas as pd
df = pd.read_csv('/mnt/data/sales.csv')
print(open('notes.txt').read(), end='')
df.groupby('region')['amount'].sum().to_dict()`);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.stdout, "streamed in small chunks\n{'north': 15, 'south': 32}\n");
    assert.deepEqual(r.files, []); // inputs read, not changed
  });

  it('dedupes and sanitizes names, and places each file id once', async () => {
    const placed = await session.addFiles([
      file('file-sales', 'sales.csv', 'ignored: already placed'),
      file('file-sales-2', 'sales.csv', 'a,b\n'),
      file('file-evil', '../../etc/passwd', 'x'),
      file('file-dots', '..', 'y'),
      file('file-ctrl', 'we\u0000ird\nname.txt', 'z'),
    ]);
    assert.deepEqual(placed.map((p) => p.name), ['sales.csv', 'sales (1).csv', '.._.._etc_passwd', 'file', 'we_ird_name.txt']);
    const again = await sandbox.session('thread_functional', [file('file-sales', 'sales.csv', SALES)]);
    assert.equal(again.files().length, 6);
    const r = await session.exec("import os\nsorted(os.listdir('/mnt/data'))");
    assert.equal(r.stdout, "['.._.._etc_passwd', 'file', 'notes.txt', 'sales (1).csv', 'sales.csv', 'we_ird_name.txt']\n");
  });

  it('returns a figure left open as a PNG image', async () => {
    const r = await session.exec(`import matplotlib.pyplot as plt
fig, ax = plt.subplots()
ax.bar(df['region'], df['amount'])
ax.set_title('Sales')`);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(r.images.length, 1);
    const [image] = r.images;
    assert.equal(image!.mime, 'image/png');
    assert.equal(image!.path, null);
    assert.match(image!.name, /^figure-\d+-1\.png$/);
    assert.deepEqual([...image!.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    assert.ok(image!.bytes.length > 1000);
    assert.match(r.stdout, /Text\(0\.5, 1\.0, 'Sales'\)/);
    assert.equal((await session.exec('1')).images.length, 0); // closed after being returned
    const failed = await session.exec("plt.plot([1, 2])\nraise ValueError('after drawing')");
    assert.equal(failed.error?.name, 'ValueError');
    assert.equal(failed.images.length, 1);
  });

  it('returns each plt.show() and an image file saved to /mnt/data (once)', async () => {
    const r = await session.exec(`import matplotlib.pyplot as plt
plt.plot([1, 2, 3]); plt.show()
plt.plot([3, 2, 1]); plt.show()
plt.figure(); plt.plot([0, 1]); plt.savefig('/mnt/data/chart.png')`);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.deepEqual(r.images.map((i) => [i.path, i.mime]), [[null, 'image/png'], [null, 'image/png'], ['chart.png', 'image/png']]);
    assert.equal(r.images[2]!.name, 'chart.png');
    assert.deepEqual(r.files, []);
  });

  it('returns files written to /mnt/data: new, changed, in subdirectories; not unchanged ones', async () => {
    const r = await session.exec(`import os
df.to_csv('/mnt/data/out.csv', index=False)
os.makedirs('/mnt/data/reports/2024', exist_ok=True)
open('/mnt/data/reports/2024/summary.txt', 'w').write('total 47')
open('/mnt/data/sales.csv', 'a').write('east,1\\n')
open('/tmp/scratch.txt', 'w').write('not returned')`);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.deepEqual(
      r.files.map((f) => [f.path, f.created, Buffer.from(f.bytes).toString()]),
      [
        ['out.csv', true, 'region,amount\nnorth,10\nsouth,32\nnorth,5\n'],
        ['reports/2024/summary.txt', true, 'total 47'],
        ['sales.csv', false, `${SALES}east,1\n`],
      ],
    );
    assert.deepEqual((await session.exec('1')).files, []);
  });

  it('reports a write over the file-size limit', async () => {
    const r = await session.exec("open('/mnt/data/big.bin', 'wb').write(b'x' * (9 * 1024 * 1024))");
    assert.equal(r.limit, 'file_size');
    assert.equal(r.error?.name, 'OSError');
    assert.match(r.error!.value, /File too large/);
  });

  it('runs execs of one session one at a time, in call order', async () => {
    const results = await Promise.all([
      session.exec('import time\ntime.sleep(0.3)\norder = ["a"]'),
      session.exec('order.append("b")\norder'),
      session.exec('order.append("c")\norder'),
    ]);
    assert.deepEqual(results.map((r) => r.stdout), ['', "['a', 'b']\n", "['a', 'b', 'c']\n"]);
  });

  it('stops a cell when the caller aborts, reports killed, and keeps the session', async () => {
    await session.exec('kept = "yes"');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const started = Date.now();
    const r = await session.exec('import time\ntime.sleep(30)', controller.signal);
    assert.equal(r.limit, 'killed');
    assert.ok(Date.now() - started < 2000);
    assert.equal((await session.exec('kept')).stdout, "'yes'\n");
    const already = await session.exec('1', AbortSignal.abort());
    assert.equal(already.limit, 'killed');
  });

  it('restarts fresh after the process dies, and says so', async () => {
    const r = await session.exec('import os\nos._exit(0)');
    assert.equal(r.limit, 'killed');
    assert.equal(r.error?.name, 'KernelDied');
    const next = await session.exec("'x' in globals()");
    assert.equal(next.restarted, true);
    assert.equal(next.stdout, 'False\n');
    assert.equal((await session.exec('1')).restarted, false);
    assert.equal((await session.exec("open('/mnt/data/out.csv').readline()")).stdout, "'region,amount\\n'\n"); // files kept
  });
});

describe('sandbox session lifecycle', { skip }, () => {
  it('evicts the least recently used idle session and rebuilds it on use', async () => {
    const small = new BwrapSandbox({ root: join(work, 'lru'), maxSessions: 2, eagerStart: false, spare: false });
    others.push(small);
    const a = await small.session('a', [file('f-a', 'a.txt', 'from a')]);
    await a.exec('v = "a"');
    const b = await small.session('b');
    await b.exec('v = "b"');
    await b.exec('v'); // a is now the least recently used
    const c = await small.session('c');
    await c.exec('v = "c"');
    await sleep(100);
    const dirs = await readdir(join(work, 'lru', (await readdir(join(work, 'lru')))[0]!));
    assert.equal(dirs.filter((d) => d.startsWith('s-')).length, 2);
    const again = await a.exec("'v' in globals(), open('/mnt/data/a.txt').read()");
    assert.equal(again.restarted, true);
    assert.equal(again.stdout, "(False, 'from a')\n");
    assert.equal((await c.exec('v')).stdout, "'c'\n");
  });

  it('refuses a new session when every slot is busy', async () => {
    const one = new BwrapSandbox({ root: join(work, 'busy'), maxSessions: 1, execTimeoutMs: 5000, spare: false });
    others.push(one);
    const a = await one.session('a');
    const running = a.exec('import time\ntime.sleep(1)\n"done"');
    await sleep(50);
    await assert.rejects(one.session('b'), (e: unknown) => e instanceof SandboxError && e.code === 'capacity');
    assert.equal((await running).stdout, "'done'\n");
    await (await one.session('b')).exec('1');
  });

  it('closes an idle session and deletes its directory', async () => {
    const quick = new BwrapSandbox({ root: join(work, 'idle'), idleTimeoutMs: 300, spare: false });
    others.push(quick);
    const s = await quick.session('idle');
    await s.exec("open('/mnt/data/x', 'w').write('x')");
    const instance = (await readdir(join(work, 'idle')))[0]!;
    const dir = (await readdir(join(work, 'idle', instance))).find((d) => d.startsWith('s-'))!;
    await sleep(800);
    assert.equal(existsSync(join(work, 'idle', instance, dir)), false);
    const r = await s.exec("import os\nos.listdir('/mnt/data')");
    assert.equal(r.stdout, '[]\n');
    assert.equal(r.restarted, true);
  });

  it('throws closed once the sandbox is closed, and leaves nothing behind', async () => {
    const temp = new BwrapSandbox({ root: join(work, 'closing') });
    const s = await temp.session('s');
    await s.exec('1');
    await temp.close();
    await assert.rejects(s.exec('1'), (e: unknown) => e instanceof SandboxError && e.code === 'closed');
    await assert.rejects(temp.session('t'), (e: unknown) => e instanceof SandboxError && e.code === 'closed');
    assert.deepEqual(await readdir(join(work, 'closing')), []);
  });

  it('falls back to rlimits without cgroups: MemoryError and a process limit', async () => {
    await Promise.all(others.map((o) => o.close())); // RLIMIT_NPROC counts every process of the sandbox uid
    const plain = new BwrapSandbox({
      root: join(work, 'rlimit'),
      cgroups: 'off',
      memoryBytes: 768 * 1024 * 1024,
      maxProcesses: 8,
      maxSessions: 8,
      spare: false,
      execTimeoutMs: 10_000,
    });
    others.push(plain);
    const a = await plain.available();
    assert.ok(a.ok);
    assert.equal(a.limits.memoryEnforcedBy, 'rlimit');
    assert.equal(a.limits.processesEnforcedBy, a.limits.sandboxUid === 0 ? 'none' : 'rlimit');
    assert.equal(a.limits.cpus, null);
    const s = await plain.session('s');
    const r = await s.exec('import numpy as np\nx = np.ones(1024 ** 3 // 8)');
    assert.equal(r.limit, 'memory');
    assert.equal(r.error?.name, 'MemoryError');
    assert.equal((await s.exec('1 + 1')).stdout, '2\n');
    if (a.limits.processesEnforcedBy === 'rlimit') {
      const forks = await s.exec('import os, time\nkids = []\nwhile len(kids) < 1000:\n    pid = os.fork()\n    if pid == 0:\n        time.sleep(3); os._exit(0)\n    kids.append(pid)');
      assert.equal(forks.limit, 'processes');
      assert.equal(forks.error?.name, 'BlockingIOError');
    }
  });
});

describe('sandbox availability', () => {
  it('says what is missing instead of failing', async () => {
    const noBwrap = new BwrapSandbox({ root: join(work, 'missing'), bwrapPath: '/nonexistent/bwrap' });
    const a = await noBwrap.available();
    assert.equal(a.ok, false);
    assert.match(a.ok ? '' : a.reason, /bubblewrap .*not found at \/nonexistent\/bwrap/);
    await assert.rejects(noBwrap.session('k'), (e: unknown) => e instanceof SandboxError && e.code === 'unavailable');
    await noBwrap.close();
    const noPython = new BwrapSandbox({ root: join(work, 'missing'), pythonPath: '/nonexistent/python3' });
    const b = await noPython.available();
    assert.match(b.ok ? '' : b.reason, /Python 3 .*not found/);
    await noPython.close();
  });
});
