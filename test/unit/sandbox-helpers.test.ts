/**
 * The bubblewrap sandbox's host-side pieces that need no sandbox: file naming and placement, the
 * guarded reads of /mnt/data, the protocol parsing, limit classification, the command line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildExecResult, type ExecFacts } from '../../src/sandbox/bwrap/exec-result.js';
import { imageMime } from '../../src/sandbox/bwrap/image-mime.js';
import { parseKernelMessage } from '../../src/sandbox/bwrap/kernel-protocol.js';
import type { KernelOutcome } from '../../src/sandbox/bwrap/kernel-process.js';
import { LineSplitter } from '../../src/sandbox/bwrap/line-splitter.js';
import { resolveOptions } from '../../src/sandbox/bwrap/options.js';
import { candidateNames, placeFile, sanitizeFileName } from '../../src/sandbox/bwrap/place-file.js';
import { missingPackages } from '../../src/sandbox/bwrap/probe-sandbox.js';
import { readDataFile } from '../../src/sandbox/bwrap/read-data-file.js';
import { sandboxCommand } from '../../src/sandbox/bwrap/sandbox-command.js';
import { seccompProgram } from '../../src/sandbox/bwrap/seccomp-filter.js';
import { changedFiles, scanDataDir } from '../../src/sandbox/bwrap/scan-data-dir.js';

const options = resolveOptions({ root: '/srv/oa/sandbox', memoryBytes: 256 * 1024 * 1024, maxProcesses: 16, runAs: null });

let work: string;
before(async () => {
  work = await realpath(await mkdtemp(join(tmpdir(), 'oa-sandbox-helpers-')));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('file names', () => {
  it('sanitizes to one safe path component', () => {
    assert.equal(sanitizeFileName('report.csv'), 'report.csv');
    assert.equal(sanitizeFileName('../../etc/passwd'), '.._.._etc_passwd');
    assert.equal(sanitizeFileName('a\\b/c'), 'a_b_c');
    assert.equal(sanitizeFileName('..'), 'file');
    assert.equal(sanitizeFileName('.'), 'file');
    assert.equal(sanitizeFileName('   '), 'file');
    assert.equal(sanitizeFileName('-rf'), '_rf');
    assert.equal(sanitizeFileName('tab\there\u0000.txt'), 'tab_here_.txt');
    assert.equal(sanitizeFileName('Café.csv'.normalize('NFD')), 'Café.csv');
    const long = sanitizeFileName(`${'é'.repeat(300)}.xlsx`);
    assert.ok(Buffer.byteLength(long) <= 200);
    assert.ok(long.endsWith('.xlsx'));
  });

  it('numbers duplicates before the extension', () => {
    const names = candidateNames('data.csv');
    assert.deepEqual([names.next().value, names.next().value, names.next().value], ['data.csv', 'data (1).csv', 'data (2).csv']);
    const bare = candidateNames('.env');
    assert.deepEqual([bare.next().value, bare.next().value], ['.env', '.env (1)']);
  });
});

describe('placing input files', () => {
  it('never writes through a planted symlink, and takes the next free name', async () => {
    const dir = join(work, 'place');
    await mkdir(dir);
    const victim = join(work, 'victim.txt');
    await writeFile(victim, 'untouched');
    await symlink(victim, join(dir, 'input.csv'));
    await mkdir(join(dir, 'input (1).csv'));
    const name = await placeFile(dir, 'input.csv', Buffer.from('a,b\n'));
    assert.equal(name, 'input (2).csv');
    assert.equal(await readFile(victim, 'utf8'), 'untouched');
    assert.equal(await readFile(join(dir, name), 'utf8'), 'a,b\n');
    assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.oa-upload-')), []);
  });

  it('streams an async iterable and stops on abort', async () => {
    const dir = join(work, 'stream');
    await mkdir(dir);
    async function* parts() {
      yield Buffer.from('one ');
      yield Buffer.from('two');
    }
    assert.equal(await readFile(join(dir, await placeFile(dir, 'x.txt', parts())), 'utf8'), 'one two');
    const controller = new AbortController();
    async function* slow() {
      yield Buffer.from('a');
      controller.abort();
      yield Buffer.from('b');
    }
    await assert.rejects(placeFile(dir, 'y.txt', slow(), { signal: controller.signal }));
    assert.deepEqual((await readdir(dir)).sort(), ['x.txt']);
  });
});

describe('reading /mnt/data from the host', () => {
  it('reads regular files inside, refuses symlinks, symlinked directories, FIFOs and oversize files', async () => {
    const root = join(work, 'data');
    const outside = join(work, 'outside');
    await mkdir(join(root, 'sub'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    await writeFile(join(root, 'sub', 'ok.txt'), 'fine');
    await symlink(join(outside, 'secret.txt'), join(root, 'link.txt'));
    await symlink(outside, join(root, 'dirlink'));
    execFileSync('mkfifo', [join(root, 'fifo')]);
    assert.equal(Buffer.from((await readDataFile(root, 'sub/ok.txt', 100))!).toString(), 'fine');
    assert.equal(await readDataFile(root, 'link.txt', 100), null);
    assert.equal(await readDataFile(root, 'dirlink/secret.txt', 100), null);
    assert.equal(await readDataFile(root, 'fifo', 100), null);
    assert.equal(await readDataFile(root, 'sub/ok.txt', 3), null);
    assert.equal(await readDataFile(root, 'missing', 100), null);
  });

  it('snapshots regular files without following symlinks and diffs them', async () => {
    const root = join(work, 'scan');
    await mkdir(join(root, 'a'), { recursive: true });
    await writeFile(join(root, 'keep.txt'), 'k');
    await writeFile(join(root, 'change.txt'), 'c');
    await symlink('/etc', join(root, 'etc'));
    const before = await scanDataDir(root);
    assert.deepEqual([...before.keys()].sort(), ['change.txt', 'keep.txt']);
    await writeFile(join(root, 'change.txt'), 'changed');
    await writeFile(join(root, 'a', 'new.txt'), 'n');
    const diff = changedFiles(before, await scanDataDir(root));
    assert.deepEqual(diff, [
      { path: 'a/new.txt', size: 1, created: true },
      { path: 'change.txt', size: 7, created: false },
    ]);
  });
});

describe('the kernel protocol', () => {
  it('splits lines across chunks and stops buffering past the cap', () => {
    const splitter = new LineSplitter(10);
    assert.deepEqual(splitter.push(Buffer.from('ab')), []);
    assert.deepEqual(splitter.push(Buffer.from('c\nde\nf')), ['abc', 'de']);
    assert.deepEqual(splitter.push(Buffer.from('g\n')), ['fg']);
    assert.deepEqual(splitter.push(Buffer.from('ok\n0123456789X')), ['ok']);
    assert.equal(splitter.overflowed, true);
    assert.deepEqual(splitter.push(Buffer.from('\nmore\n')), []);
  });

  it('accepts well-formed messages only, field by field', () => {
    assert.equal(parseKernelMessage('not json'), null);
    assert.equal(parseKernelMessage('[1]'), null);
    assert.equal(parseKernelMessage('{"type":"result"}'), null);
    const reply = parseKernelMessage('{"type":"result","id":3,"stdout":5,"stderr":"e","stdoutDropped":-1,"error":{"name":"X","errno":"27"},"images":["aGk=",7]}');
    assert.deepEqual(reply, {
      type: 'result',
      id: 3,
      stdout: '',
      stderr: 'e',
      stdoutDropped: 0,
      stderrDropped: 0,
      error: { name: 'X', value: '', traceback: '', errno: null },
      images: ['aGk='],
    });
    assert.deepEqual(parseKernelMessage('{"type":"ready","python":"3.11.2","modules":{"numpy":"1.24.2","pandas":null}}'), {
      type: 'ready',
      python: '3.11.2',
      modules: { numpy: '1.24.2', pandas: null },
    });
  });
});

describe('limit classification', () => {
  const reply = (extra: Partial<Extract<KernelOutcome, { kind: 'reply' }>['reply']> = {}, interrupted: 'timeout' | 'abort' | null = null): KernelOutcome => ({
    kind: 'reply',
    interrupted,
    reply: { type: 'result', id: 1, stdout: '', stderr: '', stdoutDropped: 0, stderrDropped: 0, error: null, images: [], ...extra },
  });
  const died = (cause: 'timeout' | 'abort' | 'output' | 'exit', code: number | null = 137): KernelOutcome => ({
    kind: 'died',
    cause,
    exit: { code, signal: null, diagnostics: '' },
  });
  const facts = (outcome: KernelOutcome, extra: Partial<ExecFacts> = {}): ExecFacts => ({
    outcome, cell: 1, oomKills: 0, pidsMaxHits: 0, restarted: false, images: [], files: [], notes: [], durationMs: 1, ...extra,
  });
  const limitOf = (f: ExecFacts) => buildExecResult(f, options).limit;
  const error = (name: string, errno: number | null = null, value = '') => ({ name, value, traceback: '', errno });

  it('tells the limits apart', () => {
    assert.equal(limitOf(facts(reply())), null);
    assert.equal(limitOf(facts(died('exit'), { oomKills: 1 })), 'memory');
    assert.equal(limitOf(facts(reply({ error: error('MemoryError') }))), 'memory');
    assert.equal(limitOf(facts(died('timeout'), { pidsMaxHits: 3 })), 'processes');
    assert.equal(limitOf(facts(reply({ error: error('BlockingIOError', 11) }))), 'processes');
    assert.equal(limitOf(facts(reply({ error: error('RuntimeError', null, "can't start new thread") }))), 'processes');
    assert.equal(limitOf(facts(reply({ error: error('OSError', 27) }))), 'file_size');
    assert.equal(limitOf(facts(died('exit', 128 + 25))), 'file_size');
    assert.equal(limitOf(facts(reply({ error: error('TimeoutError') }, 'timeout'))), 'timeout');
    assert.equal(limitOf(facts(died('timeout'))), 'timeout');
    assert.equal(limitOf(facts(died('exit', 128 + 24))), 'timeout');
    assert.equal(limitOf(facts(reply({ stdoutDropped: 5 }))), 'output');
    assert.equal(limitOf(facts(died('output'))), 'output');
    assert.equal(limitOf(facts(died('abort'), { oomKills: 1 })), 'killed');
    assert.equal(limitOf(facts(reply({}, 'abort'))), 'killed');
    assert.equal(limitOf(facts(died('exit', 0))), 'killed');
  });

  it('explains a dead process, notes truncation, and keeps figures that are PNGs', () => {
    const dead = buildExecResult(facts(died('exit'), { oomKills: 1 }), options);
    assert.equal(dead.error?.name, 'MemoryError');
    assert.match(dead.error!.value, /memory limit of 256 MiB.*fresh Python process/);
    const cut = buildExecResult(
      facts(reply({ stdout: 'abc', stdoutDropped: 10, images: [Buffer.from('\x89PNG rest', 'latin1').toString('base64'), Buffer.from('GIF8').toString('base64')] }), {
        notes: ['/mnt/data/big.bin not returned: too big'],
      }),
      options,
    );
    assert.match(cut.stdout, /^abc\n\[\.\.\. 10 more bytes of stdout truncated/);
    assert.equal(cut.stderr, '[sandbox] /mnt/data/big.bin not returned: too big\n');
    assert.equal(cut.images.length, 1);
    assert.equal(cut.images[0]!.name, 'figure-1-1.png');
  });
});

describe('image files', () => {
  it('needs both the extension and the magic bytes', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    assert.equal(imageMime('chart.PNG', png), 'image/png');
    assert.equal(imageMime('chart.bin', png), null);
    assert.equal(imageMime('fake.png', Buffer.from('not an image')), null);
    assert.equal(imageMime('photo.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(imageMime('anim.gif', Buffer.from('GIF89a')), 'image/gif');
    assert.equal(imageMime('pic.webp', Buffer.from('RIFF\0\0\0\0WEBPVP8 ')), 'image/webp');
  });
});

describe('availability messages and the command line', () => {
  it('names the apt packages of missing modules', () => {
    assert.equal(missingPackages({ numpy: '1', pandas: '2', matplotlib: '3' }, '/usr/bin/python3'), null);
    assert.equal(
      missingPackages({ numpy: '1', pandas: null, matplotlib: null }, '/usr/bin/python3'),
      'Python packages missing for /usr/bin/python3: pandas, matplotlib (apt-get install python3-pandas python3-matplotlib)',
    );
  });

  it('isolates: no network, no capabilities, no nested user namespaces, a cleared environment, nothing of the host but /usr and a few /etc files', () => {
    const argv = sandboxCommand(
      options,
      { dataFd: 3, dataMount: '/mnt/data', readOnlyData: [{ fd: 4, sandbox: '/opt/sandbox/kernel.py' }], seccompFd: 5, cgroupProcs: ['/sys/fs/cgroup/pids/x/cgroup.procs'], rlimitMemory: false, rlimitProcesses: false, runAs: { uid: 65534, gid: 65534 } },
      ['/usr/bin/python3', '-I', '-B', '/opt/sandbox/kernel.py'],
    );
    const text = argv.join(' ');
    for (const flag of ['--seccomp 5', '--unshare-all', '--unshare-user', '--disable-userns', '--cap-drop ALL', '--die-with-parent', '--new-session', '--clearenv', '--tmpfs /usr/local', '--bind-fd 3 /mnt/data']) {
      assert.ok(text.includes(flag), flag);
    }
    assert.ok(text.includes('--reuid 65534 --regid 65534 --clear-groups --pdeathsig KILL'));
    assert.ok(argv.includes(`--as=${256 * 1024 * 1024 + 1024 ** 3}`)); // headroom over the cgroup limit: a graceful MemoryError first
    assert.ok(!text.includes('--nproc'));
    assert.ok(!text.includes('--share-net'));
    const binds = argv.flatMap((arg, i) => (arg === '--ro-bind' || arg === '--ro-bind-try' || arg === '--bind' ? [argv[i + 1]] : []));
    assert.deepEqual(binds.filter((b) => !b!.startsWith('/etc/')), ['/usr']);
    assert.ok(!binds.includes('/etc/shadow') && !binds.includes('/etc/passwd'));
    assert.equal(argv[0], '/bin/sh');
    assert.equal(argv[4], '/sys/fs/cgroup/pids/x/cgroup.procs');
  });

  it('adds RLIMIT_AS at the memory limit and RLIMIT_NPROC when asked', () => {
    const argv = sandboxCommand(
      options,
      { dataFd: 3, dataMount: '/mnt/data', readOnlyData: [], seccompFd: null, cgroupProcs: [], rlimitMemory: true, rlimitProcesses: true, runAs: null },
      ['/usr/bin/python3'],
    );
    assert.ok(argv.includes(`--as=${256 * 1024 * 1024}`));
    assert.ok(argv.some((a) => a.startsWith('--nproc=')));
    assert.ok(!argv.includes('--reuid'));
    assert.ok(!argv.includes('--seccomp'));
  });

  it('builds a seccomp program: arch check, blocked calls to EPERM, the rest allowed', () => {
    const program = seccompProgram('x64')!;
    assert.equal(program.length % 8, 0);
    const insn = (i: number) => ({ code: program.readUInt16LE(i * 8), jt: program[i * 8 + 2]!, jf: program[i * 8 + 3]!, k: program.readUInt32LE(i * 8 + 4) });
    const n = program.length / 8;
    assert.deepEqual(insn(0), { code: 0x20, jt: 0, jf: 0, k: 4 });
    assert.equal(insn(1).k, 0xc000003e);
    assert.equal(insn(2).k, 0x80000000);
    assert.equal(insn(n - 2).k, 0x7fff0000);
    assert.equal(insn(n - 1).k, 0x50001);
    // Every conditional jump lands on the EPERM return.
    for (let i = 4; i < n - 2; i++) assert.equal(i + 1 + insn(i).jt, n - 1, `instruction ${i}`);
    const blocked = Array.from({ length: n - 6 }, (_, j) => insn(5 + j).k);
    for (const nr of [425, 321, 323, 298, 250, 165, 272, 101]) assert.ok(blocked.includes(nr), String(nr));
    assert.ok(!blocked.includes(0) && !blocked.includes(56) && !blocked.includes(57)); // read, clone, fork
    assert.equal(seccompProgram('arm64')!.readUInt32LE(12), 0xc00000b7);
    assert.equal(seccompProgram('ia32'), null);
  });
});
